/**
 * What a file system call through a path actually reached, for the
 * folder-only sandbox (reads with `--allow-read=<folder>`, and uploads).
 * Deno opens, lists and renames by path, with no `openat`, `O_PATH` or
 * `renameat2`: whoever may write in the served folder can swap a name for a
 * symlink to the outside between the check of its real path and its use. So
 * the use is checked afterwards: what was reached must be what the real path
 * of the name, resolved after the call, names now, and that real path must lie
 * within the bounds.
 *
 * @example
 * ```ts
 * import { lstatUnder, stillReaches } from "./sandbox.ts";
 *
 * const folder = await Deno.makeTempDir();
 * const root = Deno.realPathSync(folder);
 * await Deno.writeTextFile(`${folder}/a.txt`, "a");
 * using file = await Deno.open(`${folder}/a.txt`);
 * const look = (real: string) => lstatUnder(real, root, folder);
 * console.log(stillReaches(`${folder}/a.txt`, file.statSync(), look)); // true
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @module
 */

import { SEP } from "../util/platform.ts";

/** Whether the real path `real` is the real path `root` or lies under it. */
export function isWithin(real: string, root: string): boolean {
  return real === root ||
    real.startsWith(root.endsWith(SEP) ? root : root + SEP);
}

/** Whether two `stat`s are of one file: the same device and inode. */
export function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/**
 * The `lstat` of `real`, a real path under `root`, the real path of the
 * served folder `directory`, looked at through `directory` as named: Deno
 * checks a path as written against the grants, and a grant that names the
 * folder through a symlink does not cover the real paths beneath it. The
 * folder itself is `stat`ed, following the symlink it may be named by. Null
 * when `real` is not under `root`; throws what `Deno.lstatSync` throws.
 */
export function lstatUnder(
  real: string,
  root: string,
  directory: string,
): Deno.FileInfo | null {
  if (!isWithin(real, root)) return null;
  const rest = real.slice(root.length).replace(/^[/\\]+/, "");
  if (rest === "") return Deno.statSync(directory);
  return Deno.lstatSync(
    (directory.endsWith(SEP) ? directory : directory + SEP) + rest,
  );
}

/**
 * Whether `path` still reaches the file `reached` describes (the `stat` of
 * what an earlier call through `path` reached, best that of the open file
 * itself), in bounds: `look` is given the real path of `path`, resolved now,
 * and returns the `lstat` of what lies there (see {@link lstatUnder}), or
 * null when it is out of bounds; it must be that file. False too when `path`
 * is gone.
 */
export function stillReaches(
  path: string,
  reached: Deno.FileInfo,
  look: (real: string) => Deno.FileInfo | null,
): boolean {
  try {
    const now = look(Deno.realPathSync(path));
    return now !== null && sameFile(now, reached);
  } catch {
    return false;
  }
}

/**
 * The `stat` of an open file, or null where Deno refuses it: it checks the
 * read grant against the real path the file was opened at, so it refuses a
 * file reached through a symlink to the outside, but also any file where
 * the grant names the folder through a symlink (see {@link statsOpenFiles}).
 */
export function statOpen(file: Deno.FsFile): Deno.FileInfo | null {
  try {
    return file.statSync();
  } catch {
    return null;
  }
}

/**
 * Whether {@link statOpen} works for the files under the real path `root`:
 * whether the read grant covers `root` itself.
 */
export function statsOpenFiles(root: string): boolean {
  return Deno.permissions.querySync({ name: "read", path: root }).state ===
    "granted";
}
