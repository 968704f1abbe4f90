/**
 * The `Host` a request that changes files must carry, against DNS
 * rebinding: a page on `evil.example` whose name is made to resolve to
 * 127.0.0.1 or a LAN address talks to the server as its own origin (its
 * `Origin` and `Host` agree), but its requests still say `Host:
 * evil.example`. A name that only this machine or its operator controls is
 * safe: an IP literal, `localhost` and names under `.localhost` (RFC 6761
 * §6.3, which browsers resolve to loopback themselves), and the names the
 * operator allows (the CLI's `--allowed-host`).
 *
 * @example
 * ```ts
 * import { isAllowedHost } from "./host.ts";
 *
 * isAllowedHost("127.0.0.1:8000", []); // true
 * isAllowedHost("[::1]:8000", []); // true
 * isAllowedHost("app.localhost", []); // true
 * isAllowedHost("evil.example", []); // false
 * isAllowedHost("nas.lan:8000", ["nas.lan"]); // true
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { ABSOLUTE_FORM } from "../paths.ts";

/** What the check needs of its handler (`SimpleHTTPRequestHandler`). */
export interface HostPolicy {
  /** The request method, for the log line. */
  command: string;
  /** The request-target (an absolute-form one names the host itself). */
  path: string;
  /** The request's header fields. */
  headers: Headers;
  /** Host names allowed besides IP literals and `localhost`. */
  allowedHosts: readonly string[];
  /** Logs an error. */
  logError(format: string, ...args: unknown[]): void;
}

const IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/**
 * Whether a `Host` value (`uri-host [":" port]`) names this machine by
 * address or as `localhost`, or is one of `allowed` (compared without
 * port, ignoring case).
 */
export function isAllowedHost(
  host: string,
  allowed: readonly string[],
): boolean {
  host = host.toLowerCase();
  const end = host.startsWith("[")
    ? host.indexOf("]") + 1
    : host.lastIndexOf(":");
  const name = end > 0 ? host.slice(0, end) : host;
  return IPV4.test(name) || IPV6.test(name) || name === "localhost" ||
    name.endsWith(".localhost") ||
    allowed.some((a) => a.toLowerCase() === name);
}

/**
 * Refuses a request that changes files when its `Host` (or the authority
 * of an absolute-form target, which stands for it: RFC 9112 §3.2.2) is not
 * {@link isAllowedHost}: 403 and a log line. A request without `Host`
 * (HTTP/1.0) passes: browsers always send one.
 *
 * @throws {HttpError} `forbidden` (403)
 */
export function refuseForeignHost(h: HostPolicy): void {
  const absolute = ABSOLUTE_FORM.exec(h.path)?.[0];
  const authority = absolute?.slice(absolute.indexOf("//") + 2)
    .replace(/^.*@/, "");
  for (const host of [h.headers.get("host"), authority]) {
    if (typeof host !== "string" || isAllowedHost(host, h.allowedHosts)) {
      continue;
    }
    h.logError(
      "refused %s %s: Host %s is not an IP address or localhost (allow a name with --allowed-host)",
      h.command,
      h.path,
      host,
    );
    throw new HttpError("forbidden", "Host not allowed", {
      explain:
        "Files change only through an IP address, localhost, or a host name the server allows",
    });
  }
}
