/**
 * The Python face of the file-serving core (`files/serve.ts`): what
 * `SimpleHTTPRequestHandler.sendHead` leaves to send ({@link HeadBody}), and
 * {@link FileFace}, which gives the core the handler's request and hooks and
 * writes the core's answer with `sendResponse`/`sendHeader`/`endHeaders`:
 * the status, the headers in Python's order, and the framing of a file
 * gzipped on the fly, which depends on the connection.
 *
 * @example
 * ```ts
 * import { type HeadBody, SimpleHTTPRequestHandler } from "../mod.ts";
 *
 * // The headers are sent by the time sendHead() returns what is left.
 * class Noting extends SimpleHTTPRequestHandler {
 *   override async sendHead(): Promise<HeadBody> {
 *     const body = await super.sendHead();
 *     if (body instanceof Uint8Array) this.logMessage("%d bytes", body.length);
 *     return body;
 *   }
 * }
 * ```
 *
 * @module
 */

import type { BaseHTTPRequestHandler } from "./base.ts";
import type { Access } from "../files/access.ts";
import { ThreadingHTTPServer } from "../server.ts";
import type { BufferedWriter } from "../http/writer.ts";
import { writeChunk, writeLastChunk } from "../http/chunked.ts";
import { contentFraming, framingField } from "../http/framing.ts";
import { writeGzip } from "../files/compression.ts";
import type { FileBody } from "../files/filebody.ts";
import { writePage } from "../files/listing/page.ts";
import { Sandbox, type SymlinkPolicy } from "../files/sandbox.ts";
import {
  closeFileOf,
  emitHeaders,
  type EventStream,
  type FileRequest,
  type HeaderOptions,
  type HeaderSink,
  type Listed,
  type ServeHooks,
  type ServeResult,
} from "../files/serve.ts";

