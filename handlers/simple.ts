/**
 * `SimpleHTTPRequestHandler`: serves the files and folder listings of one
 * folder for GET and HEAD, as Python's `http.server.SimpleHTTPRequestHandler`
 * (what `python3 -m http.server` runs).
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "../mod.ts";
 *
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   SimpleHTTPRequestHandler,
 *   { directory: "." },
 * );
 * console.log(server.serverPort > 0); // true
 * ```
 *
 * @module
 */

import { BaseHTTPRequestHandler, VERSION } from "./base.ts";
import { HttpError, outOfDescriptors } from "../util/errors.ts";
import type { BufferedWriter } from "../http/writer.ts";
import { contentFraming, framingField } from "../http/framing.ts";
import {
  chooseEncoding,
  type Encoding,
  gzipBytes,
  writeGzip,
} from "../files/compression.ts";
import { ifRangeHolds, notModified, weakETag } from "../files/conditional.ts";
import { type CachedFile, copyBytes, FileCache } from "../files/filebody.ts";
import { handlerMethods, sendPreflight } from "./headers.ts";
import { hasHiddenComponent } from "../files/hidden.ts";
import {
  type FolderEntries,
  readFolderEntries,
} from "../files/listing/folder.ts";
import {
  type ListingFormat,
  listingFormat,
  prepareListing,
} from "../files/listing/format.ts";
import {
  pageBytes,
  type PageText,
  WHOLE_PAGE_BYTES,
  writePage,
} from "../files/listing/page.ts";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../files/mime.ts";
import { directoryLocation, translatePath } from "../files/paths.ts";
import { Coalescer, sharedStat, statOrNull } from "../files/coalesce.ts";
import {
  lstatUnder,
  statOpen,
  statsOpenFiles,
  stillReaches,
} from "../files/sandbox.ts";
import { StatCache } from "../files/statcache.ts";
import { SEP } from "../util/platform.ts";
import {
  receiveForm,
  receivePut,
  UPLOAD_FORM,
} from "../files/upload/upload.ts";
import {
  contentRange,
  multipartByteranges,
  multipartBytes,
  parseRange,
  rangeLength,
  unsatisfiedRange,
  writeMultipart,
} from "../files/ranges.ts";

/**
 * An open file left for `do_GET` to copy after
 * {@link SimpleHTTPRequestHandler.sendHead}.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * // Count the bytes of files served (not of listings or small cached files).
 * class Counting extends SimpleHTTPRequestHandler {
 *   static served = 0;
 *   override async sendHead() {
 *     const body = await super.sendHead();
 *     if (body !== null && !(body instanceof Uint8Array) && "file" in body) {
 *       Counting.served += body.length; // a FileBody: body.file, body.length
 *     }
 *     return body;
 *   }
 * }
 * ```
 */
export interface FileBody {
  /** The open file; whoever receives it closes it. */
  file: Deno.FsFile;
  /**
   * How many bytes of the file to send from its current position: the
   * `Content-Length` sent, unless {@link send} frames the body.
   */
  length: number;
  /**
   * Writes the body in place of `copyfile`: the parts of a
   * `multipart/byteranges` response, or the file gzipped on the fly.
   * Resolves to the file bytes copied, fewer than `length` if it shrank.
   */
  send?: (out: BufferedWriter) => Promise<number>;
}

/**
 * A body that `do_GET` sends by calling {@link StreamBody.send}: a large
 * listing, made as it is sent.
 *
 * @example
 * ```ts
 * import { type HeadBody, SimpleHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * // Numbers, one a line, written as the client reads them.
 * class Numbers extends SimpleHTTPRequestHandler {
 *   override async sendHead(): Promise<HeadBody> {
 *     if (this.path !== "/numbers") return await super.sendHead();
 *     const lines = Array.from({ length: 100_000 }, (_, i) => `${i}\n`);
 *     const length = lines.reduce((sum, line) => sum + line.length, 0);
 *     this.sendResponse(200);
 *     this.sendHeader("Content-type", "text/plain");
 *     this.sendHeader("Content-Length", String(length));
 *     this.endHeaders();
 *     return {
 *       length,
 *       async send(out) {
 *         for (const line of lines) await out.write(line);
 *         return length;
 *       },
 *     };
 *   }
 * }
 * ```
 */
export interface StreamBody {
  /** The `Content-Length` sent. */
  length: number;
  /**
   * Writes the body, at the pace the client reads it. Resolves to the bytes
   * written: `length`, unless the body could not be made as announced.
   */
  send: (out: BufferedWriter) => Promise<number>;
}

