/**
 * httpserver: Python's `http.server` for Deno, with the same classes, command
 * line, pages and logs.
 *
 * Three ways to use it:
 *
 * **Run it** to serve a folder, with the flags of `python -m http.server`
 * (`[port] -b ADDRESS -d DIRECTORY -p VERSION --cgi`) and only the permissions
 * it needs:
 *
 * ```sh
 * deno run --allow-net=0.0.0.0:8000 --allow-read=. jsr:@x/httpserver
 * deno run --allow-net --allow-read jsr:@x/httpserver 8080 -b 127.0.0.1 -d /srv/www
 * ```
 *
 * **Compile it** into one executable that needs no Deno (in a clone of the
 * repository, `deno task compile` builds `dist/httpserver`; add `--allow-run`
 * for `--cgi`):
 *
 * ```sh
 * deno compile --allow-net --allow-read --output httpserver jsr:@x/httpserver
 * ./httpserver 8000 -d /srv/www
 * ```
 *
 * **Import it** and write handlers with Python's class and method names in
 * camelCase (`send_response` -> `sendResponse`). Importing it starts nothing,
 * prints nothing and needs no permission.
 *
 * ```ts
 * import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";
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
 * server.serveForever();
 * const response = await fetch(`http://127.0.0.1:${server.serverPort}/world`);
 * console.log(await response.text()); // "hello /world\n"
 * ```
 *
 * `SimpleHTTPRequestHandler` serves a folder (`{ directory: "public" }`),
 * `CGIHTTPRequestHandler` runs CGI scripts too. README.md has the guide, the
 * permissions table and the Python-to-TypeScript name table.
 *
 * **Serve files from `Deno.serve`**, or from any router that takes
 * `(Request) => Response`: `serveDir` takes std's `serveDir` options, with
 * std's defaults, and ours besides (SPA fallback, precompressed files,
 * ranges, JSON listings, uploads), on the same file-serving core.
 *
 * ```ts ignore
 * import { serveDir } from "jsr:@x/httpserver";
 *
 * Deno.serve((request) => {
 *   if (new URL(request.url).pathname === "/api/time") {
 *     return Response.json({ now: Date.now() });
 *   }
 *   return serveDir(request, { fsRoot: "public", spa: true });
 * });
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
  type UnixServerAddress,
} from "./server.ts";
export {
  HTTPSServer,
  type HTTPSServerOptions,
  ThreadingHTTPSServer,
} from "./server/tls.ts";
export {
  BaseHTTPRequestHandler,
  type RequestHandlerClass,
  VERSION,
} from "./handlers/base.ts";
export {
  DEFAULT_ERROR_CONTENT_TYPE,
  DEFAULT_ERROR_MESSAGE,
} from "./http/errorpage.ts";
export {
  type FileBody,
  type HeadBody,
  SimpleHTTPRequestHandler,
  type StreamBody,
} from "./handlers/simple.ts";
export { CGIHTTPRequestHandler } from "./handlers/cgi/cgi.ts";
export type { SymlinkPolicy } from "./files/sandbox.ts";
export {
  createFileHandler,
  type FileHandler,
  type FileServerOptions,
  serveDir,
} from "./fetch/serve_dir.ts";
export {
  Accounts,
  AccountsError,
  loadAccounts,
  parseAccounts,
} from "./files/accounts/htpasswd.ts";
export type { Access, AccessMode } from "./files/access.ts";
export { flushLog } from "./util/logbuffer.ts";
export { LogFile } from "./util/logfile.ts";
export { type AccessLogEntry, type LogFormat } from "./http/accesslog.ts";
export { ERROR_STATUS, HttpError, type HttpErrorKind } from "./util/errors.ts";
export { STATUS_MESSAGES, type StatusMessages } from "./http/status.ts";
export type { RequestBody } from "./http/body.ts";
export type { BufferedWriter } from "./http/writer.ts";

if (import.meta.main) {
  const { main } = await import("./cli.ts");
  Deno.exit(await main(Deno.args));
}
