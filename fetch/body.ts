/**
 * Response bodies of the fetch face that come from an open file: a
 * `ReadableStream` that reads the file a chunk at a time as the client takes
 * them (under backpressure: one chunk waits at most), and closes the file
 * when the body ends, fails or is cancelled (a client that went away). A
 * body that the core writes itself (the parts of `multipart/byteranges`, a
 * file gzipped on the fly) is run against a writer whose writes wait for
 * the stream to be read.
 *
 * A file that shrinks while it is sent cannot meet the `Content-Length`
 * given: the stream then fails, and `Deno.serve` ends the connection, as
 * the Python face closes its own. (One that grows is cut at the length:
 * `Deno.serve` sends no more than a `Content-Length` it was given.)
 *
 * @example
 * ```ts
 * import { fileStream } from "./body.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello, world");
 * const file = await Deno.open(path);
 * await file.seek(7, Deno.SeekMode.Start);
 * console.log(await new Response(fileStream(file, 5)).text()); // "world"
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import { BufferedWriter, type ByteSink } from "../http/writer.ts";
import type { WaitDeadline } from "../http/wait.ts";

/**
 * The most bytes read at once into a fresh buffer: large enough that a
 * range costs few turns of the event loop, small enough that the buffers a
 * download leaves to the garbage collector stay in its young generation.
 */
const CHUNK_SIZE = 64 * 1024;

/**
 * Bytes of a body past this length are sent as a stream of one chunk:
 * `Response` copies bytes it is given, as the Fetch standard has it, but
 * not a stream's chunks, and below this length the copy costs less than
 * the stream.
 */
const SHARED_BODY_BYTES = 32 * 1024;

/** A stream's writes wait for its reader, never for a timer. */
const NO_DEADLINE: WaitDeadline = { arm() {}, disarm() {} };

/** The error a body fails with when its source ends before its length. */
function shrank(length: number, read: number): Error {
  return new Error(`the body ended after ${read} of ${length} bytes`);
}

/**
 * A body of bytes that the core may share with other responses (a small
 * file's, a kept listing page): large ones as a stream of that one chunk,
 * which the server sends without copying them.
 */
export function bytesBody(
  bytes: Uint8Array,
): Uint8Array | ReadableStream<Uint8Array> {
  if (bytes.length < SHARED_BODY_BYTES) return bytes;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Decodes only what encodes back to the same bytes: valid UTF-8, BOM kept. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The text of kept pages, made once per page (see {@link pageBody}). */
const PAGE_TEXTS = new WeakMap<Uint8Array, string>();

/**
 * The body of a kept page's bytes (a listing the core shares between
 * requests): past {@link SHARED_BODY_BYTES}, its text, decoded once per
 * page, which `Deno.serve` encodes straight into the response, in a part of
 * the time and memory that a stream of the bytes takes; else as
 * {@link bytesBody}. The text encodes back to the very bytes.
 */
export function pageBody(
  bytes: Uint8Array,
): Uint8Array | ReadableStream<Uint8Array> | string {
  if (bytes.length < SHARED_BODY_BYTES) return bytes;
  let text = PAGE_TEXTS.get(bytes);
  if (text === undefined) {
    try {
      text = UTF8.decode(bytes);
    } catch {
      return bytesBody(bytes);
    }
    PAGE_TEXTS.set(bytes, text);
  }
  return text;
}

/**
 * `length` bytes of `file` from its current position, read as the stream is
 * read; the stream owns the file and closes it once it ends, fails or is
 * cancelled. When they run to the file's end (a whole file, a range to its
 * end), the stream is the file's own `readable`, which `Deno.serve` sends
 * from the file without a turn of JavaScript per chunk; a file grown since
 * is cut at the `Content-Length` by `Deno.serve`.
 */
export function fileStream(
  file: Deno.FsFile,
  length: number,
): ReadableStream<Uint8Array> {
  if (runsToEnd(file, length)) return file.readable;
  return slice(file, length);
}

/**
 * Whether `length` bytes from the file's position reach its end; false
 * where the open file cannot be `stat`ed (a grant that names the folder
 * through a symlink: see `statOpen` in `files/sandbox.ts`).
 */
function runsToEnd(file: Deno.FsFile, length: number): boolean {
  try {
    return file.seekSync(0, Deno.SeekMode.Current) + length ===
      file.statSync().size;
  } catch {
    return false;
  }
}

/** `length` bytes of `file`, read a chunk at a time as the stream is read. */
function slice(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let sent = 0;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    file.close();
  };
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= length) {
        close();
        controller.close();
        return;
      }
      // A fresh buffer each time: the server holds a chunk until it is sent.
      const chunk = new Uint8Array(Math.min(CHUNK_SIZE, length - sent));
      let n: number | null;
      try {
        // On this thread, as the Python face copies (see `copyBytes`).
        n = file.readSync(chunk);
      } catch (error) {
        close();
        throw error;
      }
      if (n === null) {
        close();
        throw shrank(length, sent);
      }
      sent += n;
      controller.enqueue(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (sent >= length) {
        close();
        controller.close();
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/**
 * The body that `send` writes, `expected` bytes of it from its source (a
 * `FileBody.send` of the core, a large listing's page): each write waits
 * until the stream is read, so that no more than one chunk is held for a
 * slow client. `release` runs once `send` has ended (it closes the file);
 * cancelling the stream makes `send`'s next write fail. `send` resolves to
 * the bytes of its source it used, and the stream fails when they fall
 * short of `expected` (a file that shrank).
 */
export function writtenStream(
  send: (out: BufferedWriter) => Promise<number>,
  expected: number,
  release?: () => void,
): ReadableStream<Uint8Array> {
  let wanted: (() => void) | null = null;
  let cancelled: Error | null = null;
  const waitForReader = () => new Promise<void>((resolve) => wanted = resolve);
  const wake = () => {
    const resolve = wanted;
    wanted = null;
    resolve?.();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const sink: ByteSink = {
        async write(bytes) {
          if (cancelled !== null) throw cancelled;
          // The writer may reuse `bytes` once this resolves.
          controller.enqueue(bytes.slice());
          if ((controller.desiredSize ?? 0) <= 0) await waitForReader();
          if (cancelled !== null) throw cancelled;
          return bytes.length;
        },
      };
      const out = new BufferedWriter(sink, NO_DEADLINE, 0);
      (async () => {
        try {
          const used = await send(out);
          await out.flush();
          if (used < expected) throw shrank(expected, used);
          controller.close();
        } catch (error) {
          if (cancelled === null) controller.error(error);
        } finally {
          out.release();
          release?.();
        }
      })();
    },
    pull: wake,
    cancel(reason) {
      cancelled = reason instanceof Error
        ? reason
        : new Error("the client went away");
      wake();
    },
  }, { highWaterMark: 1 });
}
