/**
 * Uploads through the fetch face: the core's `receivePut` and `receiveForm`
 * (`files/upload/upload.ts`), which decide everything (the target, the
 * sandbox, the limits, the preconditions), run against a request's body
 * stream, and their answer (201, 204, 303) recorded for a `Response`.
 *
 * @example
 * ```ts ignore
 * import { receiveUpload } from "./upload.ts";
 *
 * const answer = await receiveUpload(
 *   new Request("http://localhost/notes.txt", { method: "PUT", body: "hi" }),
 *   "/notes.txt",
 *   {
 *     directory: ".",
 *     maxUploadBytes: 1024,
 *     overwrite: false,
 *     allowedHosts: [],
 *     translatePath: (target) => `.${target}`,
 *     logError: console.error,
 *   },
 * );
 * console.log(answer.status); // 201
 * ```
 *
 * @module
 */

import {
  receiveForm,
  receivePut,
  type UploadHandler,
} from "../files/upload/upload.ts";

/** What an upload needs besides the request: the settings of the face. */
export type UploadSettings = Pick<
  UploadHandler,
  | "directory"
  | "symlinks"
  | "maxUploadBytes"
  | "overwrite"
  | "webdav"
  | "delete"
  | "mkdir"
  | "allowedHosts"
  | "translatePath"
  | "logError"
  | "access"
>;

/** An upload's answer: a status and its header fields, without a body. */
export interface UploadAnswer {
  /** 201, 204 or 303. */
  status: number;
  /** `Location` of a 303, `Content-Length: 0`, in order. */
  headers: [string, string][];
  /** Never a body. */
  body: null;
  /** The body's length: 0. */
  length: number;
}

const EMPTY = new Uint8Array(0);

/**
 * A request body's stream as the core reads a body: `readChunk()` resolves
 * to the next chunk, and to an empty one at the end.
 */
export function chunkReader(
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
): Pick<UploadHandler["rfile"], "readChunk"> {
  return {
    async readChunk() {
      if (reader === undefined) return EMPTY;
      const { value, done } = await reader.read();
      return done ? EMPTY : value;
    },
  };
}

/**
 * Stores the body of a PUT, or the files of a form's POST, under the
 * served folder, and answers as the Python face does.
 *
 * @param request the PUT or POST
 * @param target its request-target, as the core reads it
 * @param settings the face's settings and hooks
 * @throws {HttpError} for anything the upload refuses (see `receivePut`,
 *   `receiveForm`)
 */
export async function receiveUpload(
  request: Request,
  target: string,
  settings: UploadSettings,
): Promise<UploadAnswer> {
  const reader = request.body?.getReader();
  const answer: UploadAnswer = {
    status: 0,
    headers: [],
    body: null,
    length: 0,
  };
  const handler: UploadHandler = {
    ...settings,
    command: request.method,
    path: target,
    headers: request.headers,
    rfile: chunkReader(reader),
    sendResponse(code) {
      answer.status = code;
    },
    sendHeader(name, value) {
      answer.headers.push([name, value]);
    },
    endHeaders() {},
  };
  try {
    if (request.method === "PUT") await receivePut(handler);
    else await receiveForm(handler);
  } finally {
    // A refused upload's body is not read: let the server drop it.
    await reader?.cancel().catch(() => {});
  }
  return answer;
}