/**
 * What {@link SimpleHTTPRequestHandler.sendHead} leaves to send after the
 * headers: bytes (a small file or a listing), an open file, a body written
 * as it is made (a large listing), or nothing. The bytes may be shared with
 * other requests (the cache of small files, listings asked for together):
 * never change them in place.
 *
 * @example
 * ```ts
 * import { type HeadBody, SimpleHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * // HEAD and GET share sendHead(); this one logs what GET would send.
 * class Logged extends SimpleHTTPRequestHandler {
 *   override async sendHead(): Promise<HeadBody> {
 *     const body = await super.sendHead();
 *     const kind = body === null
 *       ? "nothing"
 *       : body instanceof Uint8Array
 *       ? `${body.length} bytes`
 *       : "file" in body
 *       ? `a file of ${body.length} bytes`
 *       : `${body.length} bytes made as they are sent`;
 *     this.logMessage("%s: %s", this.path, kind);
 *     return body;
 *   }
 * }
 * ```
 */
export type HeadBody = Uint8Array | FileBody | StreamBody | null;

/** Files up to this size are served from {@link SMALL_FILES}. */
const MAX_CACHED_FILE = 64 * 1024;

/** The small files of all handlers in this process: 32 MiB at most. */
const SMALL_FILES = new FileCache({
  maxEntryBytes: MAX_CACHED_FILE,
  maxTotalBytes: 32 * 1024 * 1024,
});

/**
 * The entries of the folders listed in this process, with Python's order of
 * them: 16 MiB at most (about 100,000 entries of 50 characters). Reading a
 * folder again for each listing was most of the heap's growth under listing
 * load; a large listing is made from them as it is sent. A folder too large
 * for the bound is read again by each listing, which holds it until sent.
 */
const FOLDERS = new StatCache<FolderEntries>({
  maxTotalBytes: 16 * 1024 * 1024,
});

/** A listing page kept whole, with its header fields. */
interface KeptPage {
  body: Uint8Array;
  headers: [string, string][];
}

/**
 * Python's listing pages of folders without symlinks, asked for without a
 * query, by everything a page depends on (the key of {@link LISTINGS}),
 * while the folder's `stat` is unchanged: 8 MiB at most, pages up to
 * {@link MAX_KEPT_PAGE}. With the small semi-space of `deno task start`,
 * what rendering a large folder allocates outlives two young collections
 * and is promoted, so that rendering each time would fill the old
 * generation under listing load.
 */
const PAGES = new StatCache<KeptPage>({ maxTotalBytes: 8 * 1024 * 1024 });

/**
 * The largest page {@link PAGES} keeps, made whole in one go: about 8,000
 * entries. Larger pages are streamed to each client.
 */
const MAX_KEPT_PAGE = 1024 * 1024;

const INDEX_PAGES: readonly string[] = Object.freeze([
  "index.html",
  "index.htm",
]);

/**
 * Serves GET and HEAD from {@link directory}, as Python's
 * `SimpleHTTPRequestHandler`: files with `Content-type`, `Content-Length` and
 * `Last-Modified`, 304 for a fresh `If-Modified-Since`, a 301 that adds a
 * folder's trailing slash, a folder's `index.html`, else its listing page,
 * and 404 "File not found" for anything missing or unreadable (but 503 with
 * `Retry-After` when the process is out of file descriptors: that file may
 * well be there).
 *
 * The folder is the server's `directory` option (Python's `directory=`
 * argument), else the current folder; subclasses may set the field.
 *
 * Run with read permission for the served folder only
 * (`--allow-read=<folder>`), it answers 404 for any path whose real path,
 * symlinks followed, lies outside the grant, since Deno's path grant does not
 * stop a symlink inside the folder from reaching outside it. With full read
 * permission it follows symlinks as Python does.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";
 *
 * // As `python -m http.server --directory public`, with one more index page
 * // and one more type.
 * class Site extends SimpleHTTPRequestHandler {
 *   override indexPages = ["index.html", "index.htm", "default.html"];
 *   // Looked up before the built-in table.
 *   override extensionsMap = { ".log": "text/plain; charset=utf-8" };
 * }
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   Site,
 *   { directory: "public" },
 * );
 * ```
 */
