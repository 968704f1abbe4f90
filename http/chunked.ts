/**
 * The chunked transfer coding (RFC 9112 §7.1), both ways. Reading: a
 * resumable decoder in the manner of picohttpparser's `phr_decode_chunked`:
 * the caller feeds the bytes it has, delivers the payload segment the
 * decoder points at (a range of the caller's own buffer, never a copy),
 * keeps the unconsumed tail and feeds again. Chunk extensions are checked and
 * skipped; trailer fields are checked and discarded. Writing:
 * {@link writeChunk} and {@link writeLastChunk}.
 *
 * @example
 * ```ts
 * import { ChunkedDecoder } from "./chunked.ts";
 *
 * const bytes = new TextEncoder().encode("5\r\nhello\r\n0\r\n\r\nNEXT");
 * const decoder = new ChunkedDecoder();
 * let pos = 0;
 * let body = "";
 * while (!decoder.done) {
 *   const used = decoder.decode(bytes, pos, bytes.length);
 *   body += new TextDecoder().decode(
 *     bytes.subarray(decoder.dataStart, decoder.dataEnd),
 *   );
 *   if (used === 0) break; // a real caller reads more bytes here
 *   pos += used;
 * }
 * console.log(body, pos); // hello 15
 * ```
 *
 * @module
 */

import { HttpError } from "../util/errors.ts";
import { checkFieldLine, FIELD_VALUE_BYTE } from "./fields.ts";

/** Limits of a {@link ChunkedDecoder}. */
export interface ChunkedDecoderOptions {
  /**
   * Longest chunk-size line (with its extensions) or trailer line in bytes,
   * counted with its CRLF (default 4096).
   */
  maxLineLength?: number;
  /** Most trailer fields (default 100). */
  maxTrailers?: number;
}

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const SEMICOLON = 0x3b;

/** HEXDIG value of each byte; 0xff for a byte that is not one. */
const HEX = new Uint8Array(256).fill(0xff);
for (let d = 0; d < 16; d++) {
  HEX["0123456789abcdef".charCodeAt(d)] = d;
  HEX["0123456789ABCDEF".charCodeAt(d)] = d;
}

// Where the decoder is: what the next byte is expected to be.
const SIZE_LINE = 0;
const DATA = 1;
const DATA_CRLF = 2;
const TRAILER_LINE = 3;
const DONE = 4;

function badChunk(message: string, cause?: unknown): HttpError {
  return new HttpError("bad-chunk", message, { cause });
}

/**
 * Parses `chunk-size [ chunk-ext ]` in `buf[start, end)` (RFC 9112 §7.1,
 * §7.1.1) and returns the size. Extensions are checked, not kept.
 */
function chunkSize(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let size = 0;
  for (; i < end && HEX[buf[i]] !== 0xff; i++) size = size * 16 + HEX[buf[i]];
  if (i === start || i - start > 16) throw badChunk("Invalid chunk size");
  // Rounding can only push a size over 2^53-1 up, never under it.
  if (size > Number.MAX_SAFE_INTEGER) throw badChunk("Chunk size too large");
  if (i === end) return size;
  // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
  while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
  if (i === end || buf[i] !== SEMICOLON) throw badChunk("Invalid chunk size");
  for (; i < end; i++) {
    if (FIELD_VALUE_BYTE[buf[i]] === 0) {
      throw badChunk("Invalid chunk extension");
    }
  }
  return size;
}

/**
 * Decodes one chunked body; {@link reset} it for the next. See the module
 * example for the calling loop.
 */
export class ChunkedDecoder {
  /** Start of the payload segment found by the last {@link decode} call. */
  dataStart = 0;
  /** End of that segment; equal to {@link dataStart} when there is none. */
  dataEnd = 0;
  /**
   * True once the last chunk, the trailer section and its final CRLF were
   * consumed. Bytes after them belong to the next request.
   */
  done = false;

  readonly #maxLine: number;
  readonly #maxTrailers: number;
  #state = SIZE_LINE;
  /** Payload bytes left in the current chunk. */
  #remaining = 0;
  /** Bytes of the pending partial line already searched for LF. */
  #scanned = 0;
  #trailers = 0;

  /**
   * Makes a decoder for one body at a time.
   *
   * @param options limits, see {@link ChunkedDecoderOptions}
   */
  constructor(options: ChunkedDecoderOptions = {}) {
    this.#maxLine = options.maxLineLength ?? 4096;
    this.#maxTrailers = options.maxTrailers ?? 100;
  }

  /** Back to the initial state for the next body. */
  reset(): void {
    this.dataStart = this.dataEnd = 0;
    this.done = false;
    this.#state = SIZE_LINE;
    this.#remaining = 0;
    this.#scanned = 0;
    this.#trailers = 0;
  }

