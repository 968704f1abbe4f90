/**
 * The fetch face: the file-serving core as a `(Request) => Promise<Response>`
 * handler, for `Deno.serve` and any router built on it. {@link serveDir}
 * takes std's `serveDir` options by the same names, with std's defaults, and
 * ours besides (see {@link FileServerOptions}); {@link createFileHandler}
 * checks the options once and returns the handler.
 *
 * It is a thin adapter, as `SimpleHTTPRequestHandler` is: what to answer
 * (the target, the sandbox, conditional requests, ranges, the coding,
 * listings, uploads) is decided by the core (`files/`), and this turns the
 * answer into a `Response`. A file's body is a stream that reads the open
 * file a chunk at a time as the client takes it, and closes the file when
 * the client goes away (see `body.ts`). Errors are Python's error page, as
 * on the Python face.
 *
 * Past the house's 400 lines: the one class that turns every kind of the
 * core's answer into a `Response` (files, listings, archives, streams,
 * uploads, file operations, errors); the bodies, options, log and
 * operations are modules of their own.
 *
 * @example
 * ```ts
 * import { createFileHandler } from "./serve_dir.ts";
 *
 * const files = createFileHandler({ fsRoot: ".", quiet: true });
 * const response = await files(new Request("http://localhost/deno.json"));
 * console.log(response.status); // 200
 * await response.body?.cancel();
 * ```
 *
 * @module
 */

