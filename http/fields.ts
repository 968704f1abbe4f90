/**
 * The field grammar (RFC 9110 §5, RFC 9112 §4-§5), in one place for both
 * directions: the request parser scans bytes with its tables, and everything
 * that writes a head (`sendHeader`, `-H`, a CGI script's header block) checks
 * strings with the same rules, so that all of them refuse the same fields.
 * The headers a user adds to every response (the CLI's `-H`, the fetch
 * face's `headers`) are checked here once, when given.
 *
 * @example
 * ```ts
 * import { contentLengthValue, invalidFieldChar, isToken, reasonPhrase, trimOws } from "./fields.ts";
 *
 * isToken("X-Request-Id"); // true
 * isToken("X Id"); // false
 * invalidFieldChar("a\tb"); // -1: HTAB is allowed
 * invalidFieldChar("a\x01b"); // 1
 * trimOws(" \tvalue \t"); // "value"
 * contentLengthValue("42"); // 42
 * contentLengthValue("042"); // -1
 * reasonPhrase("No such file ('/€')"); // "No such file ('/%E2%82%AC')"
 * parseHeaderArgument("Cache-Control: no-store"); // ["Cache-Control", "no-store"]
 * ```
 *
 * @module
 */

import { HttpError } from "../util/errors.ts";
import { HOP_BY_HOP_FIELDS } from "./framing.ts";

const HTAB = 0x09;
const SP = 0x20;
const COLON = 0x3a;
const DIGIT_0 = 0x30;

/** tchar (RFC 9110 §5.6.2) as a lookup table: 1 for a token byte. */
export const TCHAR: Uint8Array = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789") TCHAR[c.charCodeAt(0)] = 1;
for (let b = 0x41; b <= 0x5a; b++) TCHAR[b] = TCHAR[b | 0x20] = 1;

/**
 * The bytes of a field value (RFC 9110 §5.5: `field-vchar`, SP and HTAB),
 * as a lookup table: 1 for HTAB, SP, VCHAR and obs-text; 0 for the other
 * controls and DEL. A reason phrase (RFC 9112 §4) and a chunk extension
 * (§7.1.1) take the same bytes.
 */
export const FIELD_VALUE_BYTE: Uint8Array = new Uint8Array(256);
FIELD_VALUE_BYTE[HTAB] = 1;
FIELD_VALUE_BYTE.fill(1, SP, 0x7f);
FIELD_VALUE_BYTE.fill(1, 0x80, 0x100);

/**
 * Checks one field line `field-name ":" OWS field-value OWS` without its line
 * ending (RFC 9112 §5, RFC 9110 §5.5). Header and trailer sections share it.
 *
 * @param buf the bytes
 * @param start first byte of the line
 * @param end one past the last byte of the line, before CRLF
 * @returns the offset of the colon
 * @throws {HttpError} `obs-fold`, `space-before-colon`, `bad-header-name` or
 * `bad-header-value`
 */
export function checkFieldLine(
  buf: Uint8Array,
  start: number,
  end: number,
): number {
  // RFC 9112 §5.2: obs-fold is refused with 400.
  if (buf[start] === SP || buf[start] === HTAB) {
    throw new HttpError("obs-fold", "Obsolete line folding in header");
  }
  let colon = start;
  while (colon < end && TCHAR[buf[colon]] === 1) colon++;
  if (colon === start || colon === end || buf[colon] !== COLON) {
    // RFC 9112 §5.1: no whitespace between field name and colon.
    let i = colon;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (colon > start && i > colon && i < end && buf[i] === COLON) {
      throw new HttpError("space-before-colon", "Whitespace before colon");
    }
    throw new HttpError("bad-header-name", "Invalid header name");
  }
  for (let i = colon + 1; i < end; i++) {
    if (FIELD_VALUE_BYTE[buf[i]] === 0) {
      throw new HttpError("bad-header-value", "Invalid header value");
    }
  }
  return colon;
}

/** Whether `text` is a `token` (RFC 9110 §5.6.2): a field name, a method. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || TCHAR[code] === 0) return false;
  }
  return true;
}

/**
 * Where `text` holds a character that no field value or reason phrase may
 * (RFC 9110 §5.5, RFC 9112 §4): a control other than HTAB (CR and LF would
 * split the response), DEL, or one beyond Latin-1, which a head cannot
 * carry.
 *
 * @returns the index of the first such character, or -1 when there is none
 */
export function invalidFieldChar(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || FIELD_VALUE_BYTE[code] === 0) return i;
  }
  return -1;
}

/** `text` without the optional whitespace (SP, HTAB) around a field value (RFC 9110 §5.6.3). */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === SP || code === HTAB;
}

/**
 * The value of a Content-Length field (RFC 9110 §8.6: `1*DIGIT`), or -1
 * when `text` is not one. A leading zero (`05`) is refused too: no client
 * sends one, and a peer that reads it as octal would frame the body
 * differently. So is a length past 2^53 - 1, which no body reaches.
 */
export function contentLengthValue(text: string): number {
  const length = text.length;
  if (length === 0 || (length > 1 && text.charCodeAt(0) === DIGIT_0)) {
    return -1;
  }
  let n = 0;
  for (let i = 0; i < length; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER) return -1;
  }
  return n;
}

const encoder = new TextEncoder();

/**
 * `text` made fit for a status line (RFC 9112 §4 `reason-phrase`: HTAB, SP,
 * VCHAR, obs-text): anything else, such as a control character or a
 * character beyond Latin-1 from a decoded path, is percent-encoded as
 * UTF-8, so that an error can always be answered.
 */
export function reasonPhrase(text: string): string {
  if (invalidFieldChar(text) === -1) return text;
  let phrase = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    phrase += code <= 0xff && FIELD_VALUE_BYTE[code] === 1 ? ch : Array.from(
      encoder.encode(ch),
      (byte) => "%" + byte.toString(16).toUpperCase().padStart(2, "0"),
    ).join("");
  }
  return phrase;
}

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
