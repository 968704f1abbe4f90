/**
 * httpserver: Python's `http.server` for Deno.
 *
 * Three ways to use it:
 *
 * - Serve a folder now: `deno run --allow-net --allow-read jsr:@x/httpserver [port]`
 *   (the flags of `python -m http.server`: `-b`, `-d`, `-p`, `--cgi`).
 * - Compile a single binary: `deno compile --allow-net --allow-read -o httpserver jsr:@x/httpserver`.
 * - Import it and write handlers, with Python's class and method names in camelCase:
 *
 * ```ts
 * import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "./mod.ts";
 *
 * class Hello extends BaseHTTPRequestHandler {
 *   async do_GET() {
 *     const body = new TextEncoder().encode(`hello ${this.path}\n`);
 *     this.sendResponse(200);
 *     this.sendHeader("Content-Type", "text/plain; charset=utf-8");
 *     this.sendHeader("Content-Length", String(body.length));
 *     this.endHeaders();
 *     await this.wfile.write(body);
 *   }
 * }
 *
 * await using server = new ThreadingHTTPServer({ hostname: "127.0.0.1", port: 0 }, Hello);
 * console.log(`listening on port ${server.serverPort}`);
 * ```
 *
 * @module
 */

export {
  HTTPServer,
  type ResolvedServerOptions,
  type ServerAddress,
  type ServerOptions,
  ThreadingHTTPServer,
} from "./server.ts";
export {
  HTTPSServer,
  type HTTPSServerOptions,
  ThreadingHTTPSServer,
} from "./http/tls.ts";
export {
  BaseHTTPRequestHandler,
  DEFAULT_ERROR_CONTENT_TYPE,
  DEFAULT_ERROR_MESSAGE,
  type RequestHandlerClass,
  VERSION,
} from "./handlers/base.ts";
export {
  type FileBody,
  type HeadBody,
  SimpleHTTPRequestHandler,
} from "./handlers/simple.ts";
export { CGIHTTPRequestHandler } from "./handlers/cgi.ts";
export { ERROR_STATUS, HttpError, type HttpErrorKind } from "./http/errors.ts";
export { STATUS_MESSAGES, type StatusMessages } from "./http/status.ts";
export type { RequestBody } from "./http/body.ts";
export type { BufferedWriter } from "./http/writer.ts";

if (import.meta.main) {
  const { main } = await import("./cli.ts");
  Deno.exit(await main(Deno.args));
}
