/**
 * A chunked request body held until it ends, so that a CGI script can be
 * told its length: RFC 3875 §4.1.2 wants `CONTENT_LENGTH` to be the length
 * after transfer codings are removed, and a chunked body states it only at
 * its end. Small bodies stay in memory; larger ones go to a temporary file,
 * never to memory whole.
 *
 * @example
 * ```ts ignore
 * import { BodySpool } from "./spool.ts";
 *
 * // In a handler: this.rfile is the request body.
 * await using spool = await BodySpool.fill(this.rfile, 1024 ** 3);
 * console.log(spool.size);
 * for await (const chunk of spool.chunks()) await stdin.write(chunk);
 * ```
 *
 * @module
 */

import type { RequestBody } from "../../http/body.ts";
import { HttpError } from "../../util/errors.ts";
import { type ExitCleanupEntry, exitCleanups } from "../../util/exitcleanup.ts";

/** Bodies up to this size are held in memory; larger ones in a temporary file. */
export const SPOOL_MEMORY_LIMIT = 64 * 1024;

/** The read size when a spooled body is played back from its file. */
const READ_SIZE = 64 * 1024;

/** A request body read to its end, to be played back once. */
export class BodySpool implements AsyncDisposable {
  /** The body's length in bytes. */
  readonly size: number;
  #memory: Uint8Array[];
  #file: Deno.FsFile | null;
  #path: string | null;
  #cleanup: ExitCleanupEntry | null;

  private constructor(
    size: number,
    memory: Uint8Array[],
    file: Deno.FsFile | null,
    path: string | null,
    cleanup: ExitCleanupEntry | null,
  ) {
    this.size = size;
    this.#memory = memory;
    this.#file = file;
    this.#path = path;
    this.#cleanup = cleanup;
  }

  /**
   * Reads `body` to its end. Past {@link SPOOL_MEMORY_LIMIT} bytes it needs
   * a temporary file, so write and read permission for the temporary folder.
   *
   * @param body the request body
   * @param limit the most bytes to hold: a client must not fill the disk
   * @throws {Deno.errors.NotCapable} when that permission is missing
   * @throws {HttpError} 413 past `limit`, and what reading the body throws
   *   (400, 408, ...)
   */
  static async fill(body: RequestBody, limit: number): Promise<BodySpool> {
    const memory: Uint8Array[] = [];
    let size = 0;
    let file: Deno.FsFile | null = null;
    let path: string | null = null;
    let cleanup: ExitCleanupEntry | null = null;
    try {
      for (;;) {
        const chunk = await body.readChunk();
        if (chunk.length === 0) break;
        size += chunk.length;
        if (size > limit) {
          throw new HttpError("body-too-large", "Request body too large", {
            explain: `A chunked body for a CGI script may have ${limit} bytes`,
          });
        }
        if (file === null && size <= SPOOL_MEMORY_LIMIT) {
          memory.push(chunk.slice());
          continue;
        }
        if (file === null) {
          const temp = await Deno.makeTempFile({
            prefix: "httpserver-cgi-body-",
          });
          path = temp;
          cleanup = exitCleanups.add(() => Deno.removeSync(temp));
          file = await Deno.open(temp, { read: true, write: true });
          for (const held of memory.splice(0)) await writeAll(file, held);
        }
        await writeAll(file, chunk);
      }
      await file?.seek(0, Deno.SeekMode.Start);
      return new BodySpool(size, memory, file, path, cleanup);
    } catch (error) {
      await discard(file, path, cleanup);
      throw error;
    }
  }

  /** The body's bytes, in order. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    yield* this.#memory;
    const file = this.#file;
    if (file === null) return;
    const buf = new Uint8Array(READ_SIZE);
    for (;;) {
      const n = await file.read(buf);
      if (n === null) return;
      yield buf.subarray(0, n);
    }
  }

  /** Closes and removes the temporary file, if any. */
  async [Symbol.asyncDispose](): Promise<void> {
    const file = this.#file;
    const path = this.#path;
    const cleanup = this.#cleanup;
    this.#file = this.#path = this.#cleanup = null;
    this.#memory = [];
    await discard(file, path, cleanup);
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await file.write(data.subarray(offset));
  }
}

async function discard(
  file: Deno.FsFile | null,
  path: string | null,
  cleanup: ExitCleanupEntry | null,
): Promise<void> {
  try {
    file?.close();
  } catch {
    // Already closed.
  }
  if (path !== null) await Deno.remove(path).catch(() => {});
  exitCleanups.delete(cleanup);
}
