/**
 * The fetch face's log: the lines of the Python face, as far as a `Request`
 * tells. `Deno.serve` gives neither the request line as received nor the
 * HTTP version, so the request is logged as its method and target
 * (`"GET /hello.txt"`, as Python logs an HTTP/0.9 request), and the JSON
 * line's `protocol` is null. The client is the peer's address that
 * `Deno.serve` passes to a handler (`-` without one, as for `serveDir`
 * called with a request alone, and for a Unix socket's peer), or the client
 * a trusted proxy names (see `http/forwarded.ts`).
 *
 * @example
 * ```ts
 * import { AccessLog } from "./log.ts";
 *
 * const log = new AccessLog("python", false, []);
 * const request = new Request("http://localhost/missing.txt");
 * const entry = log.begin(request, undefined, "/missing.txt");
 * log.message(entry, "code %d, message %s", 404, "File not found");
 * log.end(entry, 404, 335);
 * // - - - [25/Nov/2026 03:17:08] code 404, message File not found
 * // - - - [25/Nov/2026 03:17:08] "GET /missing.txt" 404 -
 * ```
 *
 * @module
 */

import {
  escapeControl,
  formatAccessLine,
  formatJsonMessage,
  type LogFormat,
} from "../http/accesslog.ts";
import { formatLogDate } from "../http/date.ts";
import {
  forwardedClient,
  otherForwardedClient,
  TrustedProxies,
} from "../http/forwarded.ts";
import { pyFormat } from "../util/pyformat.ts";
import { writeLog, writeStderr } from "../util/logbuffer.ts";

/** What `Deno.serve` tells a handler besides the request. */
export interface ServeInfo {
  /** The peer's address. */
  readonly remoteAddr?: Deno.Addr;
  /** Settles when the response has been sent, or could not be. */
  readonly completed?: Promise<void>;
}

/** One request being answered, for the log. */
export interface LogEntry {
  /** The request. */
  readonly request: Request;
  /** What `Deno.serve` told of it. */
  readonly info: ServeInfo | undefined;
  /** The request-target as logged: path and query. */
  readonly target: string;
  /** When it arrived, in ms since the epoch. */
  readonly time: number;
  /** When it arrived, from `performance.now()`. */
  readonly start: number;
  /** The client, once read. */
  client?: string;
  /** The user the request signed in as, once let in (accounts). */
  user?: string | null;
}

/** The log lines of one fetch face, in one format. */
export class AccessLog {
  #format: LogFormat;
  #quiet: boolean;
  #proxies: TrustedProxies | null;

  /**
   * @param format the format of the lines
   * @param quiet log nothing
   * @param trustedProxies the peers whose `Forwarded` names the client
   * @throws {TypeError} for a proxy that is no address, range or `unix`
   */
  constructor(
    format: LogFormat,
    quiet: boolean,
    trustedProxies: readonly string[],
  ) {
    this.#format = format;
    this.#quiet = quiet;
    this.#proxies = trustedProxies.length > 0
      ? new TrustedProxies(trustedProxies)
      : null;
  }

  /** Starts the entry of a request that has arrived. */
  begin(
    request: Request,
    info: ServeInfo | undefined,
    target: string,
  ): LogEntry {
    // Only the lines written once the response has ended need the clock.
    const timed = !this.#quiet && this.#format !== "python";
    return {
      request,
      info,
      target,
      time: timed ? Date.now() : 0,
      start: timed ? performance.now() : 0,
    };
  }

  /**
   * Logs `format % args` about a request, as the Python face's
   * `logMessage`: in Python's line, or on stderr in the other formats.
   */
  message(entry: LogEntry, format: string, ...args: unknown[]): void {
    if (this.#quiet) return;
    this.#write(entry, escapeControl(pyFormat(format, args)));
  }

  /** Writes a message's text, escaped, as {@link message} does. */
  #write(entry: LogEntry, text: string): void {
    const client = this.client(entry);
    if (this.#format === "json") {
      writeStderr(formatJsonMessage(client, text));
      return;
    }
    const line = `${client} - - [${formatLogDate()}] ${text}\n`;
    if (this.#format === "python") writeLog(line);
    else writeStderr(line);
  }

  /**
   * Logs the request with its status: Python's line at once, as the Python
   * face logs when the response starts; in the other formats once the
   * response has been sent (when `Deno.serve` says so), with `bytes`, the
   * body's length (0 for none; null when not known up front).
   */
  end(entry: LogEntry, status: number, bytes: number | null): void {
    if (this.#quiet) return;
    const { request, target } = entry;
    const requestLine = `${request.method} ${target}`;
    if (this.#format === "python") {
      // Python's '"%s" %s %s' of the request line, the status and "-".
      this.#write(entry, `"${escapeControl(requestLine)}" ${status} -`);
      return;
    }
    const format = this.#format;
    const write = (sent: boolean) =>
      writeLog(formatAccessLine(format, {
        time: entry.time,
        client: this.client(entry),
        user: entry.user ?? null,
        requestLine,
        method: request.method,
        target,
        protocol: null,
        status,
        bytes: sent && request.method !== "HEAD" ? bytes ?? 0 : 0,
        duration: performance.now() - entry.start,
        userAgent: request.headers.get("user-agent"),
        referrer: request.headers.get("referer"),
      }));
    const completed = entry.info?.completed;
    if (completed === undefined) write(true);
    else completed.then(() => write(true), () => write(false));
  }

  /**
   * Every address the request may come from: {@link client}'s, and another
   * when a trusted proxy sent both `Forwarded` and `X-Forwarded-For` and
   * they name different clients (see `otherForwardedClient`).
   */
  clients(entry: LogEntry): string[] {
    const client = this.client(entry);
    if (this.#proxies === null) return [client];
    const addr = entry.info?.remoteAddr;
    const { headers } = entry.request;
    const other = otherForwardedClient(
      addr !== undefined && "hostname" in addr ? addr.hostname : null,
      this.#proxies,
      headers.get("forwarded"),
      headers.get("x-forwarded-for"),
    );
    return other === null ? [client] : [client, other];
  }

  /** The client's address: the peer's, or the one a trusted proxy names. */
  client(entry: LogEntry): string {
    if (entry.client !== undefined) return entry.client;
    const addr = entry.info?.remoteAddr;
    const peer = addr !== undefined && "hostname" in addr
      ? addr.hostname
      : null;
    const { headers } = entry.request;
    entry.client = this.#proxies === null ? peer ?? "-" : forwardedClient(
      peer,
      this.#proxies,
      headers.get("forwarded"),
      headers.get("x-forwarded-for"),
    ) ?? "-";
    return entry.client;
  }
}
