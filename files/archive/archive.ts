/**
 * A folder downloaded as one archive (`--archive`): `GET /folder/?download=zip`
 * or `?download=tar.gz` answers the folder as a ZIP (`zip.ts`) or a gzipped
 * tar (`tar.ts`, through `CompressionStream`), written while the folder is
 * walked, at the pace the client reads it: the walk waits for the client,
 * holds one open file at a time, and writes no temporary file. A client
 * that goes away cancels the stream, which stops the walk and closes the
 * file open.
 *
 * What the archive holds is the walk's (`walk.ts`): what a listing would
 * show and a GET would serve, each folder once.
 *
 * ZIP and tar are written here rather than with a library: of the streaming
 * ones on npm, `client-zip` (2.5.1) writes no ZIP64 end record for more than 65,535 members
 * and never cancels the input it is reading when its own stream is
 * cancelled (a client gone would leave the file open); `archiver`, `yazl`
 * and `tar-stream` are built on Node's streams; `modern-tar` (0.8.7)
 * queues up to 8 MiB ahead of the client; `@zip.js/zip.js` (2.25.1), with
 * Web Streams and ZIP64, brings its own deflate and workers for what is
 * stored here. The formats are a few pages of a well-specified layout, and
 * the data is the walk's to stream.
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

import { type Access, EVERYONE, folderPath } from "../access.ts";
import { fileNotFound, type Sandbox } from "../sandbox.ts";
import { SEP } from "../../util/platform.ts";
import { BLOCK, padTo, TAR_END, tarHeader } from "./tar.ts";
import {
  type Member,
  openMember,
  readMember,
  type Walk,
  walkFolder,
} from "./walk.ts";
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
 * The archive of the folder at `path` (as `translatePath` names it), in
 * `format`.
 *
 * @throws {HttpError} 404 when `access` may not read the folder
 */
export function archiveFolder(
  path: string,
  format: ArchiveFormat,
  options: ArchiveOptions,
  access: Access | undefined,
  sandbox: Sandbox,
): ArchiveResult {
  const served = folderPath(options.directory, path);
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
 * before it returns. A failure of `pieces` reaches the reader through the
 * stream it errors: the feeding itself never rejects, as it fails while
 * the client may be taking the last output, with no one awaiting it.
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
    }
  })();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    await feeding;
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
