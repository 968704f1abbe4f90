/**
 * Slow and faulty clients against a live server: slowloris heads, idle and
 * stalled connections, clients that never read, the connection cap, resets
 * mid-request and mid-download, 1,000 aborted file downloads, graceful
 * shutdown (`shutdown()`, SIGINT and SIGTERM to the command line) in the
 * middle of a 100 MiB download, and the stderr of a server process. Timeouts
 * are set to a few hundred milliseconds and the tests wait for the server's
 * close or answer, never for a fixed time. What needs the server's own
 * descriptors, memory or stderr runs it in a process of its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import type { RequestHandlerClass, ThreadingHTTPServer } from "../../mod.ts";
import { fileURLToPath } from "node:url";
import { SimpleHTTPRequestHandler } from "../../mod.ts";
import {
  Generated,
  MiB,
  patternFiles,
  PIECE,
  ServerChild,
  WatchedServer,
} from "../support/fault_server.ts";
import { captureLogs, LOG_LINE, RawClient, serve } from "../support/helpers.ts";

/** Starts `Handler` (logs captured) on a {@link WatchedServer}. */
function start(
  Handler: RequestHandlerClass = Generated,
  options: ConstructorParameters<typeof ThreadingHTTPServer>[2] = {},
) {
  const { Handler: Captured, lines } = captureLogs(Handler);
  const running = serve(Captured, options, WatchedServer);
  return {
    running,
    server: running.server as WatchedServer,
    port: running.port,
    lines,
  };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`;

/** One char per byte, so offsets in the text are offsets in the bytes. */
const latin1 = new TextDecoder("latin1");

/**
 * A download over a raw connection: sends a request, reads the head, then
 * reads the body piece by piece, checking each byte against {@link PIECE}
 * without keeping it.
 */
class Download implements Disposable {
  /** Body bytes received so far. */
  received = 0;
  /** The status of the response, once {@link head} has read it. */
  status = 0;
  /** The Content-Length of the response. */
  length = 0;
  #conn: Deno.Conn;
  #buf = new Uint8Array(256 * 1024);

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects and sends `request`. */
  static async start(port: number, request: string): Promise<Download> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const download = new Download(conn);
    const bytes = new TextEncoder().encode(request);
    for (let sent = 0; sent < bytes.length;) {
      sent += await conn.write(bytes.subarray(sent));
    }
    return download;
  }

  /** Reads the response head; body bytes read with it are counted. */
  async head(): Promise<void> {
    let head = "";
    for (;;) {
      const n = await this.#conn.read(this.#buf);
      if (n === null) throw new Error(`closed mid-head: ${head}`);
      head += latin1.decode(this.#buf.subarray(0, n));
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) continue;
      this.status = Number(head.split(" ")[1]);
      this.length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
      this.#check(this.#buf.subarray(n - (head.length - end - 4), n));
      return;
    }
  }

  /** Reads the next piece of the body; resolves to its size, 0 at the end. */
  async read(): Promise<number> {
    const n = await this.#conn.read(this.#buf);
    if (n === null) return 0;
    this.#check(this.#buf.subarray(0, n));
    return n;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #check(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const at = this.received + i;
      if (bytes[i] !== PIECE[at % MiB]) {
        throw new Error(`byte ${at} is ${bytes[i]}, not ${PIECE[at % MiB]}`);
      }
    }
    this.received += bytes.length;
  }
}

/** The status a fresh connection gets for `GET path`, closing after it. */
async function statusOf(port: number, path = "/0"): Promise<number> {
  using client = await RawClient.connect(port);
  await client.send(
    `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
  );
  return (await client.readResponse()).status;
}

/** Waits `ms` milliseconds: only to pace a slow client, never to synchronise. */
const pace = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `text` every 10 ms (500 times at most) until `outcome` settles or
 * the server stops taking bytes: a slowloris client. Returns `outcome`.
 */
