/**
 * What the file-serving core answers (see `serveFile` in `serve.ts`): a
 * {@link ServeResult}, a tagged union that says what each case carries, and
 * what the core needs of a request, its settings and the hooks a face gives
 * it. Types only: the faces, the core and the tests share them.
 *
 * @module
 */

import type { Access } from "./access.ts";
import type { ArchiveResult } from "./archive/archive.ts";
import type { CompressionOptions, ContentCoding } from "./compression.ts";
import type { FileBody } from "./filebody.ts";
import type { ListingOptions, ListingResult } from "./listing/service.ts";
import type { SiteRoutes } from "./siteroutes.ts";

/** What the core needs of a request. */
export interface FileRequest {
  /** The method: GET or HEAD. */
  readonly method: string;
  /** The request-target as received, query included (Python's `self.path`). */
  readonly target: string;
  /** A header field's value (repeated fields joined with `, `), or null. */
  header(name: string): string | null;
  /**
   * What the request's user may read and change (see `access.ts`); left
   * out, everything (`EVERYONE`).
   */
  readonly access?: Access;
  /**
   * Aborted once the answer is no longer wanted (the client left, the
   * server shuts down): long work for it (a search) stops. Left out, none.
   */
  readonly signal?: AbortSignal;
}

/** The settings of a file server: the fields of `SimpleHTTPRequestHandler`. */
export interface ServeOptions
  extends ListingOptions, CompressionOptions, SiteRoutes {
  /**
   * Live reload (see `live/`): HTML pages get its script, its paths are
   * answered, files and listings are sent with `Cache-Control: no-cache`
   * unless the two fields below say otherwise.
   */
  readonly liveReload?: boolean;
  /** `Cache-Control: max-age=<seconds>` on files and listings; null: none. */
  readonly cacheMaxAge: number | null;
  /** `Cache-Control: no-store` on files and listings; wins over `cacheMaxAge`. */
  readonly noCache: boolean;
  /**
   * With {@link ListingOptions.upload}, serve pages and SVG without
   * `Content-Security-Policy: sandbox` (see `upload/served.ts`): the folder's
   * uploads are trusted. `nosniff` stays.
   */
  readonly trustUploads?: boolean;
}

/**
 * What a face may change of the pipeline: the hooks of Python's API, which
 * subclasses override.
 */
export interface ServeHooks {
  /** The file system path a request-target names (Python's `translate_path`). */
  translatePath(target: string): string;
  /** A file's `Content-type` (Python's `guess_type`). */
  guessType(path: string): string;
  /**
   * The face's own listing of a folder without an index page (Python's
   * `list_directory`, overridden), which answers the request itself: it
   * sends its status and headers and returns the body. Left out, the core
   * lists the folder.
   */
  readonly listDirectory?: (path: string) => Promise<Uint8Array>;
  /**
   * The signal that ends live reload's event streams (the server's
   * shutdown), or why this face holds none (a server of one connection at a
   * time, which a stream would hold): then pages get no script and the
   * stream is 503. Left out, the face holds none.
   */
  eventStreams?(): AbortSignal | string;
}

/** 301 to the folder's URL with its trailing slash: `Content-Length: 0`. */
export interface Redirect {
  /** Tells the answers apart. */
  readonly kind: "redirect";
  /** Always 301. */
  readonly status: 301;
  /** The `Location`. */
  readonly location: string;
}

/** 304: the client's copy is fresh. */
export interface NotModified {
  /** Tells the answers apart. */
  readonly kind: "not-modified";
  /** Always 304. */
  readonly status: 304;
  /** The file's `ETag`, sent again (RFC 9110 §15.4.5). */
  readonly etag: string;
}

/** 416: no range asked for is in the file. `Content-Length: 0`. */
export interface RangeNotSatisfiable {
  /** Tells the answers apart. */
  readonly kind: "range-not-satisfiable";
  /** Always 416. */
  readonly status: 416;
  /** The file's length, for `Content-Range: bytes *\/size`. */
  readonly size: number;
}

/** What every file answer carries besides its body. */
interface FileFields {
  /** Tells the answers apart. */
  readonly kind: "file";
  /** 200, or 206 for ranges. */
  readonly status: 200 | 206;
  /** The `Content-type`: the file's, or `multipart/byteranges; boundary=...`. */
  readonly type: string;
  /** The `Content-Encoding`, or null. */
  readonly coding: ContentCoding | null;
  /** The `Content-Range` of a single range, or null. */
  readonly range: string | null;
  /**
   * The modification time in ms (`Last-Modified`); undefined when unknown,
   * or too recent to be a validator (see `validatable` in `conditional.ts`).
   */
  readonly mtime: number | undefined;
  /** The weak `ETag`; null when {@link mtime} is not sent either. */
  readonly etag: string | null;
}

/**
 * A file, whole (200) or in parts (206). The body is bytes (shared: never
 * change them in place) or an open file, which the receiver closes.
 */
export type FileResult =
  & FileFields
  & (
    | {
      /** The `Content-Length`. */
      readonly length: number;
      /** The body: bytes, or an open file to copy (see `FileBody.send`). */
      readonly body: Uint8Array | FileBody;
    }
    | {
      /**
       * Null: the file is to be gzipped as it is sent, so its length is not
       * known up front; the face frames the body (chunked, or up to the
       * close).
       */
      readonly length: null;
      /** The file, whose `length` bytes are to be gzipped. */
      readonly body: FileBody;
    }
  );

/**
 * The listing that a face's own `listDirectory` made: the status and
 * headers are sent already (only with {@link ServeHooks.listDirectory}).
 */
export interface Listed {
  /** Tells the answers apart. */
  readonly kind: "listed";
  /** The page. */
  readonly body: Uint8Array;
}

/**
 * The site's 404 page ({@link ServeOptions.notFoundPage}) in place of the
 * error page: its type and length only. The body is bytes (shared) or an
 * open file, which the receiver closes.
 */
export interface NotFoundPage {
  /** Tells the answers apart. */
  readonly kind: "not-found-page";
  /** Always 404. */
  readonly status: 404;
  /** The page's `Content-type`. */
  readonly type: string;
  /** The `Content-Length`. */
  readonly length: number;
  /** The page, with live reload's script when it gets one. */
  readonly body: Uint8Array | FileBody;
}

/** One of live reload's two scripts: never stored without asking again. */
export interface LiveScript {
  /** Tells the answers apart. */
  readonly kind: "live-script";
  /** Always 200. */
  readonly status: 200;
  /** The script. */
  readonly body: Uint8Array;
}

/**
 * Live reload's event stream: no length, as it ends only with the
 * connection (the client leaves, the server shuts down).
 */
export interface EventStream {
  /** Tells the answers apart. */
  readonly kind: "events";
  /** Always 200. */
  readonly status: 200;
  /** The events, for a GET (its receiver cancels it); null for a HEAD. */
  readonly stream: ReadableStream<Uint8Array> | null;
}

/** The core's answer to a GET or HEAD. */
export type ServeResult =
  | Redirect
  | NotModified
  | FileResult
  | RangeNotSatisfiable
  | ListingResult
  | Listed
  | NotFoundPage
  | LiveScript
  | EventStream
  | ArchiveResult;
