/**
 * Hostile requests over the wire against a BaseHTTPRequestHandler: request
 * smuggling through Content-Length, Transfer-Encoding and chunk framing,
 * heads that try to outgrow the limits, log lines a request tries to forge,
 * and `Location` headers it tries to split. The parser's own tables check each
 * rule on bytes; these check what a client sees: one 400, the connection
 * closed, and never a second request served out of a body.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BaseHTTPRequestHandler,
  SimpleHTTPRequestHandler,
  ThreadingHTTPServer,
} from "../../mod.ts";
import {
  captureLogs,
  captureStderr,
  exchange,
  LOG_LINE,
  RawClient,
  serve,
} from "../support/helpers.ts";
import { Echo as PostEcho } from "../support/fault_server.ts";

/** A complete request, hidden in bodies: serving it would be smuggling. */
const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

/** {@link PostEcho}, and an empty 200 for GET. */
class Echo extends PostEcho {
  do_GET() {
    this.sendResponse(200);
    this.sendHeader("Content-Length", "0");
    this.endHeaders();
  }
}

/** The request lines the handler logged with their status: `"GET / HTTP/1.1" 200`. */
function requestsLogged(lines: string[]): string[] {
  return lines.filter((line) => /^".*" \d{3} /.test(line))
    .map((line) => line.replace(/ \S+$/, ""));
}

/**
 * A request: `POST / HTTP/1.1`, Host, the given header lines, an empty line
 * and the body bytes, all as sent.
 */
function post(fields: string[], body: string, version = "HTTP/1.1"): string {
  return [`POST / ${version}`, "Host: t", ...fields, "", body].join("\r\n");
}

/** A chunked body whose last chunk ends early: after it comes {@link SMUGGLED}. */
const CHUNKED_THEN_SMUGGLED = "0\r\n\r\n" + SMUGGLED;

/** Rows: what is sent; each must be refused with exactly one 400. */
const REFUSED: [string, string][] = [
  // RFC 9112 §6.1: both framings at once is the classic CL.TE / TE.CL attack.
  ...[
    "chunked",
    "Chunked",
    "\tchunked",
    "xchunked",
    "chunked, identity",
  ].flatMap((te): [string, string][] => [
    [
      `Content-Length before Transfer-Encoding: ${JSON.stringify(te)}`,
      post(
        ["Content-Length: 5", `Transfer-Encoding: ${te}`],
        CHUNKED_THEN_SMUGGLED,
      ),
    ],
    [
      `Content-Length after Transfer-Encoding: ${JSON.stringify(te)}`,
      post(
        [`Transfer-Encoding: ${te}`, "Content-Length: 5"],
        CHUNKED_THEN_SMUGGLED,
      ),
    ],
  ]),
  // Transfer-Encoding spellings another server may read as chunked, or not.
  ...[
    "xchunked",
    "chunked, identity",
    "identity, chunked",
    "chunked;q=1",
    '"chunked"',
    "chunked,",
    "\x0bchunked",
    "",
  ].map((te): [string, string] => [
    `Transfer-Encoding: ${JSON.stringify(te)}`,
    post([`Transfer-Encoding: ${te}`], CHUNKED_THEN_SMUGGLED),
  ]),
  [
    "a repeated Transfer-Encoding: chunked",
    post(
      ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
      CHUNKED_THEN_SMUGGLED,
    ),
  ],
  [
    "Transfer-Encoding: chunked then identity in a second field",
    post(
      ["Transfer-Encoding: chunked", "Transfer-Encoding: identity"],
      CHUNKED_THEN_SMUGGLED,
    ),
  ],
  [
    "Transfer-Encoding folded onto a previous line (obs-fold)",
    post(["X: y", " Transfer-Encoding: chunked"], CHUNKED_THEN_SMUGGLED),
  ],
  [
    "a space before the colon of Transfer-Encoding",
    post(["Transfer-Encoding : chunked"], CHUNKED_THEN_SMUGGLED),
  ],
  [
    "an HTTP/1.0 request with Transfer-Encoding",
    post(
      ["Connection: keep-alive", "Transfer-Encoding: chunked"],
      CHUNKED_THEN_SMUGGLED,
      "HTTP/1.0",
    ),
  ],
  // Content-Length values a lenient parser reads as 5, with 5 body bytes.
  ...["+5", "5 5", "5,5", "5, 5", "0005", "0x5", "5.0", "5e0", "", "five"].map(
    (cl): [string, string] => [
      `Content-Length: ${JSON.stringify(cl)}`,
      post([`Content-Length: ${cl}`], "hello" + SMUGGLED),
    ],
  ),
  [
    "Content-Length over 2^53",
    post(["Content-Length: 9007199254740993"], "hello" + SMUGGLED),
  ],
  [
    "two Content-Length fields that differ",
    post(["Content-Length: 5", "Content-Length: 50"], "hello" + SMUGGLED),
  ],
  // RFC 9112 §7.1: chunk framing; the handler is dispatched and reads the body.
  ...[
    ["a chunk size with 0x", "0x5\r\nhello\r\n"],
    ["a negative chunk size", "-5\r\nhello\r\n"],
    ["a chunk size of 17 hex digits", "00000000000000005\r\nhello\r\n"],
    ["a chunk size of 2^64-1", "ffffffffffffffff\r\nhello\r\n"],
    ["a bare LF after the chunk size", "5\nhello\r\n"],
    ["a bare LF after the chunk data", "5\r\nhello\n"],
    ["a chunk extension with a bare CR", "5;a=b\rc\r\nhello\r\n"],
    ["chunk data longer than its size", "3\r\nhello\r\n"],
  ].map(([name, chunk]): [string, string] => [
    name,
    post(["Transfer-Encoding: chunked"], chunk + CHUNKED_THEN_SMUGGLED),
  ]),
  [
    "a last chunk with bare LF line endings",
    post(["Transfer-Encoding: chunked"], "5\r\nhello\r\n0\n\n" + SMUGGLED),
  ],
  [
    "a chunked body without its final CRLF",
    post(["Transfer-Encoding: chunked"], "5\r\nhello\r\n0\r\n" + SMUGGLED),
  ],
];

