/**
 * A request body as framed by RFC 9112 §6: Content-Length bytes, or a decoded
 * chunked body, and then end of body. A handler reading it can never read
 * into the next pipelined request.
 *
 * @module
 */

import { ChunkedDecoder } from "./chunked.ts";
import { HttpError } from "../util/errors.ts";
import type { BufferedReader } from "./reader.ts";

const EMPTY = new Uint8Array(0);

/**
 * A handler's `rfile`: `read(n?)`, `readLine()` and a `readable` stream over
 * one request's body. The body ends (an empty `Uint8Array`) after exactly its
 * `Content-Length` bytes or its last chunk.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * class Upload extends BaseHTTPRequestHandler {
 *   async do_POST() {
 *     const firstLine = await this.rfile.readLine(); // up to and with "\n"
 *     const rest = await this.rfile.read(); // the rest of the body
 *     const size = firstLine.length + rest.length;
 *     this.sendResponse(200);
 *     this.sendHeader("Content-Length", "0");
 *     this.endHeaders();
 *     this.logMessage("received %d bytes", size);
 *   }
 *
 *   async do_PUT() {
 *     // Or as a stream, without holding the body in memory.
 *     using file = await Deno.open("upload.bin", { write: true, create: true });
 *     await this.rfile.readable.pipeTo(file.writable, { preventClose: true });
 *     this.sendResponse(204);
 *     this.endHeaders();
 *   }
 * }
 * ```
 */
export class RequestBody {
  #reader: BufferedReader;
  #timeoutMs: number;
  #beforeRead: () => Promise<void>;
  /** Content-Length bytes still to come; -1 for a chunked body. */
  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  /** Decoded chunk payload not handed out yet, as `buf[#dataStart, #dataEnd)`. */
  #dataStart = 0;
  #dataEnd = 0;

  /**
   * Made by the handler for its connection; handlers only read from it.
   *
   * @param reader the connection's read buffer
   * @param timeoutMs how long the body may stall between two reads
   * @param beforeRead runs before the body waits on the network (it sends
   *   buffered output such as `100 Continue` first)
   */
  constructor(
    reader: BufferedReader,
    timeoutMs: number,
    beforeRead: () => Promise<void>,
  ) {
    this.#reader = reader;
    this.#timeoutMs = timeoutMs;
    this.#beforeRead = beforeRead;
  }

  /** Starts a new request's body: `contentLength` bytes, or chunked. */
  begin(contentLength: number, chunked: boolean): void {
    this.#dataStart = this.#dataEnd = 0;
    if (chunked) {
      this.#remaining = -1;
      this.#chunked ??= new ChunkedDecoder();
      this.#chunked.reset();
    } else {
      this.#remaining = contentLength > 0 ? contentLength : 0;
    }
  }

  /** True once the whole body has been read. */
  get done(): boolean {
    return this.#remaining === 0;
  }

