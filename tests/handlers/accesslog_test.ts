// The access log's formats over real sockets: the Common and Combined Log
// Formats and JSON lines, written once a response has ended with the bytes
// of its body and its duration; control characters escaped in every
// format; the handler's messages on stderr beside them; `quiet`; and the
// override points (`logRequest`, `logMessage`, `logAccess`).
import assert from "node:assert/strict";
import {
  type AccessLogEntry,
  BaseHTTPRequestHandler,
  createFileHandler,
  type LogFormat,
  parseAccounts,
  SimpleHTTPRequestHandler,
} from "../../mod.ts";
import {
  captureStderr,
  latin1,
  RawClient,
  recordStderr,
  serve,
  tempFolder,
  until,
} from "../support/helpers.ts";

const HELLO = new TextEncoder().encode("hello\n");

/** Answers GET and HEAD with "hello\n", PUT with 201 "ok", `/missing` with 404. */
class Hello extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";

  async do_GET() {
    if (this.path === "/missing") return await this.sendError(404);
    this.sendResponse(200);
    this.sendHeader("Content-Length", String(HELLO.length));
    this.endHeaders();
    if (this.command !== "HEAD") await this.wfile.write(HELLO);
  }

  do_HEAD() {
    return this.do_GET();
  }

  async do_PUT() {
    await this.rfile.read();
    this.sendResponse(201);
    this.sendHeader("Content-Length", "2");
    this.endHeaders();
    await this.wfile.write("ok");
  }
}

function inFormat(logFormat: LogFormat) {
  return class extends Hello {
    override logFormat = logFormat;
  };
}

/** Sends `requests` on one keep-alive connection, each read in turn. */
async function exchangeAll(port: number, requests: string[]): Promise<void> {
  using client = await RawClient.connect(port);
  for (const request of requests) {
    await client.send(request);
    while (
      (await client.readResponse(request.startsWith("HEAD "))).status < 200
    );
  }
}

const decoder = new TextDecoder();

/**
 * The lines on stderr while `fn` runs and until there are `count`: an
 * access line is written once its response has ended, which may be after
 * the client has read it.
 */
async function logged(
  count: number,
  fn: () => Promise<void>,
): Promise<string[]> {
  const split = (writes: string[]) =>
    decoder.decode(
      Uint8Array.from(writes.join(""), (c) => c.charCodeAt(0)),
    ).split(/(?<=\n)/).filter((line) => line !== "");
  const writes = await recordStderr(async (writes) => {
    await fn();
    await until(
      () => split(writes).length >= count ? true : undefined,
      `${count} lines logged`,
    );
  });
  return split(writes);
}

const CLF_TIME = String.raw`\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`;

Deno.test("the Common Log Format gives client, local time and offset, request line, status and the body's bytes, - for none", async () => {
  await using server = serve(inFormat("common"));
  const lines = await logged(4, () =>
    exchangeAll(server.port, [
      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
      "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
    ]));
  assert.equal(lines.length, 4, lines.join(""));
  assert.match(
    lines[0],
    new RegExp(
      `^127\\.0\\.0\\.1 - - ${CLF_TIME} "GET /hello HTTP/1\\.1" 200 6\\n$`,
    ),
  );
  assert.match(lines[1], /"HEAD \/hello HTTP\/1\.1" 200 -\n$/);
  // The error's message comes first, in Python's line, as Python logs it.
  assert.match(
    lines[2],
    /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\] code 404, message Not Found\n$/,
  );
  const page = lines[3].match(/"GET \/missing HTTP\/1\.1" 404 (\d+)\n$/);
  assert.ok(page, lines[3]);
  assert.ok(Number(page[1]) > 300, "the error page's bytes, not its head's");
});

Deno.test("the Combined Log Format adds the referrer and user agent, quoted, - for none", async () => {
  await using server = serve(inFormat("combined"));
  const lines = await logged(2, () =>
    exchangeAll(server.port, [
      "GET /a HTTP/1.1\r\nHost: t\r\nReferer: http://t/\r\nUser-Agent: probe/1.0\r\n\r\n",
      "GET /b HTTP/1.1\r\nHost: t\r\n\r\n",
    ]));
  assert.equal(lines.length, 2, lines.join(""));
  assert.match(
    lines[0],
    new RegExp(
      `^127\\.0\\.0\\.1 - - ${CLF_TIME} "GET /a HTTP/1\\.1" 200 6 "http://t/" "probe/1\\.0"\\n$`,
    ),
  );
  assert.match(lines[1], /"GET \/b HTTP\/1\.1" 200 6 "-" "-"\n$/);
});

