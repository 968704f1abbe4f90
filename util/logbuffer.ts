/**
 * Log lines for stderr, written together once per event-loop turn: one
 * `write` for the requests answered in a turn (dozens under keep-alive load)
 * instead of one each, which would take a large share of the server's CPU
 * (bench/README.md).
 *
 * The lines wait in a microtask queued behind the work of the turn, so they
 * are written before the event loop sends any response of that turn: as in
 * Python, a client that has a response finds its line on stderr. They are
 * written at once past 64 Ki characters, and when the process ends by
 * `Deno.exit` or an uncaught error. Writing to stderr directly (as
 * `console.error` does) would overtake lines still waiting: call
 * {@link flushLog} first.
 *
 * Each isolate (each worker of `--workers`) has its own lines, and the
 * batches of two never mix, however large: Deno writes to stderr one thread
 * at a time, each batch with one blocking `write` that returns once all of
 * it is in, even when a pipe fills up meanwhile (tests/cli/workers_test.ts,
 * bench/README.md). A stderr that fails (closed, full disk) drops the batch.
 *
 * The log may go to a file instead ({@link setLogSink}, which `logfile.ts`
 * calls): its lines then leave in one write a turn to the file, and those
 * queued for stderr alone ({@link writeStderr}) in one to stderr.
 *
 * @module
 */

/** Waiting text past this many UTF-16 characters is written at once. */
const MAX_PENDING = 64 * 1024;

const encoder = new TextEncoder();
/** Reused for writes that surely fit (UTF-8: 3 bytes a character at most). */
const BUFFER = new Uint8Array(16 * 1024);

/** Where the log's lines go instead of stderr. */
export interface LogSink {
  /** Writes some of `p`, as `Deno.FsFile.writeSync`; returns how many bytes. */
  writeSync(p: Uint8Array): number;
}

/** The lines for the log: stderr, or the sink. */
let pending = "";
/** The lines for stderr while the log goes to a sink. */
let pendingStderr = "";
let sink: LogSink | null = null;
let flushQueued = false;
let exitHooked = false;

/**
 * Queues `text` (whole lines, each ending in LF) for the log (stderr, or
 * the file of {@link setLogSink}), to be written with the others of this
 * event-loop turn, before its responses are sent.
 *
 * @param text the lines to write
 */
export function writeLog(text: string): void {
  queueFlush();
  pending += text;
  if (pending.length > MAX_PENDING) flushLog();
}

/**
 * Queues `text` (whole lines) for stderr, whatever the log's destination,
 * in the same batches: messages that are no part of an access log. While
 * the log is stderr, it is {@link writeLog}, and keeps its order.
 *
 * @param text the lines to write
 */
export function writeStderr(text: string): void {
  if (sink === null) return writeLog(text);
  queueFlush();
  pendingStderr += text;
  if (pendingStderr.length > MAX_PENDING) flushLog();
}

/**
 * Sends the log's lines to `next` from now on (null: back to stderr),
 * after writing those waiting to where they were meant to go.
 *
 * @param next the new destination
 */
export function setLogSink(next: LogSink | null): void {
  flushLog();
  sink = next;
}

/** Where the log's lines go now: null for stderr. */
export function logSink(): LogSink | null {
  return sink;
}

function queueFlush(): void {
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(flushLog);
  if (!exitHooked) hookExit();
}

/**
 * Writes the log lines waiting, if any, now: call it before writing to
 * stderr yourself (an overridden `handleError`, `console.error`), so that
 * your output comes after the lines logged before it.
 *
 * @example
 * ```ts
 * import { flushLog, ThreadingHTTPServer } from "../mod.ts";
 *
 * class Quiet extends ThreadingHTTPServer {
 *   override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
 *     flushLog();
 *     console.error(`failed: ${error}`);
 *   }
 * }
 * ```
 */
export function flushLog(): void {
  flushQueued = false;
  if (pending !== "") {
    const text = pending;
    pending = "";
    writeAll(sink ?? Deno.stderr, text);
  }
  if (pendingStderr !== "") {
    const text = pendingStderr;
    pendingStderr = "";
    writeAll(Deno.stderr, text);
  }
}

function writeAll(to: LogSink, text: string): void {
  const bytes = text.length * 3 <= BUFFER.length
    ? BUFFER.subarray(0, encoder.encodeInto(text, BUFFER).written)
    : encoder.encode(text);
  try {
    for (let sent = 0; sent < bytes.length;) {
      sent += to.writeSync(bytes.subarray(sent));
    }
  } catch {
    // A closed stderr or a full disk must not take the server down.
  }
}

/**
 * `console.error(...data)` after the log lines waiting, so that they keep
 * their order.
 *
 * @param data what to print, as `console.error` takes it
 */
export function printError(...data: unknown[]): void {
  flushLog();
  console.error(...data);
}

/** Writes what waits before the process ends (none of these prevents it). */
function hookExit(): void {
  exitHooked = true;
  for (const event of ["unload", "error", "unhandledrejection"]) {
    globalThis.addEventListener(event, flushLog);
  }
}
