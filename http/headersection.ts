/**
 * The header section of a request head (RFC 9112 §5), for the head parser:
 * each field line checked and kept, the fields the server acts on (Host,
 * Expect, Connection, Content-Length, Transfer-Encoding) read as their
 * lines arrive, without allocating, and the rules that need the whole
 * section: body framing (RFC 9112 §6), Host (§3.2) and expectations
 * (RFC 9110 §10.1.1). The field-line grammar is shared with trailers.
 *
 * @example
 * ```ts
 * import { HeaderSection } from "./headersection.ts";
 *
 * const section = new HeaderSection(100);
 * for (const text of ["Host: example.com", "Content-Length: 5"]) {
 *   const line = new TextEncoder().encode(text);
 *   section.add(line, 0, line.length);
 * }
 * section.check(true); // HTTP/1.1: Host is there, the framing is sound
 * console.log(section.contentLength); // 5
 * ```
 *
 * @module
 */

import { HttpError } from "../util/errors.ts";
import { checkFieldLine, contentLengthValue } from "./fields.ts";
import { latin1 } from "./latin1.ts";

const HTAB = 0x09;
const SP = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;

/**
 * RFC 3986 `reg-name` bytes (unreserved, sub-delims, and the `%` of
 * pct-encoded) as a lookup table: 1 for a byte a Host name may hold.
 */
const REG_NAME = new Uint8Array(256);
for (const c of "-._~%!$&'()*+,;=0123456789") REG_NAME[c.charCodeAt(0)] = 1;
for (let b = 0x41; b <= 0x5a; b++) REG_NAME[b] = REG_NAME[b | 0x20] = 1;

/** The ASCII bytes of `s`. */
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
// Lowercase names and values the section acts on, compared as bytes.
const HOST = ascii("host");
const EXPECT = ascii("expect");
const CONNECTION = ascii("connection");
const CONTENT_LENGTH = ascii("content-length");
const TRANSFER_ENCODING = ascii("transfer-encoding");
const CHUNKED = ascii("chunked");
const CONTINUE = ascii("100-continue");
const CLOSE = ascii("close");
const KEEP_ALIVE = ascii("keep-alive");

/**
 * Whether `buf[at, at + lower.length)` equals `lower` ignoring ASCII case.
 * `| 0x20` folds case; it can only confuse a letter, digit or `-` with a
 * control byte, and callers pass only bytes already checked to have none.
 */
function equalsLower(buf: Uint8Array, at: number, lower: Uint8Array): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((buf[at + i] | 0x20) !== lower[i]) return false;
  }
  return true;
}

/** Whether `buf[start, end)` is exactly `lower`, ignoring ASCII case. */
function equalsIgnoringCase(
  buf: Uint8Array,
  start: number,
  end: number,
  lower: Uint8Array,
): boolean {
  return end - start === lower.length && equalsLower(buf, start, lower);
}

/**
 * Whether `buf[start, end)` is a Host value (RFC 9112 §3.2, RFC 3986
 * §3.2.2-3): `uri-host [ ":" port ]`, where `uri-host` is a bracketed IP
 * literal or a `reg-name` (an IPv4 address is one too), possibly empty, and
 * `port` is digits. Anything else (spaces, `/`, `@`, unbalanced brackets)
 * is the "invalid field value" that must be 400.
 */
function isHostValue(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (buf[i] === LEFT_BRACKET) {
    for (i++; i < end && buf[i] !== RIGHT_BRACKET; i++) {
      if (!REG_NAME[buf[i]] && buf[i] !== COLON) return false;
    }
    if (i === end) return false;
    i++;
  } else {
    while (i < end && REG_NAME[buf[i]]) i++;
  }
  if (i === end) return true;
  if (buf[i] !== COLON) return false;
  for (i++; i < end; i++) {
    if (buf[i] < DIGIT_0 || buf[i] > DIGIT_9) return false;
  }
  return true;
}

/**
 * The header section of one request at a time, fed one field line at a
 * time; {@link reset} it for the next request.
 */
export class HeaderSection {
  /**
   * Header fields as `[name, value, name, value, ...]`: names as sent, values
   * without leading and trailing SP/HTAB, both latin-1 decoded.
   */
  rawHeaders!: string[];
  /** The Content-Length, or -1 when there is none. */
  contentLength!: number;
  /** Whether Connection lists the `close` token. */
  close!: boolean;
  /** Whether Connection lists the `keep-alive` token. */
  keepAlive!: boolean;
  /** Whether Expect is `100-continue` (which HTTP/1.0 ignores). */
  expectContinue!: boolean;

  readonly #maxHeaders: number;
  #transferEncodings!: number;
  /** Whether the last Transfer-Encoding was exactly `chunked`. */
  #chunked!: boolean;
  #hosts!: number;
  #expectOther!: boolean;

  /** @param maxHeaders most field lines; one more is refused with 431 */
  constructor(maxHeaders: number) {
    this.#maxHeaders = maxHeaders;
    this.reset();
  }

  /** Whether the body is chunked; once {@link check} has passed. */
  get chunked(): boolean {
    // The checks leave only a single `chunked`.
    return this.#transferEncodings > 0;
  }

