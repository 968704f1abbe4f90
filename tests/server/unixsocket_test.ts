// Serving on a Unix socket: from code (`{ transport: "unix", path }`) and
// from the command line (`--bind unix:PATH`), its file removed on shutdown,
// a stale one taken over, one that a server still answers on refused, and
// `-` as the client address of its peers.
import assert from "node:assert/strict";
import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "../../mod.ts";
import { ThreadingHTTPSServer } from "../../server/tls.ts";
import { removeStaleSocket } from "../../server/unixsocket.ts";
import { exists } from "../../files/upload/uploadfile.ts";
import { Cli, MOD, run, withFolder } from "../support/cli_process.ts";
import {
  captureStderr,
  RawClient,
  tempFolder,
  until,
} from "../support/helpers.ts";
import { makeCerts } from "../support/tls_fixture.ts";
import { requiring } from "../support/tools.ts";

/** The CLI's banner on a Unix socket; group: the path. */
const UNIX_BANNER =
  /^Serving HTTP on unix:(\S+) \(curl --unix-socket \S+ http:\/\/localhost\/\) \.\.\.\n/;

class Hello extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
  async do_GET() {
    this.sendResponse(200);
    this.sendHeader("Content-Length", "6");
    this.endHeaders();
    await this.wfile.write("hello\n");
  }
}

/** Runs `fn` with a fresh folder, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  await using dir = await tempFolder("httpserver-unix-");
  await fn(dir.root);
}

/**
 * Leaves a stale socket file at `path`, as a server that was killed does:
 * bound and never listening, so that a connection is refused.
 */
async function staleSocket(path: string): Promise<void> {
  const { code } = await new Deno.Command("python3", {
    args: [
      "-c",
      "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      path,
    ],
  }).output();
  assert.equal(code, 0);
  assert.ok(Deno.lstatSync(path).isSocket);
}

const python = requiring("python3");
/** A file larger than a Unix socket's buffers, in bytes. */
const BIG = 16 * 1024 * 1024;
const openssl = requiring("openssl");

Deno.test("a server on a Unix socket serves over it, logs - as the client, and removes its file when closed", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/www.sock`;
    const lines = await captureStderr(async () => {
      await using server = new ThreadingHTTPServer(
        { transport: "unix", path },
        Hello,
      );
      const loop = server.serveForever();
      assert.equal(server.serverName, path);
      assert.equal(server.serverPort, 0);
      assert.deepEqual(server.serverAddress, { transport: "unix", path });
      assert.ok(Deno.lstatSync(path).isSocket);
      using client = await RawClient.connectUnix(path);
      for (let i = 0; i < 2; i++) {
        await client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert.equal((await client.readResponse()).text, "hello\n");
      }
      client.close();
      await server.shutdown();
      server.serverClose();
      await loop;
    });
    assert.equal(exists(path), false, "the socket file is removed");
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.match(
        line,
        /^- - - \[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\] "GET \/hello HTTP\/1\.1" 200 -\n$/,
      );
    }
  });
});

Deno.test("listening where a file is already refuses it, from code", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/taken`;
    await Deno.writeTextFile(path, "mine\n");
    assert.throws(
      () => new ThreadingHTTPServer({ transport: "unix", path }, Hello),
      Deno.errors.AddrInUse,
    );
    assert.equal(await Deno.readTextFile(path), "mine\n");
  });
});

openssl.test("HTTPS on a Unix socket is refused with a TypeError", async () => {
  await using certs = await makeCerts();
  await withDir((dir) => {
    assert.throws(
      () =>
        new ThreadingHTTPSServer(
          { transport: "unix", path: `${dir}/tls.sock` } as never,
          Hello,
          { certfile: certs.cert, keyfile: certs.key },
        ),
      TypeError,
    );
    assert.equal(exists(`${dir}/tls.sock`), false);
    return Promise.resolve();
  });
});

python.test("removeStaleSocket removes a socket nothing answers on, and leaves a missing path alone", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/stale.sock`;
    await removeStaleSocket(path);
    await staleSocket(path);
    await removeStaleSocket(path);
    assert.equal(exists(path), false);
  });
});

Deno.test("removeStaleSocket refuses a socket a server answers on, and a file that is not a socket", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/live.sock`;
    {
      using _listener = Deno.listen({ transport: "unix", path });
      await assert.rejects(
        () => removeStaleSocket(path),
        Deno.errors.AddrInUse,
        `the Unix socket '${path}' is in use by another server`,
      );
      assert.ok(exists(path));
    }
    const file = `${dir}/notes.txt`;
    await Deno.writeTextFile(file, "mine\n");
    await assert.rejects(
      () => removeStaleSocket(file),
      Deno.errors.AlreadyExists,
    );
    assert.equal(await Deno.readTextFile(file), "mine\n");
  });
});

/** The narrowest permissions to serve `dir` on the socket `path`. */
/** The arguments that serve `dir` on the Unix socket `path`, then `more`. */
function onSocket(dir: string, path: string, ...more: string[]): string[] {
  return ["-b", `unix:${path}`, "-d", dir, ...more];
}

