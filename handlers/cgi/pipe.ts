/**
 * `PipeReader`: reads a byte stream (a child process's stdout or stderr)
 * into one reused buffer, taken from a small free list and given back when
 * done. The default reader of Deno's pipes allocates a new 64 KiB buffer for
 * every read, freed only by the garbage collector, which raises the server's
 * peak memory under concurrent CGI requests (bench/README.md).
 *
 * @example
 * ```ts
 * import { PipeReader } from "./pipe.ts";
 *
 * const stream = new Blob(["hello"]).stream();
 * const reader = new PipeReader(stream);
 * const chunk = await reader.read();
 * console.log(new TextDecoder().decode(chunk!)); // "hello"
 * console.log(await reader.read()); // null: the end
 * reader.release();
 * ```
 *
 * @module
 */

/** Bytes per read buffer: a quarter of a Linux pipe's capacity. */
export const PIPE_BUFFER_SIZE = 16 * 1024;

/** Buffers given back and not yet reused; at most {@link FREE_KEPT}. */
const free: Uint8Array[] = [];
const FREE_KEPT = 64;

/** Reads a byte stream chunk by chunk into one buffer. */
export class PipeReader {
  #reader: ReadableStreamBYOBReader;
  #buf: Uint8Array;

  /** @param stream a byte stream (`type: "bytes"`), as Deno's pipes are */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader({ mode: "byob" });
    this.#buf = free.pop() ?? new Uint8Array(PIPE_BUFFER_SIZE);
  }

  /**
   * The next chunk, or null at the end of the stream (or once cancelled).
   * The chunk is a view of the reader's buffer, which the next read takes
   * over (the view then reads as empty): use or copy it before.
   */
  async read(): Promise<Uint8Array | null> {
    const { value, done } = await this.#reader.read(this.#buf);
    // The read took the buffer over (it is transferred): the chunk holds it
    // now, or nothing does when the stream was cancelled.
    if (value !== undefined) this.#buf = new Uint8Array(value.buffer);
    return done || value === undefined ? null : value;
  }

  /** Cancels the stream; a pending read ends with null. */
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }

  /** Gives the buffer back for another reader; call once no read is pending. */
  release(): void {
    if (this.#buf.length === PIPE_BUFFER_SIZE && free.length < FREE_KEPT) {
      free.push(this.#buf);
    }
    this.#buf = new Uint8Array(0);
  }
}
