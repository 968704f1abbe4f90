/**
 * The access log's formats besides Python's line: the Common and Combined
 * Log Formats (Apache's `common` and `combined`, which log analysers read)
 * and JSON lines, one object per request. Each escapes control characters,
 * as Python's line does, so that a client cannot forge lines or send
 * escape codes to a terminal.
 *
 * @example
 * ```ts
 * import { formatAccessLine } from "./accesslog.ts";
 *
 * const entry = {
 *   time: Date.UTC(2026, 10, 25, 3, 17, 8, 250),
 *   client: "192.0.2.7",
 *   requestLine: "GET /hello.txt HTTP/1.1",
 *   method: "GET",
 *   target: "/hello.txt",
 *   protocol: "HTTP/1.1",
 *   status: 200,
 *   bytes: 6,
 *   duration: 0.42,
 *   userAgent: "curl/8.5.0",
 *   referrer: null,
 *   user: null,
 * };
 * formatAccessLine("combined", entry);
 * // '192.0.2.7 - - [25/Nov/2026:03:17:08 +0000] "GET /hello.txt HTTP/1.1" 200 6 "-" "curl/8.5.0"\n'
 * //   (in the machine's time zone)
 * formatAccessLine("json", entry);
 * // '{"time":"2026-11-25T03:17:08.250Z","client":"192.0.2.7","method":"GET",...}\n'
 * ```
 *
 * @module
 */

import { formatClfDate } from "./date.ts";

/**
 * A format of the access log: Python's line (`python`, the default), the
 * Common and Combined Log Formats, or JSON lines.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler, type LogFormat } from "jsr:@x/httpserver";
 *
 * const format: LogFormat = "combined";
 * class Logged extends SimpleHTTPRequestHandler {
 *   override logFormat = format;
 * }
 * ```
 */
export type LogFormat = "python" | "common" | "combined" | "json";

/** Every {@link LogFormat}, the default first. */
export const LOG_FORMATS: readonly LogFormat[] = [
  "python",
  "common",
  "combined",
  "json",
];

/**
 * One request, as the access log records it once its response has ended.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler, type AccessLogEntry } from "jsr:@x/httpserver";
 *
 * class Slow extends BaseHTTPRequestHandler {
 *   override logFormat = "json" as const;
 *   override logAccess(entry: AccessLogEntry): void {
 *     if (entry.duration > 100) super.logAccess(entry); // only slow ones
 *   }
 * }
 * ```
 */
export interface AccessLogEntry {
  /** When the request's head was read, in milliseconds since the epoch. */
  time: number;
  /** The client's address (`addressString()`): `-` for a Unix socket peer. */
  client: string;
  /** The user the request signed in as (accounts); null or left out for none. */
  user?: string | null;
  /** The request line, as far as it was read; "" when none was. */
  requestLine: string;
  /** The method; null when the request line did not get that far. */
  method: string | null;
  /** The request-target; null when the request line did not get that far. */
  target: string | null;
  /** The request's version (`HTTP/1.1`); null when it named none readable. */
  protocol: string | null;
  /** The response's status code, as given to `logRequest`. */
  status: number | string;
  /** The bytes of the response's body written to the connection (after its head). */
  bytes: number;
  /** Milliseconds from the request's head to the end of its response. */
  duration: number;
  /** The `User-Agent` header, or null. */
  userAgent: string | null;
  /** The `Referer` header, or null. */
  referrer: string | null;
}

/**
 * The access log's line for `entry` in `format`, with its LF:
 *
 * - `common`: `client - user [time] "request line" status bytes`, the user
 *   `-` for none (Apache's `%u`), the time in local time with its offset,
 *   bytes `-` for none (Apache's `%b`);
 * - `combined`: the same, then `"referrer" "user agent"` (`"-"` for none);
 * - `json`: `{"time", "client", "user", "method", "target", "protocol", "status",
 *   "bytes", "duration", "user_agent", "referrer"}`, the time in ISO 8601
 *   UTC, the duration in seconds, unknown values null.
 *
 * In quoted fields, `"` and `\` are escaped with a backslash and control
 * characters as `\xNN`, as Apache does; JSON escapes them as `\u00NN`.
 */
export function formatAccessLine(
  format: Exclude<LogFormat, "python">,
  entry: AccessLogEntry,
): string {
  if (format === "json") {
    return jsonLine({
      time: new Date(entry.time).toISOString(),
      client: entry.client,
      user: entry.user ?? null,
      method: entry.method,
      target: entry.target,
      protocol: entry.protocol,
      status: entry.status,
      bytes: entry.bytes,
      duration: Math.round(entry.duration * 1000) / 1e6,
      user_agent: entry.userAgent,
      referrer: entry.referrer,
    });
  }
  const user = entry.user
    ? escapeControl(entry.user).replaceAll(" ", "\\x20")
    : "-";
  let line = `${entry.client} - ${user} [${formatClfDate(entry.time)}] ${
    quoted(entry.requestLine)
  } ${entry.status} ${entry.bytes === 0 ? "-" : entry.bytes}`;
  if (format === "combined") {
    line += ` ${quoted(entry.referrer ?? "-")} ${
      quoted(entry.userAgent ?? "-")
    }`;
  }
  return line + "\n";
}

/**
 * A handler's message (an error's reason, a timeout) as a JSON line:
 * `{"time", "client", "message"}`, the time now.
 */
export function formatJsonMessage(client: string, message: string): string {
  return jsonLine({ time: new Date().toISOString(), client, message });
}

/** One JSON object and LF; DEL and C1 controls escaped too, as JSON leaves them. */
function jsonLine(fields: Record<string, unknown>): string {
  return JSON.stringify(fields).replace(
    /[\x7f-\x9f]/g,
    (ch) => "\\u00" + ch.charCodeAt(0).toString(16),
  ) + "\n";
}

/** A CLF quoted field: controls as `\xNN`, then `"` as `\"`. */
function quoted(text: string): string {
  return `"${escapeControl(text).replaceAll('"', '\\"')}"`;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\\]/g;

/**
 * Escapes control characters as `\xNN` and `\` as `\\`, as Python 3.12's
 * log scrubbing does.
 *
 * @param text a log message
 * @returns the message, safe to print on one line
 */
export function escapeControl(text: string): string {
  // Most lines have nothing to escape: scan before reaching for the regex.
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x5c) break;
  }
  if (i === text.length) return text;
  return text.replace(
    CONTROL,
    (ch) =>
      ch === "\\"
        ? "\\\\"
        : "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0"),
  );
}