import { type Access, EVERYONE } from "../files/access.ts";
import { writeGzip } from "../files/compression.ts";
import type { FileBody } from "../files/filebody.ts";
import { writePage } from "../files/listing/page.ts";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../files/mime.ts";
import { translatePath } from "../files/paths.ts";
import { fileNotFound, Sandbox } from "../files/sandbox.ts";
import {
  closeFileOf,
  emitHeaders,
  type FileRequest,
  type HeaderSink,
  serveFileNow,
  type ServeHooks,
  type ServeResult,
} from "../files/serve.ts";
import { formatHttpDate } from "../http/date.ts";
import {
  DEFAULT_ERROR_CONTENT_TYPE,
  DEFAULT_ERROR_MESSAGE,
  errorPageBytes,
} from "../http/errorpage.ts";
import { STATUS_MESSAGES } from "../http/status.ts";
import { HttpError, outOfDescriptors } from "../util/errors.ts";
import { printError } from "../util/logbuffer.ts";
import { pyRepr } from "../util/pyformat.ts";
import { bytesBody, fileStream, pageBody, writtenStream } from "./body.ts";
import { AccessLog, type LogEntry, type ServeInfo } from "./log.ts";
import {
  type FileServerOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import { receiveUpload } from "./upload.ts";
import { answerOps, operates, optionsAnswer } from "./ops.ts";

export type { FileServerOptions } from "./options.ts";

/**
 * A handler as `Deno.serve` takes it: the request, and what `Deno.serve`
 * tells of it (the peer's address, for the log). A small file is answered
 * at once, the rest with a promise, as `Deno.ServeHandler` may answer.
 *
 * @example
 * ```ts
 * import { createFileHandler, type FileHandler } from "jsr:@x/httpserver";
 *
 * // Files, with a header of the site's own on every response.
 * const files: FileHandler = createFileHandler({ fsRoot: "public" });
 * const site: FileHandler = async (request, info) => {
 *   const response = await files(request, info);
 *   response.headers.set("X-Frame-Options", "DENY");
 *   return response;
 * };
 * ```
 */
export type FileHandler = (
  request: Request,
  info?: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/**
 * Answers `request` from the folder `options.fsRoot`, as std's `serveDir`
 * does, with the file-serving core of this module. The options are checked
 * on every call: to check them once, make a handler with
 * {@link createFileHandler}.
 *
 * @example
 * ```ts ignore
 * import { serveDir } from "jsr:@x/httpserver";
 *
 * Deno.serve((request, info) => {
 *   const { pathname } = new URL(request.url);
 *   if (pathname === "/api/time") return Response.json({ now: Date.now() });
 *   return serveDir(request, { fsRoot: "public" }, info);
 * });
 * ```
 *
 * @param request the request
 * @param options how to serve the folder (std's defaults: no dotfiles, no
 *   listings, no CORS)
 * @param info `Deno.serve`'s second argument: the peer's address, for the
 *   log and for counting failed sign-ins by address (without it, every
 *   client is `-`, and one guesser blocks everyone's sign-in)
 * @throws {TypeError} for options that cannot be used (a header that the
 *   server sets itself, a negative `cacheMaxAge`)
 */
export function serveDir(
  request: Request,
  options?: FileServerOptions,
  info?: Deno.ServeHandlerInfo,
): Promise<Response> {
  try {
    return Promise.resolve(
      new FileServer(resolveOptions(options)).respond(request, info),
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A handler that serves `options.fsRoot` (see {@link serveDir}), with its
 * options checked once: for `Deno.serve(createFileHandler(...))`, or as the
 * fallback of a router.
 *
 * @example
 * ```ts ignore
 * import { createFileHandler } from "jsr:@x/httpserver";
 *
 * Deno.serve(createFileHandler({ fsRoot: "public", showDirListing: true }));
 * ```
 *
 * @param options how to serve the folder
 * @throws {TypeError} for options that cannot be used
 */
export function createFileHandler(options?: FileServerOptions): FileHandler {
  const server = new FileServer(resolveOptions(options));
  return (request, info) => server.respond(request, info);
}

/** A response's header fields, in order: what `new Response` takes. */
type Fields = [string, string][];

/** What the response of a request is being built with. */
interface Answer {
  status: number;
  headers: Fields;
  body: Uint8Array | ReadableStream<Uint8Array> | string | null;
  /** The body's length, when known up front. */
  length: number | null;
}

/** Never aborted: without a shutdown signal, streams end with their clients. */
const NEVER = new AbortController().signal;

/** The methods of uploads. */
const WRITE_METHODS = ["POST", "PUT"];

/** A folder served with resolved options. */
class FileServer {
  readonly #options: ResolvedOptions;
  readonly #log: AccessLog;
  readonly #hooks: ServeHooks;
  /** The fields every response ends with: `headers`, then CORS's. */
  readonly #trailing: Fields;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    const { logFormat, quiet, trustedProxies } = options;
    this.#log = new AccessLog(logFormat, quiet, trustedProxies);
    this.#hooks = {
      translatePath: (path) => this.#translatePath(path),
      guessType: (path) => guessType(path, DEFAULT_EXTENSIONS_MAP),
      eventStreams: () => options.shutdownSignal ?? NEVER,
    };
    this.#trailing = options.extraHeaders.map(([name, value]) => [name, value]);
    if (options.cors) setField(this.#trailing, ALLOW_ORIGIN, "*");
  }

  /**
   * The response to `request`: the core's answer, or an error page; at once
   * when the core answers at once.
   */
  respond(request: Request, info?: ServeInfo): Response | Promise<Response> {
    const target = requestTarget(request.url);
    const entry = this.#log.begin(request, info, target);
    let answer: Answer | Promise<Answer>;
    try {
      answer = this.#answer(request, target, entry);
    } catch (error) {
      answer = this.#errorAnswer(error, request, entry);
    }
    if (!(answer instanceof Promise)) return this.#send(request, entry, answer);
    return answer.then(
      (answer) => this.#send(request, entry, answer),
      (error) =>
        this.#send(request, entry, this.#errorAnswer(error, request, entry)),
    );
  }

  /** The response of an answer, logged. */
  #send(request: Request, entry: LogEntry, answer: Answer): Response {
    const { status, headers, body, length } = answer;
    headers.push(...this.#trailing);
    this.#log.end(entry, status, length);
    // The core's bytes are views of ArrayBuffers, which BodyInit wants.
    const sent = request.method === "HEAD" ? null : body as BodyInit | null;
    return new Response(sent, { status, headers });
  }

  /**
   * The answer to a request, let in by the accounts' gate when there are
   * accounts. Throws an HttpError to refuse.
   */
  #answer(
    request: Request,
    target: string,
    entry: LogEntry,
  ): Promise<Answer> | Answer {
    const mounted = this.#mounted(target);
    if (mounted === null) throw fileNotFound();
    const { gate } = this.#options;
    if (gate === null) return this.#dispatch(request, target, entry, EVERYONE);
    return gate.admit({
      method: request.method,
      target: mounted,
      header: (name) => request.headers.get(name),
      client: this.#log.client(entry),
      clients: this.#log.clients(entry),
    }, (format, ...args) => this.#log.message(entry, format, ...args))
      .then((access) => {
        entry.user = access.user;
        return this.#dispatch(request, target, entry, access);
      });
  }

  /**
   * The reads of the served folder for one request, logged with it; none
   * shared, as Deno.serve hands over one request a turn.
   */
  #sandbox(entry: LogEntry): Sandbox {
    const { directory, symlinks } = this.#options.serve;
    return new Sandbox(
      directory,
      (format, ...args) => this.#log.message(entry, format, ...args),
      symlinks,
      false,
    );
  }

  /** The answer to a request by its method. Throws an HttpError to refuse. */
  #dispatch(
    request: Request,
    target: string,
    entry: LogEntry,
    access: Access,
  ): Promise<Answer> | Answer {
    const { method } = request;
    if (method === "GET" || method === "HEAD") {
      return this.#serve(request, target, entry, access);
    }
    const { upload } = this.#options.serve;
    const options = method === "OPTIONS"
      ? optionsAnswer(request, this.#options.serve, this.#options.cors)
      : null;
    if (options !== null) return options;
    if (operates(method, this.#options.serve)) {
      const serve = this.#options.serve;
      return answerOps(request, this.#mounted(target)!, {
        ...serve,
        urlRoot: this.#options.urlRoot,
        sandbox: this.#sandbox(entry),
        translatePath: (path) => translatePath(serve.directory, path),
        guessType: (path) => guessType(path, DEFAULT_EXTENSIONS_MAP),
        logError: (format, ...args) =>
          this.#log.message(entry, format, ...args),
        access,
      });
    }
    if (upload && WRITE_METHODS.includes(method)) {
      return receiveUpload(request, target, {
        ...this.#options.serve,
        translatePath: (path) => this.#translatePath(path),
        logError: (format, ...args) =>
          this.#log.message(entry, format, ...args),
        access,
      });
    }
    throw new HttpError(
      "unsupported-method",
      `Unsupported method (${pyRepr(method)})`,
    );
  }

  /**
   * The request-target without the mount point (`urlRoot`), or null when
   * it is not under it.
   */
  #mounted(target: string): string | null {
    const root = this.#options.urlRoot;
    if (root === "") return target;
    if (!target.startsWith(root)) return null;
    const rest = target.slice(root.length);
    return rest === "" || rest[0] === "/" || rest[0] === "?"
      ? rest || "/"
      : null;
  }

  /**
   * The file system path of a request-target under the served folder, its
   * mount point taken off. A target outside it (the core's `/index.html` of
   * the SPA fallback) is the folder's own.
   */
  #translatePath(target: string): string {
    return translatePath(
      this.#options.serve.directory,
      this.#mounted(target) ?? target,
    );
  }

  /** A GET or HEAD: the core's answer, as a response; at once if it can. */
  #serve(
    request: Request,
    target: string,
    entry: LogEntry,
    access: Access,
  ): Answer | Promise<Answer> {
    const options = this.#options.serve;
    const fileRequest: FileRequest = {
      method: request.method,
      target,
      header: (name) => request.headers.get(name),
      // Taken only when asked for (by a search): Deno.serve warns once,
      // on the first response, of the legacy abort of a signal taken.
      get signal() {
        return request.signal;
      },
      access,
    };
    const sandbox = this.#sandbox(entry);
    const result = serveFileNow(fileRequest, options, this.#hooks, sandbox);
    const head = request.method === "HEAD";
    return result instanceof Promise
      ? result.then((result) => this.#response(result, head))
      : this.#response(result, head);
  }

  /** The core's answer, as a response: its status, headers and body. */
  #response(result: ServeResult, head: boolean): Answer {
    if (result.kind === "listed") {
      throw new Error("the fetch face has no listDirectory of its own");
    }
    const headers: Fields = [];
    let length: number | null = 0;
    const sink: HeaderSink = {
      header: (name, value) => headers.push([name, value]),
      date: (name, ms) => headers.push([name, formatHttpDate(ms)]),
      length(bytes) {
        length = bytes;
        // Deno.serve frames a body of unknown length itself.
        if (bytes !== null) headers.push(["Content-Length", String(bytes)]);
      },
    };
    try {
      emitHeaders(result, this.#options.serve, sink);
    } catch (error) {
      closeFileOf(result);
      throw error;
    }
    const answer = { status: result.status, headers, body: null, length };
    switch (result.kind) {
      case "file":
      case "not-found-page": {
        const { body } = result;
        if (body instanceof Uint8Array) {
          return { ...answer, body: bytesBody(body) };
        }
        if (head) {
          body.file.close();
          return answer;
        }
        const gzip = result.kind === "file" && result.length === null;
        return { ...answer, body: fileBody(body, gzip) };
      }
      case "live-script":
        return { ...answer, body: result.body };
      case "archive":
        // Walked as the client reads; its cancelling stops the walk.
        return head ? answer : { ...answer, body: result.open() };
      case "events":
        // Null for a HEAD; it ends when the client leaves or at shutdown.
        return { ...answer, body: result.stream };
      case "listing": {
        const { body } = result;
        if (head) return answer;
        if (body instanceof Uint8Array) {
          return { ...answer, body: pageBody(body) };
        }
        return {
          ...answer,
          body: writtenStream((out) => writePage(body, out), body.length),
        };
      }
      default:
        return answer;
    }
  }

  /**
   * The error page of `error`, as the Python face's `sendError` makes it:
   * an {@link HttpError}'s status, message and headers, 503 when out of
   * descriptors, else 500 with the error logged. Logged as Python does:
   * `code 404, message File not found`.
   */
  #errorAnswer(error: unknown, request: Request, entry: LogEntry): Answer {
    const http = error instanceof HttpError ? error : outOfDescriptors(error);
    if (http === null) {
      printError(
        `error while answering ${request.method} ${entry.target}:`,
        error,
      );
    }
    const status = http?.status ?? 500;
    const [short, long] = STATUS_MESSAGES[status] ?? ["???", "???"];
    const message = http?.reason ?? short;
    this.#log.message(entry, "code %d, message %s", status, message);
    const page = errorPageBytes(
      DEFAULT_ERROR_MESSAGE,
      status,
      message,
      http?.explain ?? long,
    );
    const headers: Fields = http?.headers.map(([n, v]) => [n, v]) ?? [];
    setField(headers, "Content-Type", DEFAULT_ERROR_CONTENT_TYPE);
    setField(headers, "Content-Length", String(page.length));
    return { status, headers, body: page, length: page.length };
  }
}

const ALLOW_ORIGIN = "Access-Control-Allow-Origin";

/** Sets a field of `fields` as `Headers.set` does: in place of any other. */
function setField(fields: Fields, name: string, value: string): void {
  const lower = name.toLowerCase();
  for (let i = fields.length - 1; i >= 0; i--) {
    if (fields[i][0].toLowerCase() === lower) fields.splice(i, 1);
  }
  fields.push([name, value]);
}

/**
 * The path and query of a request's absolute URL: what the core reads as
 * the request-target, taken without parsing the URL again. A fragment,
 * which a `Request` made in code may carry, is no part of it.
 */
function requestTarget(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const hash = url.indexOf("#", start);
  return hash < 0 ? url.slice(start) : url.slice(start, hash);
}

/**
 * The stream of an open file's body: its bytes as they are, or what the
 * core writes (`multipart/byteranges`), or the file gzipped on the fly
 * (`gzip`), whose length is not known up front.
 */
function fileBody(body: FileBody, gzip: boolean): ReadableStream<Uint8Array> {
  const { file, length, send } = body;
  const close = () => file.close();
  if (gzip) {
    return writtenStream(
      (out) => writeGzip(file, length, out, false),
      length,
      close,
    );
  }
  if (send !== undefined) return writtenStream(send, length, close);
  return fileStream(file, length);
}
