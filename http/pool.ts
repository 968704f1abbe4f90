/**
 * Reusable byte buffers. A connection takes its read and write buffers from a
 * pool and gives them back when it is done with them, so clients that open a
 * connection per request (`Connection: close`, HTTP/1.0) allocate no buffers
 * and memory stays flat; file copies take their large buffers from one too.
 *
 * @example
 * ```ts
 * import { BufferPool } from "./pool.ts";
 *
 * const pool = new BufferPool(1024, 2, 256);
 * const a = pool.acquire(); // 1024 bytes, made now
 * pool.release(a);
 * console.log(pool.acquire() === a); // true: reused
 * ```
 *
 * @module
 */

/**
 * A pool of equal buffers with a cap on how many it makes, so that many
 * concurrent users cannot multiply its memory: past the cap, a user gets a
 * buffer of its own (`fallbackSize` bytes), and the pool never keeps more
 * free buffers than it made.
 */
export class BufferPool {
  /** Size of the pooled buffers. */
  readonly size: number;
  /** Most pooled buffers in existence at once. */
  readonly max: number;
  /** Size of a buffer handed out when the pool is exhausted. */
  readonly fallbackSize: number;
  #free: Uint8Array[] = [];
  #created = 0;

  /**
   * @param size bytes per pooled buffer
   * @param max most pooled buffers
   * @param fallbackSize bytes of a buffer made when all pooled ones are out
   */
  constructor(size: number, max: number, fallbackSize: number) {
    this.size = size;
    this.max = max;
    this.fallbackSize = fallbackSize;
  }

  /** A buffer to use until {@link release}. */
  acquire(): Uint8Array {
    const free = this.#free.pop();
    if (free !== undefined) return free;
    if (this.#created < this.max) {
      this.#created++;
      return new Uint8Array(this.size);
    }
    return new Uint8Array(this.fallbackSize);
  }

  /**
   * Takes back a buffer from {@link acquire}, once, when nothing uses it any
   * more (nor a pending read or write). It is kept while fewer buffers are
   * free than the pool made; other ones are left to the garbage collector.
   */
  release(buf: Uint8Array): void {
    if (buf.length === this.size && this.#free.length < this.#created) {
      this.#free.push(buf);
    }
  }
}
