/**
 * The folder-only sandbox (reads with `--allow-read=<folder>`, and uploads),
 * and the {@link Sandbox} that the file pipeline and the listings read a
 * served folder through.
 *
 * Deno's read grant does not stop a symlink inside the folder from reaching
 * outside it: it checks the path as given, which is what gets opened. And
 * Deno opens, lists and renames by path, with no `openat`, `O_PATH` or
 * `renameat2`: whoever may write in the served folder can swap a name for a
 * symlink to the outside between the check of its real path and its use. So
 * the use is checked afterwards: what was reached must be what the real path
 * of the name, resolved after the call, names now, and that real path must lie
 * within the bounds.
 *
 * Past the house's 400 lines: every read and every policy on a read of the
 * served folder (the grant's bounds, the symlink policy, the checks after
 * each use) is here, so that no feature decides them a second time.
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

import { HttpError, outOfDescriptors } from "../util/errors.ts";
import { sharedStat } from "./coalesce.ts";
import { MissingPaths } from "./missing.ts";
import type { CachedFile, FileCache } from "./filebody.ts";

import { SEP, WINDOWS } from "../util/platform.ts";

/** Whether the real path `real` is the real path `root` or lies under it. */
export function isWithin(real: string, root: string): boolean {
  return real === root || isBelow(real, root);
}

/**
 * Whether the real path `real` lies under the real path `root`, `root`
 * itself not counted: a file in a folder, never the folder.
 */
export function isBelow(real: string, root: string): boolean {
  return real.startsWith(root.endsWith(SEP) ? root : root + SEP);
}

/**
 * What tells one folder from another however it is reached (a symlink
 * loop, a folder linked twice), for a walk that reads each once: its device
 * and inode, or where the system gives no inode, its real path (`path`
 * itself when that cannot be had).
 */
export function folderIdentity(path: string, info: Deno.FileInfo): string {
  if (info.ino !== null && info.dev !== null) return `${info.dev}:${info.ino}`;
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
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
  return isGranted(root);
}

/**
 * Which symlinks in a served folder are followed: `follow` any (Python's
 * way; with read permission for the folder only, those the grant covers),
 * `inside` only those whose target lies in the served folder, `never` none:
 * a path through a symlink is not there.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler, type SymlinkPolicy } from "jsr:@x/httpserver";
 *
 * // A shared folder whose symlinks must not lead out of it.
 * class Shared extends SimpleHTTPRequestHandler {
 *   override symlinks: SymlinkPolicy = "inside";
 * }
 * ```
 */
export type SymlinkPolicy = "follow" | "inside" | "never";

/** Every {@link SymlinkPolicy}, the default first. */
export const SYMLINK_POLICIES: readonly SymlinkPolicy[] = [
  "follow",
  "inside",
  "never",
];

/** A log line's format and its arguments, as `logError` takes them. */
export type LogFunction = (format: string, ...args: unknown[]) => void;

/**
 * What Python answers for anything missing or unreadable: 404. Without a
 * `cause`, one shared error, frozen: scanners and broken links make 404s
 * common, and making an `Error` walks the stack (Deno keeps a detailed one
 * for every error, whatever `Error.stackTraceLimit` says), a large part of a
 * 404's own work. Its stack is of where it was made, never shown.
 */
export function fileNotFound(cause?: unknown): HttpError {
  if (cause === undefined) return FILE_NOT_FOUND;
  return new HttpError("not-found", "File not found", { cause });
}

/** {@link fileNotFound}'s error without a cause. */
const FILE_NOT_FOUND = Object.freeze(
  new HttpError("not-found", "File not found", { headers: Object.freeze([]) }),
);