async function trickle<T>(
  client: RawClient,
  text: string,
  outcome: Promise<T>,
): Promise<T> {
  let settled = false;
  outcome.finally(() => settled = true).catch(() => {});
  for (let i = 0; i < 500 && !settled; i++) {
    try {
      await client.send(text);
    } catch {
      break;
    }
    await pace(10);
  }
  return await outcome;
}

Deno.test("slowloris: a head trickled byte by byte gets 408 at headTimeout from its first byte, then the close", async () => {
  const { running, lines } = start(Generated, { headTimeout: 300 });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  const started = Date.now();
  await client.send("GET / HTTP/1.1\r\n");
  const res = await trickle(client, "X", client.readResponse());
  const elapsed = Date.now() - started;
  assert.equal(res.status, 408);
  assert.ok(await client.closed());
  assert.ok(elapsed >= 300 && elapsed < 1500, `${elapsed} ms`);
  assert.deepEqual(lines, [
    "code 408, message Request Timeout",
    '"GET / HTTP/1.1" 408 -',
  ]);
});

Deno.test("idle: a keep-alive connection is closed idleTimeout after its last response, silently", async () => {
  const { running, lines } = start(Generated, { idleTimeout: 200 });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  await client.send(GET("/0"));
  assert.equal((await client.readResponse()).status, 200);
  const answered = Date.now();
  assert.ok(await client.closed(), "nothing is sent on an idle close");
  assert.ok(Date.now() - answered >= 150, `${Date.now() - answered} ms`);
  assert.deepEqual(lines, ['"GET /0 HTTP/1.1" 200 -']);
});

Deno.test("idle: a connection that never sends a byte is closed after idleTimeout", async () => {
  const { running, lines } = start(Generated, { idleTimeout: 200 });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  assert.ok(await client.closed());
  assert.deepEqual(lines, []);
});

Deno.test("idle: empty lines after a response leave the connection idle: closed silently at idleTimeout", async () => {
  const { running, lines } = start(Generated, {
    idleTimeout: 200,
    headTimeout: 5_000,
  });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  await client.send(GET("/0") + "\r\n");
  assert.equal((await client.readResponse()).status, 200);
  const answered = Date.now();
  assert.ok(await client.closed(), "no 408 for empty lines");
  assert.ok(Date.now() - answered < 4_000, `${Date.now() - answered} ms`);
  assert.deepEqual(lines, ['"GET /0 HTTP/1.1" 200 -']);
});

Deno.test("idle: empty lines, then the client's close: no answer and no log line", async () => {
  const { running, lines } = start(Generated);
  await using _ = running;
  using client = await RawClient.connect(running.port);
  // Ending in a lone CR, which may still become an empty line.
  await client.send("\r\n\r\n\r");
  await client.closeWrite();
  assert.ok(await client.closed(), "nothing is sent");
  assert.deepEqual(lines, []);
});

Deno.test("a request after a stray empty line gets a headTimeout of its own", async () => {
  const { running, lines } = start(Generated, {
    idleTimeout: 0,
    headTimeout: 1_000,
  });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  await client.send("\r\n");
  await pace(700);
  await client.send("GET /0 HTTP/1.1\r\n");
  await pace(500);
  await client.send("Host: t\r\nConnection: close\r\n\r\n");
  assert.equal((await client.readResponse()).status, 200);
  assert.deepEqual(lines, ['"GET /0 HTTP/1.1" 200 -']);
});

Deno.test("slowloris: empty lines trickled forever are cut off at headTimeout, silently", async () => {
  const { running, lines } = start(Generated, {
    idleTimeout: 200,
    headTimeout: 300,
  });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  const started = Date.now();
  assert.ok(await trickle(client, "\r\n", client.closed()), "nothing is sent");
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 200 && elapsed < 1500, `${elapsed} ms`);
  assert.deepEqual(lines, []);
});

Deno.test("stall: a body that stops arriving closes the connection after bodyTimeout, with one log line", async () => {
  const { running, lines } = start(Generated, { bodyTimeout: 200 });
  await using _ = running;
  using client = await RawClient.connect(running.port);
  await client.send(
    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc",
  );
  assert.ok(await client.closed());
  assert.deepEqual(lines, ["Request timed out (body)"]);
});

