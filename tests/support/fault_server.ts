/**
 * The server the fault tests run: a handler that answers with large
 * generated bodies without holding them, and files of that pattern for
 * SimpleHTTPRequestHandler. Run as a program it is a server whose
 * descriptors and stderr a test can read, in a process of its own; with a
 * `directory` option it serves that folder with SimpleHTTPRequestHandler
 * (with `"cgi": true`, CGIHTTPRequestHandler with uploads on):
 *
 * ```sh
 * deno run -A tests/support/fault_server.ts '{"headTimeout": 300}'
 * ```
 *
 * prints its port on stdout and serves until stdin closes, then shuts down.
 * A number `n` on a line of stdin is answered with `closed n` once `n`
 * connections have closed in all.
 *
 * @module
 */

import {
  BaseHTTPRequestHandler,
  CGIHTTPRequestHandler,
  SimpleHTTPRequestHandler,
  ThreadingHTTPServer,
} from "../../mod.ts";

/** A ThreadingHTTPServer that can wait until a number of connections closed. */
export class WatchedServer extends ThreadingHTTPServer {
  #closed = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Resolves once `count` connections have closed, counted from the start. */
  closedConnections(count: number): Promise<void> {
    if (this.#closed >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  protected override startConnection(conn: Deno.Conn): Promise<void> {
    return super.startConnection(conn).finally(() => {
      this.#closed++;
      this.#waiters = this.#waiters.filter((waiter) => {
        if (waiter.count > this.#closed) return true;
        waiter.resolve();
      });
    });
  }
}

/** Bytes in a MiB. */
export const MiB = 1 << 20;

/** One MiB of a byte pattern that shows where a byte belongs. */
export const PIECE: Uint8Array = Uint8Array.from(
  { length: MiB },
  (_, i) => i % 251,
);

/**
 * Answers GET `/<n>` with `n` MiB of {@link PIECE}s (one buffer written over
 * and over: the handler itself holds 1 MiB whatever the size), POST by
 * reading the body, and keeps HTTP/1.1 connections open.
 */
export class Generated extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";

  async do_GET() {
    const pieces = Number(this.path.slice(1)) || 0;
    this.sendResponse(200);
    this.sendHeader("Content-Length", String(pieces * MiB));
    this.endHeaders();
    for (let i = 0; i < pieces; i++) await this.wfile.write(PIECE);
  }

  /** PUT `/<n>` is answered like GET, but all `n` MiB in one `write()`. */
  async do_PUT() {
    const pieces = Number(this.path.slice(1)) || 0;
    const body = new Uint8Array(pieces * MiB);
    for (let i = 0; i < pieces; i++) body.set(PIECE, i * MiB);
    this.sendResponse(200);
    this.sendHeader("Content-Length", String(body.length));
    this.endHeaders();
    await this.wfile.write(body);
  }

  async do_POST() {
    const body = await this.rfile.read();
    this.sendResponse(200);
    this.sendHeader("Content-Length", String(body.length));
    this.endHeaders();
    await this.wfile.write(body);
  }
}

/**
 * Makes a temporary folder holding `<n>.bin` files of `n` MiB of
 * {@link PIECE}s for each `n` in `sizes`; disposing removes it.
 */
export async function patternFiles(
  ...sizes: number[]
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "httpserver-faults-" });
  for (const size of sizes) {
    using file = await Deno.open(`${path}/${size}.bin`, {
      write: true,
      create: true,
    });
    for (let i = 0; i < size; i++) {
      for (let n = 0; n < PIECE.length;) {
        n += await file.write(PIECE.subarray(n));
      }
    }
  }
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

if (import.meta.main) {
  // Deno sets up its signal handling when first asked, and panics if the
  // process is out of descriptors then: ask now, as the command line does.
  const ignore = () => {};
  Deno.addSignalListener("SIGUSR2", ignore);
  Deno.removeSignalListener("SIGUSR2", ignore);
  const options = JSON.parse(Deno.args[0] ?? "{}");
  const server = new WatchedServer(
    { hostname: "127.0.0.1", port: 0 },
    !options.directory
      ? Generated
      : options.cgi
      ? class extends CGIHTTPRequestHandler {
        override upload = true;
      }
      : SimpleHTTPRequestHandler,
    options,
  );
  const loop = server.serveForever();
  console.log(server.serverPort);
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const text of lines) {
    pending += text;
    for (let end; (end = pending.indexOf("\n")) !== -1;) {
      const count = Number(pending.slice(0, end));
      pending = pending.slice(end + 1);
      await server.closedConnections(count);
      console.log(`closed ${count}`);
    }
  }
  await server.shutdown();
  server.serverClose();
  await loop;
}