/**
 * The reads of one served folder. With full read permission, plain `stat`s
 * and opens that follow symlinks anywhere, as Python's. With read permission
 * for the served folder only (`--allow-read=<folder>`), a sandbox: a path is
 * read only when its real path, symlinks followed, is in bounds (covered by
 * the grant, or under the served folder's real path), and what was opened
 * or listed is checked against that real path afterwards (see
 * {@link stillReaches}). The {@link SymlinkPolicy} `inside` or `never`
 * narrows either: the real path must lie under the served folder's, and
 * with `never` be the path itself, no symlink on the way (whatever the
 * grant: {@link followsLink} is that one decision). Refusals are logged
 * through `log`. Permissions are queried, never requested: no prompt.
 *
 * @example
 * ```ts
 * import { Sandbox } from "./sandbox.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${folder}/a.txt`, "a");
 * const sandbox = new Sandbox(folder, console.error);
 * console.log((await sandbox.lookup(`${folder}/a.txt`))?.size); // 1
 * console.log(sandbox.stat(`${folder}/missing`, true)); // null
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export class Sandbox {
  /** The served folder, as the handler names it. */
  readonly directory: string;
  /** Where refusals, and the core's failures to send, are logged. */
  readonly log: LogFunction;
  /** Which symlinks are followed. */
  readonly symlinks: SymlinkPolicy;
  /**
   * Whether a request's reads may be shared with the requests that arrived
   * alongside (see `coalesce.ts`): its `stat` in {@link lookup}, a listing.
   */
  readonly shared: boolean;

  /**
   * @param directory the served folder
   * @param log where refusals are logged
   * @param symlinks which symlinks are followed; default `follow`
   * @param shared whether a request's `stat` may be shared with the
   *   requests that arrived alongside: for a server that reads many in a
   *   turn; one that gets one request a turn (`Deno.serve`) would only wait
   *   for it
   */
  constructor(
    directory: string,
    log: LogFunction,
    symlinks: SymlinkPolicy = "follow",
    shared = true,
  ) {
    this.directory = directory;
    this.log = log;
    this.symlinks = symlinks;
    this.shared = shared;
  }

  /**
   * Whether paths are read as they are, symlinks followed anywhere: full
   * read permission and the policy `follow`. Else each read is checked.
   */
  get #direct(): boolean {
    return this.symlinks === "follow" && hasFullRead();
  }

  /**
   * Whether `path`, a path in the served folder (a listing's entry, a
   * folder walked for an archive or a search), may be read through the
   * symlinks on its way, as the policy and the read grant decide: the same
   * decision as every read of the sandbox. False for a path that is gone.
   */
  followsLink(path: string): boolean {
    if (this.#direct) return true;
    try {
      return this.#mayRead(path, false) !== null;
    } catch {
      return false;
    }
  }

  /**
   * The `stat` of a path the request names (symlinks followed), or null
   * when it is missing, unreadable, or outside the sandbox (logged): with
   * full read permission, `follow` and `shared`, a promise of one shared with the
   * requests for it that arrived alongside (see `coalesce.ts`), else taken
   * now. In the sandbox the `stat` is of the real path checked, so it never
   * describes a file outside.
   */
  lookup(
    path: string,
  ): Deno.FileInfo | null | Promise<Deno.FileInfo | null> {
    return this.shared && this.#direct
      ? sharedStat(path, statDirect)
      : this.stat(path, true);
  }

  /**
   * `Deno.statSync(path)` (symlinks followed), or null when it is missing,
   * unreadable, or outside the sandbox (logged when `log`: not for the
   * entries of a listing); in the sandbox, the `lstat` of the real path
   * checked, as the grant covers it.
   */
  stat(path: string, log: boolean): Deno.FileInfo | null {
    if (this.#direct) return statDirect(path);
    try {
      return this.#mayRead(path, log);
    } catch {
      // Python's isdir and open map every OSError to "not there".
      return null;
    }
  }

  /**
   * Reads a small file through `cache` (see {@link FileCache.load}),
   * checked in the sandbox once open; null when it has grown past the
   * cache's size meanwhile. Unreadable -> 404, out of descriptors -> 503.
   */
  loadSmall(
    cache: FileCache,
    path: string,
    info: Deno.FileInfo,
  ): CachedFile | null {
    const check = this.#direct
      ? undefined
      : (file: Deno.FsFile) => this.#checkOpened(path, file, info);
    try {
      return cache.load(path, info, check);
    } catch (error) {
      throw error instanceof HttpError
        ? error
        : outOfDescriptors(error) ?? fileNotFound(error);
    }
  }

  /**
   * Opens a file to stream, checked in the sandbox, with the `stat` that
   * describes it: the open file's own there, else `info`, the `stat` taken
   * before. Unreadable -> 404, out of descriptors -> 503.
   */
  async open(
    path: string,
    info: Deno.FileInfo,
  ): Promise<{ file: Deno.FsFile; info: Deno.FileInfo }> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (error) {
      throw outOfDescriptors(error) ?? fileNotFound(error);
    }
    if (this.#direct) return { file, info };
    try {
      return { file, info: this.#checkOpened(path, file, info) ?? info };
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /**
   * In the sandbox, the check of a folder read through `path`, to run
   * before and after the reading: it must be the folder `info` describes,
   * at the real path of `path` resolved then, in bounds, so that a folder
   * swapped for a symlink to the outside meanwhile is refused (logged).
   * Undefined when reads are not checked (full read permission, `follow`).
   */
  checkRead(path: string, info: Deno.FileInfo): (() => void) | undefined {
    if (this.#direct) return undefined;
    return () => {
      if (stillReaches(path, info, (real) => this.#look(real, path))) return;
      this.log(
        "refused %s: the folder read is not the folder its real path names",
        path,
      );
      throw new Error(`${path} changed while being read`);
    };
  }

  /**
   * The `lstat` of the real path of `path` when the read grant covers `path`
   * and that real path is in bounds (see {@link #look}), else null (logged
   * when `log`).
   */
  #mayRead(path: string, log: boolean): Deno.FileInfo | null {
    if (!isGranted(path)) {
      if (log) this.log("refused %s: no read permission", path);
      return null;
    }
    const real = Deno.realPathSync(path);
    const info = this.#look(real, path);
    if (info !== null) return info;
    if (log) {
      this.log(
        this.symlinks === "follow"
          ? "refused %s: its real path %s is outside the read permission"
          : `refused %s: its real path %s is not allowed by --symlinks ${this.symlinks}`,
        path,
        real,
      );
    }
    return null;
  }

  /**
   * The `lstat` of the real path `real` of `path` when the sandbox serves
   * what lies there: with `follow`, the read grant covers it; or it lies
   * under the served folder's real path (for a grant that names the folder
   * through a symlink: see {@link lstatUnder}), and with `never` it is the
   * path itself, no symlink between the folder and it; else null.
   */
  #look(real: string, path: string): Deno.FileInfo | null {
    if (this.symlinks === "follow" && isGranted(real)) {
      return Deno.lstatSync(real);
    }
    const root = realDirectory(this.directory);
    if (root === null) return null;
    if (
      this.symlinks === "never" &&
      real !== unlinkedPath(root, this.directory, path)
    ) {
      return null;
    }
    return lstatUnder(real, root, this.directory);
  }

  /**
   * Checks a file just opened through `path`: a name can be swapped for a
   * symlink to the outside between {@link #mayRead} and the open, so the
   * file opened must be the one at the real path of `path` resolved after
   * the open, in bounds. Returns the open file's own `stat`, or null where
   * Deno cannot stat an open file (a grant that names the folder through a
   * symlink: see {@link statOpen}), the file then being checked by path
   * against `info`, the `stat` taken before the open. Throws 404 (logged)
   * for anything else.
   */
  #checkOpened(
    path: string,
    file: Deno.FsFile,
    info: Deno.FileInfo,
  ): Deno.FileInfo | null {
    const root = realDirectory(this.directory);
    const statable = root !== null && statsOpenFiles(root);
    const opened = statable ? statOpen(file) : null;
    const reached = statable ? opened : info;
    if (
      reached === null || !reached.isFile ||
      !stillReaches(path, reached, (real) => this.#look(real, path))
    ) {
      this.log(
        "refused %s: the file opened is not the file its real path names",
        path,
      );
      throw fileNotFound();
    }
    return opened;
  }
}

/**
 * The real path `path` (a path under the served folder `directory`, whose
 * real path is `root`) has when no symlink lies between the folder and it;
 * null when it is not under `directory` as written.
 */
function unlinkedPath(
  root: string,
  directory: string,
  path: string,
): string | null {
  if (!path.startsWith(directory)) return null;
  const after = path.slice(directory.length);
  const words = after.split(SEPARATORS).filter((word) => word !== "");
  if (words.length === 0) return root;
  // `/srv/site2/a` is not under `/srv/site`.
  if (!SEPARATORS.test(after[0]) && !SEPARATORS.test(directory.at(-1) ?? "")) {
    return null;
  }
  return (root.endsWith(SEP) ? root : root + SEP) + words.join(SEP);
}

/** What separates a path's components: `/`, and `\\` on Windows too. */
const SEPARATORS = WINDOWS ? /[/\\]+/ : /\/+/;

/**
 * Paths of served folders found missing, kept while the folder that lacks
 * them is unchanged (see `missing.ts`).
 */
const MISSING = new MissingPaths();

/**
 * `Deno.statSync(path)`, or null when it fails; a path known missing
 * without a failed call. With full read permission only: the folders
 * {@link MISSING} looks at need no grant of their own.
 */
function statDirect(path: string): Deno.FileInfo | null {
  if (MISSING.has(path)) return null;
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) MISSING.found(path);
    return null;
  }
}

/** Queried once: with full read permission no path needs checking. */
let fullRead: boolean | undefined;

/** Whether the process may read every path: then there is no sandbox. */
function hasFullRead(): boolean {
  return fullRead ??=
    Deno.permissions.querySync({ name: "read" }).state === "granted";
}

function isGranted(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state ===
    "granted";
}

/** Real paths of served folders, resolved once each. */
const realDirectories = new Map<string, string | null>();

function realDirectory(directory: string): string | null {
  let real = realDirectories.get(directory);
  if (real === undefined) {
    try {
      real = isGranted(directory) ? Deno.realPathSync(directory) : null;
    } catch {
      real = null;
    }
    realDirectories.set(directory, real);
  }
  return real;
}

/**
 * Where the file system path `path`, under the served folder `directory`,
 * really lies in that folder: the components below the folder's real path
 * of the real path of `path` (of its nearest existing ancestor, the rest
 * appended, for a name yet to be made), or null when that lies outside the
 * folder or cannot be resolved. A symlink in the folder to one of its own
 * folders names that folder here, so that rules about it cannot be got
 * around through the link.
 */
export function realComponents(
  directory: string,
  path: string,
): string[] | null {
  const root = realDirectory(directory);
  if (root === null) return null;
  const rest: string[] = [];
  let head = path.replace(/[/\\]+$/, "");
  for (;;) {
    try {
      const real = Deno.realPathSync(head || SEP);
      if (!isWithin(real, root)) return null;
      const below = real.slice(root.length).split(/[/\\]/).filter(Boolean);
      return [...below, ...rest.reverse()];
    } catch (error) {
      const cut = Math.max(head.lastIndexOf("/"), head.lastIndexOf(SEP));
      if (!(error instanceof Deno.errors.NotFound) || cut < directory.length) {
        return null;
      }
      rest.push(head.slice(cut + 1));
      head = head.slice(0, cut);
    }
  }
}
