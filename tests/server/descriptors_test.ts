/**
 * A server out of file descriptors: run in a process of its own under a low
 * `ulimit -n`, filled with downloads whose clients never read (each holds
 * its socket and its file open), it answers 503 with `Retry-After` for what
 * needs a descriptor (never a 404), logs its failed accepts in one line and
 * their count in another, and serves everything again once those clients
 * go. The command line sizes
 * `maxConnections` from the limit so that downloads never get there.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BANNER, Cli, loopback, MOD } from "../support/cli_process.ts";
import { patternFiles, ServerChild } from "../support/fault_server.ts";
import { RawClient } from "../support/helpers.ts";

const FAULT_SERVER = fileURLToPath(
  new URL("../support/fault_server.ts", import.meta.url),
);

/**
 * The arguments of `sh` that run `deno run -A ...args` under a soft and hard
 * limit of `nofile` descriptors.
 */
function limited(nofile: number, ...args: string[]): string[] {
  return [
    "-c",
    `ulimit -n ${nofile} && exec "$@"`,
    "sh",
    Deno.execPath(),
    "run",
    "-A",
    ...args,
  ];
}

/**
 * `tests/support/fault_server.ts` in a process of its own under `ulimit -n`:
 * its descriptors are counted in `/proc`.
 */
class LimitedServer extends ServerChild {
  #watchdog: ReturnType<typeof setTimeout>;

  private constructor(nofile: number, options: object) {
    super(
      "sh",
      limited(nofile, FAULT_SERVER, JSON.stringify(options)),
    );
    this.#watchdog = setTimeout(() => this.kill("SIGKILL"), 30_000);
  }

  /**
   * Starts the server with `options` and waits for its port. A server still
   * running after 30 s is killed, so a test that waits on it fails instead
   * of hanging.
   */
  static async start(nofile: number, options: object): Promise<LimitedServer> {
    const server = new LimitedServer(nofile, options);
    server.port = Number(await server.line());
    return server;
  }

  /** How many descriptors the server has open. */
  openFds(): number {
    return [...Deno.readDirSync(`/proc/${this.pid}/fd`)].length;
  }