Deno.test("JSON lines give one object per request: time, client, user, method, target, protocol, status, bytes, duration, user agent, referrer", async () => {
  await using server = serve(inFormat("json"));
  const before = Date.now();
  const lines = await logged(4, () =>
    exchangeAll(server.port, [
      "GET /hello?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: probe/1.0\r\n\r\n",
      "PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
      "GET /missing HTTP/1.1\r\nHost: t\r\nReferer: http://t/\r\n\r\n",
    ]));
  const after = Date.now();
  const objects = lines.map((line) => JSON.parse(line));
  assert.equal(objects.length, 4, lines.join(""));
  const [hello, put, message, missing] = objects;
  const time = Date.parse(hello.time);
  assert.ok(before - 1000 <= time && time <= after, hello.time);
  assert.match(hello.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(hello.duration >= 0 && hello.duration < 5, `${hello.duration}`);
  delete hello.time;
  delete hello.duration;
  assert.deepEqual(hello, {
    client: "127.0.0.1",
    user: null,
    method: "GET",
    target: "/hello?x=1",
    protocol: "HTTP/1.1",
    status: 200,
    bytes: 6,
    user_agent: "probe/1.0",
    referrer: null,
  });
  // The interim 100 Continue is no part of the response's bytes.
  assert.equal(put.status, 201);
  assert.equal(put.bytes, 2);
  // The handler's messages are JSON objects too, on the same stderr.
  assert.deepEqual(Object.keys(message), ["time", "client", "message"]);
  assert.equal(message.message, "code 404, message Not Found");
  assert.equal(missing.status, 404);
  assert.equal(missing.referrer, "http://t/");
  assert.ok(missing.bytes > 300);
});

Deno.test("a head refused as malformed is logged with the request line as far as it was read", async () => {
  await using server = serve(inFormat("json"));
  const lines = await logged(2, async () => {
    using client = await RawClient.connect(server.port);
    await client.send("GET /x HTTP/1.1x\r\n\r\n");
    await client.readAll();
  });
  const entry = JSON.parse(lines.at(-1)!);
  assert.equal(entry.status, 400);
  assert.equal(entry.method, "GET");
  assert.equal(entry.target, "/x");
  assert.equal(entry.protocol, "HTTP/1.1x");
});

Deno.test("control characters from the client are escaped in every format, as in Python's", async (t) => {
  // Bytes a parser lets through: C1 controls in the target and in a header.
  const request = latin1(
    'GET /\x9b[2J HTTP/1.1\r\nHost: t\r\nUser-Agent: a"\x85b\\\r\n\r\n',
  );
  for (const format of ["python", "common", "combined", "json"] as const) {
    await t.step(format, async () => {
      await using server = serve(inFormat(format));
      const lines = await logged(1, async () => {
        using client = await RawClient.connect(server.port);
        await client.send(request);
        await client.readResponse();
      });
      const text = lines.join("");
      // deno-lint-ignore no-control-regex
      assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      if (format === "json") {
        const entry = JSON.parse(text);
        assert.equal(entry.target, "/\x9b[2J");
        assert.equal(entry.user_agent, 'a"\x85b\\');
      } else {
        assert.ok(text.includes("/\\x9b[2J"), text);
      }
      if (format === "combined") {
        assert.ok(text.endsWith(' "a\\"\\x85b\\\\"\n'), text);
      }
    });
  }
});

Deno.test("quiet logs nothing: no request line, no message", async () => {
  class Quiet extends Hello {
    override quiet = true;
  }
  for (const format of ["python", "json"] as const) {
    class QuietIn extends Quiet {
      override logFormat = format;
    }
    // Once the server is shut down, all its requests have ended.
    const lines = await captureStderr(async () => {
      await using server = serve(QuietIn);
      await exchangeAll(server.port, [
        "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
      ]);
    });
    assert.deepEqual(lines, [], format);
  }
});

Deno.test("in Python's format a subclass's logMessage still gets the request line", async () => {
  const messages: string[] = [];
  class Collect extends Hello {
    override logMessage(format: string, ...args: unknown[]): void {
      messages.push(`${format} ${args.join(" ")}`);
    }
  }
  const lines = await captureStderr(async () => {
    await using server = serve(Collect);
    await exchangeAll(server.port, ["GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"]);
  });
  assert.deepEqual(lines, []);
  assert.deepEqual(messages, ['"%s" %s %s GET /hello HTTP/1.1 200 -']);
});

Deno.test("a logRequest that does not call its super leaves the request out of the access log, in any format", async () => {
  class NoHealth extends inFormat("combined") {
    override logRequest(code?: number | string, size?: number | string) {
      if (this.path !== "/health") super.logRequest(code, size);
    }
  }
  await using server = serve(NoHealth);
  const lines = await logged(1, () =>
    exchangeAll(server.port, [
      "GET /health HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /page HTTP/1.1\r\nHost: t\r\n\r\n",
    ]));
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(lines[0], /"GET \/page HTTP\/1\.1" 200 6/);
});

Deno.test("logAccess gets each ended request's entry, to send elsewhere", async () => {
  const entries: AccessLogEntry[] = [];
  class Elsewhere extends inFormat("json") {
    override logAccess(entry: AccessLogEntry): void {
      entries.push(entry);
    }
  }
  const lines = await captureStderr(async () => {
    await using server = serve(Elsewhere);
    await exchangeAll(server.port, [
      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
      "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n",
    ]);
  });
  assert.deepEqual(lines, []);
  assert.deepEqual(
    entries.map(({ requestLine, status, bytes, client }) => ({
      requestLine,
      status,
      bytes,
      client,
    })),
    [
      {
        requestLine: "GET /hello HTTP/1.1",
        status: 200,
        bytes: 6,
        client: "127.0.0.1",
      },
      {
        requestLine: "HEAD /hello HTTP/1.1",
        status: 200,
        bytes: 0,
        client: "127.0.0.1",
      },
    ],
  );
  assert.ok(entries.every((entry) => entry.duration >= 0));
});

Deno.test("the Common Log Format's time is local, with the zone's offset in hours and minutes", async () => {
  const date = new URL("../../http/date.ts", import.meta.url).href;
  const cases = [
    ["UTC", "06/Nov/1994:08:49:37 +0000"],
    ["Asia/Kolkata", "06/Nov/1994:14:19:37 +0530"],
    ["America/New_York", "06/Nov/1994:03:49:37 -0500"],
  ];
  for (const [zone, expected] of cases) {
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { formatClfDate } from "${date}";
console.log(formatClfDate(784111777000), formatClfDate(784111777999));`,
      ],
      env: { TZ: zone },
    }).output();
    assert.equal(
      new TextDecoder().decode(stdout),
      `${expected} ${expected}\n`,
      zone,
    );
  }
});

/** alice, password "secret", and a rule that lets anyone read `/`. */
const ACCOUNTS = parseAccounts("alice:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\n");
const RULES = ["/:*=ro"];
const ALICE = `Basic ${btoa("alice:secret")}`;

Deno.test("with accounts, Common and JSON lines name the signed-in user where Apache's %u does, - or null for none, on both faces", async () => {
  await using folder = await tempFolder("accesslog_user_", { "a.txt": "a" });
  class Common extends SimpleHTTPRequestHandler {
    override protocolVersion = "HTTP/1.1";
    override logFormat: LogFormat = "common";
    override accounts = ACCOUNTS;
    override accessRules = RULES;
  }
  await using server = serve(Common, { directory: folder.root });
  const lines = await logged(2, () =>
    exchangeAll(server.port, [
      `GET /a.txt HTTP/1.1\r\nHost: t\r\nAuthorization: ${ALICE}\r\n\r\n`,
      "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    ]));
  assert.match(lines[0], /^127\.0\.0\.1 - alice \[/, lines.join(""));
  assert.match(lines[1], /^127\.0\.0\.1 - - \[/, lines.join(""));

  const files = createFileHandler({
    fsRoot: folder.root,
    logFormat: "json",
    accounts: ACCOUNTS,
    access: RULES,
  });
  await using fetchServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    files,
  );
  const url = `http://127.0.0.1:${fetchServer.addr.port}/a.txt`;
  const json = await logged(2, async () => {
    for (const headers of [{ authorization: ALICE }, {}] as HeadersInit[]) {
      await (await fetch(url, { headers })).body?.cancel();
    }
  });
  assert.deepEqual(
    json.map((line) => JSON.parse(line).user),
    ["alice", null],
    json.join(""),
  );
});
