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
 * Past the house's 400 lines: the pipeline's steps, each a named function,
 * in the order a request goes through them; the answer's types are
 * `result.ts`'s and its header fields `headers.ts`'s.
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

export type * from "./result.ts";
export { emitHeaders, type HeaderOptions, type HeaderSink } from "./headers.ts";

import {
  chooseEncoding,
  type ContentCoding,
  type Encoding,
  gzipBytes,
} from "./compression.ts";
import { archiveFolder, archiveRequest } from "./archive/archive.ts";
import { notModified, validatable, weakETag } from "./conditional.ts";
import { checkAccess, mayAccess, refusal } from "./accounts/gate.ts";
import { isAuthFile } from "./accounts/authfile.ts";
import { type FileBody, FileCache } from "./filebody.ts";
import { HttpError, outOfDescriptors } from "../util/errors.ts";
import { hasHiddenComponent } from "./hidden.ts";
import {
  knownAbsent,
  listFolder,
  type ListingResult,
} from "./listing/service.ts";
import {
  CLIENT_SCRIPT,
  liveReloadResource,
  WORKER_SCRIPT,
} from "./live/client.ts";
import { injectFile, injectScript } from "./live/inject.ts";
import { LiveReload } from "./live/reload.ts";
import {
  type ByteRange,
  chooseRange,
  contentRange,
  multipartByteranges,
  multipartBytes,
  rangeLength,
  writeMultipart,
} from "./ranges.ts";
import { fileNotFound, realComponents, type Sandbox } from "./sandbox.ts";
import { EVERYONE } from "./access.ts";
import { searchFolder, searchQuery } from "./search/search.ts";
import type {
  EventStream,
  FileRequest,
  FileResult,
  Listed,
  NotFoundPage,
  ServeHooks,
  ServeOptions,
  ServeResult,
} from "./result.ts";
import { resolveTarget, type TargetLookups } from "./siteroutes.ts";

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
 * content coding the client accepts when the options allow. What a path
 * names follows the site's rules too (see `siteroutes.ts`: `spa`, clean
 * URLs); what names nothing gets the 404 page when there is one. With live
 * reload, its paths are answered and pages get its script.
 *
 * @param request the request
 * @param options the settings
 * @param hooks Python's hooks, as the face has them
 * @param sandbox the reads of {@link ServeOptions.directory}
 * @throws {HttpError} 404 for anything missing, unreadable or hidden (and
 *   "No permission to list directory" for a folder that cannot be read),
 *   400 for a NUL in the path, 503 when out of descriptors
 */
