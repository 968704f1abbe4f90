/**
 * File bodies: an open file to send ({@link FileBody}), a bounded in-memory
 * cache of small files, revalidated against a `stat` on every request, and
 * the copy loop that streams large files through a bounded pool of big
 * buffers.
 *
 * Why both: an awaited file-system call costs about as much as a whole HTTP
 * exchange, so a small file is best served from memory after one
 * `Deno.statSync`; a large file is best streamed with a large reusable buffer,
 * and must never be read whole.
 *
 * @example
 * ```ts
 * import { FileCache } from "./filebody.ts";
 *
 * const cache = new FileCache({
 *   maxEntryBytes: 1024,
 *   maxTotalBytes: 4096,
 *   racyMs: 0,
 * });
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * const info = Deno.statSync(path);
 * cache.lookup(path, info); // null: not read yet
 * // Kept at once here; by default a file changed in the last 2 s is not kept.
 * const entry = cache.load(path, info); // reads the file
 * console.log(entry?.body.length); // 5
 * console.log(cache.lookup(path, Deno.statSync(path)) === entry); // true
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import { BufferPool } from "../http/pool.ts";
import type { BufferedWriter } from "../http/writer.ts";
import { StatCache, type StatCacheOptions } from "./statcache.ts";

/**
 * An open file to send after the headers, a `length` of bytes from its
 * current position, or as {@link FileBody.send} writes it.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * // Count the bytes of files served (not of listings or small cached files).
 * class Counting extends SimpleHTTPRequestHandler {
 *   static served = 0;
 *   override async sendHead() {
 *     const body = await super.sendHead();
 *     if (body !== null && !(body instanceof Uint8Array) && "file" in body) {
 *       Counting.served += body.length; // a FileBody: body.file, body.length
 *     }
 *     return body;
 *   }
 * }
 * ```
 */
export interface FileBody {
  /** The open file; whoever receives it closes it. */
  file: Deno.FsFile;
  /**
   * How many bytes of the file to send from its current position: the
   * `Content-Length` sent, unless {@link send} frames the body.
   */
  length: number;
  /**
   * Writes the body in place of a plain copy: the parts of a
   * `multipart/byteranges` response, or the file gzipped on the fly.
   * Resolves to the file bytes copied, fewer than `length` if it shrank.
   */
  send?: (out: BufferedWriter) => Promise<number>;
}

/** A small file's contents and what identifies the version they are of. */
export interface CachedFile {
  /** The file's bytes. */
  readonly body: Uint8Array;
  /** The `stat` taken before reading: what a later `stat` must match. */
  readonly info: Deno.FileInfo;
}

/** Limits of a {@link FileCache}. */
export interface FileCacheOptions extends StatCacheOptions {
  /** Largest file kept, in bytes. */
  maxEntryBytes: number;
}

/** A bounded cache of small files, keyed by path: see {@link StatCache}. */
export class FileCache extends StatCache<CachedFile> {
  /** Limits given at construction. */
  declare readonly options: FileCacheOptions;

  /** @param options the size limits */
  constructor(options: FileCacheOptions) {
    super(options);
  }

  /**
   * Reads `path`, whose fresh `stat` is `info`, and keeps it unless it was
   * changed too recently to tell versions apart. Null when the file holds
   * more than `maxEntryBytes` (it grew since `info`): stream it instead.
   * Throws what `Deno.openSync` throws, and what `check` throws.
   *
   * The size comes from `info`, not from the open file: Deno checks an open
   * file's `stat` against its real path, which a read grant given through a
   * symlinked folder does not cover.
   *
   * @param check called with the file once open, before it is read; throws
   *   to refuse it. Returns the open file's own `stat`, which then stands
   *   for `info`, or null to read the file without keeping it.
   */
  load(
    path: string,
    info: Deno.FileInfo,
    check?: (file: Deno.FsFile) => Deno.FileInfo | null,
  ): CachedFile | null {
    if (info.size > this.options.maxEntryBytes) return null;
    let version: Deno.FileInfo | null = info;
    let body: Uint8Array;
    let n = 0;
    const file = Deno.openSync(path);
    try {
      if (check !== undefined) version = check(file);
      const size = (version ?? info).size;
      if (size > this.options.maxEntryBytes) return null;
      // One byte more than expected tells that the file grew.
      body = new Uint8Array(size + 1);
      while (n < body.length) {
        const read = file.readSync(body.subarray(n));
        if (read === null) break;
        n += read;
      }
    } finally {
      file.close();
    }
    const described = version ?? info;
    if (n > described.size) return null;
    const entry = { body: body.subarray(0, n), info: described };
    // A file that shrank meanwhile is served as read, but not kept. A file
    // rewritten meanwhile at the same size is kept under its older `info`:
    // the next lookup sees the newer times and reads it again.
    if (n === described.size && version !== null) {
      this.keep(path, version, entry, n);
    }
    return entry;
  }
}

/**
 * The copy buffers of all handlers: 256 KiB each, at most 16 (4 MiB), one
 * per copy: small enough to stay in a core's cache from the read to the
 * send.
 */
export const COPY_BUFFERS = new BufferPool(256 * 1024, 16, 64 * 1024);

/**
 * Copies up to `length` bytes of `source` to `output` through a pooled
 * buffer, each chunk read synchronously and then written. Reading on this
 * thread, as nginx does unless told to use `aio threads`, spares each chunk
 * the two hand-offs to and from Deno's blocking-I/O threads (and a copy of
 * the file descriptor) that `read()` costs: on a busy machine, every
 * hand-off waits for a core (bench/README.md has the figures). The price is
 * that a read from a cold disk holds this thread's other connections until
 * it returns. Resolves to the number of bytes copied, which is less than
 * `length` only when the file ended early. The caller closes `source`.
 */
export async function copyBytes(
  source: Deno.FsFile,
  output: BufferedWriter,
  length: number,
  pool: BufferPool = COPY_BUFFERS,
): Promise<number> {
  if (length <= 0) return 0;
  const chunk = pool.acquire();
  let copied = 0;
  try {
    while (copied < length) {
      const n = source.readSync(
        chunk.subarray(0, Math.min(chunk.length, length - copied)),
      );
      if (n === null) break;
      // BufferedWriter sends a chunk this large straight from `chunk`,
      // without keeping it, so `chunk` may be reused once this resolves.
      await output.write(chunk.subarray(0, n));
      copied += n;
    }
  } finally {
    pool.release(chunk);
  }
  return copied;
}
