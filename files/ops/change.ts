/**
 * The changes of the file operations: `DELETE` (RFC 4918 §9.6) and `MOVE`
 * (§9.9) with `--delete`, `MKCOL` (§9.3) with `--mkdir`. Each checks every
 * path it touches first (see `checkChange` in `site.ts`: the `Host`, the
 * served folder itself, hidden names, the access rules, the folder in the
 * served one and writable), honours `If-Match` and `If-Unmodified-Since`
 * against the file as GET serves it (412), then changes the file system in
 * one step where it can:
 *
 * - a `MOVE` is a `rename`, which replaces a file atomically (`Overwrite:
 *   T`, the default); with `Overwrite: F` a file takes its new name by a
 *   hard link, which fails if the name is taken, and a folder claims its
 *   new name with an empty folder that the `rename` then replaces. Of
 *   concurrent moves of one name, one renames or unlinks it and wins; the
 *   others undo their link or empty folder and answer 404.
 * - a `DELETE` of a folder removes it with all it holds (§9.6.1), symlinks
 *   as links, never what they lead to; with access rules, only when every
 *   path below may be changed by the user, as for a `MOVE` of a folder.
 *
 * @example
 * ```ts ignore
 * import { deleteTarget } from "./change.ts";
 *
 * // site: an OpsSite for `DELETE /old.txt` (see site.ts)
 * const answer = await deleteTarget(site);
 * console.log(answer.status); // 204
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { SEP } from "../../util/platform.ts";
import { childPath, EVERYONE } from "../access.ts";
import { refusal } from "../accounts/gate.ts";
import { isHiddenName } from "../hidden.ts";
import { fileNotFound, isWithin, sameFile } from "../sandbox.ts";
import { refuseForeignHost } from "../upload/host.ts";
import { checkPreconditions, storageError } from "../upload/upload.ts";
import { checkLocks, dropLocks } from "./locks.ts";
import {
  type Changed,
  checkChange,
  lstatOrNull,
  type OpsAnswer,
  type OpsSite,
} from "./site.ts";

/**
 * `DELETE`: removes the file, symlink or folder (with all it holds) that
 * the target names; 204.
 *
 * @throws {HttpError} 400 (a `Depth` other than infinity for a folder), 403
 *   (a Host not allowed, the served folder, a hidden name, not allowed to
 *   the user, outside the folder, no write permission), 404, 412
 */
export async function deleteTarget(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const target = checkChange(h, h.path, "DELETE", "existing");
  const info = lstatOrNull(target.path);
  if (info === null) throw fileNotFound();
  checkPreconditions(h.headers, target.path);
  checkLocks(h, target, h.urlRoot + h.path, true);
  if (info.isDirectory) {
    // §9.6.1: a folder is deleted as with Depth: infinity, and only so.
    const depth = h.headers.get("depth");
    if (depth !== null && depth.toLowerCase() !== "infinity") {
      throw new HttpError("bad-path", "A folder is deleted whole", {
        explain: "DELETE of a folder takes no Depth but infinity",
      });
    }
    await checkTree(h, target);
  }
  try {
    await Deno.remove(target.path, { recursive: info.isDirectory });
  } catch (error) {
    throw changeError(h, error, target.served);
  }
  dropLocks(h, target.served);
  return { status: 204, headers: [], body: null };
}

/**
 * `MOVE`: gives the file, symlink or folder the target names the path of
 * its `Destination`; 201 when that path was free, 204 when `Overwrite: T`
 * (the default) let it replace what was there.
 *
 * @throws {HttpError} 400 (no or a bad `Destination`, a bad `Overwrite`),
 *   403 (as DELETE; the destination is the source or lies in it), 404 (no
 *   such path, or, with dotfiles hidden, a hidden one to a visible name),
 *   409 (the destination's folder is missing), 412 (`Overwrite: F` and the
 *   name is taken, or `If-Match`), 502 (a destination on another server)
 */