export function serveFile(
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): Promise<ServeResult> {
  try {
    return Promise.resolve(serveFileNow(request, options, hooks, sandbox));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * {@link serveFile}'s answer given in this turn where it can be (a small
 * file named as it is, with a {@link Sandbox} that takes its `stat` at
 * once), else a promise of it; a refusal found at once is thrown, one found
 * later rejects the promise. For a face that answers without a turn of its
 * own (`Deno.serve`).
 *
 * @param request the request
 * @param options the settings
 * @param hooks Python's hooks, as the face has them
 * @param sandbox the reads of {@link ServeOptions.directory}
 * @throws {HttpError} as {@link serveFile} rejects
 */
export function serveFileNow(
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): ServeResult | Promise<ServeResult> {
  if (options.liveReload) {
    const resource = liveReloadResource(request.target);
    if (resource === "events") {
      return openEvents(request, options, hooks, sandbox);
    }
    if (resource !== null) {
      const body = resource === "client" ? CLIENT_BYTES : WORKER_BYTES;
      return { kind: "live-script", status: 200, body };
    }
  }
  // Without a 404 page, no second step.
  if ((options.notFoundPage ?? null) === null) {
    return serveTarget(request, options, hooks, sandbox);
  }
  const orPage = (error: unknown) => {
    if (!(error instanceof HttpError) || error.kind !== "not-found") {
      throw error;
    }
    return notFoundPage(error, request, options, hooks, sandbox);
  };
  try {
    const result = serveTarget(request, options, hooks, sandbox);
    return result instanceof Promise ? result.catch(orPage) : result;
  } catch (error) {
    return orPage(error);
  }
}

/**
 * Live reload's event stream ({@link EventStream}), opened for a GET.
 *
 * @throws {HttpError} 503 when the face holds no streams, the folder cannot
 *   be watched, or the streams are at their most
 */
export function openEvents(
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): EventStream {
  if (request.method !== "GET") {
    const refusal = liveRefusal(options, hooks);
    if (typeof refusal === "string") throw liveUnavailable(refusal);
    return { kind: "events", status: 200, stream: null };
  }
  // The subscription says why the folder cannot be watched.
  const signal = hooks.eventStreams?.() ?? NO_STREAMS;
  if (typeof signal === "string") throw liveUnavailable(signal);
  const stream = LiveReload.of(options.directory).subscribe(
    signal,
    (message) => sandbox.log("%s", message),
    request.access,
  );
  if (!(stream instanceof ReadableStream)) {
    throw liveUnavailable(stream.reason);
  }
  return { kind: "events", status: 200, stream };
}

/** Why a face without {@link ServeHooks.eventStreams} gives no stream. */
const NO_STREAMS = "live reload needs a face that holds event streams";

/** The 503 of live reload's event stream. */
function liveUnavailable(explain: string): HttpError {
  return new HttpError("live-reload-unavailable", undefined, { explain });
}

/**
 * Why live reload gives no event stream here: the face holds none, or the
 * folder cannot be watched; else the signal that ends the streams.
 */
function liveRefusal(
  options: ServeOptions,
  hooks: ServeHooks,
): AbortSignal | string {
  const signal = hooks.eventStreams?.() ?? NO_STREAMS;
  if (typeof signal === "string") return signal;
  return LiveReload.of(options.directory).available
    ? signal
    : "live reload is off: the folder cannot be watched";
}

/**
 * The version of the folder's changes stamped on a file of type `type` when
 * it gets live reload's script (see `live/reload.ts`): an HTML page, with
 * live reload on, its event stream given and its folder watched, unless the
 * request asks for a range (a range is of the file's own bytes); else null.
 */
function liveStamp(
  request: FileRequest,
  type: string,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): string | null {
  if (
    options.liveReload !== true || !/^text\/html\b/i.test(type) ||
    (request.method === "GET" && request.header("range") !== null)
  ) {
    return null;
  }
  const signal = liveRefusal(options, hooks);
  if (typeof signal === "string") return null;
  return LiveReload.of(options.directory).stamp(
    signal,
    (message) => sandbox.log("%s", message),
  );
}

/**
 * {@link serveFile} for what the path names: the answer at once when the
 * path's `stat` is taken at once and names a small file as it is.
 */
function serveTarget(
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): ServeResult | Promise<ServeResult> {
  const path = hooks.translatePath(request.target);
  if (!options.showHidden && hasHiddenComponent(options.directory, path)) {
    throw fileNotFound();
  }
  // Before any `stat`: what a file's validators are judged by.
  const asked = Date.now();
  const info = sandbox.lookup(path);
  if (info instanceof Promise) {
    return info.then((info) =>
      servePath(request, path, info, options, hooks, sandbox, asked)
    );
  }
  return servePath(request, path, info, options, hooks, sandbox, asked);
}

/**
 * {@link serveTarget} once the path's `stat` (`info`) is known; `asked` is
 * when the request began, before the `stat`.
 */
function servePath(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo | null,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
  asked: number,
): ServeResult | Promise<ServeResult> {
  const archive = options.archive && info?.isDirectory && path.endsWith("/")
    ? archiveRequest(request.target)
    : null;
  if (archive) {
    return archiveFolder(path, archive, options, request.access, sandbox);
  }
  // A file named as it is: answered in this turn, when small.
  if (info?.isFile && !options.cleanUrls && !path.endsWith("/")) {
    return fileAnswer(request, path, info, options, hooks, sandbox, asked);
  }
  return routedAnswer(request, path, info, options, hooks, sandbox, asked);
}

/** {@link servePath} for what the site's rules make of the path. */
async function routedAnswer(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo | null,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
  asked: number,
): Promise<ServeResult> {
  const target = await resolveTarget(
    request.target,
    path,
    info,
    options,
    new Lookups(options, hooks, sandbox),
  );
  switch (target.kind) {
    case "redirect":
      return { kind: "redirect", status: 301, location: target.location };
    case "listing":
      return await listing(target.path, request, options, hooks, sandbox);
    case "missing":
      throw fileNotFound();
    case "file":
      // An index page, a clean URL's file, the SPA's page: another path
      // than the one the request was let in for.
      if (target.path !== path) {
        checkAccess(request.access, options.directory, target.path, "read");
      }
      return fileAnswer(
        request,
        target.path,
        target.info,
        options,
        hooks,
        sandbox,
        asked,
      );
  }
}

/** How `siteroutes.ts` reaches the file system: the hooks and the sandbox. */
class Lookups implements TargetLookups {
  readonly #options: ServeOptions;
  readonly #hooks: ServeHooks;
  readonly #sandbox: Sandbox;

  constructor(options: ServeOptions, hooks: ServeHooks, sandbox: Sandbox) {
    this.#options = options;
    this.#hooks = hooks;
    this.#sandbox = sandbox;
  }

  translate(requestPath: string): string {
    return this.#hooks.translatePath(requestPath);
  }

  refused(path: string): boolean {
    return !this.#options.showHidden &&
      hasHiddenComponent(this.#options.directory, path);
  }

  lookup(path: string): Deno.FileInfo | null | Promise<Deno.FileInfo | null> {
    return this.#sandbox.lookup(path);
  }

  absent(folder: string, info: Deno.FileInfo, name: string): boolean {
    return knownAbsent(folder, info, name);
  }
}

/**
 * The site's 404 page in place of the error page of `error`, whatever its
 * type (with live reload's script when it is a page). Its own read
 * permission decides what it may be, not the sandbox: it is the operator's
 * file; but in the served folder, the access rules decide who sees it.
 * When it cannot be read, or not by this user, `error` is thrown as
 * without it (logged when it cannot be read).
 */
async function notFoundPage(
  error: HttpError,
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): Promise<NotFoundPage> {
  const path = options.notFoundPage!;
  // A page in the served folder is sent only to who may read it there, as
  // an index page or the SPA's page is.
  const access = request.access ?? EVERYONE;
  const inFolder = access === EVERYONE
    ? null
    : realComponents(options.directory, path);
  if (inFolder !== null && !access.allows("/" + inFolder.join("/"), "read")) {
    throw error;
  }
  let body: Uint8Array | FileBody;
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) throw new Error("not a file");
    const cached = info.size <= MAX_CACHED_FILE
      ? SMALL_FILES.lookup(path, info) ?? SMALL_FILES.load(path, info)
      : null;
    body = cached?.body ?? { file: await Deno.open(path), length: info.size };
  } catch (cause) {
    sandbox.log("cannot send the 404 page %s: %s", path, String(cause));
    throw outOfDescriptors(cause) ?? error;
  }
  const type = hooks.guessType(path);
  const version = liveStamp(request, type, options, hooks, sandbox);
  if (version !== null) body = await withScript(body, version);
  return {
    kind: "not-found-page",
    status: 404,
    type,
    length: body.length,
    body,
  };
}

