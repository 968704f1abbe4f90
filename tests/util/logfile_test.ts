// The log in a file: batched as on stderr (one write a turn), appended,
// reopened after logrotate moved it; from code (`LogFile`) and from the
// command line (`--log-file`, SIGHUP), with `--log-format` and `-q`.
import assert from "node:assert/strict";
import { BaseHTTPRequestHandler, LogFile, type LogFormat } from "../../mod.ts";
import {
  flushLog,
  setLogSink,
  writeLog,
  writeStderr,
} from "../../util/logbuffer.ts";
import {
  Cli,
  missingPermissions,
  run,
  withFolder,
} from "../support/cli_process.ts";
import {
  RawClient,
  recordStderr,
  serve,
  tempFolder,
  until,
} from "../support/helpers.ts";

const decoder = new TextDecoder();

/** Resolves after the immediates queued so far (the log's flush among them). */
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

Deno.test("with a sink, the log's lines of a turn leave in one write to it, and stderr's in one to stderr", async () => {
  const sunk: string[] = [];
  const stderr = await recordStderr(async () => {
    setLogSink({
      writeSync(p) {
        sunk.push(decoder.decode(p));
        return p.length;
      },
    });
    try {
      writeLog("one\n");
      writeStderr("message\n");
      writeLog("two\n");
      assert.deepEqual(sunk, [], "nothing is written during the turn");
      await endOfTurn();
      assert.deepEqual(sunk, ["one\ntwo\n"]);
      writeLog("three\n");
    } finally {
      // Back to stderr, after what waits is written to the sink.
      setLogSink(null);
    }
    assert.deepEqual(sunk, ["one\ntwo\n", "three\n"]);
    writeStderr("four\n");
    writeLog("five\n");
  });
  assert.deepEqual(stderr, ["message\n", "four\nfive\n"]);
});

/** Runs `fn` with a fresh folder, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  await using dir = await tempFolder("httpserver-logfile-");
  await fn(dir.root);
}

Deno.test("a LogFile appends to what is there, and after reopen writes to a new file at the path", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/access.log`;
    await Deno.writeTextFile(path, "old\n");
    const stderr = await recordStderr(() => {
      using log = new LogFile(path);
      writeLog("one\n");
      flushLog();
      Deno.renameSync(path, `${path}.1`); // as logrotate does
      writeLog("two\n");
      log.reopen(); // the line waiting goes to the file it was meant for
      writeLog("three\n");
    });
    assert.equal(await Deno.readTextFile(`${path}.1`), "old\none\ntwo\n");
    assert.equal(await Deno.readTextFile(path), "three\n");
    assert.deepEqual(stderr, []);
  });
});

Deno.test("a LogFile that cannot be reopened keeps the log where it was", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/logs`);
    const path = `${dir}/logs/access.log`;
    using log = new LogFile(path);
    Deno.renameSync(`${dir}/logs`, `${dir}/moved`);
    assert.throws(() => log.reopen(), Deno.errors.NotFound);
    writeLog("still here\n");
    flushLog();
    assert.equal(
      await Deno.readTextFile(`${dir}/moved/access.log`),
      "still here\n",
    );
  });
});

class Hello extends BaseHTTPRequestHandler {
  async do_GET() {
    if (this.path === "/missing") return await this.sendError(404);
    this.sendResponse(200);
    this.sendHeader("Content-Length", "6");
    this.endHeaders();
    await this.wfile.write("hello\n");
  }
}

/** GET /hello and /missing on a server in `format`, with a LogFile. */
async function logBoth(format: LogFormat, path: string): Promise<string[]> {
  class InFormat extends Hello {
    override logFormat = format;
  }
  return await recordStderr(async () => {
    using _log = new LogFile(path);
    await using server = serve(InFormat);
    for (const target of ["/hello", "/missing"]) {
      using client = await RawClient.connect(server.port);
      await client.send(`GET ${target} HTTP/1.0\r\n\r\n`);
      await client.readAll();
    }
  });
}

Deno.test("in Python's format every line goes to the log file; in the others the access lines do, and messages to stderr", async () => {
  await withDir(async (dir) => {
    const python = await logBoth("python", `${dir}/python.log`);
    assert.deepEqual(python, []);
    const lines = (await Deno.readTextFile(`${dir}/python.log`)).split("\n");
    assert.match(lines[0], /"GET \/hello HTTP\/1\.0" 200 -$/);
    assert.match(lines[1], /code 404, message Not Found$/);
    assert.match(lines[2], /"GET \/missing HTTP\/1\.0" 404 -$/);

    const stderr = await logBoth("combined", `${dir}/combined.log`);
    assert.equal(stderr.length, 1);
    assert.match(stderr[0], /\] code 404, message Not Found\n$/);
    const access = (await Deno.readTextFile(`${dir}/combined.log`))
      .split("\n");
    assert.match(access[0], /"GET \/hello HTTP\/1\.0" 200 6 "-" "-"$/);
    assert.match(access[1], /"GET \/missing HTTP\/1\.0" 404 \d+ "-" "-"$/);
    assert.equal(access[2], "");
  });
});

