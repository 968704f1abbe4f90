/**
 * `COPY` (RFC 4918 §9.8), with uploads on: the file or folder the target
 * names, copied to its `Destination`. The source is read as GET reads it
 * (see `checkRead`: the sandbox, hidden names, the user's read right); the
 * destination is checked as every change's path (see `checkChange`) and
 * its locks (`locks.ts`). A file is written as an upload is (see
 * `UploadFile`: a temporary file in the destination's folder that takes its
 * name once complete, checked to be in the served folder); a folder's copy
 * (`Depth: infinity`, the default) holds what its listing shows, files and
 * folders, through symlinks the sandbox follows, a folder met again on its
 * own path (a loop) once; hidden names are left out, as no change makes
 * them. With access rules, every path copied must be readable to the user
 * and every path made writable, checked before anything is copied.
 *
 * @example
 * ```ts ignore
 * import { copyTarget } from "./copy.ts";
 *
 * // site: an OpsSite for `COPY /a.txt` with `Destination: /b.txt`
 * const answer = await copyTarget(site);
 * console.log(answer.status); // 201
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { SEP } from "../../util/platform.ts";
import { childPath, EVERYONE } from "../access.ts";
import { refusal } from "../accounts/gate.ts";
import { isAuthFile } from "../accounts/authfile.ts";
import { isHiddenName } from "../hidden.ts";
import { folderIdentity, isWithin, sameFile } from "../sandbox.ts";
import { refuseForeignHost } from "../upload/host.ts";
import { checkPreconditions } from "../upload/upload.ts";
import { makeFolders, UploadFile } from "../upload/uploadfile.ts";
import {
  changeError,
  checkTree,
  destinationOf,
  overwriteOf,
  taken,
} from "./change.ts";
import { checkLocks } from "./locks.ts";
import {
  type Changed,
  checkChange,
  checkRead,
  lstatOrNull,
  type OpsAnswer,
  type OpsSite,
} from "./site.ts";

/** The bytes read from a source file at a time. */
const CHUNK_BYTES = 64 * 1024;

/**
 * `COPY`: copies the file or folder the target names to the path of its
 * `Destination`; 201 when that path was free, 204 when `Overwrite: T` (the
 * default) let the copy replace what was there (a folder, or a file by a
 * folder, only with deletes on).
 *
 * @throws {HttpError} 400 (no or a bad `Destination`, `Overwrite`, `Depth`),
 *   401 or 403 (as MOVE; a path of the source the user may not read; a
 *   folder replaced without deletes on), 404, 409 (the destination's folder
 *   is missing), 412 (`Overwrite: F` and the name is taken, `If-Match`, an
 *   `If`), 423 (the destination is locked), 502 (another server's), 507
 */
export async function copyTarget(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const overwrite = overwriteOf(h.headers.get("overwrite"));
  const destination = destinationOf(h);
  const depth = copyDepth(h.headers.get("depth"));
  const source = await checkRead(h, h.path);
  // A copy is a file GET would send: the auth file by no path to it.
  refuseAuthFile(h, source.info, source.served);
  const dest = checkChange(h, destination, "COPY", "new");
  checkLocks(h, dest, h.urlRoot + destination, false);
  if (dest.served === source.served) {
    throw new HttpError("forbidden", "The destination is the source");
  }
  const folder = source.info.isDirectory;
  if (
    folder && depth === "infinity" &&
    (dest.served.startsWith(source.served + "/") ||
      isWithin(dest.folder, Deno.realPathSync(source.path)))
  ) {
    throw new HttpError("forbidden", "A folder cannot be copied into itself");
  }
  checkPreconditions(h.headers, source.path);
  const existing = lstatOrNull(dest.path);
  if (existing !== null && sameFile(existing, source.info)) {
    throw new HttpError("forbidden", "The destination is the source");
  }
  if (existing !== null && !overwrite) throw taken(dest);
  const replaced = existing !== null && (existing.isDirectory || folder);
  if (replaced && !h.delete) {
    throw new HttpError("forbidden", "Replacing a folder needs deletes on", {
      explain: "COPY replaces a folder, or a file by a folder, with --delete",
    });
  }
  if (existing?.isDirectory) await checkTree(h, dest);
  const walk = { h, seen: new Set<string>(), check: true };
  if (folder && depth === "infinity") {
    await copyTree(walk, source.path, source.served, dest);
  }
  let made = false;
  try {
    if (replaced) {
      await Deno.remove(dest.path, { recursive: existing.isDirectory });
    }
    if (!folder) {
      await copyFile(h, source.path, source.info, dest, existing !== null);
    } else {
      await Deno.mkdir(dest.path);
      made = true;
      if (depth === "infinity") {
        walk.seen.clear();
        walk.check = false;
        await copyTree(walk, source.path, source.served, dest);
      }
    }
  } catch (error) {
    // Not all of a folder: none of it.
    if (made) await Deno.remove(dest.path, { recursive: true }).catch(() => {});
    throw changeError(h, error, dest.served);
  }
  return { status: existing === null ? 201 : 204, headers: [], body: null };
}