export async function moveTarget(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const overwrite = overwriteOf(h.headers.get("overwrite"));
  const destination = destinationOf(h);
  const source = checkChange(h, h.path, "MOVE", "existing");
  const info = lstatOrNull(source.path);
  if (info === null) throw fileNotFound();
  const dest = checkChange(h, destination, "MOVE", "new");
  // With dotfiles hidden, a hidden name (one of Finder's: see `checkChange`)
  // is not found as GET finds none, and a name that shows would serve it.
  if (!h.showHidden && isHiddenName(source.name) && !isHiddenName(dest.name)) {
    throw fileNotFound();
  }
  if (dest.served === source.served) {
    throw new HttpError("forbidden", "The destination is the source");
  }
  // A folder's own path is its real path: lstat found no symlink there.
  if (
    info.isDirectory &&
    (dest.served.startsWith(source.served + "/") ||
      isWithin(dest.folder, source.path))
  ) {
    throw new HttpError("forbidden", "A folder cannot move into itself");
  }
  // Each path below moves: taken from where it is, made where it goes.
  if (info.isDirectory) await checkTree(h, source, dest);
  checkPreconditions(h.headers, source.path);
  checkLocks(h, source, h.urlRoot + h.path, true);
  checkLocks(h, dest, h.urlRoot + destination, false);
  const existing = lstatOrNull(dest.path);
  // The source by another name (through a symlink to its folder, a hard
  // link): replacing "what is there" would delete the source itself. Only
  // a new case of its name, where the file system ignores case, renames.
  const renamed = existing !== null && sameFile(existing, info) &&
    dest.path !== source.path &&
    dest.path.toLowerCase() === source.path.toLowerCase();
  if (existing !== null && sameFile(existing, info) && !renamed) {
    throw new HttpError("forbidden", "The destination is the source");
  }
  if (existing !== null && !overwrite && !renamed) throw taken(dest);
  try {
    if (renamed) {
      await Deno.rename(source.path, dest.path);
    } else if (!overwrite) {
      await moveNoReplace(source, dest, info);
    } else {
      // §9.9.3: what the destination held is deleted first, unless a
      // rename replaces it in one step (a file by a file).
      if (existing !== null && (existing.isDirectory || info.isDirectory)) {
        if (existing.isDirectory) await checkTree(h, dest);
        await Deno.remove(dest.path, { recursive: existing.isDirectory });
      }
      await Deno.rename(source.path, dest.path);
    }
  } catch (error) {
    throw changeError(h, error, source.served);
  }
  dropLocks(h, source.served);
  return { status: existing === null ? 201 : 204, headers: [], body: null };
}

/**
 * `MKCOL`: creates the folder the target names; 201.
 *
 * @throws {HttpError} 403 (as DELETE), 405 (the name is taken, §9.3.1), 409
 *   (its folder is missing), 415 (a body)
 */
export async function makeFolder(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const length = h.headers.get("content-length");
  if (
    h.headers.has("transfer-encoding") || (length !== null && length !== "0")
  ) {
    throw new HttpError("unsupported-media-type", "MKCOL takes no body");
  }
  const target = checkChange(h, h.path, "MKCOL", "new");
  checkLocks(h, target, h.urlRoot + h.path, true);
  try {
    await Deno.mkdir(target.path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new HttpError("method-not-allowed", "The name is taken", {
        explain: `${target.name} exists already`,
      });
    }
    throw changeError(h, error, target.served);
  }
  return { status: 201, headers: [], body: null };
}

/**
 * Moves `source` (`info`, its `lstat`) to `dest` unless that name is taken,
 * however quickly another request takes it: a file or symlink by a hard
 * link, then the old name removed; a folder by claiming the name with an
 * empty folder, which `rename` replaces. When the source is gone meanwhile
 * (another move of it won), the claim is undone and the error thrown.
 */
async function moveNoReplace(
  source: Changed,
  dest: Changed,
  info: Deno.FileInfo,
): Promise<void> {
  if (info.isDirectory) {
    try {
      await Deno.mkdir(dest.path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) throw taken(dest);
      throw error;
    }
    try {
      await Deno.rename(source.path, dest.path);
    } catch (error) {
      // Not recursive: only the empty folder claimed goes.
      await Deno.remove(dest.path).catch(() => {});
      throw error;
    }
    return;
  }
  try {
    await Deno.link(source.path, dest.path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) throw taken(dest);
    if (error instanceof Deno.errors.NotFound) throw error;
    // A file system without hard links (FAT): a rename, which could
    // replace a file created in the instant since the check.
    if (lstatOrNull(dest.path) !== null) throw taken(dest);
    await Deno.rename(source.path, dest.path);
    return;
  }
  const linked = Deno.lstatSync(dest.path);
  const now = lstatOrNull(source.path);
  try {
    if (now === null || !sameFile(now, linked)) {
      throw new Deno.errors.NotFound(`${source.path} moved meanwhile`);
    }
    await Deno.remove(source.path);
  } catch (error) {
    // Another move took the source first: this one's name goes again.
    const mine = lstatOrNull(dest.path);
    if (mine !== null && sameFile(mine, linked)) await Deno.remove(dest.path);
    throw error;
  }
}

