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
 * connections have closed in all. {@link ServerChild} is the test's side of
 * that.
 *
 * @module
 */

import assert from "node:assert/strict";
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

/** Echoes each POST's decoded body back, keeping the connection open. */
export class Echo extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";

  async do_POST() {
    const body = await this.rfile.read();
    this.sendResponse(200);
    this.sendHeader("Content-Length", String(body.length));
    this.endHeaders();
    await this.wfile.write(body);
  }
}

/**
 * Answers GET `/<n>` with `n` MiB of {@link PIECE}s (one buffer written over
 * and over: the handler itself holds 1 MiB whatever the size), POST as
 * {@link Echo}, and keeps HTTP/1.1 connections open.
 */
export class Generated extends Echo {
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

/**
 * A server in a process of its own that speaks as this module's program
 * does: its port (or the command line's banner) on stdout, `closed n` on
 * stdout for `n` on stdin, and closing stdin stops it. Its stderr is read
 * line by line as it comes.
 */
export class ServerChild implements AsyncDisposable {
  /** The port it listens on, on 127.0.0.1; the subclass reads it. */
  port = 0;
  /** The lines of stderr so far. */
  readonly errors: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stdout: ReadableStreamDefaultReader<string>;
  readonly #stderr: Promise<void>;
  #printed = "";
  #onError: (() => void) | null = null;

  /** Runs `program` with `args`, its stdin, stdout and stderr piped. */
  constructor(program: string, args: string[]) {
    this.#child = new Deno.Command(program, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdout = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#stderr = this.#readErrors();
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends the server `signal`. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Resolves once the server has closed `count` connections in all. */
  async closedConnections(count: number): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(`${count}\n`));
    assert.equal(await this.line(), `closed ${count}`);
  }

  /** The first line of stderr, logged so far or later, that `pattern` matches. */
  async logged(pattern: RegExp): Promise<string> {
    for (;;) {
      const line = this.errors.find((line) => pattern.test(line));
      if (line !== undefined) return line;
      await new Promise<void>((resolve) => this.#onError = resolve);
    }
  }

  /**
   * Closes stdin, which shuts the server down; checks that it exits 0, and
   * resolves to all the lines of its stderr.
   */
  async stop(): Promise<string[]> {
    await this.#stdin.close();
    while (!(await this.#stdout.read()).done);
    assert.equal((await this.#child.status).code, 0);
    await this.#stderr;
    return this.errors;
  }

  /** Kills the server if {@link stop} did not end it. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill();
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#stdin.close().catch(() => {});
    await this.#stdout.cancel();
    await this.#stderr;
  }

  /** The next line of stdout, without its LF. */
  async line(): Promise<string> {
    while (!this.#printed.includes("\n")) {
      const { value, done } = await this.#stdout.read();
      if (done) throw new Error("the server process ended");
      this.#printed += value;
    }
    const end = this.#printed.indexOf("\n");
    const line = this.#printed.slice(0, end);
    this.#printed = this.#printed.slice(end + 1);
    return line;
  }

  async #readErrors(): Promise<void> {
    let pending = "";
    const text = this.#child.stderr.pipeThrough(new TextDecoderStream());
    for await (const chunk of text) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      this.errors.push(...lines);
      this.#onError?.();
    }
    if (pending !== "") this.errors.push(pending);
    this.#onError?.();
  }
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