/** GETs `path` from the CLI at 127.0.0.1:`port`. */
async function get(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.body?.cancel();
  return response.status;
}

Deno.test({
  name:
    "--log-file appends the log, and SIGHUP reopens it after logrotate moved it: the server goes on serving",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withFolder(async (dir) => {
      const log = `${dir}/access.log`;
      await using cli = Cli.serving(
        dir,
        ["--log-format", "common", "--log-file", log],
        [`--allow-write=${log}`],
      );
      const port = await cli.port();
      assert.ok(
        await cli.waitFor(
          /Access log: Common Log Format, appended to .*access\.log \(SIGHUP reopens it\)\n/,
        ),
      );
      assert.equal(await get(port, "/hello.txt"), 200);
      await until(
        async () => (await Deno.readTextFile(log)) !== "" ? true : undefined,
        "the first line",
      );
      await Deno.rename(log, `${log}.1`);
      cli.kill("SIGHUP");
      await until(() => {
        try {
          return Deno.statSync(log).isFile;
        } catch {
          return undefined;
        }
      }, "the log file created again");
      assert.equal(await get(port, "/missing.txt"), 404);
      await until(
        async () => (await Deno.readTextFile(log)) !== "" ? true : undefined,
        "the second line",
      );
      cli.kill("SIGTERM");
      const { code, stderr } = await cli.finish();
      assert.equal(code, 0, stderr);
      assert.match(
        await Deno.readTextFile(`${log}.1`),
        /^127\.0\.0\.1 - - \[.*\] "GET \/hello\.txt HTTP\/1\.1" 200 6\n$/,
      );
      assert.match(
        await Deno.readTextFile(log),
        /^127\.0\.0\.1 - - \[.*\] "GET \/missing\.txt HTTP\/1\.1" 404 \d+\n$/,
      );
      // The message of the 404 went to stderr, out of the access log.
      assert.match(
        stderr,
        /^127\.0\.0\.1 - - \[.*\] code 404, message File not found\n$/,
      );
    });
  },
});

Deno.test("a log file that cannot be opened is a runtime error in one line: exit 1", async () => {
  await withFolder(async (dir) => {
    const log = `${dir}/no/such/folder/access.log`;
    const { code, stdout, stderr } = await run(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${log}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--log-file", log],
    );
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `httpserver: error: cannot open the log file '${log}': No such file or directory\n`,
    );
  });
});

Deno.test("without --allow-write for the log file, the message names it", async () => {
  await withFolder(async (dir) => {
    const { code, stderr } = await run(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--log-file", "access.log"],
    );
    assert.equal(code, 1);
    assert.deepEqual(missingPermissions(stderr).flags, [
      "--allow-write=access.log",
    ]);
  });
});

Deno.test("-q logs nothing, and says so in the banner", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, ["-q"]);
    const port = await cli.port();
    assert.ok(await cli.waitFor(/\nLogging nothing \(--quiet\)\n/), cli.out);
    assert.equal(await get(port, "/hello.txt"), 200);
    assert.equal(await get(port, "/missing"), 404);
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.equal(stderr, "");
  });
});

Deno.test("--log-format json writes JSON lines on stderr, named in the banner", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, ["--log-format", "json"]);
    const port = await cli.port();
    assert.ok(await cli.waitFor(/\nAccess log: JSON lines, on stderr\n/));
    assert.equal(await get(port, "/hello.txt"), 200);
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    const entry = JSON.parse(stderr);
    assert.equal(entry.target, "/hello.txt");
    assert.equal(entry.bytes, 6);
  });
});

const logUsageErrors: [string, string[], RegExp][] = [
  [
    "an unknown log format",
    ["--log-format", "xml"],
    /argument --log-format: invalid choice: 'xml' \(choose from 'python', 'common', 'combined', 'json'\)/,
  ],
  [
    "-q with --log-format",
    ["-q", "--log-format", "json"],
    /argument -q\/--quiet: not allowed with argument --log-format/,
  ],
  [
    "--quiet with --log-file",
    ["--quiet", "--log-file", "x.log"],
    /argument -q\/--quiet: not allowed with argument --log-file/,
  ],
];
for (const [what, args, message] of logUsageErrors) {
  Deno.test(`${what} is a usage error: exit 2`, async () => {
    const { code, stderr } = await run([], args);
    assert.equal(code, 2);
    assert.match(stderr, message);
  });
}
