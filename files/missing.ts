/**
 * Paths known to be missing, so that a 404 asked again costs a `stat` that
 * finds, not one that fails: Deno builds an error, with its stack, for every
 * failed call, several times the cost of a found `stat`, and scanners and
 * broken links ask for the same missing paths again and again.
 *
 * A path is missing when a name on its way is not in its folder. Names come
 * and go only by changing their folder (its `mtime` and `ctime`), so while
 * that folder's `stat` is the version it was found to lack the name at, the
 * path stays missing. Kept only when the folder is found first and the name
 * looked for after (an `lstat`: a dangling symlink is a name, whose target
 * may come without its folder changing), and only when the folder last
 * changed long enough ago for its versions to be told apart (see
 * `statcache.ts`). A path is kept the second time it is found missing: a
 * path asked once costs no more than before.
 *
 * @example
 * ```ts
 * import { MissingPaths } from "./missing.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.utime(folder, 1, 1);
 * const missing = new MissingPaths({ racyMs: 0 });
 * missing.found(`${folder}/a.txt`);
 * missing.found(`${folder}/a.txt`);
 * console.log(missing.has(`${folder}/a.txt`)); // true
 * await Deno.writeTextFile(`${folder}/a.txt`, "a");
 * console.log(missing.has(`${folder}/a.txt`)); // false: the folder changed
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { RACY_MS, sameVersion, settled } from "./statcache.ts";
import { WINDOWS } from "../util/platform.ts";

/** Limits of a {@link MissingPaths}. */
export interface MissingPathsOptions {
  /** Most paths kept, and most remembered as found missing once; 1,024. */
  most?: number;
  /** As `StatCacheOptions.racyMs`: default {@link RACY_MS}. */
  racyMs?: number;
}

/** Where a kept path's name is missing: the folder, and its version. */
interface Lack {
  folder: string;
  info: Deno.FileInfo;
}

/** Paths known missing; see the module documentation. */
export class MissingPaths {
  readonly #most: number;
  readonly #racyMs: number;
  /** Kept paths, the oldest first. */
  #kept = new Map<string, Lack>();
  /** Paths found missing once, not yet kept. */
  #once = new Set<string>();

  /**
   * None known yet.
   *
   * @param options the limits
   */
  constructor(options: MissingPathsOptions = {}) {
    this.#most = options.most ?? 1_024;
    this.#racyMs = options.racyMs ?? RACY_MS;
  }

  /**
   * Whether `path` is known to be missing: the folder that lacks a name on
   * its way is still the version it was found lacking it at. One `stat`, of
   * that folder, for a path kept; none for another.
   */
  has(path: string): boolean {
    const lack = this.#kept.get(path);
    if (lack === undefined) return false;
    try {
      if (sameVersion(Deno.statSync(lack.folder), lack.info)) return true;
    } catch {
      // The folder itself is gone: the path is looked up again.
    }
    this.#kept.delete(path);
    return false;
  }

  /**
   * Tells that `path` was just found missing (its `stat` failed with
   * `NotFound`): kept the second time, when the nearest folder on its way
   * lacks the next name (see the module documentation).
   */
  found(path: string): void {
    if (!this.#once.has(path)) {
      if (this.#once.size >= this.#most) this.#once.clear();
      this.#once.add(path);
      return;
    }
    this.#once.delete(path);
    const lack = this.#lack(path);
    if (lack === null) return;
    if (this.#kept.size >= this.#most) {
      this.#kept.delete(this.#kept.keys().next().value!);
    }
    this.#kept.set(path, lack);
  }

  /**
   * The nearest folder on the way to `path` that is there, with its `stat`,
   * when the name below it on the way is not (looked for after that
   * `stat`) and the folder is settled; else null.
   */
  #lack(path: string): Lack | null {
    let name = path.replace(TRAILING, "");
    for (;;) {
      const cut = lastSeparator(name);
      if (cut < 0 || cut === name.length - 1) return null;
      // A root (`/`, `C:\\`) keeps its separator.
      let folder = name.slice(0, cut);
      if (folder === "" || folder.endsWith(":")) {
        folder = name.slice(0, cut + 1);
      }
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(folder);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) return null;
        name = folder;
        continue;
      }
      if (!info.isDirectory || !settled(info, this.#racyMs)) return null;
      try {
        Deno.lstatSync(name);
        return null;
      } catch (error) {
        return error instanceof Deno.errors.NotFound ? { folder, info } : null;
      }
    }
  }
}

/** What separates a path's components at its end: `/`, and `\\` on Windows. */
const TRAILING = WINDOWS ? /[/\\]+$/ : /\/+$/;

/** Where the last separator of `path` is (`/`, and `\\` on Windows); -1: none. */
function lastSeparator(path: string): number {
  const slash = path.lastIndexOf("/");
  return WINDOWS ? Math.max(slash, path.lastIndexOf("\\")) : slash;
}