/**
 * A body that `do_GET` sends by calling {@link StreamBody.send}: a large
 * listing, or a folder's archive, made as it is sent.
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
  /**
   * The `Content-Length` sent; null for a body framed without one (an
   * archive: chunked, or up to the close), which `send` frames itself.
   */
  length: number | null;
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
 *       : `${body.length ?? "some"} bytes made as they are sent`;
 *     this.logMessage("%s: %s", this.path, kind);
 *     return body;
 *   }
 * }
 * ```
 */
export type HeadBody = Uint8Array | FileBody | StreamBody | null;

/**
 * What {@link FileFace} needs of its handler: `SimpleHTTPRequestHandler`'s
 * settings, hooks and response methods.
 */
export interface FileHandler extends
  HeaderOptions,
  Pick<
    BaseHTTPRequestHandler,
    | "command"
    | "path"
    | "header"
    | "sendResponse"
    | "sendHeader"
    | "endHeaders"
    | "dateTimeString"
    | "logError"
    | "protocolVersion"
    | "requestVersion"
    | "closeConnection"
    | "server"
  > {
  /** The served folder. */
  readonly directory: string;
  /** Which symlinks in it are followed. */
  readonly symlinks: SymlinkPolicy;
  /** Python's `translate_path`. */
  translatePath(path: string): string;
  /** Python's `guess_type`. */
  guessType(path: string): string;
  /** Python's `list_directory`. */
  listDirectory(path: string): Promise<Uint8Array>;
  /** What the request's user may read and change. */
  readonly access?: Access;
}

/**
 * One handler's side of the core, made once per handler: the request as the
 * core reads it, the hooks (the handler's methods, so that subclasses'
 * overrides apply), the header sink, and the sandbox of the served folder.
 */
export class FileFace implements ServeHooks, HeaderSink {
  /** The handler's current request. */
  readonly request: FileRequest;
  /** The handler's own `listDirectory`, when a subclass overrides it. */
  readonly listDirectory?: (path: string) => Promise<Uint8Array>;
  readonly #handler: FileHandler;
  #sandbox?: Sandbox;

  /**
   * @param handler the handler
   * @param ownListing whether its `listDirectory` is a subclass's, which
   *   then answers every folder without an index page
   */
  constructor(handler: FileHandler, ownListing: boolean) {
    this.#handler = handler;
    this.request = new HandlerRequest(handler);
    if (ownListing) this.listDirectory = (path) => handler.listDirectory(path);
  }

  /**
   * The sandbox of the handler's `directory` and `symlinks`, made again if
   * they changed.
   */
  get sandbox(): Sandbox {
    const handler = this.#handler;
    if (
      this.#sandbox?.directory !== handler.directory ||
      this.#sandbox.symlinks !== handler.symlinks
    ) {
      this.#sandbox = new Sandbox(
        handler.directory,
        (format, ...args) => handler.logError(format, ...args),
        handler.symlinks,
      );
    }
    return this.#sandbox;
  }

  /** The handler's `translatePath`. */
  translatePath(target: string): string {
    return this.#handler.translatePath(target);
  }

  /** The handler's `guessType`. */
  guessType(path: string): string {
    return this.#handler.guessType(path);
  }

  /**
   * The server's shutdown, which ends live reload's event streams; a
   * `ThreadingHTTPServer` only: `HTTPServer` serves one connection at a
   * time, which a stream would hold.
   */
  eventStreams(): AbortSignal | string {
    const { server } = this.#handler;
    return server instanceof ThreadingHTTPServer
      ? server.shutdownSignal
      : "live reload needs a ThreadingHTTPServer: HTTPServer serves one connection at a time";
  }

  /** Sends a header field. */
  header(name: string, value: string): void {
    this.#handler.sendHeader(name, value);
  }

  /** Sends a date field, as the handler's `dateTimeString` writes it. */
  date(name: string, ms: number): void {
    this.#handler.sendHeader(name, this.#handler.dateTimeString(ms));
  }

  /**
   * Sends `Content-Length`; for a file gzipped on the fly, whose length is
   * not known up front, the framing instead (see {@link #framing}).
   */
  length(bytes: number | null): void {
    const handler = this.#handler;
    if (bytes !== null) {
      handler.sendHeader("Content-Length", String(bytes));
      return;
    }
    const field = framingField(this.#framing(), !handler.closeConnection);
    if (field !== null) handler.sendHeader(...field);
  }

  /** Writes the core's answer: its status and headers; returns its body. */
  send(result: ServeResult): HeadBody {
    if (result.kind === "listed") return result.body;
    try {
      this.sendHeaders(result);
    } catch (error) {
      closeFileOf(result);
      throw error;
    }
    switch (result.kind) {
      case "file":
        return result.length === null
          ? this.#gzipStream(result.body)
          : result.body;
      case "listing": {
        const { body } = result;
        if (body instanceof Uint8Array) return body;
        return { length: body.length, send: (out) => writePage(body, out) };
      }
      case "not-found-page":
      case "live-script":
        return result.body;
      case "archive": {
        // Started here, not for a HEAD.
        const chunked = this.#framing() === "chunked";
        return {
          length: null,
          send: (out) => writeStream(result.open(), out, chunked),
        };
      }
      case "events":
        // Streamed by `sendEvents` only: a HEAD, or a GET through a
        // subclass's `sendHead`, gets the head alone.
        result.stream?.cancel();
        return null;
      default:
        return null;
    }
  }

  /** Sends the status line and header block of an answer of the core. */
  sendHeaders(result: Exclude<ServeResult, Listed>): void {
    const handler = this.#handler;
    handler.sendResponse(result.status);
    emitHeaders(result, handler, this);
    if (result.kind === "events") {
      const field = framingField("close", !handler.closeConnection);
      if (field !== null) handler.sendHeader(...field);
    }
    handler.endHeaders();
  }

  /**
   * Sends live reload's event stream, its events as they come, until the
   * client leaves (`conn` is closed) or the server shuts down.
   */
  async sendEvents(
    { stream, ...head }: EventStream,
    out: BufferedWriter,
    conn: Deno.Conn,
  ): Promise<void> {
    if (stream === null) return this.sendHeaders({ ...head, stream });
    const reader = stream.getReader();
    try {
      this.sendHeaders({ ...head, stream: null });
      // The client sends nothing more on this connection: its end (a
      // closed tab) ends the stream now, not at the next change.
      closed(conn).then(() => reader.cancel());
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        await out.write(value);
        await out.flush();
      }
    } finally {
      await reader.cancel();
    }
  }

  /**
   * How a file gzipped on the fly, whose length is not known up front, is
   * framed: chunked when both sides speak HTTP/1.1, else up to the close.
   */
  #framing(): ReturnType<typeof contentFraming> {
    const handler = this.#handler;
    return contentFraming(
      null,
      handler.requestVersion,
      handler.protocolVersion,
    );
  }

  /** The body that writes a file gzipped on the fly, framed as announced. */
  #gzipStream({ file, length }: FileBody): FileBody {
    const chunked = this.#framing() === "chunked";
    return {
      file,
      length,
      send: (out) => writeGzip(file, length, out, chunked),
    };
  }
}

/**
 * Writes `stream` to `out` as it is read: as chunks of the chunked transfer
 * coding (RFC 9112 §7.1) when `chunked`, else as they come (the connection's
 * close ends the body). A failed write (a client gone) cancels the stream;
 * a failed stream leaves out the last chunk, so that the client sees the
 * body cut short. Resolves to the bytes of the stream written.
 */
export async function writeStream(
  stream: ReadableStream<Uint8Array>,
  out: BufferedWriter,
  chunked: boolean,
): Promise<number> {
  const reader = stream.getReader();
  let sent = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    try {
      if (chunked) await writeChunk(out, value);
      else await out.write(value);
    } catch (error) {
      await reader.cancel(error);
      throw error;
    }
    sent += value.length;
  }
  if (chunked) await writeLastChunk(out);
  return sent;
}

/** Resolves once the peer has closed `conn` or it fails; what it sends is dropped. */
async function closed(conn: Deno.Conn): Promise<void> {
  const scratch = new Uint8Array(512);
  try {
    while (await conn.read(scratch) !== null);
  } catch {
    // Closed by this side, or reset: either way, gone.
  }
}

/** A handler's current request, as the core reads it. */
class HandlerRequest implements FileRequest {
  readonly #handler: FileHandler;

  constructor(handler: FileHandler) {
    this.#handler = handler;
  }

  get method(): string {
    return this.#handler.command;
  }

  get target(): string {
    return this.#handler.path;
  }

  header(name: string): string | null {
    return this.#handler.header(name);
  }

  /**
   * The server's shutdown: reading the connection to learn that the client
   * left would take the next request's bytes, so long work is bounded by
   * its own time instead.
   */
  get signal(): AbortSignal {
    return this.#handler.server.shutdownSignal;
  }

  get access(): Access | undefined {
    return this.#handler.access;
  }
}
