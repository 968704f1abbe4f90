/**
 * The file operations through the fetch face: the core's `DELETE`, `MOVE`,
 * `MKCOL`, `COPY`, `PROPFIND`, `PROPPATCH`, `LOCK` and `UNLOCK`
 * (`files/ops/`), which decide everything, run
 * against a `Request`, and `OPTIONS` (a CORS preflight, WebDAV's `DAV`);
 * their answer as the face's answer for a `Response`.
 *
 * @example
 * ```ts ignore
 * import { answerOps } from "./ops.ts";
 *
 * // settings: the face's OpsSite fields but the request's (see ops.ts)
 * const answer = await answerOps(
 *   new Request("http://localhost/old.txt", { method: "DELETE" }),
 *   "/old.txt",
 *   settings,
 * );
 * console.log(answer.status); // 204
 * ```
 *
 * @module
 */

import { deleteTarget, makeFolder, moveTarget } from "../files/ops/change.ts";
import { copyTarget } from "../files/ops/copy.ts";
import { lockTarget, unlockTarget } from "../files/ops/locks.ts";
import { propfind } from "../files/ops/propfind.ts";
import { proppatch } from "../files/ops/proppatch.ts";
import {
  davOptions,
  fileMethods,
  type OpsAnswer,
  type OpsSettings,
  type OpsSite,
  speaksDav,
} from "../files/ops/site.ts";
import { chunkReader } from "./upload.ts";

export { operates } from "../files/ops/site.ts";

/** What an operation needs besides the request: the face's settings. */
export type OpsFaceSettings = Omit<
  OpsSite,
  "command" | "path" | "headers" | "rfile"
>;

/** The operations by method. */
const OPERATIONS: Record<string, (h: OpsSite) => Promise<OpsAnswer>> = {
  DELETE: deleteTarget,
  MOVE: moveTarget,
  MKCOL: makeFolder,
  PROPFIND: propfind,
  COPY: copyTarget,
  PROPPATCH: proppatch,
  LOCK: lockTarget,
  UNLOCK: unlockTarget,
};

/** A file operation's answer, as the face builds a `Response` from it. */
export interface OpsResponse {
  /** The status. */
  status: number;
  /** The header fields in order, `Content-Length` with them. */
  headers: [string, string][];
  /** The body, or null. */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** The body's length; null for a stream (which `Deno.serve` frames). */
  length: number | null;
}

/**
 * Answers the file operation `request` (whose switch the caller checked
 * with `operates`), as the Python face does.
 *
 * @param request the request
 * @param target its request-target, the mount point taken off
 * @param settings the face's settings and hooks
 * @throws {HttpError} what the operation refuses (see `files/ops/`)
 */
export async function answerOps(
  request: Request,
  target: string,
  settings: OpsFaceSettings,
): Promise<OpsResponse> {
  const reader = request.body?.getReader();
  try {
    return opsResponse(
      await OPERATIONS[request.method]({
        ...settings,
        command: request.method,
        path: target,
        headers: request.headers,
        rfile: chunkReader(reader),
      }),
    );
  } finally {
    // A body not read (a refusal, an unread MKCOL body): let it go.
    await reader?.cancel().catch(() => {});
  }
}

/**
 * An operation's answer with its `Content-Length` (none for a 204, nor for
 * a body made as it is read).
 */
export function opsResponse(
  { status, headers, body }: OpsAnswer,
): OpsResponse {
  const fields: [string, string][] = headers.map(([name, value]) => [
    name,
    value,
  ]);
  if (body instanceof ReadableStream) {
    return { status, headers: fields, body, length: null };
  }
  const length = body?.length ?? 0;
  if (status !== 204) fields.push(["Content-Length", String(length)]);
  return { status, headers: fields, body, length };
}

/**
 * The answer to `OPTIONS`, as the Python face's `do_OPTIONS`: with `cors`, a
 * preflight's 204 (`Access-Control-Allow-Methods`, the headers asked for),
 * with `DAV` and `Allow` too when the server speaks WebDAV; without `cors`,
 * WebDAV's 200; null when neither, for the face's 501.
 */
export function optionsAnswer(
  request: Request,
  settings: OpsSettings,
  cors: boolean,
): OpsResponse | null {
  const dav = speaksDav(settings);
  if (!cors && !dav) return null;
  const methods = fileMethods(settings);
  const davAnswer = dav ? davOptions(methods) : null;
  if (!cors) return opsResponse(davAnswer!);
  const headers: [string, string][] = [
    ["Access-Control-Allow-Methods", methods.join(", ")],
    ...(davAnswer?.headers ?? []).map(([name, value]): [string, string] => [
      name,
      value,
    ]),
  ];
  const asked = request.headers.get("access-control-request-headers");
  if (asked) headers.push(["Access-Control-Allow-Headers", asked]);
  return { status: 204, headers, body: null, length: 0 };
}