  /** Empty, for the next request. */
  reset(): void {
    this.rawHeaders = [];
    this.contentLength = -1;
    this.close = false;
    this.keepAlive = false;
    this.expectContinue = false;
    this.#transferEncodings = 0;
    this.#chunked = false;
    this.#hosts = 0;
    this.#expectOther = false;
  }

  /**
   * Checks and records one field line, without its line ending.
   *
   * @param buf the bytes
   * @param start first byte of the line
   * @param end one past its last byte, before the line ending
   * @throws {HttpError} when the line is refused, or is one field too many
   */
  add(buf: Uint8Array, start: number, end: number): void {
    if (this.rawHeaders.length === this.#maxHeaders * 2) {
      throw new HttpError("too-many-headers", "Too many headers", {
        explain: `got more than ${this.#maxHeaders} headers`,
      });
    }
    const colon = checkFieldLine(buf, start, end);
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    // One decode per line; name and value are slices of it.
    const line = latin1(buf, start, end);
    const value = line.slice(vs - start, ve - start);

    // The fields the server acts on, matched by their bytes.
    switch (colon - start) {
      case 4:
        if (equalsLower(buf, start, HOST)) {
          this.#hosts++;
          if (!isHostValue(buf, vs, ve)) {
            throw new HttpError("bad-host", "Bad Host header");
          }
        }
        break;
      case 6:
        if (equalsLower(buf, start, EXPECT)) {
          if (equalsIgnoringCase(buf, vs, ve, CONTINUE)) {
            this.expectContinue = true;
          } else this.#expectOther = true;
        }
        break;
      case 10:
        if (equalsLower(buf, start, CONNECTION)) this.#connection(buf, vs, ve);
        break;
      case 14:
        if (equalsLower(buf, start, CONTENT_LENGTH)) {
          this.#contentLengthField(value);
        }
        break;
      case 17:
        if (equalsLower(buf, start, TRANSFER_ENCODING)) {
          this.#transferEncodings++;
          this.#chunked = equalsIgnoringCase(buf, vs, ve, CHUNKED);
        }
        break;
    }
    this.rawHeaders.push(line.slice(0, colon - start), value);
  }

  /** Notes `close` and `keep-alive` in a Connection list (RFC 9110 §7.6.1). */
  #connection(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      let te = buf.indexOf(COMMA, i);
      if (te === -1 || te > end) te = end;
      const next = te + 1;
      while (i < te && (buf[i] === SP || buf[i] === HTAB)) i++;
      while (te > i && (buf[te - 1] === SP || buf[te - 1] === HTAB)) te--;
      if (equalsIgnoringCase(buf, i, te, CLOSE)) this.close = true;
      else if (equalsIgnoringCase(buf, i, te, KEEP_ALIVE)) {
        this.keepAlive = true;
      }
      i = next;
    }
  }

  // Body framing (RFC 9112 §6): the Content-Length field and the decision.

  /**
   * RFC 9112 §6.3 (5): an invalid Content-Length (see `contentLengthValue`),
   * or repeats that differ, make the framing unrecoverable. Identical
   * repeats are fine.
   */
  #contentLengthField(value: string): void {
    const n = contentLengthValue(value);
    if (n === -1) {
      throw new HttpError("bad-content-length", "Invalid Content-Length");
    }
    if (this.contentLength !== -1 && this.contentLength !== n) {
      throw new HttpError(
        "conflicting-content-length",
        "Conflicting Content-Length",
      );
    }
    this.contentLength = n;
  }

  /**
   * Applies the rules that need the whole section, once its empty line has
   * arrived.
   *
   * @param http11 whether the request is HTTP/1.1 or later
   * @throws {HttpError} on faulty framing, a missing or repeated Host, or an
   * unknown expectation
   */
  check(http11: boolean): void {
    if (this.#transferEncodings > 0) {
      // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
      if (!http11) {
        throw new HttpError(
          "transfer-encoding-on-http10",
          "Transfer-Encoding in an HTTP/1.0 request",
        );
      }
      // RFC 9112 §6.1, §6.3 (3): both framings at once is request smuggling.
      if (this.contentLength !== -1) {
        throw new HttpError(
          "content-length-with-transfer-encoding",
          "Content-Length with Transfer-Encoding",
        );
      }
      // RFC 9112 §6.3 (4), §7: chunked must be the final coding, and it is
      // the only one this server implements.
      if (this.#transferEncodings > 1 || !this.#chunked) {
        throw new HttpError(
          "bad-transfer-encoding",
          "Unsupported Transfer-Encoding",
        );
      }
    }
    // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; no request has
    // more than one.
    if (this.#hosts > 1) {
      throw new HttpError("multiple-host", "Multiple Host headers");
    }
    if (http11 && this.#hosts === 0) {
      throw new HttpError("missing-host", "Missing Host header");
    }
    // RFC 9110 §10.1.1: only 100-continue is known; HTTP/1.0 ignores Expect.
    if (http11 && this.#expectOther) {
      throw new HttpError("expectation-failed", "Unsupported expectation");
    }
  }
}
