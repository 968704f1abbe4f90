/**
 * The header fields of the core's answers, in the order Python's handler
 * sends them: each face gives them a {@link HeaderSink} that writes them out
 * with the framing of its transport.
 *
 * @module
 */

import type { Listed, ServeOptions, ServeResult } from "./result.ts";
import { unsatisfiedRange } from "./ranges.ts";
import { uploadedFileFields } from "./upload/served.ts";

/** The settings that some header fields depend on. */
export type HeaderOptions = Pick<
  ServeOptions,
  | "precompressed"
  | "gzip"
  | "jsonListing"
  | "cacheMaxAge"
  | "noCache"
  | "liveReload"
  | "upload"
  | "delete"
  | "trustUploads"
>;

/** Where {@link emitHeaders} puts the header fields: a face's response. */
export interface HeaderSink {
  /** Adds a field. */
  header(name: string, value: string): void;
  /** Adds a field whose value is an HTTP date, `ms` since the epoch. */
  date(name: string, ms: number): void;
  /**
   * Adds the body's length (`Content-Length`); for null, a body whose length
   * is not known up front, the framing that ends it instead.
   */
  length(bytes: number | null): void;
}

/**
 * Gives `sink` the header fields of an answer, after its status line, in
 * the order Python's handler sends them (and ours after it: `Accept-Ranges`,
 * `ETag`, `Vary`, `Cache-Control`).
 *
 * @param result the answer (not {@link Listed}, which sent its own)
 * @param options the settings it was made with
 * @param sink the face's response
 */
export function emitHeaders(
  result: Exclude<ServeResult, Listed>,
  options: HeaderOptions,
  sink: HeaderSink,
): void {
  switch (result.kind) {
    case "file":
      sink.header("Content-type", result.type);
      if (result.coding !== null) {
        sink.header("Content-Encoding", result.coding);
      }
      if (result.range !== null) sink.header("Content-Range", result.range);
      sink.length(result.length);
      if (result.mtime !== undefined) {
        sink.date("Last-Modified", result.mtime);
      }
      fileHeaders(result.etag, options, sink);
      uploadedHeaders(result.type, options, sink);
      return;
    case "not-modified":
      fileHeaders(result.etag, options, sink);
      return;
    case "redirect":
      sink.header("Location", result.location);
      sink.length(0);
      return;
    case "range-not-satisfiable":
      sink.header("Content-Range", unsatisfiedRange(result.size));
      sink.length(0);
      return;
    case "not-found-page":
      sink.header("Content-type", result.type);
      sink.length(result.length);
      // It may lie in the folder, replaced by an upload like any file.
      uploadedHeaders(result.type, options, sink);
      return;
    case "live-script":
      sink.header("Content-type", "text/javascript; charset=utf-8");
      sink.length(result.body.length);
      sink.header("Cache-Control", "no-cache");
      return;
    case "events":
      // The face frames it: it ends with the connection.
      sink.header("Content-type", "text/event-stream");
      sink.header("Cache-Control", "no-store");
      return;
    case "archive":
      sink.header("Content-type", result.type);
      sink.header("Content-Disposition", result.disposition);
      sink.length(null);
      return;
    case "listing":
      for (const [name, value] of result.headers) sink.header(name, value);
      sink.length(result.body.length);
      // A cache that keeps Python's page must not hand it to a JSON client.
      if (
        result.format === "python" && options.jsonListing &&
        options.cacheMaxAge !== null
      ) {
        sink.header("Vary", "Accept");
      }
      cacheControl(options, sink);
      return;
  }
}

/**
 * With uploads or moves on, what a file of `type` carries (see
 * `upload/served.ts`): a MOVE gives any file a page's name as an upload does.
 */
function uploadedHeaders(
  type: string,
  options: HeaderOptions,
  sink: HeaderSink,
): void {
  if (!options.upload && !options.delete) return;
  for (const field of uploadedFileFields(type, !!options.trustUploads)) {
    sink.header(...field);
  }
}

/**
 * The fields a file's 200, 206 and 304 share (RFC 9110 §15.4.5 wants the
 * validator and caching ones on a 304 too): `Accept-Ranges`, the weak
 * `ETag` when there is one, `Vary` when the coding may vary, and
 * `Cache-Control` when set.
 */
function fileHeaders(
  etag: string | null,
  options: HeaderOptions,
  sink: HeaderSink,
): void {
  sink.header("Accept-Ranges", "bytes");
  if (etag !== null) sink.header("ETag", etag);
  if (options.precompressed || options.gzip) {
    sink.header("Vary", "Accept-Encoding");
  }
  cacheControl(options, sink);
}

/**
 * `Cache-Control` as `noCache` or `cacheMaxAge` ask; else `no-cache` with
 * live reload, so that a reloaded page asks again for the scripts and images
 * it uses (a browser may otherwise take them from its cache for a while
 * without asking); none by default.
 */
function cacheControl(options: HeaderOptions, sink: HeaderSink): void {
  if (options.noCache) sink.header("Cache-Control", "no-store");
  else if (options.cacheMaxAge !== null) {
    sink.header("Cache-Control", `max-age=${options.cacheMaxAge}`);
  } else if (options.liveReload) sink.header("Cache-Control", "no-cache");
}