/** Live reload's scripts, as sent. */
const CLIENT_BYTES = new TextEncoder().encode(CLIENT_SCRIPT);
const WORKER_BYTES = new TextEncoder().encode(WORKER_SCRIPT);

/**
 * A page's body with live reload's script of `version` put in (see
 * `live/inject.ts`): bytes made anew, or the open file sent with it. The
 * file is closed if that fails.
 */
async function withScript(
  body: Uint8Array | FileBody,
  version: string,
): Promise<Uint8Array | FileBody> {
  if (body instanceof Uint8Array) return injectScript(body, version);
  try {
    const injected = await injectFile(body.file, body.length, version);
    return injected === null ? body : { file: body.file, ...injected };
  } catch (error) {
    body.file.close();
    throw outOfDescriptors(error) ?? fileNotFound(error);
  }
}

/**
 * A folder's listing: the face's own when it has one, else the core's; with
 * {@link ServeOptions.search} on and `?q=` given, the search's answer.
 */
async function listing(
  path: string,
  request: FileRequest,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
): Promise<ListingResult | Listed> {
  const query = options.search ? searchQuery(request.target) : null;
  if (query !== null) {
    return await searchFolder(path, request, query, options, sandbox);
  }
  if (hooks.listDirectory !== undefined) {
    return { kind: "listed", body: await hooks.listDirectory(path) };
  }
  return await listFolder(
    path,
    request.target,
    request.header("accept"),
    options,
    sandbox,
    request.access,
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
  etag: string | null,
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
 * The answer for the file at `path` (`info`, its `stat`, taken after
 * `asked`): its type, its coding, its body (a small file from memory, else
 * opened), then {@link bodyAnswer}. Synchronous for a small file, cached or
 * not.
 */
function fileAnswer(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo,
  options: ServeOptions,
  hooks: ServeHooks,
  sandbox: Sandbox,
  asked: number,
): ServeResult | Promise<ServeResult> {
  // Reached by a path the rules do not know it by (a symlink out of the
  // folder, a hard link).
  if (isAuthFile(request.access, info)) throw refusal(request.access!);
  const type = hooks.guessType(path);
  // With the script, the page's own bytes: no sibling, no gzip.
  const version = liveStamp(request, type, options, hooks, sandbox);
  if (version !== null) {
    return injectedAnswer(request, path, info, type, version, sandbox, asked);
  }
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
    return bodyAnswer(request, cached.body, cached.info, type, encoding, asked);
  }
  return openedAnswer(request, path, info, type, encoding, sandbox, asked);
}

/**
 * {@link bodyAnswer} for a page with live reload's script of `version`: a
 * representation of its own, whose `ETag` is of its length and `version`,
 * so that a 304 never brings back an older stamp.
 */
async function injectedAnswer(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo,
  type: string,
  version: string,
  sandbox: Sandbox,
  asked: number,
): Promise<ServeResult> {
  const cached = info.size <= MAX_CACHED_FILE
    ? SMALL_FILES.lookup(path, info) ??
      sandbox.loadSmall(SMALL_FILES, path, info)
    : null;
  let body: Uint8Array | FileBody;
  if (cached !== null) ({ body, info } = cached);
  else {
    const opened = await sandbox.open(path, info);
    info = opened.info;
    body = { file: opened.file, length: info.size };
  }
  body = await withScript(body, version);
  return await bodyAnswer(
    request,
    body,
    info,
    type,
    null,
    asked,
    body.length,
    version,
  );
}

/** {@link bodyAnswer} for a file opened to stream. */
async function openedAnswer(
  request: FileRequest,
  path: string,
  info: Deno.FileInfo,
  type: string,
  encoding: Encoding | null,
  sandbox: Sandbox,
  asked: number,
): Promise<ServeResult> {
  const opened = await sandbox.open(path, info);
  const body = { file: opened.file, length: opened.info.size };
  return await bodyAnswer(request, body, opened.info, type, encoding, asked);
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
  options: ServeOptions,
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
    // A sibling the user may not read (a symlink into a protected
    // folder) is as if absent: the file itself is sent.
    (sibling) => {
      if (!mayAccess(request.access, options.directory, sibling, "read")) {
        return null;
      }
      const info = sandbox.stat(sibling, false);
      return info === null || isAuthFile(request.access, info) ? null : info;
    },
  );
}