  /**
   * Resolves to the next bytes of the body, at most `max` of them, or to an
   * empty array at the end of the body. The bytes are a view into the
   * connection's buffer, valid until the next read.
   */
  async readChunk(max = Infinity): Promise<Uint8Array> {
    if (this.#remaining === 0) return EMPTY;
    return this.#remaining > 0
      ? await this.#readLength(max)
      : await this.#readChunked(max);
  }

  /**
   * Reads `n` bytes, or the rest of the body without `n`; fewer only when the
   * body ends first (Python's `rfile.read(n)`). An empty array means the end
   * of the body.
   */
  async read(n?: number): Promise<Uint8Array> {
    if (n === undefined || n < 0) return await this.#readAll();
    const out = new Uint8Array(
      Math.min(n, this.#remaining >= 0 ? this.#remaining : n),
    );
    let filled = 0;
    while (filled < out.length) {
      const chunk = await this.readChunk(out.length - filled);
      if (chunk.length === 0) break;
      out.set(chunk, filled);
      filled += chunk.length;
    }
    return filled === out.length ? out : out.subarray(0, filled);
  }

  /**
   * Reads up to and including the next LF, at most `limit` bytes (Python's
   * `rfile.readline(limit)`); empty at the end of the body.
   */
  async readLine(limit = 65536): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (size < limit) {
      const chunk = await this.#peek();
      if (chunk.length === 0) break;
      const lf = chunk.subarray(0, limit - size).indexOf(10);
      const take = lf >= 0 ? lf + 1 : Math.min(chunk.length, limit - size);
      parts.push((await this.readChunk(take)).slice());
      size += take;
      if (lf >= 0) break;
    }
    return concat(parts, size);
  }

  /** The body as a stream of byte chunks (each a fresh copy). */
  get readable(): ReadableStream<Uint8Array> {
    return new ReadableStream({
      pull: async (controller) => {
        const chunk = await this.readChunk();
        if (chunk.length === 0) controller.close();
        else controller.enqueue(chunk.slice());
      },
    }, { highWaterMark: 0 });
  }

  /**
   * Reads and drops the rest of the body if it is at most `limit` bytes, so
   * the connection can serve its next request. Resolves to false (leaving the
   * body unread) when more than `limit` bytes may remain.
   */
  async discard(limit: number): Promise<boolean> {
    let budget = limit;
    while (this.#remaining !== 0) {
      if (this.#remaining > budget) return false;
      const chunk = await this.readChunk(budget);
      if (chunk.length === 0) return this.#remaining === 0;
      budget -= chunk.length;
      if (budget <= 0 && this.#remaining !== 0) return false;
    }
    return true;
  }

  async #readAll(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const chunk = await this.readChunk();
      if (chunk.length === 0) break;
      parts.push(chunk.slice());
      size += chunk.length;
    }
    return concat(parts, size);
  }

  /** The next bytes without consuming them. */
  async #peek(): Promise<Uint8Array> {
    if (this.#remaining === 0) return EMPTY;
    const reader = this.#reader;
    if (this.#remaining > 0) {
      if (reader.buffered === 0) await this.#fill();
      return reader.buf.subarray(
        reader.start,
        reader.start + Math.min(reader.buffered, this.#remaining),
      );
    }
    if (this.#dataEnd === this.#dataStart) await this.#decodeNext();
    return reader.buf.subarray(this.#dataStart, this.#dataEnd);
  }

  async #readLength(max: number): Promise<Uint8Array> {
    const reader = this.#reader;
    if (reader.buffered === 0) await this.#fill();
    const n = Math.min(reader.buffered, this.#remaining, max);
    const chunk = reader.buf.subarray(reader.start, reader.start + n);
    reader.consume(n);
    this.#remaining -= n;
    return chunk;
  }

  async #readChunked(max: number): Promise<Uint8Array> {
    if (this.#dataEnd === this.#dataStart) await this.#decodeNext();
    const n = Math.min(this.#dataEnd - this.#dataStart, max);
    const chunk = this.#reader.buf.subarray(
      this.#dataStart,
      this.#dataStart + n,
    );
    this.#dataStart += n;
    return chunk;
  }

  /** Runs the chunked decoder until it yields payload or the body ends. */
  async #decodeNext(): Promise<void> {
    const reader = this.#reader;
    const decoder = this.#chunked!;
    for (;;) {
      if (decoder.done) {
        this.#remaining = 0;
        return;
      }
      const used = reader.buffered === 0
        ? 0
        : decoder.decode(reader.buf, reader.start, reader.end);
      if (used === 0) {
        await this.#fill();
        continue;
      }
      // The payload stays valid in the buffer until the next fill, which only
      // happens after the handler has taken it.
      this.#dataStart = decoder.dataStart;
      this.#dataEnd = decoder.dataEnd;
      reader.consume(used);
      if (this.#dataEnd > this.#dataStart) return;
    }
  }

  async #fill(): Promise<void> {
    await this.#beforeRead();
    if (!(await this.#reader.fill("body", this.#timeoutMs))) {
      throw new HttpError("body-incomplete", "Request body ended early");
    }
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