/**
 * With access rules, refuses to delete or move a folder holding a path the
 * user may not change, or to move it (to `movedTo`) where one of its paths
 * would be one the user may not change: 403, or 401 when no one signed in
 * (logged). Symlinks are not followed.
 */
export async function checkTree(
  h: OpsSite,
  top: Changed,
  movedTo?: Changed,
): Promise<void> {
  const access = h.access ?? EVERYONE;
  if (access === EVERYONE) return;
  const walk = async (
    path: string,
    served: string,
    moved: string | undefined,
  ): Promise<void> => {
    for await (const entry of Deno.readDir(path)) {
      const child = childPath(served, entry.name);
      const there = moved === undefined
        ? undefined
        : childPath(moved, entry.name);
      const refused = !access.allows(child, "write")
        ? child
        : there !== undefined && !access.allows(there, "write")
        ? there
        : null;
      if (refused !== null) {
        h.logError(
          "refused %s %s: not allowed to this user",
          h.command,
          refused,
        );
        throw refusal(access);
      }
      if (entry.isDirectory) await walk(path + SEP + entry.name, child, there);
    }
  };
  await walk(top.path, top.served, movedTo?.served);
}

/** `Overwrite` (RFC 4918 §10.6): `T`, the default, or `F`. */
export function overwriteOf(value: string | null): boolean {
  if (value === null || value.trim() === "T") return true;
  if (value.trim() === "F") return false;
  throw new HttpError("bad-path", "Bad Overwrite", {
    explain: "Overwrite is T or F",
  });
}

/**
 * The path of a `MOVE`'s or a `COPY`'s `Destination` (RFC 4918 §10.3): an absolute URI,
 * or an absolute path, of this server (its host the request's `Host`, when
 * it has one), under the face's mount point, which is taken off.
 *
 * @throws {HttpError} 400 (missing, not a URL), 403 (outside the mount
 *   point), 502 (another server's, §9.9.4)
 */
export function destinationOf(h: OpsSite): string {
  const value = h.headers.get("destination");
  // Without a Host (HTTP/1.0, a Request made in code) any authority is
  // taken as this server's.
  const host = h.headers.get("host");
  let url: URL;
  let own: URL;
  try {
    if (value === null) throw new Error("no Destination");
    url = new URL(value, `http://${host ?? "localhost"}`);
    own = new URL(`${url.protocol}//${host ?? url.host}`);
  } catch (error) {
    throw new HttpError("bad-path", "Bad Destination", {
      explain:
        "MOVE and COPY name where to as a URL in their Destination header",
      cause: error,
    });
  }
  if (!/^https?:$/.test(url.protocol) || url.host !== own.host) {
    throw new HttpError("bad-gateway", "Destination is on another server");
  }
  const path = url.pathname;
  const root = h.urlRoot;
  if (root === "") return path;
  if (path !== root && !path.startsWith(root + "/")) {
    throw new HttpError("forbidden", "Destination is outside the folder");
  }
  return path.slice(root.length) || "/";
}

/** The 412 of a destination taken, with `Overwrite: F` (§9.9.4). */
export function taken(dest: Changed): HttpError {
  return new HttpError("precondition-failed", "The destination exists", {
    explain: `${dest.name} exists already, and Overwrite is F`,
  });
}

/**
 * A file system error as the answer it calls for: gone is 404, refused by
 * the system 403, a folder not empty or on another file system 409, a
 * full disk 507 (see `storageError`); any other stays as it is (500).
 */
export function changeError(
  h: OpsSite,
  error: unknown,
  served: string,
): unknown {
  if (error instanceof HttpError) return error;
  if (error instanceof Deno.errors.NotFound) return fileNotFound(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Deno.errors.PermissionDenied || code === "EPERM") {
    h.logError("refused %s %s: %s", h.command, served, String(error));
    return new HttpError("forbidden", "Changes are not permitted here", {
      cause: error,
    });
  }
  if (code === "ENOTEMPTY" || code === "EXDEV" || code === "EINVAL") {
    return new HttpError("conflict", "Cannot move there", {
      explain: code === "EXDEV"
        ? "The destination is on another file system"
        : "The destination is not an empty folder",
      cause: error,
    });
  }
  return storageError(error);
}
