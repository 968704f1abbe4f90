/**
 * Extra response headers and CORS for `SimpleHTTPRequestHandler`: the
 * command line's `-H "Name: value"` and the preflight answer of `--cors`.
 *
 * @example
 * ```ts
 * import { parseHeaderArgument } from "./headers.ts";
 * console.log(parseHeaderArgument("Cache-Control: no-store"));
 * // ["Cache-Control", "no-store"]
 * ```
 *
 * @module
 */

import type { BaseHTTPRequestHandler } from "./base.ts";
import { invalidFieldChar, isToken, trimOws } from "../http/fields.ts";
import { HOP_BY_HOP_FIELDS } from "../http/framing.ts";

/**
 * Headers the server sets itself from the response it sends: one given
 * again could change the framing (response splitting) or the connection,
 * or would repeat a field that may appear once (RFC 9110 §5.3).
 */
const SERVER_OWNED = new Set([
  ...HOP_BY_HOP_FIELDS,
  "content-length",
  "content-encoding",
  "content-range",
  "content-type",
  "date",
  "etag",
  "last-modified",
  "location",
  "server",
]);

/**
 * Parses `Name: value` into a header: a token name, the value trimmed of
 * surrounding spaces and tabs. Throws a TypeError for anything else (such
 * as a value that `sendHeader` would refuse), and for headers that frame
 * the response or manage the connection (`Content-Length`,
 * `Transfer-Encoding`, `Connection`, ...) or that the server sends once with
 * its own value (`Server`, `Date`, `Content-Type`, ...).
 */
export function parseHeaderArgument(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon);
  const value = trimOws(text.slice(colon + 1));
  if (colon < 0 || !isToken(name)) {
    throw new TypeError(`invalid header: '${text}' (use "Name: value")`);
  }
  if (invalidFieldChar(value) !== -1) {
    throw new TypeError(
      `invalid header: '${text}' (a value may hold neither control characters nor characters beyond Latin-1)`,
    );
  }
  if (SERVER_OWNED.has(name.toLowerCase())) {
    throw new TypeError(`'${name}' is set by the server`);
  }
  return [name, value];
}

/**
 * Answers an `OPTIONS` request (a CORS preflight or not) with 204:
 * `Access-Control-Allow-Methods` lists `methods`, and
 * `Access-Control-Allow-Headers` grants the headers the preflight asks for.
 * `Access-Control-Allow-Origin` comes with every response of a handler with
 * `cors` on.
 */
export function sendPreflight(
  handler: BaseHTTPRequestHandler,
  methods: readonly string[],
): void {
  handler.sendResponse(204);
  handler.sendHeader("Access-Control-Allow-Methods", methods.join(", "));
  const asked = handler.headers.get("access-control-request-headers");
  if (asked) handler.sendHeader("Access-Control-Allow-Headers", asked);
  handler.endHeaders();
}

/** The methods of a handler's `do_<METHOD>` functions, sorted. */
export function handlerMethods(handler: BaseHTTPRequestHandler): string[] {
  const methods = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(handler);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name.startsWith("do_") && typeof proto[name] === "function") {
        methods.add(name.slice(3));
      }
    }
  }
  return [...methods].sort();
}
