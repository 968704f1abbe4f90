/**
 * The two faces of the file-serving core side by side, for the table of
 * cases that runs against both: the Python face (`SimpleHTTPRequestHandler`
 * on our own server) and the fetch face (`createFileHandler` on
 * `Deno.serve`), each on 127.0.0.1 port 0, both configured from the same
 * command-line flags (`cli/serve.ts` and `cli/denoserve.ts` map them), and
 * asked with the same raw request bytes. {@link comparable} keeps what both
 * must agree on: the status, the header fields but those the transport
 * decides, and the body.
 *
 * @module
 */

import { parseCliArgs } from "../../cli/args.ts";
import { handlerFor } from "../../cli/serve.ts";
import { fileServerOptions } from "../../cli/denoserve.ts";
import { createFileHandler } from "../../fetch/serve_dir.ts";
import { ThreadingHTTPServer } from "../../server.ts";
import { RawClient, type RawResponse } from "./helpers.ts";

/** Which face. */
export type FaceName = "python" | "fetch";

/** One face serving a folder. */
export interface Face extends AsyncDisposable {
  /** Which face it is. */
  name: FaceName;
  /** Its port on 127.0.0.1. */
  port: number;
}

/**
 * Serves `dir` with the face `name`, configured by the command-line `flags`
 * (`--spa`, `--gzip`, ...), with `-p HTTP/1.1` and `-q`.
 */
export function startFace(name: FaceName, dir: string, flags: string[]): Face {
  const options = parseCliArgs([
    ...flags,
    "-d",
    dir,
    "-p",
    "HTTP/1.1",
    "-q",
  ])!;
  if (name === "python") {
    const server = new ThreadingHTTPServer(
      { hostname: "127.0.0.1", port: 0 },
      handlerFor(options),
      { directory: dir },
    );
    const loop = server.serveForever();
    return {
      name,
      port: server.serverPort,
      async [Symbol.asyncDispose]() {
        await server.shutdown();
        server.serverClose();
        await loop;
      },
    };
  }
  // Aborted at shutdown, as the CLI's: live reload's streams and watch end.
  const stopping = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    createFileHandler(fileServerOptions(options, stopping.signal)),
  );
  return {
    name,
    port: server.addr.port,
    [Symbol.asyncDispose]() {
      stopping.abort();
      return server.shutdown();
    },
  };
}

/**
 * Header fields that the transport decides, not the core: the framing, the
 * connection, and each face's own `Server` and `Date`.
 */
const TRANSPORT_FIELDS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "server",
  "date",
]);

/** One character per byte: WHATWG's `latin1` maps every byte to one. */
const LATIN1 = new TextDecoder("latin1");

/** What both faces must agree on, of one response. */
export interface Comparable {
  /** The status code (the reason phrases differ: Python's are the message). */
  status: number;
  /** The header fields, names lower-cased, sorted, but the transport's. */
  headers: [string, string][];
  /** The body, as Latin-1 text so that any byte shows. */
  body: string;
}

/**
 * The parts of `response` that the core decides. A `multipart/byteranges`
 * boundary is random: it is replaced by `BOUNDARY` wherever it appears; so
 * is the name of live reload's watch in a page's stamp, by `WATCH` (each
 * face's server ends its watch, and the next starts another).
 */
export function comparable(response: RawResponse): Comparable {
  let body = LATIN1.decode(response.body);
  const headers: [string, string][] = [];
  const type = response.headers.get("content-type") ?? "";
  const random: [string, string][] = [];
  const boundary = type.match(/boundary=(\S+)/)?.[1];
  if (boundary !== undefined) random.push([boundary, "BOUNDARY"]);
  const watch = body.match(/ data-version="(\w+)\.\d+"/)?.[1];
  if (watch !== undefined) random.push([watch, "WATCH"]);
  const plain = (text: string) =>
    random.reduce((text, [from, to]) => text.replaceAll(from, to), text);
  for (const [name, value] of response.headers) {
    if (TRANSPORT_FIELDS.has(name)) continue;
    headers.push([name, plain(value)]);
  }
  body = plain(body);
  headers.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return { status: response.status, headers, body };
}

/** Sends `request` to `face` on a new connection and reads one response. */
export async function ask(
  face: Face,
  request: string,
): Promise<RawResponse> {
  using client = await RawClient.connect(face.port);
  await client.send(request);
  return await client.readResponse(request.startsWith("HEAD "));
}

/**
 * Sends `method` for `path` to `face` with `fields` (a `Host` of the face's
 * and the body's `Content-Length` unless given) and `body`, as raw bytes.
 */
export function send(
  face: Face,
  method: string,
  path: string,
  fields: Record<string, string> = {},
  body = "",
): Promise<RawResponse> {
  const head = Object.entries({
    Host: `127.0.0.1:${face.port}`,
    "Content-Length": String(new TextEncoder().encode(body).length),
    ...fields,
  }).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return ask(face, `${method} ${path} HTTP/1.1\r\n${head}\r\n${body}`);
}