export class SimpleHTTPRequestHandler extends BaseHTTPRequestHandler {
  /** `SimpleHTTP/<version>`, as Python's. */
  override serverVersion = `SimpleHTTP/${VERSION}`;
  /** The folder served. Relative paths are taken from the current folder. */
  directory: string = this.server.options.directory ?? ".";
  /**
   * Types by extension (with its dot), looked up as written, then
   * lower-cased, before the mime-db table; Python's defaults serve compressed
   * files as themselves.
   */
  extensionsMap: Readonly<Record<string, string>> = DEFAULT_EXTENSIONS_MAP;
  /** The file names served for a folder instead of its listing, in order. */
  indexPages: readonly string[] = INDEX_PAGES;
  /**
   * Answer a GET or HEAD of a path that does not exist with `/index.html`
   * (single-page apps whose routes are not files; the CLI's `--spa`). Off,
   * 404 as in Python.
   */
  spa = false;
  /**
   * List a folder without an index page (Python's behaviour); false answers
   * 404 instead (the CLI's `--no-listing`).
   */
  listing = true;
  /**
   * Serve and list dotfiles, names that begin with `.`, as Python does; false
   * answers 404 for any path with a hidden component, even with {@link spa},
   * and leaves them out of listings (the CLI's `--no-hidden`). Uploads never
   * write one.
   */
  showHidden = true;
  /**
   * Answer a listing request that asks for JSON (`?format=json`, or an
   * `Accept` that prefers `application/json`) with JSON: name, type, size,
   * modified (see `listing_json.ts`). Browsers never ask; false keeps
   * Python's page for every client.
   */
  jsonListing = true;
  /**
   * List folders on the pretty page: sizes, dates, sorting links, dark mode,
   * no script (the CLI's `--pretty-listing`). Off, Python's page.
   */
  prettyListing = false;
  /**
   * Accept uploads (the CLI's `--upload`): `PUT /path`, and a
   * `multipart/form-data` POST from the form that listings then show (see
   * `upload.ts`). Needs write permission for the folder. Off, PUT and POST
   * are 501 as in Python.
   */
  upload = false;
  /** Let an upload replace an existing file (the CLI's `--overwrite`). */
  overwrite = false;
  /**
   * The most bytes one upload request may store (the CLI's `--max-upload`);
   * also the most a chunked request body for a CGI script is held to.
   */
  maxUploadBytes = 1024 ** 3;
  /**
   * Host names through which requests may change files (the CLI's
   * `--allowed-host`, repeatable), besides IP addresses, `localhost` and
   * names under `.localhost`; through any other `Host` an upload is 403, so
   * that a page on a rebinding domain cannot upload (see `host.ts`).
   */
  allowedHosts: readonly string[] = [];
  /**
   * Send a file's `.br` or `.gz` sibling in its place, with
   * `Content-Encoding`, to a client whose `Accept-Encoding` takes it (the
   * CLI's `--gzip`). Off, files are sent as they are, as in Python.
   */
  precompressed = false;
  /**
   * Gzip files of text types on the fly for a client that accepts gzip (the
   * CLI's `--gzip`): not under 256 bytes, never a range (see
   * `compression.ts`). Off, files are sent as they are, as in Python.
   */
  gzip = false;
  /**
   * Send `Cache-Control: max-age=<seconds>` with files and listings (the
   * CLI's `--cache`); null sends none, as Python.
   */
  cacheMaxAge: number | null = null;
  /**
   * Send `Cache-Control: no-store` with files and listings (the CLI's
   * `--no-cache`); it wins over {@link cacheMaxAge}.
   */
  noCache = false;
  /**
   * Headers added to every response, after `Server` and `Date` (the CLI's
   * `-H`); they add to the handler's own headers, never replace them.
   */
  extraHeaders: readonly (readonly [string, string])[] = [];
  /**
   * Allow cross-origin requests (the CLI's `--cors`): every response gets
   * `Access-Control-Allow-Origin: *` and `OPTIONS` answers preflights. Off,
   * `OPTIONS` is 501 as in Python.
   */
  cors = false;

  /** Starts a response, with {@link extraHeaders} and the CORS header. */
  override sendResponse(code: number, message?: string): void {
    super.sendResponse(code, message);
    for (const [name, value] of this.extraHeaders) this.sendHeader(name, value);
    if (this.cors) this.sendHeader("Access-Control-Allow-Origin", "*");
  }

