/**
 * The request-head parser: pure and incremental, bytes in, a
 * {@link RequestHead} or an {@link HttpError} out (RFC 9112 §2-§6). No I/O:
 * the connection loop feeds it whatever arrived, keeps the unconsumed tail
 * (a partial line) and feeds it again with more bytes behind it.
 *
 * Lines are found with a native `indexOf`, checked byte by byte, and decoded
 * to strings once, as latin-1, when they are complete.
 *
 * @example
 * ```ts
 * import { RequestParser } from "./parser.ts";
 *
 * const parser = new RequestParser();
 * const bytes = new TextEncoder().encode(
 *   "GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\nbody",
 * );
 * const used = parser.feed(bytes, 0, bytes.length);
 * console.log(used, parser.head?.target); // 42 /hello
 * ```
 *
 * @module
 */

import { HttpError } from "../util/errors.ts";
import { checkFieldLine, contentLengthValue, TCHAR } from "./fields.ts";
import { latin1 } from "./latin1.ts";
import { pyRepr } from "../util/pyformat.ts";

/** Limits and Python-compatible leniencies of a {@link RequestParser}. */
export interface ParserOptions {
  /**
   * Longest request line or header line in bytes, counted with its line
   * ending as Python does (default 65536, Python's `_MAXLINE`). A longer
   * request line is refused with 414, a longer header line with 431.
   */
  maxLineLength?: number;
  /** Most header fields (default 100, Python's `_MAXHEADERS`); more is 431. */
  maxHeaders?: number;
  /**
   * Most bytes of header lines in one head (default 1 MiB); more is 431.
   * Python has no such limit: its line and count limits alone let one head
   * hold 6.5 MB.
   */
  maxHeadSize?: number;
  /**
   * Accept the two-word request line `GET /path` as an HTTP/0.9 request
   * (default true, as Python).
   */
  allowHttp09?: boolean;
  /**
   * Accept a lone LF as a line ending in the head (default true, as Python;
   * RFC 9112 §2.2 allows it). A CR not followed by LF is always refused.
   */
  allowBareLf?: boolean;
}

/** A parsed request line and header section. */
export interface RequestHead {
  /** The method, e.g. `GET`. */
  method: string;
  /** The request-target exactly as sent (absolute-form is kept). */
  target: string;
  /** The version as sent, e.g. `HTTP/1.1`; `HTTP/0.9` for `GET /path`. */
  version: string;
  /** Major version number. */
  versionMajor: number;
  /** Minor version number. */
  versionMinor: number;
  /** The request line without its line ending, latin-1 decoded. */
  requestLine: string;
  /**
   * Header fields as `[name, value, name, value, ...]`: names as sent, values
   * without leading and trailing SP/HTAB, both latin-1 decoded.
   */
  rawHeaders: string[];
  /** The Content-Length, or -1 when there is none. */
  contentLength: number;
  /** Whether the body is chunked (`Transfer-Encoding: chunked`). */
  chunked: boolean;
  /** Whether Connection lists the `close` token. */
  connectionClose: boolean;
  /** Whether Connection lists the `keep-alive` token. */
  connectionKeepAlive: boolean;
  /** Whether an HTTP/1.1 request sent `Expect: 100-continue`. */
  expectContinue: boolean;
}

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;
const DEL = 0x7f;

/**
 * RFC 3986 `reg-name` bytes (unreserved, sub-delims, and the `%` of
 * pct-encoded) as a lookup table: 1 for a byte a Host name may hold.
 */
const REG_NAME = new Uint8Array(256);
for (const c of "-._~%!$&'()*+,;=0123456789") REG_NAME[c.charCodeAt(0)] = 1;
for (let b = 0x41; b <= 0x5a; b++) REG_NAME[b] = REG_NAME[b | 0x20] = 1;

