/**
 * For `ops_sandbox_test.ts`: a `SimpleHTTPRequestHandler` with `delete` and
 * `mkdir` on, serving the folder given as the first argument on 127.0.0.1
 * at a port the system picks, under whatever permissions the test grants.
 * Prints Python's banner once listening; serves until SIGTERM.
 *
 * @module
 */

import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "../../mod.ts";

const [root] = Deno.args;

class Ops extends SimpleHTTPRequestHandler {
  override delete = true;
  override mkdir = true;
}

await using server = new ThreadingHTTPServer(
  { hostname: "127.0.0.1", port: 0 },
  Ops,
  { directory: root },
);
const port = server.serverPort;
console.log(
  `Serving HTTP on 127.0.0.1 port ${port} (http://127.0.0.1:${port}/) ...`,
);
Deno.addSignalListener("SIGTERM", () => server.shutdown());
await server.serveForever();
