/**
 * Watches a served folder for live reload: `Deno.watchFs` (read permission
 * only), its events gathered until the folder is quiet for a moment, so
 * that an editor's save (a temporary file, a rename, a write, a change of
 * times) is one change. A change is told as the URL paths it touched and
 * what a page should do: swap stylesheets when only stylesheets changed,
 * else reload.
 *
 * @example
 * ```ts
 * import { FolderWatcher } from "./watcher.ts";
 *
 * const folder = await Deno.makeTempDir();
 * const watcher = new FolderWatcher(folder, (change) => {
 *   console.log(change.kind, change.paths); // "css" ["/site.css"]
 * });
 * console.log(watcher.start()); // null: watching
 * await Deno.writeTextFile(`${folder}/site.css`, "p { color: red }");
 * // ... the change arrives about DEBOUNCE_MS later
 * watcher.close();
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { SEP } from "../../util/platform.ts";

/** What a change asks of the pages: a reload, or new stylesheets. */
export interface Change {
  /** `css` when every changed file still there is a stylesheet. */
  kind: "reload" | "css";
  /**
   * The URL paths changed, decoded (`/css/a b.css`), at most
   * {@link MAX_PATHS}; empty when there were more.
   */
  paths: string[];
}

/** How long the folder must be quiet before a change is told (ms). */
export const DEBOUNCE_MS = 80;

/**
 * The longest a change waits for the folder to be quiet (ms): a folder that
 * never is (a build writing for seconds) still reloads the pages.
 */
export const MAX_WAIT_MS = 1_000;

/** The most paths a change names; past them it is a reload of everything. */
export const MAX_PATHS = 64;

/** `Deno.watchFs`, or a stand-in for tests. */
export type Watch = (path: string) => Deno.FsWatcher;

/**
 * The events of one folder, told as {@link Change}s. Files and folders
 * whose name begins with `.` (`.git`, an editor's `.page.html.swp`) and
 * backups whose name ends with `~` are no change of the site.
 */
export class FolderWatcher {
  readonly #root: string;
  readonly #onChange: (change: Change) => void;
  readonly #watch: Watch;
  #watcher: Deno.FsWatcher | null = null;
  /** The paths of the change being gathered; null when over {@link MAX_PATHS}. */
  #pending: Set<string> | null = new Set();
  #first = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failed: ((reason: string) => void) | undefined;

  /**
   * @param directory the folder to watch, with its subfolders
   * @param onChange called once per change, after the folder is quiet
   * @param watch `Deno.watchFs` (a test gives one that fails)
   */
  constructor(
    directory: string,
    onChange: (change: Change) => void,
    watch: Watch = (path) => Deno.watchFs(path, { recursive: true }),
  ) {
    this.#root = resolve(directory);
    this.#onChange = onChange;
    this.#watch = watch;
  }

  /**
   * Starts watching; null when it does, else why it cannot (no inotify
   * watch left, no read permission, a folder that is gone). `onFail` is
   * called once if watching stops by itself later, with the reason.
   */
  start(onFail?: (reason: string) => void): string | null {
    try {
      this.#watcher = this.#watch(this.#root);
    } catch (error) {
      return reasonOf(error);
    }
    this.#failed = onFail;
    this.#read(this.#watcher);
    return null;
  }

  /** Stops watching; a change being gathered is dropped. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const watcher = this.#watcher;
    this.#watcher = null;
    try {
      watcher?.close();
    } catch {
      // Already closed by its own failure.
    }
  }

  async #read(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) {
        if (event.kind !== "access") this.#gather(event.paths);
      }
    } catch (error) {
      if (this.#watcher !== watcher) return;
      this.close();
      this.#failed?.(reasonOf(error));
    }
  }

  #gather(paths: readonly string[]): void {
    let added = false;
    for (const path of paths) {
      const url = this.#urlPath(path);
      if (url === null) continue;
      added = true;
      if (this.#pending === null) continue;
      this.#pending.add(url);
      if (this.#pending.size > MAX_PATHS) this.#pending = null;
    }
    if (!added) return;
    const now = Date.now();
    if (this.#timer === undefined) this.#first = now;
    clearTimeout(this.#timer);
    const wait = Math.min(DEBOUNCE_MS, this.#first + MAX_WAIT_MS - now);
    this.#timer = setTimeout(() => this.#tell(), Math.max(0, wait));
  }

  /** The URL path of a file the watcher named, or null when it is no change. */
  #urlPath(path: string): string | null {
    const root = this.#root;
    if (
      path !== root && !path.startsWith(root.endsWith(SEP) ? root : root + SEP)
    ) {
      return null;
    }
    const url = "/" +
      path.slice(root.length).replaceAll(SEP, "/").replace(/^\/+/, "");
    return /\/\.|~$/.test(url) ? null : url;
  }

  #tell(): void {
    this.#timer = undefined;
    const paths = this.#pending === null ? null : [...this.#pending];
    this.#pending = new Set();
    // A file gone by now (an editor's temporary file) asks nothing of the
    // stylesheets; a change of nothing but removals reloads.
    const present = paths?.filter((url) => this.#isFile(url)) ?? [];
    const css = present.length > 0 &&
      present.every((url) => /\.css$/i.test(url));
    this.#onChange({ kind: css ? "css" : "reload", paths: paths ?? [] });
  }

  #isFile(url: string): boolean {
    try {
      return Deno.statSync(this.#root + url.replaceAll("/", SEP)).isFile;
    } catch {
      return false;
    }
  }
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error))
    .replace(/ \(os error \d+\)/, "");
}
