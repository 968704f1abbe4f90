/**
 * The request-head parser: pure and incremental, bytes in, a
 * {@link RequestHead} or an {@link HttpError} out (RFC 9112 §2-§6). No I/O:
 * the connection loop feeds it whatever arrived, keeps the unconsumed tail
 * (a partial line) and feeds it again with more bytes behind it.
 *
 * Lines are found with a native `indexOf`, checked byte by byte, and decoded
 * to strings once, as latin-1, when they are complete. This module splits the
 * head into lines, bounds them and parses the request line; each header line
 * goes to `headersection.ts`, which reads the fields the server acts on and
 * checks the framing once the section is whole.
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
import { TCHAR } from "./fields.ts";
import { HeaderSection } from "./headersection.ts";
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

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DEL = 0x7f;

const HTTP_SLASH = new TextEncoder().encode("HTTP/");

/** Whether `buf[at, at + lit.length)` equals `lit` exactly. */
function equalsAt(buf: Uint8Array, at: number, lit: Uint8Array): boolean {
  for (let i = 0; i < lit.length; i++) {
    if (buf[at + i] !== lit[i]) return false;
  }
  return true;
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
  readonly #section: HeaderSection;

  /**
   * Makes a parser for the requests of one connection.
   *
   * @param options limits and leniencies, see {@link ParserOptions}
   */
  constructor(options: ParserOptions = {}) {
    this.#maxLine = options.maxLineLength ?? 65536;
    this.#maxHeadSize = options.maxHeadSize ?? 1024 * 1024;
    this.#allowHttp09 = options.allowHttp09 ?? true;
    this.#allowBareLf = options.allowBareLf ?? true;
    this.#section = new HeaderSection(options.maxHeaders ?? 100);
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
    this.#section.reset();
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
        this.#section.add(view, lineStart, lineEnd);
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

  /** Applies the rules that need the whole header section, sets the head. */
  #finish(): void {
    const http11 = this.#major === 1 && this.#minor >= 1;
    const section = this.#section;
    section.check(http11);
    this.head = {
      method: this.method,
      target: this.#target,
      version: this.version,
      versionMajor: this.#major,
      versionMinor: this.#minor,
      requestLine: this.requestLine,
      rawHeaders: section.rawHeaders,
      contentLength: section.contentLength,
      chunked: section.chunked,
      connectionClose: section.close,
      connectionKeepAlive: section.keepAlive,
      expectContinue: http11 && section.expectContinue,
    };
  }
}