Deno.test("stall: a client that never reads a large response is dropped after writeTimeout, with the kernel buffers sent at most", async () => {
  let sent = 0;
  class Measured extends Generated {
    override async do_GET() {
      try {
        await super.do_GET();
      } finally {
        sent = this.wfile.sent;
      }
    }
  }
  const { running, server, lines } = start(Measured, { writeTimeout: 200 });
  await using _ = running;
  const client = await RawClient.connect(running.port);
  await client.send(GET("/256"));
  await server.closedConnections(1);
  client.close();
  assert.ok(sent < 32 * MiB, `${sent} bytes left the server`);
  assert.deepEqual(lines, [
    '"GET /256 HTTP/1.1" 200 -',
    "Request timed out (write)",
  ]);
});

Deno.test("stall: a slow client that keeps reading one large write is not dropped", async () => {
  // writeTimeout is long enough that a busy test machine does not stall
  // the server that long; the download takes over twice as long.
  const { running, lines } = start(Generated, { writeTimeout: 1000 });
  await using _ = running;
  using download = await Download.start(
    running.port,
    "PUT /16 HTTP/1.1\r\nHost: t\r\n\r\n",
  );
  await download.head();
  const started = Date.now();
  while (download.received < download.length) {
    assert.ok(
      (await download.read()) > 0,
      `closed after ${download.received} bytes`,
    );
    await pace(40);
  }
  assert.ok(Date.now() - started > 2000, "the download outlasted writeTimeout");
  assert.deepEqual(lines, ['"PUT /16 HTTP/1.1" 200 -']);
});

Deno.test("cap: past maxConnections the server stops accepting, says so once, keeps serving the open ones, and accepts once one closes", async () => {
  const errors: string[] = [];
  const consoleError = console.error;
  console.error = (message: string) => errors.push(message);
  try {
    await serveAtTheCap();
  } finally {
    console.error = consoleError;
  }
  assert.deepEqual(errors, [
    "2 connections open (maxConnections): accepting waits until one closes",
  ]);
});

/** Two connections open with `maxConnections: 2`, then a third. */
async function serveAtTheCap(): Promise<void> {
  const { running } = start(Generated, { maxConnections: 2 });
  await using _ = running;
  using first = await RawClient.connect(running.port);
  using second = await RawClient.connect(running.port);
  for (const client of [first, second]) {
    await client.send(GET("/0"));
    assert.equal((await client.readResponse()).status, 200);
  }
  using third = await RawClient.connect(running.port);
  await third.send(GET("/0"));
  let thirdAnswered = false;
  const answer = third.readResponse();
  answer.finally(() => thirdAnswered = true).catch(() => {});
  for (let i = 0; i < 10; i++) {
    for (const client of [first, second]) {
      await client.send(GET("/0"));
      assert.equal((await client.readResponse()).status, 200);
    }
  }
  assert.ok(!thirdAnswered, "the third connection waits in the backlog");
  first.close();
  assert.equal((await answer).status, 200);
  await second.send(GET("/0"));
  assert.equal((await second.readResponse()).status, 200);
}

/**
 * Connects, sends `request`, waits until `answered` bytes of the answer have
 * arrived, and resets the connection (RST, as a crashing client or a
 * middlebox does).
 */
async function resetAfter(
  port: number,
  request: string,
  answered: number,
): Promise<void> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(request);
  let received = 0;
  await new Promise<void>((resolve) =>
    socket.on("data", (chunk: Uint8Array) => {
      received += chunk.length;
      if (received >= answered) resolve();
    })
  );
  socket.resetAndDestroy();
  await once(socket, "close");
}

const RESETS: [string, string, number][] = [
  ["mid-head", GET("/0") + "GET /next HTTP/1.1\r\nHo", 1],
  [
    "mid-body",
    GET("/0") + "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc",
    1,
  ],
  ["mid-download", GET("/64"), MiB],
];