  /**
   * Answers a CORS preflight when {@link cors} is on: 204, with the methods
   * of the handler's `do_` functions (PUT and POST only with {@link upload}
   * on, unless a subclass answers them) and the headers the preflight asks
   * for.
   */
  do_OPTIONS(): void {
    if (!this.cors) {
      throw new HttpError(
        "unsupported-method",
        "Unsupported method ('OPTIONS')",
      );
    }
    sendPreflight(this, handlerMethods(this).filter((m) => this.#answers(m)));
  }

  /** Whether `do_<method>` answers: this class's PUT and POST need uploads. */
  #answers(method: string): boolean {
    if (this.upload || (method !== "PUT" && method !== "POST")) return true;
    const own = SimpleHTTPRequestHandler.prototype;
    return method === "PUT"
      ? this.do_PUT !== own.do_PUT
      : this.do_POST !== own.do_POST;
  }

  /** Serves a GET request: the headers, then the file or listing. */
  async do_GET(): Promise<void> {
    const body = await this.sendHead();
    if (body === null) return;
    if (body instanceof Uint8Array) {
      await this.wfile.write(body);
      return;
    }
    if (!("file" in body)) {
      const sent = await body.send(this.wfile);
      // As for a file that shrank: only closing tells the client.
      if (sent !== body.length) {
        this.logError(
          "%s: sent %d bytes of a body of %d",
          this.path,
          sent,
          body.length,
        );
        this.closeConnection = true;
      }
      return;
    }
    try {
      const copied = body.send
        ? await body.send(this.wfile)
        : await this.copyfile(body.file, this.wfile, body.length);
      // The Content-Length that was sent cannot be met: only closing the
      // connection tells the client the body is cut short.
      if (copied < body.length) {
        this.logError("file shrank while being sent: %s", this.path);
        this.closeConnection = true;
      }
    } finally {
      body.file.close();
    }
  }

  /** Serves a HEAD request: the headers of the GET, without a body. */
  async do_HEAD(): Promise<void> {
    const body = await this.sendHead();
    if (body !== null && !(body instanceof Uint8Array) && "file" in body) {
      body.file.close();
    }
  }

  /** Stores the body as the file the path names when {@link upload} is on. */
  async do_PUT(): Promise<void> {
    if (!this.upload) {
      throw new HttpError("unsupported-method", "Unsupported method ('PUT')");
    }
    await receivePut(this);
  }

  /** Stores the files of a listing page's upload form when {@link upload} is on. */
  async do_POST(): Promise<void> {
    if (!this.upload) {
      throw new HttpError("unsupported-method", "Unsupported method ('POST')");
    }
    await receiveForm(this);
  }

  /**
   * Sends the status line and headers common to GET and HEAD, and returns
   * what the body would be: bytes, an open file (the caller closes it), a
   * large listing to write as it is made, or null when the response is
   * complete (301, 304). A folder without an index page is answered by
   * {@link listDirectory} when a subclass overrides it. Throws an
   * {@link HttpError} for 404 (and 400 for a NUL in the path).
   */
  async sendHead(): Promise<HeadBody> {
    let path = this.translatePath(this.path);
    if (!this.showHidden && hasHiddenComponent(this.directory, path)) {
      throw notFound();
    }
    let info = await this.#lookup(path);
    if (info === null && this.spa) {
      // A route of a single-page app: its page handles it.
      path = this.translatePath("/index.html");
      info = await this.#lookup(path);
    }
    if (info?.isDirectory) {
      const location = directoryLocation(this.path);
      if (location !== null) {
        // Python's redirect, as Apache does it.
        this.sendResponse(301);
        this.sendHeader("Location", location);
        this.sendHeader("Content-Length", "0");
        this.endHeaders();
        return null;
      }
      const folder = path.endsWith("/") ? path : path + "/";
      let index: Deno.FileInfo | null = null;
      for (const name of this.indexPages) {
        index = await this.#lookup(folder + name);
        if (index?.isFile) {
          path = folder + name;
          break;
        }
        index = null;
      }
      if (index === null) return await this.#listing(path);
      info = index;
    }
    // A trailing slash names a folder: on a file it is 404 (CPython
    // bpo-17324), even where the platform would open the file.
    if (info === null || !info.isFile || path.endsWith("/")) {
      throw notFound();
    }
    const ctype = this.guessType(path);
    // Off by default: a precompressed sibling in place of the file (its own
    // size and times then describe the response), or gzip on the fly.
    const encoding = this.precompressed || this.gzip
      ? this.#chooseEncoding(path, info, ctype)
      : null;
    if (encoding?.sibling) ({ path, info } = encoding.sibling);
    // The size and times come from the stat above, not from the open
    // file as in Python (see FileCache.load), except in the sandbox, where
    // they come from the file opened.
    const cached = info.size <= MAX_CACHED_FILE
      ? SMALL_FILES.lookup(path, info) ?? this.#loadSmall(path, info)
      : null;
    let body: Uint8Array | FileBody;
    if (cached !== null) ({ body, info } = cached);
    else {
      const opened = await this.#openFile(path, info);
      info = opened.info;
      body = { file: opened.file, length: info.size };
    }
    const mtime = info.mtime?.getTime();
    const etag = weakETag(info.size, mtime);
    if (this.#notModified(etag, mtime)) {
      if (!(body instanceof Uint8Array)) body.file.close();
      this.sendResponse(304);
      this.#sendFileHeaders(etag);
      this.endHeaders();
      return null;
    }
    // RFC 9110 §14.2: ranges of GET only; a compressed body is never cut.
    const range = this.command === "GET" && encoding === null
      ? this.header("range")
      : null;
    if (range !== null) {
      const partial = await this.#sendRange(range, body, ctype, etag, mtime);
      if (partial !== undefined) return partial;
    }
    const onTheFly = encoding !== null && encoding.sibling === null;
    if (onTheFly && body instanceof Uint8Array) body = await gzipBytes(body);
    this.sendResponse(200);
    this.sendHeader("Content-type", ctype);
    if (encoding !== null) this.sendHeader("Content-Encoding", encoding.coding);
    if (onTheFly && !(body instanceof Uint8Array)) {
      body = this.#gzipStream(body);
    } else this.sendHeader("Content-Length", String(body.length));
    this.sendHeader("Last-Modified", this.dateTimeString(mtime ?? 0));
    this.#sendFileHeaders(etag);
    this.endHeaders();
    return body;
  }

  /**
   * Answers a GET with a `Range` (RFC 9110 §14, see `ranges.ts`) when
   * `If-Range`, if sent, holds (§13.1.5): 206 with one range or a
   * `multipart/byteranges` body, or 416 when no range is satisfiable.
   * Undefined to send the whole file instead.
   */
  async #sendRange(
    header: string,
    body: Uint8Array | FileBody,
    ctype: string,
    etag: string,
    mtime: number | undefined,
  ): Promise<HeadBody | undefined> {
    const ifRange = this.header("if-range");
    if (ifRange !== null && !ifRangeHolds(ifRange, etag, mtime)) return;
    const size = body.length;
    const ranges = parseRange(header, size);
    if (ranges === null) return;
    if (ranges === "unsatisfiable") {
      if (!(body instanceof Uint8Array)) body.file.close();
      this.sendResponse(416);
      this.sendHeader("Content-Range", unsatisfiedRange(size));
      this.sendHeader("Content-Length", "0");
      this.endHeaders();
      return null;
    }
    let part: Uint8Array | FileBody;
    let type = ctype;
    let length: number;
    if (ranges.length === 1) {
      const [{ start, end }] = ranges;
      length = end - start + 1;
      if (body instanceof Uint8Array) part = body.subarray(start, end + 1);
      else {
        await body.file.seek(start, Deno.SeekMode.Start);
        part = { file: body.file, length };
      }
    } else {
      const plan = multipartByteranges(ranges, size, ctype);
      type = plan.contentType;
      length = plan.length;
      if (body instanceof Uint8Array) part = multipartBytes(plan, body);
      else {
        const { file } = body;
        part = {
          file,
          length: ranges.reduce((sum, range) => sum + rangeLength(range), 0),
          send: (out) => writeMultipart(plan, file, out),
        };
      }
    }
    this.sendResponse(206);
    this.sendHeader("Content-type", type);
    if (ranges.length === 1) {
      this.sendHeader("Content-Range", contentRange(ranges[0], size));
    }
    this.sendHeader("Content-Length", String(length));
    this.sendHeader("Last-Modified", this.dateTimeString(mtime ?? 0));
    this.#sendFileHeaders(etag);
    this.endHeaders();
    return part;
  }

