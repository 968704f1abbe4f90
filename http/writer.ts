/**
 * The write side of a connection: a fixed buffer that collects the status
 * line, headers and small bodies so a small response leaves in one write.
 *
 * @module
 */

import type { WaitDeadline } from "./wait.ts";
import { BufferPool } from "./pool.ts";

/** Anything bytes can be written to: a `Deno.Conn`, or a test double. */
export interface ByteSink {
  /** Writes some of `p`; resolves to how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/** The size of a connection's write buffer. */
export const WRITE_BUFFER_SIZE = 16 * 1024;

/**
 * Write buffers between two flushes: a connection holds one only while it
 * builds a response, none while it waits for the next request (4 MiB kept at
 * most).
 */
const WRITE_BUFFERS = new BufferPool(WRITE_BUFFER_SIZE, 256, WRITE_BUFFER_SIZE);

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * A buffered writer (a handler's `wfile`). `write()` copies into the buffer
 * while it fits and writes through when it does not; `flush()` sends what is
 * buffered. A write that makes no progress for `timeoutMs` fires the deadline,
 * whose owner closes the connection.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * class Clock extends BaseHTTPRequestHandler {
 *   async do_GET() {
 *     this.sendResponse(200);
 *     this.sendHeader("Content-Type", "text/plain");
 *     this.endHeaders(); // HTTP/1.0: the body ends when the connection closes
 *     for (let i = 0; i < 3; i++) {
 *       await this.wfile.write(`${new Date().toISOString()}\n`);
 *       await this.wfile.flush(); // send this line now
 *       await new Promise((resolve) => setTimeout(resolve, 1000));
 *     }
 *   }
 * }
 * ```
 */
export class BufferedWriter {
  /** The buffer, taken from the pool when needed; EMPTY when none is held. */
  #buf: Uint8Array = EMPTY;
  #len = 0;
  /** A flush is writing from the buffer. */
  #flushing = false;
  /** Writes handed to the connection so far. */
  #writes = 0;
  /** Bytes handed to the connection so far (not counting buffered ones). */
  sent = 0;

  /**
   * Made by the handler for its connection; handlers only write to it.
   *
   * @param conn where bytes go
   * @param deadline armed around each write to the connection
   * @param timeoutMs how long one write may stall (0: no limit)
   */
  constructor(
    /**
     * Where bytes go.
     * @ignore
     */
    readonly conn: ByteSink,
    /**
     * Armed around each write to the connection.
     * @ignore
     */
    readonly deadline: WaitDeadline,
    /** How long one write may stall, in milliseconds (0: no limit). */
    readonly timeoutMs: number,
  ) {}

  /** How many bytes are buffered and not yet sent. */
  get buffered(): number {
    return this.#len;
  }

  /**
   * Appends a string of Latin-1 characters (a status line and header block)
   * to the buffer without sending it. Throws TypeError on a character above
   * U+00FF, as Python's `latin-1` `strict` encoding does.
   */
  bufferLatin1(text: string): void {
    this.#reserve(text.length);
    const buf = this.#buf;
    let len = this.#len;
    // ASCII, the usual case, is the same in UTF-8: the native encoder copies
    // it in one call. Anything else is written again, byte per character.
    const { read, written } = encoder.encodeInto(text, buf.subarray(len));
    if (read === text.length && written === read) {
      this.#len = len + text.length;
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) {
        throw new TypeError(
          `header text is not Latin-1: ${JSON.stringify(text)}`,
        );
      }
      buf[len++] = code;
    }
    this.#len = len;
  }

  /** Writes bytes (or a string as UTF-8), buffering them while they fit. */
  async write(data: Uint8Array | string): Promise<void> {
    this.#take();
    if (typeof data === "string") {
      if (data.length * 3 <= this.#buf.length - this.#len) {
        this.#len +=
          encoder.encodeInto(data, this.#buf.subarray(this.#len)).written;
        return;
      }
      data = encoder.encode(data);
    }
    if (data.length <= this.#buf.length - this.#len) {
      this.#buf.set(data, this.#len);
      this.#len += data.length;
      return;
    }
    await this.flush();
    if (data.length < WRITE_BUFFER_SIZE) {
      this.#take().set(data);
      this.#len = data.length;
    } else {
      await this.#writeAll(data);
    }
  }

  /**
   * Sends everything buffered, then gives the buffer back to the pool (a
   * grown one is dropped): the next write takes one again.
   */
  async flush(): Promise<void> {
    if (this.#len === 0) return;
    const len = this.#len;
    this.#len = 0;
    this.#flushing = true;
    try {
      await this.#writeAll(this.#buf.subarray(0, len));
    } finally {
      this.#flushing = false;
    }
    if (this.#len === 0) this.release();
  }

  /** Drops buffered bytes that were not sent yet. */
  discard(): void {
    this.#len = 0;
  }

  /**
   * Gives the buffer back to the pool, dropping anything buffered, unless a
   * flush is writing from it (that flush gives it back). For the end of the
   * connection; a later write takes a buffer again.
   */
  release(): void {
    if (this.#flushing || this.#buf === EMPTY) return;
    WRITE_BUFFERS.release(this.#buf);
    this.#buf = EMPTY;
    this.#len = 0;
  }

  /**
   * Turns Nagle's algorithm off, before the connection's second write. It
   * holds back a small segment while an earlier one is unacknowledged, and a
   * client may delay its ACK by up to 40 ms, so a response written in parts
   * would stall (Python's HTTP/1.1 server does). A first write has nothing in
   * flight before it: a client that sends one request per connection never
   * pays for the call.
   */
  #noDelay(): void {
    const conn = this.conn as Partial<Deno.TcpConn>;
    if (typeof conn.setNoDelay === "function") conn.setNoDelay(true);
  }

  /** The buffer, taken from the pool if none is held. */
  #take(): Uint8Array {
    if (this.#buf === EMPTY) this.#buf = WRITE_BUFFERS.acquire();
    return this.#buf;
  }

  #reserve(n: number): void {
    this.#take();
    if (this.#len + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    try {
      let offset = 0;
      while (offset < data.length) {
        // Armed per partial write: the timeout bounds a stall, so a slow
        // client that keeps reading a large write is not dropped.
        this.deadline.arm("write", this.timeoutMs);
        if (this.#writes++ === 1) this.#noDelay();
        offset += await this.conn.write(data.subarray(offset));
      }
      this.sent += data.length;
    } finally {
      this.deadline.disarm();
    }
  }
}