  /** Closes stdin, which shuts the server down; resolves to all of stderr. */
  override async stop(): Promise<string[]> {
    const errors = await super.stop();
    clearTimeout(this.#watchdog);
    return errors;
  }

  /** Kills the server if {@link stop} did not end it. */
  override async [Symbol.asyncDispose](): Promise<void> {
    clearTimeout(this.#watchdog);
    await super[Symbol.asyncDispose]();
  }
}

/**
 * A download whose client reads the response head, then nothing more: the
 * server's write stalls once the kernel's buffers are full, and it holds
 * the socket and the file open.
 */
async function stalledDownload(
  port: number,
  path: string,
): Promise<{ conn: Deno.Conn; status: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\n\r\n`));
  const buf = new Uint8Array(4096);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`closed mid-head: ${head}`);
    head += new TextDecoder("latin1").decode(buf.subarray(0, n));
  }
  return { conn, status: Number(head.split(" ")[1]) };
}

/**
 * Sends an HTTP/1.0 `request` on a new connection and reads the response,
 * then the server's close: its socket is closed once this resolves.
 */
async function ask(port: number, request: string) {
  using client = await RawClient.connect(port);
  await client.send(request);
  const response = await client.readResponse();
  assert.ok(await client.closed(), "closed after the response");
  return response;
}

/** A folder with a 16 MiB file, `hello.txt` and a CGI script. */
async function servedFolder() {
  const files = await patternFiles(16);
  // Readable by `nobody`, whom a server run as root runs scripts as.
  await Deno.chmod(files.path, 0o755);
  await Deno.writeTextFile(`${files.path}/hello.txt`, "hello\n");
  await Deno.mkdir(`${files.path}/cgi-bin`);
  await Deno.writeTextFile(
    `${files.path}/cgi-bin/hi.sh`,
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhi\\n'\n",
    { mode: 0o755 },
  );
  return files;
}

const NOFILE = 64;

Deno.test("out of descriptors, files, listings, uploads and CGI answer 503 with Retry-After, never 404; failed accepts are logged once; all is served again after", async () => {
  await using files = await servedFolder();
  // More connections allowed than descriptors: what the default prevents.
  await using server = await LimitedServer.start(NOFILE, {
    directory: files.path,
    cgi: true,
    maxConnections: 1_000,
    idleTimeout: 60_000,
  });
  const { port } = server;
  const held: Deno.Conn[] = [];
  let opened = 0;
  try {
    // Stalled downloads, each with its socket and file, until a few
    // descriptors are left (a count that the runtime's own, opened and
    // closed as it goes, make approximate).
    while (NOFILE - server.openFds() >= 6) {
      const download = await stalledDownload(port, "/16.bin");
      opened++;
      held.push(download.conn);
      assert.equal(download.status, 200);
    }
    // Then one idle connection at a time, each accepted before any
    // connection made after it, until a download finds no descriptor for
    // its file: then exactly one is left, for the next connection.
    for (;;) {
      held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      const download = await stalledDownload(port, "/16.bin");
      opened += 2;
      if (download.status === 503) {
        // The server's close, which gives that one back.
        await download.conn.readable.pipeTo(new WritableStream());
        break;
      }
      download.conn.close();
      assert.equal(download.status, 200);
      await server.closedConnections(opened - held.length);
    }
    // Each new connection takes the last descriptor: there is none left
    // for its file, folder, temporary file or script pipes. (Where the
    // server was still letting go of one, the request goes through: then
    // one more idle connection, and again.)
    const requests = {
      "a small file": () => "GET /hello.txt HTTP/1.0\r\n\r\n",
      "a large file": () => "GET /16.bin HTTP/1.0\r\n\r\n",
      "a listing": () => "GET / HTTP/1.0\r\n\r\n",
      "an upload": () =>
        `PUT /new-${opened}.txt HTTP/1.0\r\nContent-Length: 3\r\n\r\nnew`,
      "a CGI script": () => "GET /cgi-bin/hi.sh HTTP/1.0\r\n\r\n",
    };
    for (const [what, request] of Object.entries(requests)) {
      for (let tries = 1;; tries++) {
        const response = await ask(port, request());
        opened++;
        if (response.status === 503) {
          assert.equal(response.headers.get("retry-after"), "1", what);
          break;
        }
        assert.ok(
          response.status < 300 && tries < 5,
          `${what}: ${response.head}`,
        );
        held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        opened++;
      }
    }

    // No descriptor left at all: idle connections until one is not
    // accepted, and accepting fails again and again.
    for (;;) {
      held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      using waiting = await RawClient.connect(port);
      opened += 2;
      await waiting.send("GET /hello.txt HTTP/1.0\r\n\r\n");
      const answer = waiting.readResponse();
      const first = await Promise.race([
        server.logged(/^accept failed: /),
        answer,
      ]);
      if (typeof first !== "string") continue;
      // Out of descriptors for half a second: a failed accept every 100 ms.
      await new Promise((resolve) => setTimeout(resolve, 500));
      held.shift()!.close();
      const late = await answer;
      assert.ok(late.status === 200 || late.status === 503, late.head);
      break;
    }
  } finally {
    for (const conn of held) conn.close();
  }
  await server.closedConnections(opened);
  assert.equal(
    (await ask(port, "GET /hello.txt HTTP/1.0\r\n\r\n")).text,
    "hello\n",
  );
  const download = await stalledDownload(port, "/16.bin");
  download.conn.close();
  assert.equal(download.status, 200);
  assert.equal(
    (await ask(port, "GET /cgi-bin/hi.sh HTTP/1.0\r\n\r\n")).text,
    "hi\n",
  );
  const errors = await server.stop();
  // One line for the first failure; the others, counted, in one more line
  // when the server stops (or ten seconds on, on a slow machine).
  const failures = errors.filter((line) => line.startsWith("accept"));
  assert.equal(failures.length, 2, failures.join("\n"));
  assert.equal(failures[0], "accept failed: Too many open files (os error 24)");
  const more =
    /^accept failed (\d+) more times?: Too many open files \(os error 24\)$/
      .exec(failures[1]);
  assert.ok(more && Number(more[1]) >= 2, failures[1]);
  assert.ok(!errors.some((line) => / 404 -$/.test(line)), "no 404");
  assert.ok(!errors.some((line) => line.startsWith("    at ")), "no stack");
});

Deno.test("the command line sizes maxConnections from ulimit -n and says so: stalled downloads past it wait, they never run it out of descriptors", async () => {
  await using files = await servedFolder();
  const nofile = 96;
  await using cli = Cli.binary(
    "sh",
    limited(nofile, MOD, ...loopback(files.path)),
  );
  const port = await cli.port();
  // (96 - 64) / 3: a socket, a file and Deno's copy of it each, and 64 for
  // the rest.
  const note = await cli.waitFor(/\n(Open-file limit .*)\n/);
  assert.equal(
    note![1],
    "Open-file limit 96: at most 10 connections at once (raise it to 3136 with ulimit -n for 1024)",
  );
  const held: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const download = await stalledDownload(port, "/16.bin");
      held.push(download.conn);
      assert.equal(download.status, 200);
    }
    // The eleventh waits in the kernel's backlog until one goes.
    const waiting = ask(port, "GET /hello.txt HTTP/1.0\r\n\r\n");
    held.shift()!.close();
    assert.equal((await waiting).text, "hello\n");
  } finally {
    for (const conn of held) conn.close();
  }
  cli.kill("SIGTERM");
  const { code, stderr } = await cli.finish();
  assert.equal(code, 0);
  assert.match(
    stderr,
    /10 connections open \(maxConnections\): accepting waits until one closes/,
  );
  assert.ok(!stderr.includes("accept failed"), stderr);
  assert.ok(!stderr.includes(" 503 -"), stderr);
});

Deno.test("where /proc/self/limits cannot be read the banner says the limit is taken to be 1024", async () => {
  await using files = await servedFolder();
  await using cli = Cli.serving(files.path);
  assert.ok(await cli.waitFor(BANNER));
  const note = await cli.waitFor(/\n(Open-file limit .*)\n/);
  assert.equal(
    note![1],
    "Open-file limit taken to be 1024 (reading /proc/self/limits needs --allow-all): at most 320 connections at once",
  );
  cli.kill("SIGTERM");
  assert.equal((await cli.finish()).code, 0);
});
