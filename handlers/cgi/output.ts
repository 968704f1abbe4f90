/**
 * What the server sends for a script's output, decided from its parsed
 * header block and the request: the response's head (status, fields, how
 * its body is framed, see `http/framing.ts`) and which of the output's
 * bytes are its body. Pure: the handler writes what these decide.
 *
 * @example
 * ```ts
 * import { ScriptBody, scriptResponse } from "./output.ts";
 *
 * const response = scriptResponse(
 *   { status: 200, reason: "OK", fields: [["Content-Length", "5"]], contentLength: 5 },
 *   { method: "GET", requestVersion: "HTTP/1.1", protocolVersion: "HTTP/1.1", keepAlive: true },
 * );
 * response.framing; // "length"
 * const body = new ScriptBody(response);
 * body.take(new TextEncoder().encode("hello, world")).length; // 5
 * body.excess; // 7
 * body.end(false); // "complete"
 * ```
 *
 * @module
 */

import {
  type Framing,
  framingField,
  responseFraming,
} from "../../http/framing.ts";
import type { ScriptHead } from "./response.ts";

/** What of the request a script's response depends on. */
export interface ScriptRequest {
  /** The request's method. */
  method: string;
  /** The request's version, e.g. `HTTP/1.1`. */
  requestVersion: string;
  /** The version the handler answers in. */
  protocolVersion: string;
  /** Whether the connection is to stay open after the response. */
  keepAlive: boolean;
}

/** The head to send for a script's output, and how its body is framed. */
export interface ScriptResponse {
  /** The status. */
  status: number;
  /** The reason phrase, or undefined for the status's usual one. */
  reason: string | undefined;
  /**
   * The fields to send, in order: the script's, its `Content-Length` as the
   * framing has it (kept in place, replaced, dropped or added), then the
   * field that announces the framing, if one does.
   */
  fields: [string, string][];
  /** How the body is delimited. */
  framing: Framing;
  /** The `Content-Length` sent, or null for none. */
  contentLength: number | null;
}

/**
 * The response to a script's header block: its status and fields, framed
 * as `responseFraming` decides from the script's `Content-Length` and the
 * request. A script's 205 gets `Content-Length: 0` and no body, its 204 no
 * `Content-Length`; without a length, the body is chunked where both sides
 * speak HTTP/1.1, else it ends with the connection.
 *
 * @param head the script's parsed header block
 * @param request what of the request the framing depends on
 */
export function scriptResponse(
  head: ScriptHead,
  request: ScriptRequest,
): ScriptResponse {
  const { framing, contentLength } = responseFraming({
    method: request.method,
    status: head.status,
    contentLength: head.contentLength,
    requestVersion: request.requestVersion,
    protocolVersion: request.protocolVersion,
  });
  const fields = withContentLength(head.fields, contentLength);
  const field = framingField(framing, request.keepAlive);
  if (field !== null) fields.push([field[0], field[1]]);
  return {
    status: head.status,
    reason: head.reason,
    fields,
    framing,
    contentLength,
  };
}

/** `fields` with their one `Content-Length` set to `length`, or without it for null. */
function withContentLength(
  fields: readonly [string, string][],
  length: number | null,
): [string, string][] {
  const result: [string, string][] = [];
  let found = false;
  for (const [name, value] of fields) {
    if (name.toLowerCase() !== "content-length") {
      result.push([name, value]);
    } else if (length !== null) {
      result.push([name, String(length)]);
      found = true;
    }
  }
  if (!found && length !== null) {
    result.push(["Content-Length", String(length)]);
  }
  return result;
}

/**
 * How a script's output that follows its header block becomes the body:
 * all of it, none of it (HEAD, 204, 205, 304: the rest is read and
 * dropped so that the script finishes as it would for GET), or as much as
 * its `Content-Length` says.
 */
export class ScriptBody {
  readonly #framing: Framing;
  #remaining: number;
  #excess = 0;

  /** @param response the response's framing and `Content-Length` */
  constructor(response: Pick<ScriptResponse, "framing" | "contentLength">) {
    this.#framing = response.framing;
    this.#remaining = response.framing === "length"
      ? response.contentLength!
      : 0;
  }

  /** Whether nothing more of the output is to be sent: no body, or all of its length is in. */
  get complete(): boolean {
    return this.#framing === "none" ||
      (this.#framing === "length" && this.#remaining === 0);
  }

  /** Bytes written past the `Content-Length`, dropped. */
  get excess(): number {
    return this.#excess;
  }

  /** Bytes of the `Content-Length` not written yet. */
  get remaining(): number {
    return this.#remaining;
  }

  /**
   * The part of the next piece of output to send (a view of `bytes`,
   * possibly empty).
   */
  take(bytes: Uint8Array): Uint8Array {
    if (this.#framing === "none") return bytes.subarray(0, 0);
    if (this.#framing !== "length") return bytes;
    const part = bytes.subarray(0, this.#remaining);
    this.#excess += bytes.length - part.length;
    this.#remaining -= part.length;
    return part;
  }

  /**
   * How the body ends once the output has: `cut-short` when the script was
   * killed or wrote less than its `Content-Length` (only closing the
   * connection tells the client so), `last-chunk` for a whole chunked body,
   * else `complete`.
   *
   * @param killed whether the script was killed before its output ended
   */
  end(killed: boolean): "complete" | "last-chunk" | "cut-short" {
    if (killed || this.#remaining > 0) return "cut-short";
    return this.#framing === "chunked" ? "last-chunk" : "complete";
  }
}
