/**
 * The read side of a connection: one reusable buffer that the head parser and
 * the body decoders read from in place, so bytes are copied only when a handler
 * takes them.
 *
 * @module
 */

import type { PeerWait, WaitDeadline } from "./wait.ts";
import { BufferPool } from "./pool.ts";

/** Anything bytes can be read from: a `Deno.Conn`, or a test double. */
export interface ByteSource {
  /** Reads into `p`; resolves to the byte count or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
}

/** The buffer size a connection starts with and returns to after a long head. */
export const READ_BUFFER_SIZE = 16 * 1024;

/** Read buffers of connections that ended, for the next ones (4 MiB at most). */
const READ_BUFFERS = new BufferPool(READ_BUFFER_SIZE, 256, READ_BUFFER_SIZE);

const EMPTY = new Uint8Array(0);

/**
 * A growable read buffer over a connection. Unread bytes are `buf[start, end)`.
 * Readers look at those bytes directly and call {@link consume} for what they
 * used; {@link fill} reads more.
 */
export class BufferedReader {
  /** The buffer; unread bytes are `buf[start, end)`. */
  buf: Uint8Array = READ_BUFFERS.acquire();
  /** Offset of the first unread byte. */
  start = 0;
  /** Offset after the last unread byte. */
  end = 0;
  /** Set once the peer closed its side (or {@link release} was called). */
  eof = false;
  /** A read is pending: it may still write into the buffer. */
  #reading = false;

  /**
   * @param conn where bytes come from
   * @param deadline armed around each read
   * @param maxSize the buffer never grows past this many bytes
   */
  constructor(
    readonly conn: ByteSource,
    readonly deadline: WaitDeadline,
    readonly maxSize: number,
  ) {}

  /** How many unread bytes are buffered. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Marks `n` buffered bytes as used. */
  consume(n: number): void {
    this.start += n;
  }

  /**
   * Reads more bytes after the buffered ones, waiting at most `timeoutMs`
   * (0: no limit). Resolves to false at end of stream. Views of the buffer
   * taken before are invalid afterwards: it makes room by moving unread bytes
   * to the front, grows the buffer up to `maxSize` when it is full of unread
   * bytes, and shrinks it back once a long head has been used.
   */
  async fill(phase: PeerWait, timeoutMs: number): Promise<boolean> {
    if (this.eof) return false;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buf.length > READ_BUFFER_SIZE) {
        this.buf = READ_BUFFERS.acquire();
      }
    } else if (this.end === this.buf.length) {
      this.#makeRoom();
    }
    this.deadline.arm(phase, timeoutMs);
    let n: number | null;
    this.#reading = true;
    try {
      n = await this.conn.read(this.buf.subarray(this.end));
    } finally {
      this.#reading = false;
      this.deadline.disarm();
    }
    if (n === null) {
      this.eof = true;
      return false;
    }
    this.end += n;
    return true;
  }

  /**
   * Gives the buffer back to the pool for another connection, unless a read
   * is still pending; the reader is at end of stream afterwards. Call it once
   * the connection is done with, when no view of the buffer is in use.
   */
  release(): void {
    if (this.#reading) return;
    READ_BUFFERS.release(this.buf);
    this.buf = EMPTY;
    this.start = this.end = 0;
    this.eof = true;
  }

  #makeRoom(): void {
    const unread = this.end - this.start;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const size = Math.min(this.buf.length * 2, this.maxSize);
      if (size <= this.buf.length) {
        throw new RangeError("read buffer limit reached");
      }
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.end));
      this.buf = grown;
    }
    this.start = 0;
    this.end = unread;
  }
}