function permissions(dir: string, path: string): string[] {
  return [
    `--allow-net=unix:${path}`,
    `--allow-read=${dir},${path}`,
    `--allow-write=${path}`,
  ];
}

Deno.test("--bind unix:PATH serves on the socket with its banner, and SIGTERM removes the file", async () => {
  await withFolder(async (dir) => {
    const path = `${dir}/www.sock`;
    await using cli = new Cli(
      permissions(dir, path),
      onSocket(dir, path, "-p", "HTTP/1.1"),
    );
    const banner = await cli.waitFor(UNIX_BANNER);
    assert.ok(banner, cli.out);
    assert.equal(banner[1], path);
    using client = await RawClient.connectUnix(path);
    await client.send("GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert.equal((await client.readResponse()).text, "hello\n");
    client.close();
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /^- - - \[.*\] "GET \/hello\.txt HTTP\/1\.1" 200 -\n$/,
    );
    assert.equal(exists(path), false, "the socket file is removed");
  });
});

Deno.test("--bind unix:PATH where another server answers is refused in one line, exit 1, its socket untouched", async () => {
  await withFolder(async (dir) => {
    const path = `${dir}/www.sock`;
    using _other = Deno.listen({ transport: "unix", path });
    const { code, stdout, stderr } = await run(
      permissions(dir, path),
      onSocket(dir, path),
    );
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `httpserver: error: the Unix socket '${path}' is in use by another server\n`,
    );
    // The other server still has its socket.
    (await RawClient.connectUnix(path)).close();
  });
});

python.test("--bind unix:PATH takes over a stale socket file", async () => {
  await withFolder(async (dir) => {
    const path = `${dir}/www.sock`;
    await staleSocket(path);
    await using cli = new Cli(permissions(dir, path), onSocket(dir, path));
    assert.ok(await cli.waitFor(UNIX_BANNER), cli.out);
    using client = await RawClient.connectUnix(path);
    await client.send("GET /hello.txt HTTP/1.0\r\n\r\n");
    assert.equal((await client.readResponse()).text, "hello\n");
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("--bind unix:PATH on a file that is not a socket is refused in one line, the file untouched", async () => {
  await withFolder(async (dir) => {
    const path = `${dir}/hello.txt`;
    const { code, stderr } = await run(
      permissions(dir, path),
      onSocket(dir, path),
    );
    assert.equal(code, 1);
    assert.equal(
      stderr,
      `httpserver: error: cannot listen on the Unix socket '${path}': a file that is not a socket is there\n`,
    );
    assert.equal(await Deno.readTextFile(path), "hello\n");
  });
});

Deno.test("at SIGTERM the socket file goes at once, so that new clients go elsewhere, while the request in flight is answered", async () => {
  await withFolder(async (dir) => {
    const path = `${dir}/www.sock`;
    await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(BIG));
    await using cli = new Cli(permissions(dir, path), onSocket(dir, path));
    assert.ok(await cli.waitFor(UNIX_BANNER), cli.out);
    // A download larger than the socket's buffers: in flight until read.
    using client = await RawClient.connectUnix(path);
    await client.send("GET /big.bin HTTP/1.0\r\n\r\n");
    await client.readUntil(/^HTTP\/1\.0 200 /);
    cli.kill("SIGTERM");
    await until(() => exists(path) ? undefined : true, "socket file removed");
    await assert.rejects(
      () => RawClient.connectUnix(path),
      Deno.errors.NotFound,
    );
    assert.equal((await client.readResponse()).body.length, BIG);
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
  });
});

const unixUsageErrors: [string, string[], RegExp][] = [
  [
    "a Unix socket without a path",
    ["-b", "unix:"],
    /argument -b\/--bind: unix: needs the socket's path/,
  ],
  [
    "a Unix socket and a port",
    ["-b", "unix:/tmp/x.sock", "8000"],
    /argument port: not allowed with a Unix socket/,
  ],
  [
    "a Unix socket with TLS",
    ["-b", "unix:/tmp/x.sock", "--tls-cert", "cert.pem"],
    /argument --tls-cert: not allowed with a Unix socket \(--bind unix:PATH\): TLS ends at the proxy in front/,
  ],
];
for (const [what, args, message] of unixUsageErrors) {
  Deno.test(`${what} is a usage error: exit 2`, async () => {
    const { code, stderr } = await run([], args);
    assert.equal(code, 2);
    assert.match(stderr, message);
  });
}

Deno.test("--print-permissions names the socket for net (absolute), read and write", async () => {
  await withDir(async (dir) => {
    const { code, stdout } = await run([], [
      "-b",
      "unix:www.sock",
      "-d",
      "site",
      "--print-permissions",
    ], { cwd: dir });
    assert.equal(code, 0);
    assert.equal(
      stdout,
      `deno run --allow-net=unix:${dir}/www.sock --allow-read=www.sock,site --allow-write=www.sock ${MOD} -b unix:www.sock -d site\n`,
    );
  });
});
