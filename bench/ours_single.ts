/**
 * Starts our server in its single-connection `HTTPServer` mode (the CLI in
 * `mod.ts` starts `ThreadingHTTPServer`, like Python's), through the public
 * API only, so the benchmark measures what a user of the library gets.
 *
 * ```sh
 * deno run --allow-net --allow-read bench/ours_single.ts 8000 bench/fixtures HTTP/1.1
 * deno run --allow-net --allow-read --allow-run bench/ours_single.ts 8000 bench/fixtures HTTP/1.0 cgi
 * ```
 *
 * Arguments: the port, the directory to serve, the protocol version
 * (`HTTP/1.0`, the default, or `HTTP/1.1`), and `cgi` to serve with
 * `CGIHTTPRequestHandler` instead of `SimpleHTTPRequestHandler`.
 *
 * @module
 */

import {
  CGIHTTPRequestHandler,
  HTTPServer,
  SimpleHTTPRequestHandler,
} from "../mod.ts";

const [port = "8000", directory = ".", protocol = "HTTP/1.0", mode] = Deno.args;

const Handler: typeof SimpleHTTPRequestHandler = mode === "cgi"
  ? CGIHTTPRequestHandler
  : SimpleHTTPRequestHandler;

/** The handler speaking HTTP/1.1, as a Python user would subclass it. */
class Http11Handler extends Handler {
  override protocolVersion = "HTTP/1.1";
}

const server = new HTTPServer(
  { hostname: "127.0.0.1", port: Number(port) },
  protocol === "HTTP/1.1" ? Http11Handler : Handler,
  { directory },
);
await server.serveForever();
