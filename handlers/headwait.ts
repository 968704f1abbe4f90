/**
 * Reading a request head off a connection: how far the head has come, which
 * wait applies while more bytes are due and how long it may last, and what
 * happens when it ends without them. The decisions are pure functions of the
 * server's options, that progress and the time; {@link readHead} is the loop
 * that feeds the parser and waits as they say.
 *
 * | progress      | wait phase | timeout of each wait                                     | at its deadline  | at end of stream        | at shutdown |
 * | ------------- | ---------- | -------------------------------------------------------- | ---------------- | ----------------------- | ----------- |
 * | `none`        | `idle`     | `idleTimeout`                                            | closed, silently | closed, silently        | closed      |
 * | `empty-lines` | `idle`     | `idleTimeout`, and all of them within one `headTimeout`  | closed, silently | closed, silently        | closed      |
 * | `request`     | `head`     | what is left of its own `headTimeout`                    | 408, then closed | 400 Incomplete request  | read on     |
 *
 * A `headTimeout` counts from the first wait after the bytes that began its
 * progress; 0 in either option is no limit.
 *
 * @example
 * ```ts
 * import { headWaitTimeout } from "./headwait.ts";
 *
 * const options = { idleTimeout: 5_000, headTimeout: 10_000 };
 * // A request line half read at 1,000 ms, its head due by 11,000 ms:
 * console.log(headWaitTimeout(options, "request", 11_000, 4_000)); // 7000
 * ```
 *
 * @module
 */

import { HttpError } from "../util/errors.ts";
import type { RequestHead, RequestParser } from "../http/parser.ts";
import type { BufferedReader } from "../http/reader.ts";
import type { PeerWait } from "../http/wait.ts";
import type { WaitPhase } from "../server/deadline.ts";
import type { ResolvedServerOptions } from "../server.ts";

/**
 * How far the next request's head has come on a connection; it only moves
 * forward:
 *
 * - `none`: no byte of it yet (a keep-alive connection between requests);
 * - `empty-lines`: only empty lines, which RFC 9112 §2.2 has us skip, or a
 *   lone CR that may still end one: the connection is still idle, and a
 *   close or timeout ends it without an answer, as Python does;
 * - `request`: a request line begun: a request is under way, and it is owed
 *   an answer.
 */
export type HeadProgress = "none" | "empty-lines" | "request";

/** The options that bound the wait for a head. */
export type HeadTimeouts = Pick<
  ResolvedServerOptions,
  "idleTimeout" | "headTimeout"
>;

/** What {@link readHead} needs of the connection's server. */
export interface HeadServer {
  /** The server's timeouts. */
  readonly options: HeadTimeouts;
  /** Whether the server is shutting down: an idle connection then ends. */
  readonly shuttingDown: boolean;
}

/** What a connection does when the deadline of its wait passes. */
export type TimeoutOutcome = "close" | "log-and-close" | "answer-408";

const CR = 0x0d;

/**
 * How far the head has come once the parser has consumed what it could of
 * the bytes received: `buf[start, end)` is what it left (a partial line).
 * Call it only after bytes were received.
 *
 * @param inHeaders whether the parser has a request line and awaits headers
 * @param buf the read buffer
 * @param start first byte the parser left
 * @param end one past the last byte received
 */
export function headProgress(
  inHeaders: boolean,
  buf: Uint8Array,
  start: number,
  end: number,
): HeadProgress {
  const left = end - start;
  return inHeaders || left > 1 || (left === 1 && buf[start] !== CR)
    ? "request"
    : "empty-lines";
}

/** The phase a wait for more of the head is in: `head` once a request is under way. */
export function headWaitPhase(progress: HeadProgress): PeerWait {
  return progress === "request" ? "head" : "idle";
}

/**
 * When the current progress's `headTimeout` runs out, in epoch ms (0: no
 * limit): `deadline` when one is set, else `now + headTimeout`, now being
 * the first wait since that progress began. It does not move however slowly
 * the bytes trickle in (slowloris). Pass 0 as `deadline` whenever the
 * progress changes: a request after empty lines gets a `headTimeout` of its
 * own.
 *
 * @param options the server's timeouts
 * @param progress how far the head has come
 * @param deadline the deadline set at an earlier wait of this progress, or 0
 * @param now the time of this wait, in epoch ms (not read for `none`)
 */
export function headDeadline(
  options: HeadTimeouts,
  progress: HeadProgress,
  deadline: number,
  now: number,
): number {
  if (progress === "none" || options.headTimeout <= 0) return 0;
  return deadline || now + options.headTimeout;
}

/**
 * How long the next wait for the head may take, in ms (0: no limit). The
 * keep-alive wait is `idleTimeout`; empty lines may each be followed by
 * another within `idleTimeout`, but all within their `headTimeout`; a
 * request under way has what is left of its `headTimeout`, at least 1 ms
 * so that a deadline already passed still fires.
 *
 * @param options the server's timeouts
 * @param progress how far the head has come
 * @param deadline the {@link headDeadline} of this wait
 * @param now the time of this wait, in epoch ms (not read for `none`)
 */
export function headWaitTimeout(
  options: HeadTimeouts,
  progress: HeadProgress,
  deadline: number,
  now: number,
): number {
  const idle = options.idleTimeout;
  if (progress === "none") return idle;
  if (deadline === 0) return progress === "request" ? 0 : idle;
  const left = Math.max(1, deadline - now);
  return progress === "request" || idle <= 0 ? left : Math.min(idle, left);
}

/**
 * What a connection does when the deadline of its wait passes: an idle one
 * is closed without a word, as Python closes it; a head is answered 408
 * (RFC 9110 §15.5.9) and then closed; any other wait (a body, a write, a
 * script) is logged and closed.
 */
export function timeoutOutcome(phase: WaitPhase): TimeoutOutcome {
  if (phase === "idle") return "close";
  return phase === "head" ? "answer-408" : "log-and-close";
}

/**
 * Reads a request head: feeds the parser what is buffered and waits for
 * more as {@link headWaitPhase} and {@link headWaitTimeout} say, until the
 * head is whole. Null when the connection ends, or the server shuts down,
 * before a request is under way.
 *
 * @param reader the connection's read buffer
 * @param parser the connection's parser, reset for this head
 * @param server the connection's server
 * @throws {HttpError} the parser's refusal, or `bad-request-line` when the
 * connection ends in the middle of a head
 */
export async function readHead(
  reader: BufferedReader,
  parser: RequestParser,
  server: HeadServer,
): Promise<RequestHead | null> {
  const options = server.options;
  let progress: HeadProgress = "none";
  let deadline = 0;
  for (;;) {
    if (reader.buffered > 0) {
      reader.consume(parser.feed(reader.buf, reader.start, reader.end));
      if (parser.head !== null) return parser.head;
      const next = headProgress(
        parser.inHeaders,
        reader.buf,
        reader.start,
        reader.end,
      );
      if (next !== progress) deadline = 0;
      progress = next;
    }
    if (progress !== "request" && server.shuttingDown) return null;
    // The keep-alive wait, the one of nearly every request, reads no clock.
    const now = progress === "none" ? 0 : Date.now();
    deadline = headDeadline(options, progress, deadline, now);
    const timeout = headWaitTimeout(options, progress, deadline, now);
    if (!(await reader.fill(headWaitPhase(progress), timeout))) {
      if (progress === "request") {
        throw new HttpError("bad-request-line", "Incomplete request");
      }
      return null;
    }
  }
}
