/**
 * The file-serving core's answer to a GET or HEAD, decided once for every
 * face: the target (URL to path, index pages, the SPA fallback), the
 * sandbox, conditional requests, ranges, the content coding, listings. The
 * answer is a {@link ServeResult}, a tagged union that says what each case
 * carries; {@link emitHeaders} gives its header fields, in Python's order, to
 * a face that writes them out with whatever framing its transport needs.
 * Refusals are thrown as `HttpError`s: 404 for anything missing, unreadable
 * or hidden, 400 for a NUL in the path, 503 when out of descriptors.
 *
 * @example
 * ```ts
 * import { emitHeaders, serveFile } from "./serve.ts";
 * import { Sandbox } from "./sandbox.ts";
 * import { guessType } from "./mime.ts";
 * import { translatePath } from "./paths.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${folder}/a.txt`, "hello");
 * const options = {
 *   directory: folder,
 *   indexPages: ["index.html"],
 *   spa: false,
 *   listing: true,
 *   showHidden: true,
 *   jsonListing: true,
 *   prettyListing: false,
 *   upload: false,
 *   precompressed: false,
 *   gzip: false,
 *   cacheMaxAge: null,
 *   noCache: false,
 * };
 * const result = await serveFile(
 *   { method: "GET", target: "/a.txt", header: () => null },
 *   options,
 *   {
 *     translatePath: (target) => translatePath(folder, target),
 *     guessType: (path) => guessType(path),
 *   },
 *   new Sandbox(folder, console.error),
 * );
 * if (result.kind === "file") {
 *   console.log(result.status, result.type); // 200 "text/plain"
 *   const headers = new Headers();
 *   emitHeaders(result, options, {
 *     header: (name, value) => headers.append(name, value),
 *     date: (name, ms) => headers.append(name, new Date(ms).toUTCString()),
 *     length: (bytes) => headers.append("Content-Length", String(bytes)),
 *   });
 *   console.log(headers.get("content-length")); // "5"
 * }
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import {
  chooseEncoding,
  type CompressionOptions,
  type ContentCoding,
  type Encoding,
  gzipBytes,
} from "./compression.ts";
import { notModified, weakETag } from "./conditional.ts";
import { type FileBody, FileCache } from "./filebody.ts";
import { hasHiddenComponent } from "./hidden.ts";
import {
  listFolder,
  type ListingOptions,
  type ListingResult,
} from "./listing/service.ts";
import { directoryLocation } from "./paths.ts";
import {
  type ByteRange,
  chooseRange,
  contentRange,
  multipartByteranges,
  multipartBytes,
  rangeLength,
  unsatisfiedRange,
  writeMultipart,
} from "./ranges.ts";
import { fileNotFound, type Sandbox } from "./sandbox.ts";

/** What the core needs of a request. */
export interface FileRequest {
  /** The method: GET or HEAD. */
  readonly method: string;
  /** The request-target as received, query included (Python's `self.path`). */
  readonly target: string;
  /** A header field's value (repeated fields joined with `, `), or null. */
  header(name: string): string | null;
}

