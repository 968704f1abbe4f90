/**
 * A folder downloaded as one archive (`--archive`): `GET /folder/?download=zip`
 * or `?download=tar.gz` answers the folder as a ZIP (`zip.ts`) or a gzipped
 * tar (`tar.ts`, through `CompressionStream`), written while the folder is
 * walked, at the pace the client reads it: the walk waits for the client,
 * holds one open file at a time, and writes no temporary file. A client
 * that goes away cancels the stream, which stops the walk and closes the
 * file open.
 *
 * The walk takes what a listing would show and a GET would serve: dotfiles
 * only with `showHidden`, only paths the request's {@link Access} may read,
 * through the served folder's {@link Sandbox} (a symlink out of the read
 * grant is skipped, logged). A folder reached a second time (by its device
 * and inode: a symlink loop, or two links to one folder) is archived once.
 * A member that cannot be read is skipped with a log line; FIFOs, sockets
 * and devices are left out.
 *
 * ZIP and tar are written here rather than with a library: of the streaming
 * ones, `client-zip` writes no ZIP64 end record for more than 65,535 members
 * and never cancels the input it is reading when its own stream is
 * cancelled (a client gone would leave the file open), and `archiver` and
 * `tar-stream` are built on Node's streams; the formats are a few pages of
 * a well-specified layout, and the data is the walk's to stream.
 *
 * @example
 * ```ts
 * import { archiveRequest } from "./archive.ts";
 *
 * console.log(archiveRequest("/docs/?download=zip")); // "zip"
 * console.log(archiveRequest("/docs/?download=rar")); // null
 * ```
 *
 * @module
 */

import { type Access, childPath, EVERYONE, servedPath } from "../access.ts";
import { isHiddenName } from "../hidden.ts";
import { type FolderEntries, readFolderEntries } from "../listing/folder.ts";
import { fileNotFound, type Sandbox } from "../sandbox.ts";
import { SEP } from "../../util/platform.ts";
import { BLOCK, padTo, TAR_END, tarHeader } from "./tar.ts";
import { ZipWriter } from "./zip.ts";

/** The archive formats a folder is downloaded in. */
export type ArchiveFormat = "zip" | "tar.gz";

/** A folder's archive, ready to send with status 200. */
export interface ArchiveResult {
  /** Tells the answers of `serve.ts` apart. */
  readonly kind: "archive";
  /** Always 200. */
  readonly status: 200;
  /** The `Content-type`. */
  readonly type: string;
  /** The `Content-Disposition`: an attachment, named after the folder. */
  readonly disposition: string;
  /**
   * Starts the walk: the archive's bytes, made as they are read (no
   * `Content-Length`). Cancelling the stream stops the walk and closes the
   * file open. Not called for a HEAD.
   */
  open(): ReadableStream<Uint8Array>;
}

/** The settings an archive depends on. */
export interface ArchiveOptions {
  /** The served folder. */
  readonly directory: string;
  /** Whether dotfiles are archived. */
  readonly showHidden: boolean;
}

/** The links the listing pages show with `--archive`, to this folder's archives. */
export const ARCHIVE_LINKS = '<p class="archive">Download this folder: ' +
  '<a href="?download=zip" download>zip</a> ' +
  '<a href="?download=tar.gz" download>tar.gz</a></p>\n';

/** The format `?download=` asks for in a request-target, or null. */
export function archiveRequest(target: string): ArchiveFormat | null {
  const mark = target.indexOf("?");
  if (mark < 0) return null;
  const asked = new URLSearchParams(target.slice(mark + 1)).get("download");
  return asked === "zip" || asked === "tar.gz" ? asked : null;
}

/**
 * The archive of the folder at `path` (as `translatePath` names it) for a
 * request for `target`, in `format`.
 *
 * @throws {HttpError} 404 when `access` may not read the folder
 */
export function archiveFolder(
  path: string,
  target: string,
  format: ArchiveFormat,
  options: ArchiveOptions,
  access: Access | undefined,
  sandbox: Sandbox,
): ArchiveResult {
  const served = servedPath(target);
  if (!(access ?? EVERYONE).allows(served, "read")) throw fileNotFound();
  const name = folderName(served, options.directory);
  const folder = path.replace(/[/\\]+$/, "") || SEP;
  return {
    kind: "archive",
    status: 200,
    type: format === "zip" ? "application/zip" : "application/gzip",
    disposition: attachment(`${name}.${format}`),
    open() {
      const walk: Walk = {
        showHidden: options.showHidden,
        access: access ?? EVERYONE,
        sandbox,
        seen: new Set(),
      };
      const members = walkFolder(folder, `${name}/`, served, walk);
      const pieces = format === "zip"
        ? batched(zipPieces(members, sandbox))
        : gzipped(batched(tarPieces(members, sandbox)));
      return piecesStream(pieces, sandbox, served);
    },
  };
}

/**
 * The folder's name, which names the archive and its top folder: the
 * served path's last component, or for the served folder itself its real
 * name ("archive" where it has none, as `/`).
 */
function folderName(served: string, directory: string): string {
  if (served !== "/") return served.slice(served.lastIndexOf("/") + 1);
  try {
    const real = Deno.realPathSync(directory);
    return real.slice(real.search(/[^/\\]*$/)) || "archive";
  } catch {
    return "archive";
  }
}

