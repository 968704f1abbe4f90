/**
 * `SimpleHTTPRequestHandler`: serves the files and folder listings of one
 * folder for GET and HEAD, as Python's `http.server.SimpleHTTPRequestHandler`
 * (what `python3 -m http.server` runs).
 *
 * Past the house's 400 lines: most of it is the handler's settings, one
 * documented field each, which belong on the class that users subclass; the
 * work is the core's (`files/`), and `face.ts` and `ops.ts` adapt it.
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
import { HttpError } from "../util/errors.ts";
import type { BufferedWriter } from "../http/writer.ts";
import { copyBytes } from "../files/filebody.ts";
import { FileFace, type HeadBody } from "./face.ts";
import { handlerMethods, sendPreflight } from "./headers.ts";
import { listFolder } from "../files/listing/service.ts";
import { pageBytes } from "../files/listing/page.ts";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../files/mime.ts";
import { translatePath } from "../files/paths.ts";
import type { SymlinkPolicy } from "../files/sandbox.ts";
import { openEvents, serveFile } from "../files/serve.ts";
import { liveReloadResource } from "../files/live/client.ts";
import { receiveForm, receivePut } from "../files/upload/upload.ts";
import { deleteTarget, makeFolder, moveTarget } from "../files/ops/change.ts";
import { copyTarget } from "../files/ops/copy.ts";
import { lockTarget, unlockTarget } from "../files/ops/locks.ts";
import { propfind } from "../files/ops/propfind.ts";
import { proppatch } from "../files/ops/proppatch.ts";
import {
  davOptions,
  operates,
  OPS_METHODS,
  type OpsSite,
  speaksDav,
} from "../files/ops/site.ts";
import { opsSite, sendOps } from "./ops.ts";
import { type Access, EVERYONE } from "../files/access.ts";
import { AccountGate } from "../files/accounts/gate.ts";
import type { Accounts } from "../files/accounts/htpasswd.ts";
import { parseAccessRules } from "../files/accounts/rules.ts";

export type { FileBody } from "../files/filebody.ts";
export type { HeadBody, StreamBody } from "./face.ts";

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
   * Reload pages in the browser when a file of {@link directory} changes
   * (the CLI's `--live-reload`): HTML pages get a script that listens to
   * the folder's changes, which reloads the page, or swaps a stylesheet
   * when only stylesheets changed (see `files/live/`). Pages and files are
   * then sent with `Cache-Control: no-cache` unless {@link noCache} or
   * {@link cacheMaxAge} say otherwise. Needs read permission only, and a
   * `ThreadingHTTPServer`: `HTTPServer` serves one connection at a time,
   * which the event stream would hold, so there pages get no script.
   */
  liveReload = false;
  /**
   * A file sent with status 404 for anything not found by GET or HEAD (the
   * CLI's `--404`), in place of Python's error page; null: that page. With
   * {@link spa}, missing files (a last component with a dot) get it, routes
   * `/index.html` (see `siteroutes.ts`).
   */
  notFoundPage: string | null = null;
  /**
   * Clean URLs (the CLI's `--clean-urls`): `/about` serves `about.html` when
   * there is no `about`, and `/about.html` (or `/docs/index.html`)
   * redirects to `/about` (or `/docs/`) when that serves the same file.
   * Folders keep their index pages and trailing slash.
   */
  cleanUrls = false;
  /**
   * List a folder without an index page (Python's behaviour); false answers
   * 404 instead (the CLI's `--no-listing`).
   */
  listing = true;
  /**
   * Which symlinks in the folder are followed (the CLI's `--symlinks`):
   * `follow` any, as Python; `inside` only those whose target lies in
   * {@link directory}; `never` none, a path through one being 404 and
   * listings leaving them out. With read permission for the folder only,
   * `follow` follows only those the grant covers (see `files/sandbox.ts`).
   */
  symlinks: SymlinkPolicy = "follow";
  /**
   * Serve and list dotfiles, names that begin with `.`, as Python does; false
   * answers 404 for any path with a hidden component, even with {@link spa},
   * and leaves them out of listings (the CLI's `--no-hidden`). Uploads never
   * write one, but for Finder's `._name` and `.DS_Store` on a WebDAV server
   * (see `files/hidden.ts`).
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
   * Search names (the CLI's `--search`): listing pages end with a search
   * box, and `GET /folder/?q=text` answers the files and folders below
   * that contain the text, case-insensitive, as a page in the listing's
   * style or as JSON (`&format=json`, or as JSON listings are asked for);
   * dotfiles only with {@link showHidden}, at most 16 levels down, 1,000
   * names and 2 seconds (see `files/search/`). Needs read permission only,
   * and {@link listing}. Off, `?q=` is ignored, as in Python.
   */
  search = false;
  /**
   * Let folders be downloaded as archives (the CLI's `--archive`):
   * `GET /folder/?download=zip` or `?download=tar.gz` sends the folder as a
   * ZIP or a gzipped tar, made as it is sent (see `files/archive/`), and
   * the listing pages link to them. Needs read permission only. Off, the
   * query is ignored, as in Python.
   */
  archive = false;
  /**
   * Accept uploads (the CLI's `--upload`): `PUT /path`, and a
   * `multipart/form-data` POST from the form that listings then show, with
   * its script (drag and drop, folders, a progress bar per file: see
   * `upload/page.ts`), allowed by the page's `Content-Security-Policy`.
   * Files are then served with `nosniff`, pages and SVG sandboxed (see
   * {@link trustUploads}). Needs write permission for the folder. Off, PUT
   * and POST are 501 as in Python.
   */
  upload = false;
  /** Let an upload replace an existing file (the CLI's `--overwrite`). */
  overwrite = false;
  /**
   * With {@link upload} or {@link delete}, serve pages, SVG and XML without
   * `Content-Security-Policy: sandbox` (the CLI's `--trust-uploads`): every
   * file still carries `X-Content-Type-Options: nosniff`. Off, an uploaded
   * page runs no script and gets an origin of its own, so that it cannot
   * act with a viewer's credentials on this site.
   */
  trustUploads = false;
  /**
   * Allow `DELETE` and `MOVE` (with `Destination`, RFC 4918 §9.9) of the
   * served folder's files and folders, and the listing pages' Rename and
   * Delete buttons (the CLI's `--delete`; see `files/ops/`). Needs write
   * permission for the folder. Off, both are 501 as in Python.
   */
  delete = false;
  /**
   * Allow `MKCOL`, which creates a folder, and the listing pages' New folder
   * button (the CLI's `--mkdir`). Needs write permission for the folder.
   * Off, 501 as in Python.
   */
  mkdir = false;
  /**
   * Speak WebDAV (the CLI's `--webdav`): `PROPFIND` of `Depth` 0 and 1
   * answers `207 Multi-Status`, `OPTIONS` says `DAV: 1`; on as well with
   * {@link delete} or {@link mkdir}. With a switch that writes, class 2
   * (`DAV: 1, 2`): `LOCK`, `UNLOCK`, `PROPPATCH`, `COPY` with {@link upload},
   * and a PUT may replace a file. Off, all are 501 as in Python (`OPTIONS`
   * answers with {@link cors}).
   */
  webdav = false;
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
  /**
   * Users who must sign in (HTTP Basic) to reach anything (the CLI's
   * `--auth-file`; see `loadAccounts`), unless {@link accessRules} open a
   * path to anyone. They only restrict: changing files still needs
   * {@link upload}. Null: no accounts, as Python.
   */
  accounts: Accounts | null = null;
  /**
   * With {@link accounts}, who may read and who may change which paths (the
   * CLI's `--access`, repeatable): `PATH:WHO=MODE,...`, as
   * `/private:alice=rw,bob=ro` or `/pub:*=ro` (see `files/accounts/rules.ts`).
   * None: every user may read and change everything. Rules without
   * accounts fail every request (500): they would guard nothing.
   */
  accessRules: readonly string[] = [];
  /**
   * What the current request's user may read and change, as {@link admit}
   * decided: everything without {@link accounts}.
   */
  access: Access = EVERYONE;

  /** The user {@link admit} let in: the access log names them. */
  override remoteUser(): string | null {
    return this.access.user;
  }

  /**
   * Lets the request in with what its user may do, with {@link accounts}:
   * a request without the right to its path is refused (401 with Basic's
   * challenge, 403, or 429 after repeated failed sign-ins; see
   * `files/accounts/gate.ts`).
   */
  override admit(): void | Promise<void> {
    this.access = EVERYONE;
    if (this.accounts === null) {
      // Rules without accounts would grant everything while seeming to
      // guard: refused, every request (the fetch face refuses them when
      // its handler is made).
      if (this.accessRules.length > 0) {
        throw new TypeError("accessRules: rules need accounts");
      }
      return;
    }
    return this.#accountGate(this.accounts).admit({
      method: this.command,
      target: this.path,
      header: (name) => this.header(name),
      client: this.addressString(),
      clients: this.clientAddresses(),
      // The file the request names, as this handler finds it.
      translatePath: (target) => this.translatePath(target),
    }, (format, ...args) => this.logError(format, ...args))
      .then((access) => {
        this.access = access;
      });
  }

  /** The gate of the accounts, made again when a setting changed. */
  #gate?: { gate: AccountGate; accounts: Accounts; rules: readonly string[] };

  #accountGate(accounts: Accounts): AccountGate {
    const made = this.#gate;
    if (
      made?.accounts === accounts && made.rules === this.accessRules &&
      made.gate.directory === this.directory
    ) {
      return made.gate;
    }
    const rules = parseAccessRules(this.accessRules);
    const gate = new AccountGate(accounts, rules, this.directory);
    this.#gate = { gate, accounts, rules: this.accessRules };
    return gate;
  }

  /** Starts a response, with {@link extraHeaders} and the CORS header. */
  override sendResponse(code: number, message?: string): void {
    super.sendResponse(code, message);
    for (const [name, value] of this.extraHeaders) this.sendHeader(name, value);
    if (this.cors) this.sendHeader("Access-Control-Allow-Origin", "*");
  }

  /**
   * Answers a CORS preflight when {@link cors} is on: 204, with the methods
   * of the handler's `do_` functions (PUT and POST only with {@link upload}
   * on, the file operations only with theirs, unless a subclass answers
   * them) and the headers the preflight asks for. When it speaks WebDAV
   * ({@link webdav}, {@link delete}, {@link mkdir}), with `DAV` (`1`, or
   * `1, 2` with locks) and `Allow` too, 200 without {@link cors}.
   */
  do_OPTIONS(): void | Promise<void> {
    const dav = speaksDav(this);
    if (!this.cors && !dav) {
      throw new HttpError(
        "unsupported-method",
        "Unsupported method ('OPTIONS')",
      );
    }
    const methods = handlerMethods(this).filter((m) => this.#answers(m));
    const answer = dav ? davOptions(methods) : null;
    if (!this.cors) return sendOps(this, answer!);
    sendPreflight(this, methods, answer?.headers);
  }

  /**
   * Whether `do_<method>` answers: this class's PUT and POST need uploads,
   * the file operations their switches (see `operates`).
   */
  #answers(method: string): boolean {
    const own = SimpleHTTPRequestHandler.prototype as unknown as Record<
      string,
      unknown
    >;
    const on = method === "PUT" || method === "POST"
      ? this.upload
      : (OPS_METHODS as readonly string[]).includes(method)
      ? operates(method, this)
      : true;
    if (on) return true;
    const name = `do_${method}`;
    return (this as unknown as Record<string, unknown>)[name] !== own[name];
  }

  /**
   * Serves a GET request: the headers, then the file or listing; with
   * {@link liveReload}, its event stream.
   */
  async do_GET(): Promise<void> {
    if (this.liveReload && liveReloadResource(this.path) === "events") {
      const face = this.#fileFace();
      const events = openEvents(face.request, this, face, face.sandbox);
      await face.sendEvents(events, this.wfile, this.request);
      return;
    }
    const body = await this.sendHead();
    if (body === null) return;
    if (body instanceof Uint8Array) {
      await this.wfile.write(body);
      return;
    }
    if (!("file" in body)) {
      const sent = await body.send(this.wfile);
      // As for a file that shrank: only closing tells the client.
      if (body.length !== null && sent !== body.length) {
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

  /** Deletes the file or folder the path names when {@link delete} is on. */
  async do_DELETE(): Promise<void> {
    await sendOps(this, await deleteTarget(this.#opsSite("DELETE")));
  }

  /** Moves the file or folder to its `Destination` when {@link delete} is on. */
  async do_MOVE(): Promise<void> {
    await sendOps(this, await moveTarget(this.#opsSite("MOVE")));
  }

  /** Creates the folder the path names when {@link mkdir} is on. */
  async do_MKCOL(): Promise<void> {
    await sendOps(this, await makeFolder(this.#opsSite("MKCOL")));
  }

  /** Answers WebDAV's `PROPFIND` (Depth 0 and 1) when it speaks WebDAV. */
  async do_PROPFIND(): Promise<void> {
    await sendOps(this, await propfind(this.#opsSite("PROPFIND")));
  }

  /** Copies the file or folder to its `Destination` (WebDAV with {@link upload}). */
  async do_COPY(): Promise<void> {
    await sendOps(this, await copyTarget(this.#opsSite("COPY")));
  }

  /** Answers `PROPPATCH` (WebDAV that changes files): every property 403. */
  async do_PROPPATCH(): Promise<void> {
    await sendOps(this, await proppatch(this.#opsSite("PROPPATCH")));
  }

  /** Locks the path (WebDAV that changes files: an exclusive write lock). */
  async do_LOCK(): Promise<void> {
    await sendOps(this, await lockTarget(this.#opsSite("LOCK")));
  }

  /** Ends the lock its `Lock-Token` names (WebDAV that changes files). */
  async do_UNLOCK(): Promise<void> {
    await sendOps(this, await unlockTarget(this.#opsSite("UNLOCK")));
  }

  /**
   * Sends the status line and headers common to GET and HEAD, and returns
   * what the body would be: bytes, an open file (the caller closes it), a
   * large listing to write as it is made, or null when the response is
   * complete (301, 304, 416). The file-serving core decides the answer (see
   * `serve.ts`); a folder without an index page is answered by
   * {@link listDirectory} when a subclass overrides it. What the path names
   * follows {@link indexPages}, {@link spa} and {@link cleanUrls} (see
   * `siteroutes.ts`); with {@link liveReload}, pages get its script and its
   * paths are answered. Throws an {@link HttpError} for 404, unless
   * {@link notFoundPage} is sent instead (and 400 for a NUL in the path).
   */
  async sendHead(): Promise<HeadBody> {
    const face = this.#fileFace();
    return face.send(await serveFile(face.request, this, face, face.sandbox));
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
    const face = this.#fileFace();
    const accept = this.header("accept");
    const page = await listFolder(
      path,
      this.path,
      accept,
      this,
      face.sandbox,
      this.access,
    );
    face.sendHeaders(page);
    return page.body instanceof Uint8Array ? page.body : pageBytes(page.body);
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

  /** The file operations' view of this request (see `ops.ts`). */
  #opsSite(method: string): OpsSite {
    return opsSite(this, this.#fileFace(), method);
  }

  /** This handler's side of the file-serving core, made at its first use. */
  #face?: FileFace;

  #fileFace(): FileFace {
    return this.#face ??= new FileFace(
      this,
      this.listDirectory !== SimpleHTTPRequestHandler.prototype.listDirectory,
    );
  }
}
