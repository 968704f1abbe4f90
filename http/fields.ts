/**
 * Header fields that a user adds to every response: the command line's
 * `-H "Name: value"`, the fetch face's `headers` option. Checked once, when
 * given, so that no response can be split or framed by them.
 *
 * @example
 * ```ts
 * import { parseHeaderArgument } from "./fields.ts";
 * console.log(parseHeaderArgument("Cache-Control: no-store"));
 * // ["Cache-Control", "no-store"]
 * ```
 *
 * @module
 */

/** RFC 9110 §5.6.2 `token`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Control characters other than HTAB, which no field value may hold, and
 * characters beyond Latin-1, which a header cannot carry.
 */
// deno-lint-ignore no-control-regex
const UNSENDABLE = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;

/**
 * Headers the server sets itself from the response it sends: one given
 * again could change the framing (response splitting) or the connection,
 * or would repeat a field that may appear once (RFC 9110 §5.3).
 */
const SERVER_OWNED = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "trailer",
  "transfer-encoding",
  "upgrade",
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
 * surrounding whitespace. Throws a TypeError for anything else, and for
 * headers that frame the response or manage the connection
 * (`Content-Length`, `Transfer-Encoding`, `Connection`, ...) or that the
 * server sends once with its own value (`Server`, `Date`, `Content-Type`,
 * ...).
 */
export function parseHeaderArgument(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon);
  const value = text.slice(colon + 1).trim();
  if (colon < 0 || !TOKEN.test(name)) {
    throw new TypeError(`invalid header: '${text}' (use "Name: value")`);
  }
  if (UNSENDABLE.test(value)) {
    throw new TypeError(
      `invalid header: '${text}' (a value may hold neither control characters nor characters beyond Latin-1)`,
    );
  }
  if (SERVER_OWNED.has(name.toLowerCase())) {
    throw new TypeError(`'${name}' is set by the server`);
  }
  return [name, value];
}
