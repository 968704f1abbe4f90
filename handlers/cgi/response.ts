/**
 * The header block at the start of a CGI script's output (RFC 3875 §6),
 * parsed incrementally as the output arrives: `Status:` gives the status
 * line, `Location:` without `Status:` a 302, the rest are header fields for
 * the client. Pure: bytes in, a parsed head or an {@link HttpError} (502)
 * out.
 *
 * @example
 * ```ts
 * import { ScriptHeadParser } from "./response.ts";
 *
 * const parser = new ScriptHeadParser();
 * const output = new TextEncoder().encode(
 *   "Status: 404 Nowhere\nContent-Type: text/plain\n\nnot here\n",
 * );
 * const body = parser.feed(output);
 * parser.head?.status; // 404
 * parser.head?.reason; // "Nowhere"
 * parser.head?.fields; // [["Content-Type", "text/plain"]]
 * new TextDecoder().decode(body!); // "not here\n"
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import {
  contentLengthValue,
  invalidFieldChar,
  isToken,
  trimOws,
} from "../../http/fields.ts";
import { HOP_BY_HOP_FIELDS } from "../../http/framing.ts";
import { latin1 } from "../../http/latin1.ts";
import { pyRepr } from "../../util/pyformat.ts";

/** The largest header block a script may send; the same as a request's line limit. */
export const MAX_SCRIPT_HEAD = 64 * 1024;

/** A script's parsed header block. */
export interface ScriptHead {
  /** The status to answer: `Status:`, else 302 with `Location:`, else 200 (§6.3.3). */
  status: number;
  /**
   * The reason phrase: `Status:`'s, Python's "Script output follows" for
   * the default 200, else undefined (the status's usual phrase).
   */
  reason: string | undefined;
  /**
   * The fields to send, in the script's order and spelling, without
   * `Status` (not a header field, §6.3.3) and without the hop-by-hop fields
   * (`Connection`, `Keep-Alive`, `Transfer-Encoding`, ...): the server
   * frames the response on its connection (RFC 9110 §7.6.1), not the
   * script.
   */
  fields: [string, string][];
  /** The script's `Content-Length`, or null when it sent none. */
  contentLength: number | null;
}

/** RFC 3875 §6.3.3 `Status: status-code SP reason-phrase`. */
const STATUS = /^([0-9]{3})(?:[ \t]+(.*))?$/;
/** The CGI fields; each MUST NOT appear more than once (§6.3). */
const CGI_FIELDS = new Set(["content-type", "location", "status"]);

const LF = 10;
const CR = 13;

/**
 * Reads a script's header block from the start of its output: lines ended
 * by LF or CRLF (the script's system newline, §6), up to an empty line.
 * Feed it output until {@link feed} returns the bytes after the block; then
 * {@link head} is set.
 */
export class ScriptHeadParser {
  /** The parsed head once the empty line has been seen. */
  head: ScriptHead | null = null;
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  #lineStart = 0;
  #fields: [string, string][] = [];
  #seen = new Set<string>();
  #status: number | null = null;
  #reason: string | undefined;
  #location = false;
  #contentLength: number | null = null;

  /**
   * Takes the next piece of output. Returns the body bytes that follow the
   * header block once it is complete (possibly empty), else null. Each line
   * is checked as it arrives, so output that is no header block fails at
   * its first line.
   *
   * @throws {HttpError} `bad-gateway` (502) for a malformed or oversized block
   */
  feed(chunk: Uint8Array): Uint8Array | null {
    if (this.head !== null) return chunk;
    this.#append(chunk);
    const buf = this.#buf;
    for (;;) {
      const lf = buf.subarray(0, this.#len).indexOf(LF, this.#lineStart);
      if (lf < 0) break;
      const end = lf > this.#lineStart && buf[lf - 1] === CR ? lf - 1 : lf;
      const line = latin1(buf, this.#lineStart, end);
      this.#lineStart = lf + 1;
      if (line === "") {
        this.head = this.#finishHead();
        const body = buf.slice(lf + 1, this.#len);
        this.#buf = new Uint8Array(0);
        return body;
      }
      this.#takeLine(line);
    }
    if (this.#len > MAX_SCRIPT_HEAD) {
      throw badResponse(
        `CGI script header block over ${MAX_SCRIPT_HEAD} bytes`,
      );
    }
    return null;
  }

  /**
   * Call at the end of the output: the parsed head, if the block was
   * complete.
   *
   * @throws {HttpError} `bad-gateway` (502) when the output ended first
   */
  finish(): ScriptHead {
    if (this.head !== null) return this.head;
    throw badResponse(
      this.#len === 0
        ? "CGI script sent no output"
        : "CGI script output ended inside its header block",
    );
  }

  #append(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      const grown = new Uint8Array(
        Math.max(this.#len + chunk.length, this.#buf.length * 2, 4096),
      );
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  #takeLine(line: string): void {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!isToken(name)) {
      // No continuation lines either: "CGI/1.1 does not support" them (§6.3).
      throw badResponse(`malformed CGI script header line ${clip(line)}`);
    }
    const value = trimOws(line.slice(colon + 1));
    if (invalidFieldChar(value) !== -1) {
      throw badResponse(`control character in CGI script header ${clip(line)}`);
    }
    // "A NULL field value is equivalent to a field not being sent" (§6.3).
    if (value === "") return;
    const key = name.toLowerCase();
    if (CGI_FIELDS.has(key) || key === "content-length") {
      if (this.#seen.has(key)) {
        throw badResponse(`CGI script sent ${name} twice`);
      }
      this.#seen.add(key);
    }
    if (key === "status") {
      const match = STATUS.exec(value);
      const code = match ? Number(match[1]) : 0;
      // A final response needs a final status: 1xx would leave the client
      // waiting for one (RFC 9110 §15.2).
      if (code < 200 || code > 599) {
        throw badResponse(`invalid CGI script Status ${clip(value)}`);
      }
      this.#status = code;
      this.#reason = match![2] || undefined;
      return;
    }
    if (HOP_BY_HOP_FIELDS.has(key)) return;
    if (key === "location") this.#location = true;
    if (key === "content-length") {
      this.#contentLength = contentLengthValue(value);
      if (this.#contentLength === -1) {
        throw badResponse(`invalid CGI script Content-Length ${clip(value)}`);
      }
    }
    this.#fields.push([name, value]);
  }

  #finishHead(): ScriptHead {
    let status = this.#status;
    let reason = this.#reason;
    if (status === null) {
      // §6.2.3 client redirect (and §6.2.2 local redirect, answered the
      // same way): 302. Otherwise a document response, with Python's phrase.
      status = this.#location ? 302 : 200;
      if (!this.#location) reason = "Script output follows";
    }
    return {
      status,
      reason,
      fields: this.#fields,
      contentLength: this.#contentLength,
    };
  }
}

function badResponse(detail: string): HttpError {
  return new HttpError("bad-gateway", detail);
}

/** A header line for an error message: quoted, and short. */
function clip(text: string): string {
  return pyRepr(text.length > 80 ? text.slice(0, 80) + "..." : text);
}