for (const [where, request, answered] of RESETS) {
  Deno.test(`reset: a client that resets ${where} costs one log line, and the server keeps serving`, async () => {
    const { running, server, lines } = start();
    await using _ = running;
    await resetAfter(running.port, request, answered);
    await server.closedConnections(1);
    assert.equal(lines.length, 2, `${lines}`);
    assert.match(lines[0], /^"GET \/(0|64) HTTP\/1\.1" 200 -$/);
    assert.match(lines[1], /^connection lost: /);
    assert.equal(await statusOf(running.port), 200);
  });
}

Deno.test("shutdown: a 100 MiB file download in flight completes with every byte, new connections are refused, and shutdown returns", async () => {
  await using files = await patternFiles(100);
  const { running, server } = start(SimpleHTTPRequestHandler, {
    directory: files.path,
  });
  await using _ = running;
  using download = await Download.start(running.port, GET("/100.bin"));
  await download.head();
  await download.read();
  const stopped = server.shutdown();
  // The listener is closed: a connection is refused, or reset if it reached
  // the backlog just before.
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: running.port }),
    (e) =>
      e instanceof Deno.errors.ConnectionRefused ||
      e instanceof Deno.errors.ConnectionReset,
  );
  while ((await download.read()) > 0);
  assert.equal(download.length, 100 * MiB);
  assert.equal(download.received, 100 * MiB);
  await stopped;
});

Deno.test("shutdown: a client that stopped reading is closed after shutdownTimeout", async () => {
  const { running, server, lines } = start(Generated, {
    shutdownTimeout: 300,
  });
  await using _ = running;
  using download = await Download.start(running.port, GET("/256"));
  await download.head();
  const started = Date.now();
  await server.shutdown();
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 2000, `${elapsed} ms`);
  assert.equal(lines.length, 2, `${lines}`);
  assert.equal(lines[1], "Request timed out (write)");
});

/**
 * `tests/support/fault_server.ts` in a process of its own, so that its descriptors,
 * memory and stderr are its alone (test files share one process when they
 * run in parallel).
 */
class ServerProcess extends ServerChild {
  private constructor(args: string[]) {
    super(Deno.execPath(), ["run", "-A", ...args]);
  }

  /** Starts the server with `options` and waits for its port. */
  static async start(options: object): Promise<ServerProcess> {
    const server = new ServerProcess([
      fileURLToPath(new URL("../support/fault_server.ts", import.meta.url)),
      JSON.stringify(options),
    ]);
    server.port = Number(await server.line());
    return server;
  }

  /** Starts the command line (`mod.ts`) with `args` and waits for its banner. */
  static async cli(args: string[]): Promise<ServerProcess> {
    const server = new ServerProcess([
      fileURLToPath(new URL("../../mod.ts", import.meta.url)),
      ...args,
    ]);
    let banner: RegExpExecArray | null = null;
    while (banner === null) banner = / port (\d+) /.exec(await server.line());
    server.port = Number(banner[1]);
    return server;
  }

