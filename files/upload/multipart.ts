/**
 * A streaming `multipart/form-data` parser (RFC 7578 over RFC 2046 §5.1).
 * Fed a request body in chunks of any size, it returns each part's head and
 * its body bytes as they arrive: it holds at most one part's header block and
 * a delimiter's length of body, never a whole file. Pure and incremental, as
 * the request parser: the caller does the I/O.
 *
 * Limits are part of the parser: a header block, the preamble, the number of
 * parts and the bytes of all part bodies together are bounded, so a hostile
 * form costs bounded memory and disk.
 *
 * One streaming state machine, at the house's 400 lines: its states share
 * the buffer and the limits, so it stays whole.
 *
 * @example
 * ```ts
 * import { MultipartParser, multipartBoundary } from "./multipart.ts";
 *
 * const boundary = multipartBoundary("multipart/form-data; boundary=XyZ")!;
 * const parser = new MultipartParser(boundary, { maxBodyBytes: 1024 });
 * const body = "--XyZ\r\n" +
 *   'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n' +
 *   "hello\r\n--XyZ--\r\n";
 * const events = parser.feed(new TextEncoder().encode(body));
 * console.log(events.map((e) => e.kind)); // ["part", "data", "end"]
 * console.log(parser.done); // true
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";

/** What a part's header block says. */
export interface PartHead {
  /** The part's header fields, names lower-cased. */
  headers: Map<string, string>;
  /** The `name` parameter of its `Content-Disposition: form-data`. */
  name: string;
  /**
   * The `filename` parameter as sent (browsers send the base name, UTF-8,
   * with `"` as `%22`); null when the part is a plain field.
   */
  filename: string | null;
}

/**
 * One step of the form: a part begins (with its head), some of its body, the
 * part ends. `data` bytes are a view valid until the next
 * {@link MultipartParser.feed}, and until the chunk fed is reused.
 */
export type MultipartEvent =
  | { kind: "part"; head: PartHead }
  | { kind: "data"; bytes: Uint8Array }
  | { kind: "end" };

/** Bounds of one form. */
export interface MultipartLimits {
  /** Most bytes of all part bodies together; past it, 413. */
  maxBodyBytes: number;
  /** Most bytes of one part's header block, and of the preamble; default 16 KiB. */
  maxHeaderBytes?: number;
  /** Most parts; default 1,000. */
  maxParts?: number;
}

const CR = 13;
const LF = 10;
const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);
/** Longest rest of a delimiter line (transport padding) before its CRLF. */
const MAX_DELIMITER_LINE = 256;

const enum State {
  Preamble,
  Body,
  DelimiterLine,
  Headers,
  Done,
}

/**
 * The boundary of a `multipart/form-data` body from its `Content-Type`; null
 * when the type is another one. RFC 2046 §5.1.1: 1 to 70 characters of a
 * small set, not ending in a space.
 *
 * @throws {HttpError} `bad-multipart` (400) when the boundary is missing or
 *   malformed
 */
export function multipartBoundary(contentType: string | null): string | null {
  if (contentType === null) return null;
  const { value, params } = parseParameters(contentType);
  if (value.toLowerCase() !== "multipart/form-data") return null;
  const boundary = params.get("boundary");
  if (
    boundary === undefined ||
    !/^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary)
  ) {
    throw badForm("The form's boundary is missing or malformed");
  }
  return boundary;
}

/**
 * A field value with `;`-separated parameters (`Content-Type`,
 * `Content-Disposition`): the value before the first `;`, and the
 * parameters with lower-cased names, each a token or a quoted-string (RFC
 * 9110 §5.6.6, where only `\"` and `\\` are escapes, as browsers and curl
 * write them); the first of a repeated name counts.
 *
 * @throws {HttpError} `bad-multipart` (400) for an unterminated quoted-string
 */
export function parseParameters(
  field: string,
): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semicolon = field.indexOf(";");
  const value = (semicolon < 0 ? field : field.slice(0, semicolon)).trim();
  let i = semicolon < 0 ? field.length : semicolon + 1;
  while (i < field.length) {
    const eq = field.indexOf("=", i);
    const next = field.indexOf(";", i);
    if (eq < 0 || (next >= 0 && next < eq)) {
      // A parameter without a value: skip it.
      i = next < 0 ? field.length : next + 1;
      continue;
    }
    const name = field.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (field[i] === " " || field[i] === "\t") i++;
    let text = "";
    if (field[i] === '"') {
      for (i++;; i++) {
        if (i >= field.length) throw badForm("Unterminated quoted-string");
        const c = field[i];
        if (c === '"') break;
        // Only `\"` and `\\` are read as quoted-pairs: browsers send a
        // name's other backslashes as they are (and `"` as `%22`).
        if (c === "\\" && (field[i + 1] === '"' || field[i + 1] === "\\")) i++;
        text += field[i];
      }
      const end = field.indexOf(";", i);
      i = end < 0 ? field.length : end + 1;
    } else {
      const end = field.indexOf(";", i);
      text = field.slice(i, end < 0 ? field.length : end).trim();
      i = end < 0 ? field.length : end + 1;
    }
    if (!params.has(name)) params.set(name, text);
  }
  return { value, params };
}