  /**
   * Sends the framing of a file gzipped on the fly, whose length is not known
   * up front: chunked when both sides speak HTTP/1.1 (RFC 9112 §6.1), else
   * the body ends with the connection. Returns the body that writes it.
   */
  #gzipStream({ file, length }: FileBody): FileBody {
    const framing = contentFraming(
      null,
      this.requestVersion,
      this.protocolVersion,
    );
    const field = framingField(framing, !this.closeConnection);
    if (field !== null) this.sendHeader(...field);
    const chunked = framing === "chunked";
    return {
      file,
      length,
      send: (out) => writeGzip(file, length, out, chunked),
    };
  }

  /**
   * The coding to send a file in, if the client accepts one that the
   * handler allows (see `compression.ts`); never for a GET with a `Range`,
   * whose parts must be of the same bytes as any other part.
   */
  #chooseEncoding(
    path: string,
    info: Deno.FileInfo,
    ctype: string,
  ): Encoding | null {
    const accept = this.header("accept-encoding");
    if (
      accept === null ||
      (this.command === "GET" && this.header("range") !== null)
    ) {
      return null;
    }
    return chooseEncoding(
      accept,
      path,
      info.size,
      ctype,
      this,
      (sibling) => this.#stat(sibling, false),
    );
  }

  /**
   * The headers a file's 200, 206 and 304 share (RFC 9110 §15.4.5 wants the
   * validator and caching ones on a 304 too): `Accept-Ranges`, the weak
   * `ETag`, `Vary` when the coding may vary, and `Cache-Control` when set.
   */
  #sendFileHeaders(etag: string): void {
    this.sendHeader("Accept-Ranges", "bytes");
    this.sendHeader("ETag", etag);
    if (this.precompressed || this.gzip) {
      this.sendHeader("Vary", "Accept-Encoding");
    }
    this.#sendCacheControl();
  }

  /**
   * The listing page that `inputs` describe, or the error that kept the
   * folder from being read: whole when kept in {@link PAGES} or small, else
   * text to stream. Symlinks are followed as this handler's
   * {@link directory} allows, which is `inputs.directory`. `key` stands for
   * `inputs` in {@link PAGES}.
   */
  async #readListing(
    inputs: ListingInputs,
    key: string,
  ): Promise<ReadListing | Error> {
    const { path, format } = inputs;
    let info: Deno.FileInfo;
    let folder: FolderEntries;
    try {
      info = Deno.statSync(path);
      const kept = format === "python" ? PAGES.lookup(key, info) : null;
      if (kept !== null) return kept;
      folder = await readFolder(path, info, this.#checkRead(path, info));
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    const { text, headers } = await prepareListing(
      format,
      inputs.requestPath,
      folder,
      {
        footer: inputs.footer,
        showHidden: inputs.showHidden,
        stat: (name) => this.#stat(path + SEP + name, false),
      },
    );
    // Without symlinks, whose targets may change apart from the folder,
    // Python's page depends on the folder alone. Not with a query, which the
    // page shows: a client could fill the cache with one page per query.
    if (
      format === "python" && folder.symlinks === 0 &&
      !inputs.requestPath.includes("?") && text.length <= MAX_KEPT_PAGE &&
      PAGES.settled(info)
    ) {
      const page = { body: pageBytes(text), headers };
      PAGES.keep(key, info, page, text.length);
      return page;
    }
    if (text.length <= WHOLE_PAGE_BYTES) {
      return { body: pageBytes(text), headers };
    }
    return { body: text, headers };
  }

  /**
   * In the sandbox (see {@link #mayRead}), the check of a folder read through
   * `path`, before and after the reading: it must be the folder `info`
   * describes, at the real path of `path` resolved then, in bounds, so that
   * a folder swapped for a symlink to the outside meanwhile is refused
   * (logged). Undefined with full read permission.
   */
  #checkRead(path: string, info: Deno.FileInfo): (() => void) | undefined {
    if (hasFullRead()) return undefined;
    return () => {
      if (stillReaches(path, info, (real) => this.#look(real))) return;
      this.logError(
        "refused %s: the folder read is not the folder its real path names",
        path,
      );
      throw new Error(`${path} changed while being read`);
    };
  }

  /** `Cache-Control` as {@link noCache} or {@link cacheMaxAge} ask; none by default. */
  #sendCacheControl(): void {
    if (this.noCache) this.sendHeader("Cache-Control", "no-store");
    else if (this.cacheMaxAge !== null) {
      this.sendHeader("Cache-Control", `max-age=${this.cacheMaxAge}`);
    }
  }

  /**
   * Sends the headers of a folder's listing page and returns the page, made
   * whole: see {@link sendHead}, which streams a large page unless a
   * subclass overrides this method.
   *
   * The page is Python's markup, else the pretty page
   * ({@link prettyListing}) or JSON for a client that asks
   * ({@link jsonListing}), with the upload form when {@link upload} is on;
   * dotfiles left out unless {@link showHidden}. An unreadable folder is 404
   * "No permission to list directory", as in Python; with {@link listing}
   * off every folder is 404 "File not found". Requests for the same page
   * that arrive together share one reading of the folder, made after all of
   * them arrived (see `coalesce.ts`), and so may share the bytes returned:
   * never change them in place.
   */
  async listDirectory(path: string): Promise<Uint8Array> {
    const body = await this.#sendListing(path);
    return body instanceof Uint8Array ? body : pageBytes(body);
  }

  /**
   * The body of a folder's listing for {@link sendHead}: the page of
   * {@link listDirectory} when a subclass overrides it; else the page
   * itself when small or kept, or a body that writes a large page a chunk
   * at a time as the client reads it.
   */
  async #listing(path: string): Promise<HeadBody> {
    const own = SimpleHTTPRequestHandler.prototype.listDirectory;
    if (this.listDirectory !== own) return await this.listDirectory(path);
    const body = await this.#sendListing(path);
    if (body instanceof Uint8Array) return body;
    return { length: body.length, send: (out) => writePage(body, out) };
  }

  /**
   * Sends the headers of a folder's listing page (see {@link listDirectory})
   * and returns its body, whole or to stream.
   */
  async #sendListing(path: string): Promise<Uint8Array | PageText> {
    if (!this.listing) throw notFound();
    const format = listingFormat(this.path, this.header("accept"), this);
    // Everything the page depends on, and its key: the served folder too,
    // which decides which symlinks a folder-only read grant may follow.
    const inputs: ListingInputs = {
      path,
      requestPath: this.path,
      format,
      footer: this.upload ? UPLOAD_FORM : "",
      showHidden: this.showHidden,
      directory: this.directory,
    };
    const key = JSON.stringify(Object.values(inputs));
    const page = await LISTINGS.run(key, () => this.#readListing(inputs, key));
    if (page instanceof Error) {
      throw outOfDescriptors(page) ??
        new HttpError("not-found", "No permission to list directory", {
          cause: page,
        });
    }
    const { body, headers } = page;
    this.sendResponse(200);
    for (const [name, value] of headers) this.sendHeader(name, value);
    this.sendHeader("Content-Length", String(body.length));
    // A cache that keeps Python's page must not hand it to a JSON client.
    if (format === "python" && this.jsonListing && this.cacheMaxAge !== null) {
      this.sendHeader("Vary", "Accept");
    }
    this.#sendCacheControl();
    this.endHeaders();
    return body;
  }

  /**
   * The file system path a request-target names under {@link directory}
   * (see `translatePath` in `paths.ts`): never outside it. Throws an
   * {@link HttpError} (400) for a NUL.
   */
  translatePath(path: string): string {
    return translatePath(this.directory, path);
  }

  /**
   * Copies the file's body to the response, at most `length` bytes (the
   * `Content-Length` sent), through a large pooled buffer. Resolves to the
   * bytes copied. The caller closes `source`.
   */
  copyfile(
    source: Deno.FsFile,
    outputfile: BufferedWriter,
    length: number,
  ): Promise<number> {
    return copyBytes(source, outputfile, length);
  }

  /** The `Content-type` of a file: {@link extensionsMap}, then mime-db. */
  guessType(path: string): string {
    return guessType(path, this.extensionsMap);
  }

  /**
   * Whether the request's validators let us answer 304 (RFC 9110 §13.2.2,
   * see `conditional.ts`): `If-None-Match` when present (Python then always
   * sends the file), else `If-Modified-Since` in whole seconds, compared in
   * its own zone (Python ignores a date not in GMT).
   */
  #notModified(etag: string, mtime: number | undefined): boolean {
    return notModified(
      this.header("if-none-match"),
      this.header("if-modified-since"),
      etag,
      mtime,
    );
  }

  /**
   * The stat of a path the request names (symlinks followed), shared with
   * the requests for it that arrived alongside (see `coalesce.ts`), or null
   * when it is missing, unreadable, or outside the read permission (logged).
   * In the sandbox (see {@link #mayRead}) the stat is of the real path
   * checked, so it never describes a file outside.
   */
  async #lookup(path: string): Promise<Deno.FileInfo | null> {
    return hasFullRead() ? await sharedStat(path) : this.#stat(path, true);
  }

  /**
   * `Deno.statSync(path)` (symlinks followed), or null when it is missing,
   * unreadable, or outside the read permission (logged when `log`); in the
   * sandbox, the `lstat` of the real path checked, as the grant covers it.
   */
  #stat(path: string, log: boolean): Deno.FileInfo | null {
    if (hasFullRead()) return statOrNull(path);
    try {
      return this.#mayRead(path, log);
    } catch {
      // Python's isdir and open map every OSError to "not there".
      return null;
    }
  }

  /**
   * The sandbox that read permission for the served folder alone sets up:
   * the `lstat` of the real path of `path` when the read grant covers `path`
   * and that real path is in bounds (see {@link #look}), else null (logged
   * when `log`: not for the symlinks of a listing). Deno's grant does not
   * stop a symlink inside the folder from reaching outside it: it checks the
   * path as given, which is what gets opened. Permissions are queried, never
   * requested: no prompt. With full read permission, symlinks are followed
   * anywhere, as in Python, and nothing here is called.
   */
  #mayRead(path: string, log: boolean): Deno.FileInfo | null {
    if (!isGranted(path)) {
      if (log) this.logError("refused %s: no read permission", path);
      return null;
    }
    const real = Deno.realPathSync(path);
    const info = this.#look(real);
    if (info !== null) return info;
    if (log) {
      this.logError(
        "refused %s: its real path %s is outside the read permission",
        path,
        real,
      );
    }
    return null;
  }

  /**
   * The `lstat` of the real path `real` when the sandbox serves what lies
   * there: the read grant covers it, or it lies under the served folder's
   * real path (for a grant that names the folder through a symlink: see
   * `lstatUnder`); else null.
   */
  #look(real: string): Deno.FileInfo | null {
    if (isGranted(real)) return Deno.lstatSync(real);
    const root = realDirectory(this.directory);
    return root === null ? null : lstatUnder(real, root, this.directory);
  }

  /**
   * In the sandbox, checks a file just opened through `path`: a name can be
   * swapped for a symlink to the outside between {@link #mayRead} and the
   * open, so the file opened must be the one at the real path of `path`
   * resolved after the open, in bounds. Returns the open file's own `stat`,
   * or null where Deno cannot stat an open file (a grant that names the
   * folder through a symlink: see `statOpen`), the file then being checked
   * by path against `info`, the `stat` taken before the open. Throws 404
   * (logged) for anything else.
   */
  #checkOpened(
    path: string,
    file: Deno.FsFile,
    info: Deno.FileInfo,
  ): Deno.FileInfo | null {
    const root = realDirectory(this.directory);
    const statable = root !== null && statsOpenFiles(root);
    const opened = statable ? statOpen(file) : null;
    const reached = statable ? opened : info;
    if (
      reached === null || !reached.isFile ||
      !stillReaches(path, reached, (real) => this.#look(real))
    ) {
      this.logError(
        "refused %s: the file opened is not the file its real path names",
        path,
      );
      throw notFound();
    }
    return opened;
  }

  /**
   * Reads a small file through the cache (see {@link FileCache.load}),
   * checked in the sandbox once open; null when it has grown past the
   * cache's size meanwhile; unreadable -> 404.
   */
  #loadSmall(path: string, info: Deno.FileInfo): CachedFile | null {
    const check = hasFullRead()
      ? undefined
      : (file: Deno.FsFile) => this.#checkOpened(path, file, info);
    try {
      return SMALL_FILES.load(path, info, check);
    } catch (error) {
      throw error instanceof HttpError
        ? error
        : outOfDescriptors(error) ?? notFound(error);
    }
  }

  /**
   * Opens a file to stream, checked in the sandbox, with the `stat` that
   * describes it: the open file's own there, else `info`. Unreadable -> 404.
   */
  async #openFile(
    path: string,
    info: Deno.FileInfo,
  ): Promise<{ file: Deno.FsFile; info: Deno.FileInfo }> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (error) {
      throw outOfDescriptors(error) ?? notFound(error);
    }
    if (hasFullRead()) return { file, info };
    try {
      return { file, info: this.#checkOpened(path, file, info) ?? info };
    } catch (error) {
      file.close();
      throw error;
    }
  }
}