/**
 * `Content-Disposition: attachment` for `filename` (RFC 6266): an ASCII
 * `filename` for every client, and `filename*` in UTF-8 (RFC 8187) when
 * the name is more than that.
 */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  if (ascii === filename) return `attachment; filename="${filename}"`;
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** What a walk decides with. */
interface Walk {
  readonly showHidden: boolean;
  readonly access: Access;
  readonly sandbox: Sandbox;
  /** The folders archived, by device and inode. */
  readonly seen: Set<string>;
}

/** A file or folder to archive. */
interface Member {
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
async function* walkFolder(
  folder: string,
  prefix: string,
  served: string,
  walk: Walk,
): AsyncGenerator<Member> {
  const info = walk.sandbox.stat(folder, true);
  if (info === null || !info.isDirectory) return;
  walk.seen.add(identity(info, folder));
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
    if (found?.isFile) {
      yield { name: prefix + name, path, info: found };
    } else if (found?.isDirectory) {
      const key = identity(found, path);
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

/** What tells folders apart: device and inode, else the real path. */
function identity(info: Deno.FileInfo, path: string): string {
  if (info.ino !== null && info.dev !== null) return `${info.dev}:${info.ino}`;
  return Deno.realPathSync(path);
}

/**
 * Opens a member's file through the sandbox, with the `stat` of what was
 * opened; null, logged, when it cannot be read.
 */
async function openMember(
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
async function* readMember(
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

/** The pieces of a ZIP of `members`. */
async function* zipPieces(
  members: AsyncIterable<Member>,
  sandbox: Sandbox,
): AsyncGenerator<Uint8Array> {
  const zip = new ZipWriter();
  for await (const { name, path, info } of members) {
    if (info.isDirectory) {
      yield zip.begin({ name, directory: true, mtime: info.mtime, size: 0 });
      yield zip.end();
      continue;
    }
    const opened = await openMember({ name, path, info }, sandbox);
    if (opened === null) continue;
    try {
      const { size, mtime } = opened.info;
      yield zip.begin({ name, directory: false, mtime, size });
      for await (
        const chunk of readMember(opened.file, size, path, sandbox, false)
      ) {
        zip.update(chunk);
        yield chunk;
      }
      yield zip.end();
    } finally {
      opened.file.close();
    }
  }
  yield* zip.finish();
}

/** The pieces of a tar of `members`, to be gzipped. */
async function* tarPieces(
  members: AsyncIterable<Member>,
  sandbox: Sandbox,
): AsyncGenerator<Uint8Array> {
  for await (const { name, path, info } of members) {
    if (info.isDirectory) {
      yield tarHeader({ name, directory: true, mtime: info.mtime, size: 0 });
      continue;
    }
    const opened = await openMember({ name, path, info }, sandbox);
    if (opened === null) continue;
    try {
      const { size, mtime } = opened.info;
      yield tarHeader({ name, directory: false, mtime, size });
      yield* readMember(opened.file, size, path, sandbox, true);
      if (size % BLOCK !== 0) yield new Uint8Array(padTo(size) - size);
    } finally {
      opened.file.close();
    }
  }
  yield TAR_END;
}

/**
 * `pieces` gzipped (`CompressionStream`), fed to it as it is read. Ending
 * the generator early (a client gone) ends the feeding, and so `pieces`,
 * before it returns.
 */
async function* gzipped(
  pieces: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const gzip = new CompressionStream("gzip");
  const writer = gzip.writable.getWriter();
  const reader = gzip.readable.getReader();
  const feeding = (async () => {
    try {
      // Each write waits for the output to be read: one piece at a time.
      for await (const piece of pieces) {
        await writer.write(piece as Uint8Array<ArrayBuffer>);
      }
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => {});
      throw error;
    }
  })();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield value;
    }
    await feeding;
  } finally {
    await reader.cancel().catch(() => {});
    await feeding.catch(() => {});
  }
}

/** Pieces are sent together up to this many bytes. */
const BATCH_BYTES = 64 * 1024;

/**
 * `pieces` joined into batches of {@link BATCH_BYTES} or more (but the
 * last): a header or a small file is not worth a write, nor a chunk of its
 * own, nor a step of gzip.
 */
async function* batched(
  pieces: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let batch: Uint8Array[] = [];
  let bytes = 0;
  for await (const piece of pieces) {
    batch.push(piece);
    bytes += piece.length;
    if (bytes < BATCH_BYTES) continue;
    yield joined(batch, bytes);
    batch = [];
    bytes = 0;
  }
  if (bytes > 0) yield joined(batch, bytes);
}

/**
 * The stream of `pieces`, pulled as the client reads: nothing is made
 * ahead. Cancelling it ends the generator, which closes the file it holds;
 * the end or a failure of the walk is logged.
 */
function piecesStream(
  pieces: AsyncGenerator<Uint8Array>,
  sandbox: Sandbox,
  served: string,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await pieces.next();
      } catch (error) {
        sandbox.log("archive of %s failed: %s", served, String(error));
        throw error;
      }
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await pieces.return(undefined);
      sandbox.log("archive of %s stopped: the client went away", served);
    },
  }, { highWaterMark: 0 });
}

/** `parts`, `bytes` long in all, as one array (the one part itself). */
function joined(parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
