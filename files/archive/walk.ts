/**
 * What a folder's archive holds (see `archive.ts`): the walk of the folder,
 * depth first in Python's listing order, and the reading of each file. The
 * walk takes what a listing would show and a GET would serve: dotfiles only
 * with `showHidden`, only paths the request's {@link Access} may read,
 * through the served folder's {@link Sandbox} (a symlink out of the read
 * grant is skipped, logged). A folder reached a second time (by its device
 * and inode: a symlink loop, or two links to one folder) is taken once, so
 * that a walk always ends. FIFOs, sockets and devices are left out; a file
 * that cannot be opened is skipped with a log line.
 *
 * @example
 * ```ts
 * import { walkFolder } from "./walk.ts";
 * import { EVERYONE } from "../access.ts";
 * import { Sandbox } from "../sandbox.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${folder}/a.txt`, "a");
 * const sandbox = new Sandbox(folder, console.error);
 * const walk = { showHidden: true, access: EVERYONE, sandbox, seen: new Set<string>() };
 * for await (const member of walkFolder(folder, "top/", "/", walk)) {
 *   console.log(member.name); // "top/", then "top/a.txt"
 * }
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { type Access, childPath } from "../access.ts";
import { isAuthFile } from "../accounts/authfile.ts";
import { isHiddenName } from "../hidden.ts";
import { type FolderEntries, readFolderEntries } from "../listing/folder.ts";
import { folderIdentity, type Sandbox } from "../sandbox.ts";
import { SEP } from "../../util/platform.ts";

/** What a walk decides with. */
export interface Walk {
  /** Whether dotfiles are taken. */
  readonly showHidden: boolean;
  /** What the request's user may read. */
  readonly access: Access;
  /** The served folder's reads; refusals and skips are logged through it. */
  readonly sandbox: Sandbox;
  /** The folders archived, by device and inode. */
  readonly seen: Set<string>;
}

/** A file or folder to archive. */
export interface Member {
  /** Its path in the archive; a folder's ends with `/`. */
  readonly name: string;
  /** Its file system path. */
  readonly path: string;
  /** Its `stat`, symlinks followed, as the sandbox took it. */
  readonly info: Deno.FileInfo;
}

/**
 * The members under the folder at `folder` (its served path `served`),
 * depth first in Python's listing order, named from `prefix`. The folder
 * itself is the first member.
 */
export async function* walkFolder(
  folder: string,
  prefix: string,
  served: string,
  walk: Walk,
): AsyncGenerator<Member> {
  const info = walk.sandbox.stat(folder, true);
  if (info === null || !info.isDirectory) return;
  walk.seen.add(folderIdentity(folder, info));
  yield { name: prefix, path: folder, info };
  yield* walkEntries(folder, info, prefix, served, walk);
}

/** The members below the folder `folder` (`info`, its `stat`). */
async function* walkEntries(
  folder: string,
  info: Deno.FileInfo,
  prefix: string,
  served: string,
  walk: Walk,
): AsyncGenerator<Member> {
  const { sandbox } = walk;
  let entries: FolderEntries;
  try {
    const check = sandbox.checkRead(folder, info);
    check?.();
    entries = await readFolderEntries(folder);
    check?.();
  } catch (error) {
    sandbox.log("archive: skipped the folder %s: %s", folder, String(error));
    return;
  }
  for (const i of entries.order) {
    const name = entries.names[i];
    if (!walk.showHidden && isHiddenName(name)) continue;
    const child = childPath(served, name);
    if (!walk.access.allows(child, "read")) continue;
    const path = folder.endsWith(SEP) ? folder + name : folder + SEP + name;
    // Null when gone, or refused by the sandbox (which logs it).
    const found = sandbox.stat(path, true);
    if (found?.isFile && !isAuthFile(walk.access, found)) {
      yield { name: prefix + name, path, info: found };
    } else if (found?.isDirectory) {
      const key = folderIdentity(path, found);
      if (walk.seen.has(key)) {
        sandbox.log("archive: skipped %s: a folder archived already", path);
        continue;
      }
      walk.seen.add(key);
      yield { name: `${prefix}${name}/`, path, info: found };
      yield* walkEntries(path, found, `${prefix}${name}/`, child, walk);
    }
  }
}

/**
 * Opens a member's file through the sandbox, with the `stat` of what was
 * opened; null, logged, when it cannot be read.
 */
export async function openMember(
  member: Member,
  sandbox: Sandbox,
): Promise<{ file: Deno.FsFile; info: Deno.FileInfo } | null> {
  try {
    return await sandbox.open(member.path, member.info);
  } catch (error) {
    sandbox.log(
      "archive: skipped the unreadable file %s: %s",
      member.path,
      String(error instanceof Error && error.cause ? error.cause : error),
    );
    return null;
  }
}

/** Bytes read from a file at once, into a fresh buffer each time. */
const READ_SIZE = 64 * 1024;

/**
 * The first `size` bytes of `file`, a chunk at a time; fewer when it
 * shrank meanwhile (logged), unless `pad`, which fills the rest with zeros
 * (tar's header has said the size).
 */
export async function* readMember(
  file: Deno.FsFile,
  size: number,
  path: string,
  sandbox: Sandbox,
  pad: boolean,
): AsyncGenerator<Uint8Array> {
  let read = 0;
  while (read < size) {
    const chunk = new Uint8Array(Math.min(READ_SIZE, size - read));
    const n = await file.read(chunk);
    if (n === null) break;
    read += n;
    yield n === chunk.length ? chunk : chunk.subarray(0, n);
  }
  if (read === size) return;
  sandbox.log("archive: %s shrank while archived", path);
  if (pad) yield new Uint8Array(size - read);
}