  /**
   * Processes `buf[start, end)` and returns how many bytes it consumed. If
   * then `dataEnd > dataStart`, `buf[dataStart, dataEnd)` is payload (within
   * the consumed range). It stops after at most one payload segment, so call
   * it again with the rest; 0 means it needs more bytes: keep the unconsumed
   * tail (a partial line) and call again with more behind it. The call that
   * delivers the last payload may also finish the body and set {@link done}.
   *
   * @param buf bytes received
   * @param start first unconsumed byte
   * @param end one past the last received byte
   * @returns the number of bytes consumed
   * @throws {HttpError} `bad-chunk` on any violation of the chunked framing,
   * a line over the limit or too many trailers
   */
  decode(buf: Uint8Array, start: number, end: number): number {
    this.dataStart = this.dataEnd = start;
    let pos = start;
    while (pos < end) {
      const state = this.#state;
      if (state === DATA) {
        if (this.dataEnd > this.dataStart) break;
        const n = Math.min(this.#remaining, end - pos);
        this.dataStart = pos;
        this.dataEnd = pos += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = DATA_CRLF;
      } else if (state === DATA_CRLF) {
        // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
        if (buf[pos] !== CR) {
          throw badChunk(
            buf[pos] === LF
              ? "Bare LF after chunk data"
              : "Missing CRLF after chunk data",
          );
        }
        if (pos + 1 === end) break;
        if (buf[pos + 1] !== LF) throw badChunk("Bare CR after chunk data");
        pos += 2;
        this.#state = SIZE_LINE;
      } else if (state === DONE) {
        break;
      } else {
        const next = this.#line(buf, pos, end);
        if (next === -1) break;
        pos = next;
      }
    }
    return pos - start;
  }

  /**
   * Handles the complete chunk-size or trailer line at `pos`, if there is
   * one. Returns the offset after its CRLF, or -1 when it is incomplete.
   */
  #line(buf: Uint8Array, pos: number, end: number): number {
    const view = end === buf.length ? buf : buf.subarray(0, end);
    const lf = view.indexOf(LF, pos + this.#scanned);
    const length = (lf === -1 ? end : lf + 1) - pos;
    if (length > this.#maxLine) throw badChunk("Chunk line too long");
    if (lf === -1) {
      this.#scanned = length;
      return -1;
    }
    this.#scanned = 0;
    // CRLF is strict in the body: no bare LF, no CR but the one before LF.
    const lineEnd = lf - 1;
    if (lf === pos || buf[lineEnd] !== CR) throw badChunk("Bare LF in chunk");
    if (buf.indexOf(CR, pos) !== lineEnd) throw badChunk("Bare CR in chunk");

    if (this.#state === SIZE_LINE) {
      this.#remaining = chunkSize(buf, pos, lineEnd);
      // last-chunk = 1*"0" [ chunk-ext ] CRLF, then trailer-section CRLF
      this.#state = this.#remaining > 0 ? DATA : TRAILER_LINE;
    } else if (lineEnd === pos) {
      this.#state = DONE;
      this.done = true;
    } else {
      // RFC 9112 §7.1.2: trailer fields follow the header field rules.
      if (++this.#trailers > this.#maxTrailers) {
        throw badChunk("Too many trailers");
      }
      try {
        checkFieldLine(buf, pos, lineEnd);
      } catch (e) {
        throw badChunk(`Invalid trailer: ${(e as Error).message}`, e);
      }
    }
    return lf + 1;
  }
}

/** Where {@link writeChunk} writes: a connection's `BufferedWriter`, or a test double. */
export interface ChunkSink {
  /** Writes bytes, or a string as UTF-8. */
  write(data: Uint8Array | string): Promise<void>;
}

const CRLF = new TextEncoder().encode("\r\n");
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

/**
 * Writes `data` as one chunk (RFC 9112 §7.1): its size in hex, CRLF, the
 * bytes, CRLF. Empty `data` writes nothing: a chunk of size 0 is the last.
 *
 * @example
 * ```ts
 * import { writeChunk, writeLastChunk } from "./chunked.ts";
 *
 * let wire = "";
 * const out = {
 *   write: (data: Uint8Array | string) => {
 *     wire += typeof data === "string" ? data : new TextDecoder().decode(data);
 *     return Promise.resolve();
 *   },
 * };
 * await writeChunk(out, new TextEncoder().encode("hello"));
 * await writeLastChunk(out);
 * console.log(JSON.stringify(wire)); // "5\r\nhello\r\n0\r\n\r\n"
 * ```
 */
export async function writeChunk(
  out: ChunkSink,
  data: Uint8Array,
): Promise<void> {
  if (data.length === 0) return;
  await out.write(data.length.toString(16) + "\r\n");
  await out.write(data);
  await out.write(CRLF);
}

/**
 * Writes the last chunk and an empty trailer section, which end a chunked
 * body (RFC 9112 §7.1). A body cut short must not get them: their absence
 * is how the client learns it.
 */
export function writeLastChunk(out: ChunkSink): Promise<void> {
  return out.write(LAST_CHUNK);
}
