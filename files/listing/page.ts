/**
 * A listing page sent as it is made. Its text comes in pieces (a head, a row
 * per entry, a tail) whose length in bytes is known before the first byte
 * goes out, for the `Content-Length`; {@link writePage} then encodes the text
 * a chunk at a time into a pooled buffer and writes each chunk before making
 * the next, so a client that stops reading holds one chunk, not the page.
 *
 * Making listings is work the event loop does between serving other
 * connections: {@link workUnit} hands it out a unit at a time (a chunk, a
 * few dozen `stat`s), 16 units per turn of the event loop at most for all
 * the listings being made together, in the order they asked. Awaiting a socket write is no such turn: a write the socket takes
 * at once resolves in a microtask, and a fast reader would keep the loop.
 *
 * @example
 * ```ts
 * import { pageBytes, type PageText, utf8Length } from "./page.ts";
 *
 * const rows = ["<li>a</li>\n", "<li>é</li>\n"];
 * const page: PageText = {
 *   length: rows.reduce((sum, row) => sum + utf8Length(row), 0),
 *   pieces: () => rows,
 * };
 * console.log(page.length); // 23
 * console.log(new TextDecoder().decode(pageBytes(page))); // the two rows
 * ```
 *
 * @module
 */

import { BufferPool } from "../../http/pool.ts";
import type { BufferedWriter } from "../../http/writer.ts";

/** A page's text, in pieces, and its length in bytes once encoded in UTF-8. */
export interface PageText {
  /** The bytes of all the pieces in UTF-8: the `Content-Length`. */
  readonly length: number;
  /**
   * The text, in order, from the start on each call. A piece never splits a
   * surrogate pair.
   */
  pieces(): Iterable<string>;
}

/**
 * Pages up to this many bytes are made whole, at once, and shared by the
 * requests for the same page that arrived together; a larger page is made
 * as it is sent, and a client that stops reading it holds one chunk.
 */
export const WHOLE_PAGE_BYTES = 256 * 1024;

/**
 * Characters of text gathered before they are encoded: a chunk of 48 KiB of
 * ASCII; more bytes are encoded in as many chunks as they take.
 */
const CHUNK_CHARS = 48 * 1024;

/**
 * The buffers pages are encoded into, one per page being sent: 32 of 64 KiB
 * at most, then 16 KiB each.
 */
const CHUNK_BUFFERS = new BufferPool(64 * 1024, 32, 16 * 1024);

/**
 * Units of listing work per turn of the event loop, all listings together:
 * a unit is about a quarter of a millisecond (a chunk of up to 64 KiB, or
 * {@link STATS_PER_UNIT} `stat`s, or {@link ROWS_PER_UNIT} rows measured).
 * Between two turns a timer waits (a millisecond when nothing else is to be
 * done): fewer units a turn would leave the processor idle more.
 */
const UNITS_PER_TURN = 16;

/** `stat`s of entries in one unit of listing work. */
export const STATS_PER_UNIT = 64;

/** Rows measured in one unit of listing work. */
const ROWS_PER_UNIT = 512;

const encoder = new TextEncoder();

/** See {@link workUnit}. */
class WorkTurns {
  /** Units left to hand out before the next turn. */
  #left = UNITS_PER_TURN;
  /** Those waiting for a unit, in the order they asked. */
  #waiting: (() => void)[] = [];
  #timer = false;

  take(): Promise<void> | undefined {
    if (this.#left > 0 && this.#waiting.length === 0) {
      this.#left--;
      return;
    }
    const turn = new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#nextTurn();
    return turn;
  }