/**
 * The answer for a file's body (`info`, the `stat` that describes it,
 * taken after `asked`): 304 when the request's validators allow it (RFC 9110
 * §13.2.2, see `conditional.ts`), the ranges of a GET without a coding
 * (§14.2), else the whole body, gzipped when `encoding` says so on the fly;
 * without validators while the file may still change unseen
 * (`validatable`). An open file not sent is closed. `size` is what the
 * `ETag` is of: the file's, unless the body is made of it. A page stamped
 * with live reload's `version` has it in its `ETag`, and no `Last-Modified`:
 * a date cannot tell the stamps apart.
 */
function bodyAnswer(
  request: FileRequest,
  body: Uint8Array | FileBody,
  info: Deno.FileInfo,
  type: string,
  encoding: Encoding | null,
  asked: number,
  size: number = info.size,
  version?: string,
): ServeResult | Promise<ServeResult> {
  const modified = info.mtime?.getTime();
  const validated = validatable(modified, asked);
  let mtime = validated ? modified : undefined;
  let etag = validated ? weakETag(size, mtime) : null;
  if (version !== undefined && etag !== null) {
    etag = `${etag.slice(0, -1)}-${version}"`;
    mtime = undefined;
  }
  if (
    etag !== null &&
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
  etag: string | null,
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
  etag: string | null,
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

/**
 * Closes the open file an answer carries, if any: for a face whose writing
 * of the answer's head failed.
 */
export function closeFileOf(result: ServeResult): void {
  if (result.kind !== "file" && result.kind !== "not-found-page") return;
  const { body } = result;
  if (!(body instanceof Uint8Array)) body.file.close();
}
