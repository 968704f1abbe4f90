/**
 * Response framing (RFC 9112 §6, RFC 9110 §6.4.1 and §15), decided in one
 * place: which responses carry no content, how content is delimited on the
 * connection (a length, chunked, or the connection's close), and which
 * fields belong to the connection rather than to the message.
 *
 * @example
 * ```ts
 * import { responseFraming } from "./framing.ts";
 *
 * const request = { requestVersion: "HTTP/1.1", protocolVersion: "HTTP/1.1" };
 * responseFraming({ ...request, method: "GET", status: 200, contentLength: null });
 * // { framing: "chunked", contentLength: null }
 * responseFraming({ ...request, method: "HEAD", status: 200, contentLength: 5 });
 * // { framing: "none", contentLength: 5 }
 * responseFraming({ ...request, method: "GET", status: 205, contentLength: null });
 * // { framing: "none", contentLength: 0 }
 * ```
 *
 * @module
 */

/**
 * How a response's content is delimited on the connection: `none`, the
 * message ends with its head; `length`, by its Content-Length; `chunked`,
 * by the chunked coding; `close`, by closing the connection.
 */
export type Framing = "none" | "length" | "chunked" | "close";

/**
 * The fields that belong to a connection, not to the message (RFC 9110
 * §7.6.1, §7.8, RFC 9112 §6.1, §7.1.2 for `Trailer`), lower-cased: the
 * server sets them from how it frames each response and keeps its
 * connection; nothing else may.
 */
export const HOP_BY_HOP_FIELDS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Whether a response with `status` may carry content: not an interim 1xx
 * (RFC 9110 §15.2), nor 204 (§15.3.5), 205 (§15.3.6) or 304 (§15.4.5).
 */
export function statusHasContent(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 205 && status !== 304;
}

/**
 * Whether a response ends with its header section, whatever its fields
 * say (RFC 9112 §6.3 (1)): one to HEAD, or a 1xx, 204 or 304. Not a 205:
 * its empty content must be delimited as any other (RFC 9110 §15.3.6).
 */
export function endsAtHead(method: string, status: number): boolean {
  return method === "HEAD" || status < 200 || status === 204 || status === 304;
}

/**
 * Whether the chunked coding may frame a response: only when both the
 * request and the response are HTTP/1.1 or later (RFC 9112 §6.1, §7), since
 * an HTTP/1.0 recipient does not know it.
 *
 * @param requestVersion the request's version, e.g. `HTTP/1.0`
 * @param protocolVersion the version the response is sent in
 */
export function chunkedAllowed(
  requestVersion: string,
  protocolVersion: string,
): boolean {
  return requestVersion >= "HTTP/1.1" && protocolVersion >= "HTTP/1.1";
}

/**
 * How content is delimited (RFC 9112 §6.3): by its length when it is known
 * up front; else chunked where {@link chunkedAllowed}, which lets the client
 * tell a complete body from one cut short, even on a connection that then
 * closes; else by closing the connection.
 *
 * @param contentLength the content's length, or null when it is not known
 * @param requestVersion the request's version
 * @param protocolVersion the version the response is sent in
 */
export function contentFraming(
  contentLength: number | null,
  requestVersion: string,
  protocolVersion: string,
): "length" | "chunked" | "close" {
  if (contentLength !== null) return "length";
  return chunkedAllowed(requestVersion, protocolVersion) ? "chunked" : "close";
}

/** What {@link responseFraming} decides from. */
export interface ResponseFacts {
  /** The request's method. */
  method: string;
  /** The response's status. */
  status: number;
  /** The content's length when known up front (a `Content-Length`), or null. */
  contentLength: number | null;
  /** The request's version, e.g. `HTTP/1.1`. */
  requestVersion: string;
  /** The version the response is sent in. */
  protocolVersion: string;
}

/** How a response is framed, from {@link responseFraming}. */
export interface ResponseFraming {
  /** How its content is delimited. */
  framing: Framing;
  /** The Content-Length its head carries, or null for none. */
  contentLength: number | null;
}

/**
 * How a response is framed: no content after the head of a response that
 * {@link endsAtHead}, none either in a 205, which says so with a
 * Content-Length of 0 (RFC 9110 §15.3.6), else as {@link contentFraming}
 * says. A 1xx or 204 carries no Content-Length (RFC 9110 §8.6); a response
 * to HEAD or a 304 the one a GET would get (§8.6, §15.4.5).
 */
export function responseFraming(facts: ResponseFacts): ResponseFraming {
  const { method, status, contentLength } = facts;
  if (status < 200 || status === 204) {
    return { framing: "none", contentLength: null };
  }
  if (status === 205) return { framing: "none", contentLength: 0 };
  if (endsAtHead(method, status)) return { framing: "none", contentLength };
  return {
    framing: contentFraming(
      contentLength,
      facts.requestVersion,
      facts.protocolVersion,
    ),
    contentLength,
  };
}

/**
 * The field that announces content framed without a length:
 * `Transfer-Encoding: chunked`, or `Connection: close` for a body that ends
 * with the connection when it was to stay open (RFC 9112 §6.3 (8), §9.6);
 * null when none is needed.
 *
 * @param framing the content's framing
 * @param keepAlive whether the connection was to stay open after the response
 */
export function framingField(
  framing: Framing,
  keepAlive: boolean,
): readonly [string, string] | null {
  if (framing === "chunked") return ["Transfer-Encoding", "chunked"];
  if (framing === "close" && keepAlive) return ["Connection", "close"];
  return null;
}