  /**
   * The server's open descriptors: how many in all, how many of them are
   * TCP sockets (the listener and live connections), and how many are files
   * under `folder`.
   */
  openFds(folder: string): { all: number; tcp: number; inFolder: number } {
    const dir = `/proc/${this.pid}`;
    const tables = ["tcp", "tcp6"]
      .map((name) => Deno.readTextFileSync(`${dir}/net/${name}`)).join("");
    const inodes = new Set(
      tables.split("\n").map((row) => row.trim().split(/\s+/)[9]),
    );
    const counts = { all: 0, tcp: 0, inFolder: 0 };
    for (const entry of Deno.readDirSync(`${dir}/fd`)) {
      counts.all++;
      try {
        const link = Deno.readLinkSync(`${dir}/fd/${entry.name}`);
        if (link.startsWith(folder + "/")) counts.inFolder++;
        if (inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? "")) {
          counts.tcp++;
        }
      } catch {
        // Closed while listed.
      }
    }
    return counts;
  }

  /** The server's resident memory in bytes. */
  rss(): number {
    const status = Deno.readTextFileSync(`/proc/${this.pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  /**
   * Closes stdin, which shuts the server down, and resolves to the messages
   * of its stderr, each checked to be one log line.
   */
  override async stop(): Promise<string[]> {
    const stderr = (await super.stop()).join("\n");
    return stderr.trimEnd().split("\n").map((line) => {
      const message = LOG_LINE.exec(line)?.[1];
      assert.ok(message, `not a log line: ${JSON.stringify(line)}`);
      return message;
    });
  }
}

Deno.test("faults: 1,000 aborted 50 MiB file downloads leave the server no descriptor or memory more, and it still answers", async () => {
  await using files = await patternFiles(50);
  await using server = await ServerProcess.start({ directory: files.path });
  {
    using whole = await Download.start(server.port, GET("/50.bin"));
    await whole.head();
    while (whole.received < whole.length) await whole.read();
  }
  await server.closedConnections(1);
  const fds = server.openFds(files.path);
  const rss = server.rss();
  for (let i = 0; i < 1000; i++) {
    using download = await Download.start(server.port, GET("/50.bin"));
    await download.head();
    await download.read();
  }
  await server.closedConnections(1001);
  const after = server.openFds(files.path);
  assert.equal(after.inFolder, 0, "no file is left open");
  assert.equal(after.tcp, fds.tcp, "TCP sockets: the listener only");
  // The runtime opens a few descriptors lazily (a dup of stdin, a socket
  // pair); one leaked per download would be a thousand.
  assert.ok(after.all <= fds.all + 4, `${fds.all} -> ${after.all} descriptors`);
  const grown = server.rss() - rss;
  // A leak would be 50 MiB a download; the allocator and the young
  // generation settle 10-17 MiB above the start under the parallel suite.
  assert.ok(grown < 32 * MiB, `resident memory grew ${grown / MiB} MiB`);
  assert.equal(await statusOf(server.port, "/"), 200);
  const messages = await server.stop();
  assert.equal(
    messages.filter((m) => m.startsWith("connection lost: ")).length,
    1000,
  );
});

Deno.test("stderr: a server process logs each client fault as one line, never a stack", async () => {
  await using server = await ServerProcess.start({
    headTimeout: 300,
    bodyTimeout: 300,
  });
  const port = server.port;
  using smuggler = await RawClient.connect(port);
  await smuggler.send(
    GET("/").replace(
      "\r\n\r\n",
      "\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    ),
  );
  assert.equal((await smuggler.readResponse()).status, 400);
  using slow = await RawClient.connect(port);
  await slow.send("GET /slow HTTP/1.1\r\n");
  assert.equal((await slow.readResponse()).status, 408);
  using stalled = await RawClient.connect(port);
  await stalled.send(
    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc",
  );
  assert.ok(await stalled.closed());
  await resetAfter(port, GET("/64"), MiB);
  assert.equal(await statusOf(port), 200);
  const messages = await server.stop();
  assert.deepEqual(
    messages.map((m) => m.replace(/^connection lost: .*/, "connection lost"))
      .sort(),
    [
      '"GET / HTTP/1.1" 400 -',
      '"GET /0 HTTP/1.1" 200 -',
      '"GET /64 HTTP/1.1" 200 -',
      '"GET /slow HTTP/1.1" 408 -',
      "Request timed out (body)",
      "code 400, message Content-Length with Transfer-Encoding",
      "code 408, message Request Timeout",
      "connection lost",
    ],
  );
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`shutdown: after ${signal} the command line finishes a 100 MiB download in flight, every byte, and exits 0`, async () => {
    await using files = await patternFiles(100);
    await using cli = await ServerProcess.cli([
      "0",
      "--bind",
      "127.0.0.1",
      "--directory",
      files.path,
    ]);
    using download = await Download.start(cli.port, GET("/100.bin"));
    await download.head();
    await download.read();
    cli.kill(signal);
    while (download.received < download.length) {
      assert.ok((await download.read()) > 0, `cut at ${download.received}`);
    }
    assert.equal(download.received, 100 * MiB);
    assert.deepEqual(await cli.stop(), ['"GET /100.bin HTTP/1.1" 200 -']);
  });
}