/** The settings of a file server: the fields of `SimpleHTTPRequestHandler`. */
export interface ServeOptions extends ListingOptions, CompressionOptions {
  /** The file names served for a folder instead of its listing, in order. */
  readonly indexPages: readonly string[];
  /** Answer a path that does not exist with `/index.html`. */
  readonly spa: boolean;
  /** `Cache-Control: max-age=<seconds>` on files and listings; null: none. */
  readonly cacheMaxAge: number | null;
  /** `Cache-Control: no-store` on files and listings; wins over `cacheMaxAge`. */
  readonly noCache: boolean;
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
  /** The modification time in ms (`Last-Modified`), if known. */
  readonly mtime: number | undefined;
  /** The weak `ETag`. */
  readonly etag: string;
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

/** The core's answer to a GET or HEAD. */
export type ServeResult =
  | Redirect
  | NotModified
  | FileResult
  | RangeNotSatisfiable
  | ListingResult
  | Listed;

/** Files up to this size are served from {@link SMALL_FILES}. */
const MAX_CACHED_FILE = 64 * 1024;

/** The small files of all served folders in this process: 32 MiB at most. */
const SMALL_FILES = new FileCache({
  maxEntryBytes: MAX_CACHED_FILE,
  maxTotalBytes: 32 * 1024 * 1024,
});

/**
 * Answers a GET or HEAD, as Python's `send_head`: a folder's URL without its
 * trailing slash is redirected, a folder is answered by its first index
 * page, else its listing; a file by its bytes, or 304, or its ranges, in a
 * content coding the client accepts when the options allow. A path that does
 * not exist is answered by `/index.html` with {@link ServeOptions.spa}.
 *
 * @param request the request
 * @param options the settings
 * @param hooks Python's hooks, as the face has them
 * @param sandbox the reads of {@link ServeOptions.directory}
 * @throws {HttpError} 404 for anything missing, unreadable or hidden (and
 *   "No permission to list directory" for a folder that cannot be read),
 *   400 for a NUL in the path, 503 when out of descriptors
 */
export async function serveFile(
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): Promise<ServeResult> {
  let path = hooks.translatePath(request.target);
  if (!options.showHidden && hasHiddenComponent(options.directory, path)) {
    throw fileNotFound();
  }
  let info = await sandbox.lookup(path);
  if (info === null && options.spa) {
    // A route of a single-page app: its page handles it.
    path = hooks.translatePath("/index.html");
    info = await sandbox.lookup(path);
  }
  if (info?.isDirectory) {
    const location = directoryLocation(request.target);
    // Python's redirect, as Apache does it.
    if (location !== null) return { kind: "redirect", status: 301, location };
    const folder = path.endsWith("/") ? path : path + "/";
    let index: Deno.FileInfo | null = null;
    for (const name of options.indexPages) {
      index = await sandbox.lookup(folder + name);
      if (index?.isFile) {
        path = folder + name;
        break;
      }
      index = null;
    }
    if (index === null) {
      return await listing(path, request, options, hooks, sandbox);
    }
    info = index;
  }
  // A trailing slash names a folder: on a file it is 404 (CPython
  // bpo-17324), even where the platform would open the file.
  if (info === null || !info.isFile || path.endsWith("/")) {
    throw fileNotFound();
  }
  // Not awaited: a small file is answered in this turn.
  return fileAnswer(request, path, info, options, hooks, sandbox);
}

/** A folder's listing: the face's own when it has one, else the core's. */
async function listing(
  path: string,
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): Promise<ListingResult | Listed> {
  if (hooks.listDirectory !== undefined) {
    return { kind: "listed", body: await hooks.listDirectory(path) };
  }
  return await listFolder(
    path,
    request.target,
    request.header("accept"),
    options,
    sandbox,
  );
}

/** A file answer, with one shape for all. */
function fileResult(
  status: 200 | 206,
  type: string,
  coding: ContentCoding | null,
  range: string | null,
  length: number,
  body: Uint8Array | FileBody,
  mtime: number | undefined,
  etag: string,
): FileResult {
  return {
    kind: "file",
    status,
    type,
    coding,
    range,
    length,
    body,
    mtime,
    etag,
  };
}

/**
 * The answer for the file at `path` (`info`, its `stat`): its type, its
 * coding, its body (a small file from memory, else opened), then
 * {@link bodyAnswer}. Synchronous for a small file, cached or not.
 */
function fileAnswer(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): ServeResult | Promise<ServeResult> {
  const type = hooks.guessType(path);
  // Off by default: a precompressed sibling in place of the file (its own
  // size and times then describe the response), or gzip on the fly.
  const encoding = options.precompressed || options.gzip
    ? contentEncoding(request, path, info, type, options, sandbox)
    : null;
  if (encoding?.sibling) ({ path, info } = encoding.sibling);
  // The size and times come from the stat above, not from the open file as
  // in Python (see FileCache.load), except in the sandbox, where they come
  // from the file opened.
  const cached = info.size <= MAX_CACHED_FILE
    ? SMALL_FILES.lookup(path, info) ??
      sandbox.loadSmall(SMALL_FILES, path, info)
    : null;
  if (cached !== null) {
    return bodyAnswer(request, cached.body, cached.info, type, encoding);
  }
  return openedAnswer(request, path, info, type, encoding, sandbox);
}

/** {@link bodyAnswer} for a file opened to stream. */
async function openedAnswer(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo,
  type: string,
  encoding: Encoding | null,
  sandbox: Sandbox,
): Promise<ServeResult> {
  const opened = await sandbox.open(path, info);
  const body = { file: opened.file, length: opened.info.size };
  return await bodyAnswer(request, body, opened.info, type, encoding);
}

/**
 * The coding to send a file in, if the client accepts one that the options
 * allow (see `compression.ts`); never for a GET with a `Range`, whose parts
 * must be of the same bytes as any other part.
 */
function contentEncoding(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo,
  type: string,
  options: CompressionOptions,
  sandbox: Sandbox,
): Encoding | null {
  const accept = request.header("accept-encoding");
  if (
    accept === null ||
    (request.method === "GET" && request.header("range") !== null)
  ) {
    return null;
  }
  return chooseEncoding(
    accept,
    path,
    info.size,
    type,
    options,
    (sibling) => sandbox.stat(sibling, false),
  );
}

/**
 * The answer for a file's body (`info`, the `stat` that describes it): 304
 * when the request's validators allow it (RFC 9110 §13.2.2, see
 * `conditional.ts`), the ranges of a GET without a coding (§14.2), else the
 * whole body, gzipped when `encoding` says so on the fly. An open file not
 * sent is closed.
 */
function bodyAnswer(
  request: FileRequest,
  body: Uint8Array | FileBody,
  info: Deno.FileInfo,
  type: string,
  encoding: Encoding | null,
): ServeResult | Promise<ServeResult> {
  const mtime = info.mtime?.getTime();
  const etag = weakETag(info.size, mtime);
  if (
    notModified(
      request.header("if-none-match"),
      request.header("if-modified-since"),
      etag,
      mtime,
    )
  ) {
    if (!(body instanceof Uint8Array)) body.file.close();
    return { kind: "not-modified", status: 304, etag };
  }
  // RFC 9110 §14.2: ranges of GET only; a compressed body is never cut.
  const range = request.method === "GET" && encoding === null
    ? request.header("range")
    : null;
  if (range !== null) {
    const size = body.length;
    const choice = chooseRange(
      range,
      request.header("if-range"),
      size,
      etag,
      mtime,
    );
    if (choice.kind === "unsatisfiable") {
      if (!(body instanceof Uint8Array)) body.file.close();
      return { kind: "range-not-satisfiable", status: 416, size };
    }
    if (choice.kind === "ranges") {
      return partAnswer(choice.ranges, body, type, etag, mtime);
    }
  }
  if (encoding === null || encoding.sibling !== null) {
    const coding = encoding?.coding ?? null;
    return fileResult(200, type, coding, null, body.length, body, mtime, etag);
  }
  if (body instanceof Uint8Array) return gzipped(body, type, etag, mtime);
  return {
    kind: "file",
    status: 200,
    type,
    coding: "gzip",
    range: null,
    length: null,
    body,
    mtime,
    etag,
  };
}

/** A small file gzipped in memory, with its `Content-Length`. */
async function gzipped(
  bytes: Uint8Array,
  type: string,
  etag: string,
  mtime: number | undefined,
): Promise<FileResult> {
  const body = await gzipBytes(bytes);
  return fileResult(200, type, "gzip", null, body.length, body, mtime, etag);
}

/**
 * The 206 of `ranges` of a body (RFC 9110 §14): one range with its
 * `Content-Range`, or several as a `multipart/byteranges` body (§14.6).
 */
function partAnswer(
  ranges: readonly ByteRange[],
  body: Uint8Array | FileBody,
  type: string,
  etag: string,
  mtime: number | undefined,
): FileResult | Promise<FileResult> {
  const size = body.length;
  if (ranges.length === 1) {
    const [range] = ranges;
    const length = rangeLength(range);
    const contentRangeValue = contentRange(range, size);
    if (body instanceof Uint8Array) {
      const part = body.subarray(range.start, range.end + 1);
      return fileResult(
        206,
        type,
        null,
        contentRangeValue,
        length,
        part,
        mtime,
        etag,
      );
    }
    const { file } = body;
    return file.seek(range.start, Deno.SeekMode.Start).then(() =>
      fileResult(
        206,
        type,
        null,
        contentRangeValue,
        length,
        { file, length },
        mtime,
        etag,
      )
    );
  }
  const plan = multipartByteranges(ranges, size, type);
  let part: Uint8Array | FileBody;
  if (body instanceof Uint8Array) part = multipartBytes(plan, body);
  else {
    const { file } = body;
    part = {
      file,
      length: ranges.reduce((sum, range) => sum + rangeLength(range), 0),
      send: (out) => writeMultipart(plan, file, out),
    };
  }
  return fileResult(
    206,
    plan.contentType,
    null,
    null,
    plan.length,
    part,
    mtime,
    etag,
  );
}

/** The settings that some header fields depend on. */
export type HeaderOptions = Pick<
  ServeOptions,
  "precompressed" | "gzip" | "jsonListing" | "cacheMaxAge" | "noCache"
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
      sink.date("Last-Modified", result.mtime ?? 0);
      fileHeaders(result.etag, options, sink);
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
 * The fields a file's 200, 206 and 304 share (RFC 9110 §15.4.5 wants the
 * validator and caching ones on a 304 too): `Accept-Ranges`, the weak
 * `ETag`, `Vary` when the coding may vary, and `Cache-Control` when set.
 */
function fileHeaders(
  etag: string,
  options: HeaderOptions,
  sink: HeaderSink,
): void {
  sink.header("Accept-Ranges", "bytes");
  sink.header("ETag", etag);
  if (options.precompressed || options.gzip) {
    sink.header("Vary", "Accept-Encoding");
  }
  cacheControl(options, sink);
}

/** `Cache-Control` as `noCache` or `cacheMaxAge` ask; none by default. */
function cacheControl(options: HeaderOptions, sink: HeaderSink): void {
  if (options.noCache) sink.header("Cache-Control", "no-store");
  else if (options.cacheMaxAge !== null) {
    sink.header("Cache-Control", `max-age=${options.cacheMaxAge}`);
  }
}