/** The ASCII bytes of `s`. */
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HTTP_SLASH = ascii("HTTP/");
// Lowercase names and values the parser acts on, compared as bytes.
const HOST = ascii("host");
const EXPECT = ascii("expect");
const CONNECTION = ascii("connection");
const CONTENT_LENGTH = ascii("content-length");
const TRANSFER_ENCODING = ascii("transfer-encoding");
const CHUNKED = ascii("chunked");
const CONTINUE = ascii("100-continue");
const CLOSE = ascii("close");
const KEEP_ALIVE = ascii("keep-alive");

/** Whether `buf[at, at + lit.length)` equals `lit` exactly. */
function equalsAt(buf: Uint8Array, at: number, lit: Uint8Array): boolean {
  for (let i = 0; i < lit.length; i++) {
    if (buf[at + i] !== lit[i]) return false;
  }
  return true;
}

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

function badSyntax(line: string): HttpError {
  return new HttpError(
    "bad-request-line",
    `Bad request syntax (${pyRepr(line)})`,
  );
}

/** The value of the digit at `buf[at]`, or -1. */
function digitAt(buf: Uint8Array, at: number): number {
  return buf[at] >= DIGIT_0 && buf[at] <= DIGIT_9 ? buf[at] - DIGIT_0 : -1;
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
 * An incremental parser for one request head at a time; {@link reset} it for
 * the next request on the connection.
 */
export class RequestParser {
  /** The finished head, or null while incomplete. */
  head!: RequestHead | null;
  /**
   * The request line for logging an error: "" until a complete request line
   * arrived (set before it is checked, so a bad one is logged as Python does).
   */
  requestLine!: string;
  /** The method for logging an error: "" until the request line is valid. */
  method!: string;
  /** The version for logging an error: "" until the request line is valid. */
  version!: string;

  readonly #maxLine: number;
  readonly #maxHeaders: number;
  readonly #maxHeadSize: number;
  readonly #allowHttp09: boolean;
  readonly #allowBareLf: boolean;

  // Per-request state; reset() sets all of it.
  #inHeaders!: boolean;
  /** Bytes of the pending partial line already searched for LF. */
  #scanned!: number;
  /** Bytes of empty lines skipped before the request line. */
  #skipped!: number;
  /** Bytes of the header lines consumed so far. */
  #headerBytes!: number;
  #target!: string;
  #major!: number;
  #minor!: number;
  #rawHeaders!: string[];
  #contentLength!: number;
  #transferEncodings!: number;
  /** Whether the last Transfer-Encoding was exactly `chunked`. */
  #chunked!: boolean;
  #hosts!: number;
  #expectContinue!: boolean;
  #expectOther!: boolean;
  #close!: boolean;
  #keepAlive!: boolean;

  /**
   * Makes a parser for the requests of one connection.
   *
   * @param options limits and leniencies, see {@link ParserOptions}
   */
  constructor(options: ParserOptions = {}) {
    this.#maxLine = options.maxLineLength ?? 65536;
    this.#maxHeaders = options.maxHeaders ?? 100;
    this.#maxHeadSize = options.maxHeadSize ?? 1024 * 1024;
    this.#allowHttp09 = options.allowHttp09 ?? true;
    this.#allowBareLf = options.allowBareLf ?? true;
    this.reset();
  }

  /**
   * Whether a request line has been consumed and its headers are awaited.
   * With the caller's unconsumed bytes, this tells a request under way from
   * a connection that has sent nothing but skipped empty lines.
   */
  get inHeaders(): boolean {
    return this.#inHeaders;
  }

  /** Back to the initial state for the next request on the connection. */
  reset(): void {
    this.head = null;
    this.requestLine = "";
    this.method = "";
    this.version = "";
    this.#inHeaders = false;
    this.#scanned = 0;
    this.#skipped = 0;
    this.#headerBytes = 0;
    this.#target = "";
    this.#major = 0;
    this.#minor = 0;
    this.#rawHeaders = [];
    this.#contentLength = -1;
    this.#transferEncodings = 0;
    this.#chunked = false;
    this.#hosts = 0;
    this.#expectContinue = false;
    this.#expectOther = false;
    this.#close = false;
    this.#keepAlive = false;
  }

  /**
   * Consumes complete lines from `buf[start, end)` and returns how many bytes
   * it consumed. The caller keeps the unconsumed tail (a partial line) and
   * calls again with it at the front and new bytes behind; the parser
   * remembers how much of it it already searched, so a client sending one
   * byte at a time costs O(n). Once the head is complete, {@link head} is set
   * and the count ends right after the empty line; later bytes (a body, the
   * next pipelined request) are left alone, and further calls return 0 until
   * {@link reset}.
   *
   * @param buf bytes received
   * @param start first unconsumed byte
   * @param end one past the last received byte
   * @returns the number of bytes consumed
   * @throws {HttpError} on any violation, and as soon as a line exceeds the
   * length limit, even before its line ending arrives
   */
  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.head !== null) return 0;
    // Bound the native searches by `end`: bytes behind it are not ours.
    const view = end === buf.length ? buf : buf.subarray(0, end);
    let pos = start;
    // The first CR at or after `pos`: -1 when there is none before `end`, -2
    // before the first search.
    let cr = -2;
    for (;;) {
      const lf = view.indexOf(LF, pos + this.#scanned);
      if (lf === -1) {
        this.#scanned = end - pos;
        this.#checkLength(end - pos);
        return pos - start;
      }
      const lineStart = pos;
      pos = lf + 1;
      this.#scanned = 0;
      this.#checkLength(pos - lineStart);
      // RFC 9112 §2.2: a CR not followed by LF is refused; a bare LF may end
      // a line.
      let lineEnd = lf;
      if (cr !== -1 && cr < lineStart) cr = view.indexOf(CR, lineStart);
      if (cr !== -1 && cr < lf) {
        if (cr !== lf - 1) {
          throw new HttpError("bare-cr", "Bare CR in request head");
        }
        lineEnd = cr;
      } else if (!this.#allowBareLf) {
        throw new HttpError("bare-lf", "Bare LF in request head");
      }

      if (this.#inHeaders) {
        if (lineEnd === lineStart) {
          this.#finish();
          return pos - start;
        }
        this.#headerLine(view, lineStart, lineEnd);
        this.#headerBytes += pos - lineStart;
      } else if (lineEnd === lineStart) {
        // RFC 9112 §2.2: empty lines before the request line are ignored,
        // but they count toward its length limit.
        this.#skipped += pos - lineStart;
      } else if (this.#requestLine(view, lineStart, lineEnd)) {
        this.#finish();
        return pos - start;
      }
    }
  }

  /** Throws when the current line of `length` bytes is over its limit. */
  #checkLength(length: number): void {
    if (this.#inHeaders) {
      if (length > this.#maxLine) {
        throw new HttpError("header-line-too-long", "Line too long", {
          explain:
            `got more than ${this.#maxLine} bytes when reading header line`,
        });
      }
      if (this.#headerBytes + length > this.#maxHeadSize) {
        throw new HttpError("head-too-large", "Header fields too large", {
          explain: `got more than ${this.#maxHeadSize} bytes of header lines`,
        });
      }
    } else if (this.#skipped + length > this.#maxLine) {
      throw new HttpError("request-line-too-long");
    }
  }

  /**
   * Parses `method SP request-target SP HTTP-version` (RFC 9112 §3), or
   * `GET SP target` for HTTP/0.9. Returns true when the head is complete
   * (HTTP/0.9 has no header section).
   */
  #requestLine(buf: Uint8Array, start: number, end: number): boolean {
    const line = latin1(buf, start, end);
    this.requestLine = line;
    let sp1 = start;
    while (sp1 < end && TCHAR[buf[sp1]] === 1) sp1++;
    if (sp1 === start || sp1 === end || buf[sp1] !== SP) throw badSyntax(line);
    // request-target: visible ASCII and obs-text.
    let sp2 = sp1 + 1;
    while (sp2 < end && buf[sp2] > SP && buf[sp2] !== DEL) sp2++;
    if (sp2 === sp1 + 1) throw badSyntax(line);
    const method = line.slice(0, sp1 - start);
    this.#target = line.slice(sp1 + 1 - start, sp2 - start);

    if (sp2 === end) {
      if (!this.#allowHttp09) throw badSyntax(line);
      if (method !== "GET") {
        throw new HttpError(
          "http09-not-get",
          `Bad HTTP/0.9 request type (${pyRepr(method)})`,
        );
      }
      this.method = method;
      this.version = "HTTP/0.9";
      this.#major = 0;
      this.#minor = 9;
      return true;
    }
    if (buf[sp2] !== SP) throw badSyntax(line);
    const v = sp2 + 1;
    for (let i = v; i < end; i++) {
      if (buf[i] <= SP || buf[i] === DEL) throw badSyntax(line);
    }
    if (v === end) throw badSyntax(line);

    // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT. Python also
    // reads `HTTP/01.1` and `HTTP/1.01` as 1.1, which a proxy in front may not.
    const version = line.slice(v - start);
    const dot = v + HTTP_SLASH.length + 1;
    const wellFormed = end === dot + 2 && equalsAt(buf, v, HTTP_SLASH) &&
      buf[dot] === DOT;
    const major = wellFormed ? digitAt(buf, dot - 1) : -1;
    const minor = major === -1 ? -1 : digitAt(buf, dot + 1);
    if (minor === -1) {
      throw new HttpError(
        "bad-version",
        `Bad request version (${pyRepr(version)})`,
      );
    }
    if (major >= 2) {
      throw new HttpError(
        "version-not-supported",
        `Invalid HTTP version (${version.slice(HTTP_SLASH.length)})`,
      );
    }
    this.method = method;
    this.version = version;
    this.#major = major;
    this.#minor = minor;
    this.#inHeaders = true;
    return false;
  }

  /** Checks and records one header field line. */
  #headerLine(buf: Uint8Array, start: number, end: number): void {
    if (this.#rawHeaders.length === this.#maxHeaders * 2) {
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

    // The fields the parser acts on, matched by their bytes.
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
            this.#expectContinue = true;
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
    this.#rawHeaders.push(line.slice(0, colon - start), value);
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
      if (equalsIgnoringCase(buf, i, te, CLOSE)) this.#close = true;
      else if (equalsIgnoringCase(buf, i, te, KEEP_ALIVE)) {
        this.#keepAlive = true;
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
    if (this.#contentLength !== -1 && this.#contentLength !== n) {
      throw new HttpError(
        "conflicting-content-length",
        "Conflicting Content-Length",
      );
    }
    this.#contentLength = n;
  }

  /** Applies the rules that need the whole header section, sets the head. */
  #finish(): void {
    const http11 = this.#major === 1 && this.#minor >= 1;
    if (this.#transferEncodings > 0) {
      // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
      if (!http11) {
        throw new HttpError(
          "transfer-encoding-on-http10",
          "Transfer-Encoding in an HTTP/1.0 request",
        );
      }
      // RFC 9112 §6.1, §6.3 (3): both framings at once is request smuggling.
      if (this.#contentLength !== -1) {
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
    this.head = {
      method: this.method,
      target: this.#target,
      version: this.version,
      versionMajor: this.#major,
      versionMinor: this.#minor,
      requestLine: this.requestLine,
      rawHeaders: this.#rawHeaders,
      contentLength: this.#contentLength,
      // The checks above leave only a single `chunked`.
      chunked: this.#transferEncodings > 0,
      connectionClose: this.#close,
      connectionKeepAlive: this.#keepAlive,
      expectContinue: http11 && this.#expectContinue,
    };
  }
}