/** A walk of a folder copied: first to check every path, then to copy. */
interface Walk {
  readonly h: OpsSite;
  /** The folders on the way, by identity: a loop is copied once. */
  readonly seen: Set<string>;
  /** Whether this walk checks the user's rights alone, copying nothing. */
  check: boolean;
}

/**
 * Walks the folder at `path` (`served` in the served folder) into `to`, a
 * folder made (or, when the walk checks, to be made): its entries the
 * sandbox lets be read, hidden names left out.
 */
async function copyTree(
  walk: Walk,
  path: string,
  served: string,
  to: Changed,
): Promise<void> {
  const { h } = walk;
  const info = h.sandbox.stat(path, true);
  if (info === null) return;
  const id = folderIdentity(path, info);
  if (walk.seen.has(id)) return;
  walk.seen.add(id);
  const access = h.access ?? EVERYONE;
  const check = h.sandbox.checkRead(path, info);
  check?.();
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    if (!isHiddenName(entry.name)) names.push(entry.name);
  }
  check?.();
  for (const name of names) {
    const from = path + SEP + name;
    const stat = h.sandbox.stat(from, false);
    if (stat === null || !(stat.isFile || stat.isDirectory)) continue;
    const fromServed = childPath(served, name);
    const next: Changed = {
      served: childPath(to.served, name),
      name,
      folder: to.path,
      path: to.path + SEP + name,
    };
    // Asked again as it copies: a path may have come since it checked.
    refuseAuthFile(h, stat, fromServed);
    for (const [at, mode] of [[fromServed, "read"], [next.served, "write"]]) {
      if (!access.allows(at, mode as "read" | "write")) {
        h.logError("refused COPY of %s: not allowed to this user", at);
        throw refusal(access);
      }
    }
    if (!walk.check) {
      if (stat.isFile) {
        await copyFile(h, from, stat, next, false);
        continue;
      }
      // Checked once made, as an upload's folders: in the served folder.
      await makeFolders(h, [next.path], []);
    }
    if (stat.isDirectory) await copyTree(walk, from, fromServed, next);
  }
  walk.seen.delete(id);
}

/**
 * Copies the file at `from` (`info`, its `stat`) to `to` as an upload is
 * written: a temporary file in its folder, named once complete (replacing
 * a file there when `replace`).
 */
async function copyFile(
  h: OpsSite,
  from: string,
  info: Deno.FileInfo,
  to: Changed,
  replace: boolean,
): Promise<void> {
  const opened = await h.sandbox.open(from, info);
  using source = opened.file;
  await using copy = await UploadFile.create(h, to.folder, to.path);
  const buffer = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    const read = await source.read(buffer);
    if (read === null) break;
    await copy.write(buffer.subarray(0, read));
  }
  await copy.commit(replace);
}

/**
 * Refuses the copy of a file that is the auth file (a symlink out of the
 * folder, a hard link), as `fileAnswer` refuses to send it.
 */
function refuseAuthFile(h: OpsSite, info: Deno.FileInfo, served: string) {
  if (!isAuthFile(h.access, info)) return;
  h.logError("refused COPY of %s: the auth file", served);
  throw refusal(h.access!);
}

/** A `COPY`'s `Depth` (§9.8.3): 0, or infinity (the default). */
function copyDepth(value: string | null): "0" | "infinity" {
  const depth = value?.trim().toLowerCase() ?? "infinity";
  if (depth === "0" || depth === "infinity") return depth;
  throw new HttpError("bad-path", "Bad Depth", {
    explain: "COPY takes Depth 0 or infinity",
  });
}