for (const [name, raw] of REFUSED) {
  Deno.test(`smuggling: ${name} is one 400, then the connection closes`, async () => {
    const { Handler, lines } = captureLogs(Echo);
    await using s = serve(Handler);
    using client = await RawClient.connect(s.port);
    await client.send(raw);
    const res = await client.readResponse();
    assert.equal(res.status, 400, res.head);
    assert.equal(res.headers.get("connection"), "close");
    assert.ok(await client.closed(), "nothing follows the 400");
    const requestLine = raw.slice(0, raw.indexOf("\r\n"));
    assert.deepEqual(requestsLogged(lines), [`"${requestLine}" 400`]);
    assert.ok(!lines.some((line) => line.includes("/smuggled")), `${lines}`);
  });
}

/** Spellings of `chunked` that RFC 9110 §5.5, §7.8 make equal to it. */
const CHUNKED_SPELLINGS = ["Chunked", "CHUNKED", "\tchunked", " chunked\t"];

for (const te of CHUNKED_SPELLINGS) {
  Deno.test(`smuggling: Transfer-Encoding: ${JSON.stringify(te)} is chunked, so a request in a chunk is payload`, async () => {
    const { Handler, lines } = captureLogs(Echo);
    await using s = serve(Handler);
    using client = await RawClient.connect(s.port);
    const size = SMUGGLED.length.toString(16);
    await client.send(
      post(
        [`Transfer-Encoding: ${te}`],
        `${size}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
      ),
    );
    const res = await client.readResponse();
    assert.equal(res.status, 200);
    assert.equal(res.text, SMUGGLED);
    client.close();
    assert.deepEqual(requestsLogged(lines), ['"POST / HTTP/1.1" 200']);
  });
}

Deno.test("smuggling: a request inside a Content-Length body is payload, and the next one is served", async () => {
  const { Handler, lines } = captureLogs(Echo);
  await using s = serve(Handler);
  using client = await RawClient.connect(s.port);
  await client.send(
    post([`Content-Length: ${SMUGGLED.length}`], SMUGGLED) +
      "GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
  );
  assert.equal((await client.readResponse()).text, SMUGGLED);
  assert.equal((await client.readResponse()).status, 200);
  assert.ok(await client.closed());
  assert.deepEqual(requestsLogged(lines), [
    '"POST / HTTP/1.1" 200',
    '"GET /next HTTP/1.1" 200',
  ]);
});

Deno.test("smuggling: a handler that ignores a bad chunked body answers, then closes instead of reading on", async () => {
  class Ignoring extends Echo {
    override async do_POST() {
      this.sendResponse(200);
      this.sendHeader("Content-Length", "2");
      this.endHeaders();
      await this.wfile.write("ok");
    }
  }
  const { Handler, lines } = captureLogs(Ignoring);
  await using s = serve(Handler);
  using client = await RawClient.connect(s.port);
  await client.send(
    post(["Transfer-Encoding: chunked"], "0x5\r\nhello\r\n" + SMUGGLED),
  );
  assert.equal((await client.readResponse()).text, "ok");
  assert.ok(await client.closed(), "nothing follows the response");
  assert.deepEqual(lines, [
    '"POST / HTTP/1.1" 200 -',
    "code 400, message Invalid chunk size, after the response began: " +
    "connection closed",
  ]);
});

/** `X-<i>: vvv…` plus CRLF: a header line of `length` bytes in all. */
function headerLine(i: number, length: number): string {
  const name = `X-${i}: `;
  return name + "v".repeat(length - name.length - 2) + "\r\n";
}

/** Counts the header fields it was sent. */
class CountHeaders extends BaseHTTPRequestHandler {
  do_GET() {
    const count = [...this.headers.keys()].length;
    this.sendResponse(200);
    this.sendHeader("X-Count", String(count));
    this.endHeaders();
  }
}

Deno.test("limits: 100 header lines of 65,536 bytes each (6.5 MB) are accepted when maxHeadSize allows them", async () => {
  const { Handler } = captureLogs(CountHeaders);
  await using s = serve(Handler, { maxHeadSize: 8 * 1024 * 1024 });
  using client = await RawClient.connect(s.port);
  let head = "GET / HTTP/1.0\r\n";
  for (let i = 0; i < 100; i++) head += headerLine(i, 65536);
  await client.send(head + "\r\n");
  const res = await client.readResponse();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-count"), "100");
});

Deno.test("limits: header lines past maxHeadSize (default 1 MiB) are 431 before the head ends", async () => {
  const { Handler, lines } = captureLogs(CountHeaders);
  await using s = serve(Handler);
  using client = await RawClient.connect(s.port);
  let head = "GET / HTTP/1.0\r\n";
  for (let i = 0; i < 17; i++) head += headerLine(i, 65536);
  await client.send(head);
  const res = await client.readResponse();
  assert.equal(res.status, 431);
  assert.match(res.statusLine, /431 Header fields too large$/);
  assert.ok(lines.includes("code 431, message Header fields too large"));
});

/** Heads that never end, cut off at the limit while the client still waits. */
const ENDLESS: [string, string, number][] = [
  ["a request line", "GET /" + "a".repeat(65536), 414],
  ["empty lines before the request line", "\r\n".repeat(32769), 414],
  [
    "a header line",
    "GET / HTTP/1.1\r\nHost: t\r\nX: " + "v".repeat(65536),
    431,
  ],
  [
    "a 101st header line",
    "GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(101),
    431,
  ],
];

for (const [what, partial, status] of ENDLESS) {
  Deno.test(`limits: ${what} past the limit is ${status} before the head ends`, async () => {
    const { Handler, lines } = captureLogs(CountHeaders);
    await using s = serve(Handler);
    using client = await RawClient.connect(s.port);
    await client.send(partial);
    const res = await client.readResponse();
    assert.equal(res.status, status);
    assert.ok(await client.closed());
    assert.equal(requestsLogged(lines).length, 1, `${lines}`);
  });
}

Deno.test("limits: a client streaming one endless header line is cut off at the limit, not after its data", async () => {
  const { Handler } = captureLogs(CountHeaders);
  await using s = serve(Handler);
  using client = await RawClient.connect(s.port);
  const response = client.readResponse();
  const piece = "v".repeat(16384);
  let sent = 0;
  let cutOff = false;
  response.finally(() => cutOff = true).catch(() => {});
  await client.send("GET / HTTP/1.1\r\nHost: t\r\nX: ");
  // At most 1 GiB; the server answers after 64 KiB plus what the kernel
  // buffers between the two sockets.
  while (!cutOff && sent < 1 << 30) {
    try {
      await client.send(piece);
    } catch {
      break; // The server closed: the write fails once its RST arrives.
    }
    sent += piece.length;
  }
  assert.equal((await response).status, 431);
  assert.ok(sent < 32 << 20, `the client sent ${sent} bytes`);
});

/** Request lines with bytes a terminal or log viewer would act on. */
const LOG_FORGERIES = [
  // C0 controls are refused by the parser, and shown escaped in its message.
  "GET /\x1b[31mred HTTP/1.0",
  "GET /a\x08\x08\x08\x08admin HTTP/1.0",
  "GET /\x00 HTTP/1.0",
  "\x1b]0;title\x07GET / HTTP/1.0",
  // C1 controls (NEL, CSI) are obs-text in a target: accepted, and logged.
  "GET /\x85127.0.0.1 - - [fake] HTTP/1.0",
  "GET /\x9b2J HTTP/1.0",
  // U+2028 LINE SEPARATOR as UTF-8, read as latin-1.
  "GET /\xe2\x80\xa8fake HTTP/1.0",
  // Encoded CR LF stays encoded in the request line.
  "GET /%0d%0a127.0.0.1%20-%20-%20fake HTTP/1.0",
];

for (const line of LOG_FORGERIES) {
  Deno.test(`logs: ${JSON.stringify(line)} is logged escaped, as whole log lines`, async () => {
    const lines = await captureStderr(async () => {
      await using s = serve(Echo);
      await exchange(s.port, `${line}\r\n\r\n`);
    });
    assert.ok(lines.length >= 1);
    for (const logged of lines) {
      assert.ok(logged.endsWith("\n"), JSON.stringify(logged));
      assert.match(logged.slice(0, -1), LOG_LINE);
    }
  });
}

Deno.test("logs: a header cannot continue onto a forged line (obs-fold is 400)", async () => {
  const lines = await captureStderr(async () => {
    await using s = serve(Echo);
    const response = await exchange(
      s.port,
      'GET / HTTP/1.0\r\nX: a\r\n 127.0.0.1 - - [fake] "GET /admin" 200 -\r\n\r\n',
    );
    assert.match(response, /^HTTP\/1\.1 400 /);
  });
  assert.ok(!lines.some((line) => line.includes("/admin")), `${lines}`);
});

Deno.test({
  name:
    "Location: a folder redirect for a name with CR LF keeps them encoded, so no header is injected",
  ignore: Deno.build.os === "windows",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "httpserver-location-" });
    try {
      await Deno.mkdir(`${root}/a\r\nSet-Cookie: x=1`);
      const { Handler } = captureLogs(SimpleHTTPRequestHandler);
      await using s = serve(Handler, { directory: root });
      using client = await RawClient.connect(s.port);
      await client.send(
        "GET /a%0D%0ASet-Cookie:%20x=1 HTTP/1.1\r\nHost: t\r\n\r\n",
      );
      const res = await client.readResponse();
      assert.equal(res.status, 301);
      assert.equal(res.headers.get("location"), "/a%0D%0ASet-Cookie:%20x=1/");
      assert.equal(res.headers.get("set-cookie"), null);
      assert.ok(!/[\r\n]/.test(res.headers.get("location")!));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("Location: a handler that sends a header value with CR LF gets a 500, not a split response", async () => {
  class Redirect extends Echo {
    override do_GET() {
      this.sendResponse(302);
      this.sendHeader("Location", decodeURIComponent(this.path.slice(1)));
      this.endHeaders();
    }
  }
  const { Handler } = captureLogs(Redirect);
  const faults: unknown[] = [];
  class Server extends ThreadingHTTPServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      faults.push(error);
    }
  }
  await using s = serve(Handler, {}, Server);
  const response = await exchange(
    s.port,
    "GET /x%0d%0aSet-Cookie:%20x=1 HTTP/1.0\r\n\r\n",
  );
  assert.match(response, /^HTTP\/1\.1 500 /);
  assert.ok(!response.includes("Set-Cookie"), response);
  assert.ok(faults[0] instanceof TypeError, "logged as the handler's fault");
});