/**
 * Parses one `multipart/form-data` body fed in chunks: {@link feed} returns
 * the events each chunk completes; {@link done} tells when the close
 * delimiter was read (what follows it, the epilogue, is ignored).
 */
export class MultipartParser {
  /** `CRLF--boundary`: what ends every part's body. */
  #delimiter: Uint8Array;
  #shift: Uint8Array;
  #limits: Required<MultipartLimits>;
  #state = State.Preamble;
  /**
   * Bytes held back from the last chunk: a possible start of a delimiter.
   * At first a CRLF, so that a body that opens with its first delimiter (no
   * preamble, the usual case) matches `CRLF--boundary` too.
   */
  #pending: Uint8Array = Uint8Array.of(CR, LF);
  #line = "";
  /** The header block being read, after the CRLF that ended the delimiter line. */
  #head: Uint8Array;
  #headLength = 0;
  #preambleBytes = 0;
  #bodyBytes = 0;
  #parts = 0;

  /**
   * @param boundary the body's boundary (see {@link multipartBoundary})
   * @param limits the form's bounds
   */
  constructor(boundary: string, limits: MultipartLimits) {
    this.#delimiter = encoder.encode(`\r\n--${boundary}`);
    this.#shift = shiftTable(this.#delimiter);
    this.#limits = { maxHeaderBytes: 16 * 1024, maxParts: 1000, ...limits };
    this.#head = new Uint8Array(this.#limits.maxHeaderBytes + 2);
  }