/** Everything a listing page depends on. */
interface ListingInputs {
  /** The folder. */
  path: string;
  /** The request-target, which the page shows and links from. */
  requestPath: string;
  format: ListingFormat;
  /** The upload form, or "". */
  footer: string;
  showHidden: boolean;
  /** The served folder: the symlinks that a folder-only grant may follow. */
  directory: string;
}

/** A listing made ready: its body, whole or to stream, and header fields. */
interface ReadListing {
  body: Uint8Array | PageText;
  headers: [string, string][];
}

/**
 * Listing pages being read, by everything a page depends on: a listing
 * flood of one folder reads it once per turn of the event loop, not once per
 * request.
 */
const LISTINGS = new Coalescer<Promise<ReadListing | Error>>();

function notFound(cause?: unknown): HttpError {
  return new HttpError("not-found", "File not found", { cause });
}

/**
 * The entries of the folder at `path`, read once per version of the folder
 * (`info`, its `stat` taken before): entries are only added, removed or
 * renamed by changing the folder. `check`, when given, runs before and after
 * a reading and throws to refuse it. Throws what `Deno.readDir` throws.
 */
function readFolder(
  path: string,
  info: Deno.FileInfo,
  check?: () => void,
): Promise<FolderEntries> {
  return FOLDERS.share(
    path,
    info,
    async () => {
      check?.();
      const folder = await readFolderEntries(path);
      check?.();
      return folder;
    },
    (folder) => folder.bytes,
  );
}

/** Queried once: with full read permission no path needs checking. */
let fullRead: boolean | undefined;

function hasFullRead(): boolean {
  return fullRead ??=
    Deno.permissions.querySync({ name: "read" }).state === "granted";
}

function isGranted(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state ===
    "granted";
}

/** Real paths of served folders, resolved once each. */
const realDirectories = new Map<string, string | null>();

function realDirectory(directory: string): string | null {
  let real = realDirectories.get(directory);
  if (real === undefined) {
    try {
      real = isGranted(directory) ? Deno.realPathSync(directory) : null;
    } catch {
      real = null;
    }
    realDirectories.set(directory, real);
  }
  return real;
}
