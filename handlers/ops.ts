/**
 * The Python face of the file operations (`files/ops/`): the request as
 * the core reads it, once the handler's switch allows the method (else 501,
 * as Python), and the core's answer written with `sendResponse`,
 * `sendHeader` and `endHeaders`.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler } from "./simple.ts";
 *
 * // Deletes and moves, and their buttons on the listing pages.
 * class Managed extends SimpleHTTPRequestHandler {
 *   override delete = true;
 * }
 * ```
 *
 * @module
 */

import type { BaseHTTPRequestHandler } from "./base.ts";
import { type FileFace, writeStream } from "./face.ts";
import { contentFraming, framingField } from "../http/framing.ts";
import { HttpError } from "../util/errors.ts";
import {
  operates,
  type OpsAnswer,
  type OpsSettings,
  type OpsSite,
} from "../files/ops/site.ts";

/** What the file operations need of `SimpleHTTPRequestHandler`. */
export interface OpsHandler extends
  OpsSettings,
  Pick<
    BaseHTTPRequestHandler,
    | "command"
    | "path"
    | "headers"
    | "rfile"
    | "wfile"
    | "sendResponse"
    | "sendHeader"
    | "endHeaders"
    | "logError"
    | "requestVersion"
    | "protocolVersion"
    | "closeConnection"
  > {
  /** The served folder. */
  readonly directory: string;
  /** Host names changes may come through. */
  readonly allowedHosts: readonly string[];
  /** Whether dotfiles are served and listed. */
  readonly showHidden: boolean;
  /** Whether folders are listed. */
  readonly listing: boolean;
  /** Python's `translate_path`. */
  translatePath(path: string): string;
  /** Python's `guess_type`. */
  guessType(path: string): string;
}

/**
 * The file operations' view of the handler's request, once its switches
 * allow `method` (see `operates`).
 *
 * @throws {HttpError} 501 "Unsupported method", as Python, when it is off
 */
export function opsSite(
  handler: OpsHandler,
  face: FileFace,
  method: string,
): OpsSite {
  if (!operates(method, handler)) {
    throw new HttpError(
      "unsupported-method",
      `Unsupported method ('${method}')`,
    );
  }
  return {
    command: handler.command,
    path: handler.path,
    headers: handler.headers,
    allowedHosts: handler.allowedHosts,
    directory: handler.directory,
    urlRoot: "",
    upload: handler.upload,
    delete: handler.delete,
    mkdir: handler.mkdir,
    webdav: handler.webdav,
    showHidden: handler.showHidden,
    listing: handler.listing,
    rfile: handler.rfile,
    access: face.request.access,
    sandbox: face.sandbox,
    translatePath: (target) => handler.translatePath(target),
    guessType: (path) => handler.guessType(path),
    logError: (format, ...args) => handler.logError(format, ...args),
  };
}

/**
 * Writes a file operation's answer: its status, its fields, a
 * `Content-Length` (none for a 204), and its body but for a HEAD. A body
 * made as it is read goes chunked, or up to the close (see `writeStream`).
 */
export async function sendOps(
  handler: OpsHandler,
  { status, headers, body }: OpsAnswer,
): Promise<void> {
  handler.sendResponse(status);
  for (const [name, value] of headers) handler.sendHeader(name, value);
  if (body instanceof ReadableStream) {
    const framing = contentFraming(
      null,
      handler.requestVersion,
      handler.protocolVersion,
    );
    const field = framingField(framing, !handler.closeConnection);
    if (field !== null) handler.sendHeader(...field);
    handler.endHeaders();
    await writeStream(body, handler.wfile, framing === "chunked");
    return;
  }
  if (status !== 204) {
    handler.sendHeader("Content-Length", String(body?.length ?? 0));
  }
  handler.endHeaders();
  if (body !== null && handler.command !== "HEAD") {
    await handler.wfile.write(body);
  }
}
