/**
 * Tests of the log buffer: lines of a turn leave in one write, in order, by
 * the end of the turn; nothing waiting is lost when the process ends; the
 * server's own stderr messages do not overtake waiting lines.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BaseHTTPRequestHandler, flushLog, HTTPServer } from "../../mod.ts";
import { writeLog } from "../../util/logbuffer.ts";
import {
  exchange,
  RawClient,
  recordStderr,
  serve,
} from "../support/helpers.ts";

const decoder = new TextDecoder();

/** Resolves after the immediates queued so far (the log's flush among them). */
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

Deno.test("the lines of one turn leave in one write, in order, by its end", async () => {
  const writes = await recordStderr(async (writes) => {
    writeLog("one\n");
    writeLog("two\n");
    assert.deepEqual(writes, [], "nothing is written during the turn");
    await endOfTurn();
    assert.deepEqual(writes, ["one\ntwo\n"]);
    writeLog("three\n");
    await endOfTurn();
    writeLog("four\n");
    flushLog();
    assert.deepEqual(writes.at(-1), "four\n", "flushLog writes at once");
  });
  assert.deepEqual(writes, ["one\ntwo\n", "three\n", "four\n"]);
});

const HELLO_SERVER = `
import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "MOD";
class Hello extends BaseHTTPRequestHandler {
  protocolVersion = "HTTP/1.1";
  do_GET() {
    this.sendResponse(204);
    this.endHeaders();
  }
}
const server = new ThreadingHTTPServer({ hostname: "127.0.0.1", port: 0 }, Hello);
console.log(server.serverPort);
await server.serveForever();
`;

Deno.test({
  name:
    "a response's log line is on stderr before its bytes leave, as Python's is",
  ignore: Deno.build.os === "windows", // SIGSTOP
  async fn() {
    const log = await Deno.makeTempFile({ prefix: "httpserver-log-" });
    const mod = new URL("../../mod.ts", import.meta.url).href;
    // The server writes its stderr to the file itself: once it is stopped,
    // the file holds all it wrote.
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        'exec "$0" eval "$1" 2>"$2"',
        Deno.execPath(),
        HELLO_SERVER.replace("MOD", mod),
        log,
      ],
      stdin: "null",
      stdout: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    try {
      const port = Number((await lines.read()).value);
      using client = await RawClient.connect(port);
      for (let i = 0; i < 30; i++) {
        await client.send(`GET /${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
        assert.equal((await client.readResponse(true)).status, 204);
        // Frozen the moment its response arrived, the server has logged it.
        child.kill("SIGSTOP");
        assert.match(
          await Deno.readTextFile(log),
          new RegExp(`"GET /${i} HTTP/1.1" 204`),
        );
        child.kill("SIGCONT");
      }
    } finally {
      child.kill("SIGKILL");
      await lines.cancel();
      await child.status;
      await Deno.remove(log);
    }
  },
});

Deno.test("past 64 KiB waiting, the lines are written at once", async () => {
  const long = "x".repeat(40 * 1024) + "\n";
  const writes = await recordStderr((writes) => {
    writeLog(long);
    assert.deepEqual(writes, []);
    writeLog(long);
    assert.deepEqual(writes, [long + long]);
  });
  assert.equal(writes.length, 1);
});

Deno.test("a write that takes part of the bytes is continued with the rest", async () => {
  const writes = await recordStderr(() => writeLog("caf\u00e9 \u20ac\n"), 3);
  // "café €\n" is 10 bytes in UTF-8: 3 + 3 + 3 + 1.
  assert.deepEqual(writes.map((w) => w.length), [3, 3, 3, 1]);
  const bytes = Uint8Array.from(writes.join(""), (c) => c.charCodeAt(0));
  assert.equal(decoder.decode(bytes), "caf\u00e9 \u20ac\n");
});

/** Runs `code` in a fresh Deno with the log buffer imported as `log`. */
async function runScript(code: string): Promise<string> {
  const url = new URL("../../util/logbuffer.ts", import.meta.url).href;
  const { stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import * as log from "${url}";\n${code}`],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return decoder.decode(stderr);
}

Deno.test("waiting lines are written when the process ends", async (t) => {
  await t.step("by Deno.exit", async () => {
    const stderr = await runScript('log.writeLog("last\\n"); Deno.exit(0);');
    assert.equal(stderr, "last\n");
  });
  await t.step("by an uncaught error, before its report", async () => {
    const stderr = await runScript(
      'log.writeLog("last\\n"); throw new Error("boom");',
    );
    assert.match(stderr, /^last\nerror: Uncaught.*boom/s);
  });
  await t.step("by an unhandled rejection, before its report", async () => {
    const stderr = await runScript(
      'log.writeLog("last\\n"); Promise.reject(new Error("boom"));',
    );
    assert.match(stderr, /^last\nerror: Uncaught \(in promise\).*boom/s);
  });
});

Deno.test("a handler's exception report comes after the lines it logged before", async () => {
  class Throwing extends BaseHTTPRequestHandler {
    do_GET() {
      this.logMessage("before the failure");
      throw new Error("boom");
    }
  }
  const events: string[] = [];
  const consoleError = console.error;
  console.error = (message: string) => events.push(`console: ${message}`);
  try {
    await recordStderr(async (writes) => {
      // Each log write becomes an event as it happens.
      writes.push = (...items: string[]) =>
        events.push(...items.map((w) => `log: ${w}`));
      await using s = serve(Throwing, {}, HTTPServer);
      await exchange(s.port, "GET / HTTP/1.0\r\n\r\n");
    });
  } finally {
    console.error = consoleError;
  }
  const lines = events.join("").split("\n");
  const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
  const before = at(/before the failure/);
  const report = at(/^console: -+$/);
  const status = at(/code 500/);
  assert.ok(before !== -1 && report !== -1 && status !== -1, events.join(""));
  assert.ok(before < report && report < status, events.join(""));
});