  /**
   * Starts the next turn with a timer, set once the units already handed
   * out are done (a microtask queued now runs after their work): a timer
   * that is due when the event loop comes back to it is run at once, and
   * the loop then looks for no I/O, so a timer set before the work would
   * hold up every other connection.
   */
  #nextTurn(): void {
    if (this.#timer) return;
    this.#timer = true;
    queueMicrotask(() => setTimeout(() => this.#turn(), 0));
  }

  #turn(): void {
    this.#timer = false;
    this.#left = UNITS_PER_TURN;
    while (this.#left > 0 && this.#waiting.length > 0) {
      this.#left--;
      this.#waiting.shift()!();
    }
    if (this.#waiting.length > 0) this.#nextTurn();
  }
}

const TURNS = new WorkTurns();

/**
 * How a piece of listing work waits for its turn: {@link workUnit}, or
 * {@link atOnce} for work as small as a request's.
 */
export type Pace = () => Promise<void> | undefined;

/**
 * Resolves when the caller may do one unit of listing work: at once while
 * this turn of the event loop has units left and nobody waits, else in a
 * later turn, after those who asked before.
 */
export const workUnit: Pace = () => TURNS.take();

/** Never waits: for the work of a small listing, done at once. */
export const atOnce: Pace = () => undefined;

/**
 * The bytes of `text` in UTF-8, without encoding it: a lone surrogate counts
 * 3, as the U+FFFD that `TextEncoder` writes for it.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (
      unit < 0xdc00 && unit >= 0xd800 &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      // A pair: two units, four bytes.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** `text`, which can be iterated more than once, measured at once. */
export function wholeText(text: Iterable<string>): PageText {
  let length = 0;
  for (const piece of text) length += utf8Length(piece);
  return { length, pieces: () => text };
}

/**
 * `text`, which can be iterated more than once, measured a unit of listing
 * work at a time, at `pace`.
 */
export async function measureText(
  text: Iterable<string>,
  pace: Pace,
): Promise<PageText> {
  let length = 0;
  let rows = 0;
  for (const piece of text) {
    if (rows++ % ROWS_PER_UNIT === 0) await pace();
    length += utf8Length(piece);
  }
  return { length, pieces: () => text };
}

/**
 * The page's text encoded a chunk at a time into `buffer`: each chunk is a
 * view of `buffer`, to be used before the next is asked for. The text of a
 * chunk is let go before the chunk is handed out: a client that stops
 * reading holds the buffer, not the text.
 */
function* chunks(page: PageText, buffer: Uint8Array): Generator<Uint8Array> {
  let text = "";
  for (const piece of page.pieces()) {
    text += piece;
    while (text.length >= CHUNK_CHARS) {
      const { read, written } = encoder.encodeInto(text, buffer);
      text = text.slice(read);
      yield buffer.subarray(0, written);
    }
  }
  while (text.length > 0) {
    const { read, written } = encoder.encodeInto(text, buffer);
    text = text.slice(read);
    yield buffer.subarray(0, written);
  }
}

/** The whole page, `page.length` bytes. Throws if the text is not that long. */
export function pageBytes(page: PageText): Uint8Array {
  const body = new Uint8Array(page.length);
  const buffer = CHUNK_BUFFERS.acquire();
  let offset = 0;
  try {
    for (const chunk of chunks(page, buffer)) {
      if (offset + chunk.length > body.length) break;
      body.set(chunk, offset);
      offset += chunk.length;
    }
  } finally {
    CHUNK_BUFFERS.release(buffer);
  }
  if (offset !== body.length) {
    throw new Error(`a page of ${body.length} bytes made ${offset}`);
  }
  return body;
}

/**
 * Writes the page to `out` a chunk at a time, each made after the previous
 * one was written (a client that stops reading stops the page) and in a unit
 * of listing work (see {@link workUnit}). Resolves to the bytes written,
 * which is `page.length` unless the text was made wrong.
 */
export async function writePage(
  page: PageText,
  out: BufferedWriter,
): Promise<number> {
  const buffer = CHUNK_BUFFERS.acquire();
  let written = 0;
  try {
    const made = chunks(page, buffer);
    while (true) {
      await workUnit();
      const { value: chunk, done } = made.next();
      if (done) break;
      // BufferedWriter copies a chunk that fits its buffer and writes a
      // larger one from `buffer` before resolving: either way `buffer` is
      // free again once this resolves.
      await out.write(chunk);
      written += chunk.length;
    }
  } finally {
    CHUNK_BUFFERS.release(buffer);
  }
  return written;
}