  /** True once the close delimiter (`--boundary--`) was read. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Parses the next bytes of the body and returns the events they complete.
   *
   * @throws {HttpError} `bad-multipart` (400) for a malformed form or one
   *   past a header or part limit, `body-too-large` (413) past
   *   `maxBodyBytes`
   */
  feed(chunk: Uint8Array): MultipartEvent[] {
    const events: MultipartEvent[] = [];
    let data = chunk;
    if (this.#pending.length > 0) {
      data = new Uint8Array(this.#pending.length + chunk.length);
      data.set(this.#pending);
      data.set(chunk, this.#pending.length);
      this.#pending = EMPTY;
    }
    let i = 0;
    while (i < data.length && this.#state !== State.Done) {
      if (this.#state === State.DelimiterLine) {
        i = this.#readDelimiterLine(data, i);
      } else if (this.#state === State.Headers) {
        i = this.#readHeaders(data, i, events);
      } else {
        i = this.#readBody(data, i, events);
      }
    }
    return events;
  }

  /** Body (or preamble) bytes up to the next delimiter, or all that surely precede one. */
  #readBody(data: Uint8Array, from: number, events: MultipartEvent[]): number {
    const at = indexOf(data, this.#delimiter, this.#shift, from);
    const end = at >= 0 ? at : data.length - this.#partialDelimiter(data, from);
    this.#take(data.subarray(from, end), events);
    if (at < 0) {
      // Copied: the chunk's buffer is the connection's, reused by its next read.
      this.#pending = data.slice(end);
      return data.length;
    }
    if (this.#state === State.Body) events.push({ kind: "end" });
    this.#state = State.DelimiterLine;
    this.#line = "";
    return at + this.#delimiter.length;
  }

  /** Counts and emits body bytes; preamble bytes are counted and dropped. */
  #take(bytes: Uint8Array, events: MultipartEvent[]): void {
    if (bytes.length === 0) return;
    if (this.#state === State.Preamble) {
      this.#preambleBytes += bytes.length;
      if (this.#preambleBytes > this.#limits.maxHeaderBytes) {
        throw badForm("The form's preamble is too long");
      }
      return;
    }
    this.#bodyBytes += bytes.length;
    if (this.#bodyBytes > this.#limits.maxBodyBytes) {
      throw new HttpError("body-too-large", "Form too large", {
        explain: `Its parts may hold ${this.#limits.maxBodyBytes} bytes`,
      });
    }
    events.push({ kind: "data", bytes });
  }

  /**
   * The length of the longest end of `data` (from `from`) that begins the
   * delimiter: those bytes wait for the next chunk.
   */
  #partialDelimiter(data: Uint8Array, from: number): number {
    const delimiter = this.#delimiter;
    const start = Math.max(from, data.length - delimiter.length + 1);
    for (let j = data.indexOf(CR, start); j >= 0; j = data.indexOf(CR, j + 1)) {
      let k = 1;
      while (j + k < data.length && data[j + k] === delimiter[k]) k++;
      if (j + k === data.length) return k;
    }
    return 0;
  }

  /**
   * The rest of a delimiter line: `--` closes the form; otherwise optional
   * transport padding (spaces, tabs) and CRLF start the next part's head.
   */
  #readDelimiterLine(data: Uint8Array, from: number): number {
    let i = from;
    while (i < data.length) {
      this.#line += String.fromCharCode(data[i++]);
      if (this.#line === "--") {
        this.#state = State.Done;
        return i;
      }
      if (this.#line.endsWith("\r\n")) {
        if (!/^[ \t]*\r\n$/.test(this.#line)) {
          throw badForm("Malformed boundary line");
        }
        this.#state = State.Headers;
        // The CRLF just read starts the block, so that an empty block (a
        // part without header fields) is found as CRLFCRLF too.
        this.#head[0] = CR;
        this.#head[1] = LF;
        this.#headLength = 2;
        return i;
      }
      if (this.#line.length > MAX_DELIMITER_LINE) {
        throw badForm("Malformed boundary line");
      }
    }
    return i;
  }

  /** Header bytes up to the blank line; then the part begins. */
  #readHeaders(
    data: Uint8Array,
    from: number,
    events: MultipartEvent[],
  ): number {
    const head = this.#head;
    let i = from;
    while (i < data.length) {
      if (this.#headLength === head.length) {
        throw badForm("A part's header block is too long");
      }
      head[this.#headLength++] = data[i++];
      const n = this.#headLength;
      if (
        n >= 4 && head[n - 1] === LF && head[n - 2] === CR &&
        head[n - 3] === LF && head[n - 4] === CR
      ) {
        if (++this.#parts > this.#limits.maxParts) {
          throw badForm("Too many parts in the form");
        }
        events.push({ kind: "part", head: parseHead(head.subarray(2, n - 4)) });
        this.#state = State.Body;
        return i;
      }
    }
    return i;
  }
}

/** A part's header block (without its final CRLFCRLF) as a {@link PartHead}. */
function parseHead(block: Uint8Array): PartHead {
  const headers = new Map<string, string>();
  if (block.length > 0) {
    let text: string;
    try {
      text = utf8.decode(block);
    } catch {
      // Browsers send UTF-8; anything else would reach a file name as U+FFFD.
      throw badForm("A part's header is not UTF-8");
    }
    for (const line of text.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0 || /[\r\n]/.test(line)) {
        throw badForm("Malformed part header");
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  const disposition = headers.get("content-disposition");
  const parsed = disposition === undefined
    ? null
    : parseParameters(disposition);
  const name = parsed?.params.get("name");
  // RFC 7578 §4.2: every part is `form-data` with a name.
  if (parsed?.value.toLowerCase() !== "form-data" || name === undefined) {
    throw badForm("A part has no Content-Disposition: form-data with a name");
  }
  return { headers, name, filename: parsed.params.get("filename") ?? null };
}

/**
 * Horspool's shift table for `needle`: how far the window may move when its
 * last byte is `c`. Body bytes are mostly skipped, not compared: a chunk of
 * CRs (the delimiter's first byte) costs no more than any other.
 */
function shiftTable(needle: Uint8Array): Uint8Array {
  const table = new Uint8Array(256).fill(needle.length);
  for (let i = 0; i < needle.length - 1; i++) {
    table[needle[i]] = needle.length - 1 - i;
  }
  return table;
}

/** The first index of `needle` in `haystack` at or after `from`; -1 if none. */
function indexOf(
  haystack: Uint8Array,
  needle: Uint8Array,
  shift: Uint8Array,
  from: number,
): number {
  const last = needle.length - 1;
  const lastByte = needle[last];
  for (let i = from; i + last < haystack.length;) {
    const c = haystack[i + last];
    if (c === lastByte) {
      let k = last - 1;
      while (k >= 0 && haystack[i + k] === needle[k]) k--;
      if (k < 0) return i;
    }
    i += shift[c];
  }
  return -1;
}

function badForm(message: string): HttpError {
  return new HttpError("bad-multipart", message);
}
