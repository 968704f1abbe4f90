/**
 * Starts our server in its single-connection `HTTPServer` mode (the CLI in
 * `mod.ts` starts `ThreadingHTTPServer`, like Python's), through the public
 * API only, so the benchmark measures what a user of the library gets.
 *
 * ```sh
 * deno run --allow-net --allow-read bench/ours_single.ts 8000 bench/fixtures HTTP/1.1
 * ```
 *
 * Arguments: the port, the directory to serve, and the protocol version
 * (`HTTP/1.0`, the default, or `HTTP/1.1`).
 *
 * @module
 */

import { HTTPServer, SimpleHTTPRequestHandler } from "../mod.ts";

const [port = "8000", directory = ".", protocol = "HTTP/1.0"] = Deno.args;

/** `SimpleHTTPRequestHandler` speaking HTTP/1.1, as a Python user would subclass it. */
class Http11Handler extends SimpleHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
}

const server = new HTTPServer(
  { hostname: "127.0.0.1", port: Number(port) },
  protocol === "HTTP/1.1" ? Http11Handler : SimpleHTTPRequestHandler,
  { directory },
);
await server.serveForever();
