// BaseHTTPRequestHandler over real sockets: CPython's BaseHTTPServerTestCase,
// RequestHandlerLoggingTestCase and BaseHTTPRequestHandlerTestCase, ported.
import assert from "node:assert/strict";
import {
  BaseHTTPRequestHandler,
  DEFAULT_ERROR_MESSAGE,
  HttpError,
  HTTPServer,
  STATUS_MESSAGES,
} from "../../mod.ts";
import { errorPage } from "../../http/errorpage.ts";
import {
  captureLogs,
  captureStderr,
  exchange,
  RawClient,
  serve,
} from "../support/helpers.ts";

const HOST = "Host: t\r\n";

/** CPython's BaseHTTPServerTestCase.request_handler. */
class TestHandler extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
  override defaultRequestVersion = "HTTP/1.1";
  override logMessage(): void {}

  do_TEST() {
    this.sendResponse(204);
    this.sendHeader("Content-Type", "text/html");
    this.sendHeader("Connection", "close");
    this.endHeaders();
  }
  do_KEEP() {
    this.sendResponse(204);
    this.sendHeader("Content-Type", "text/html");
    this.sendHeader("Connection", "keep-alive");
    this.endHeaders();
  }
  async do_KEYERROR() {
    await this.sendError(999);
  }
  async do_NOTFOUND() {
    await this.sendError(404);
  }
  async do_EXPLAINERROR() {
    await this.sendError(999, "Short Message", "This is a long \n explanation");
  }
  do_CUSTOM() {
    this.sendResponse(999);
    this.sendHeader("Content-Type", "text/html");
    this.sendHeader("Connection", "close");
    this.endHeaders();
  }
  async do_LATINONEHEADER() {
    this.sendResponse(999);
    this.sendHeader("X-Special", "Dängerous Mind");
    this.sendHeader("Connection", "close");
    this.endHeaders();
    await this.wfile.write(this.headers.get("x-special-incoming") ?? "");
  }
  async do_SEND_ERROR() {
    await this.sendError(Number(this.path.slice(1)));
  }
  async do_HEAD() {
    await this.sendError(Number(this.path.slice(1)));
  }
}

async function statusOf(request: string): Promise<number> {
  await using s = serve(TestHandler);
  const response = await exchange(s.port, request);
  return Number(response.split(" ")[1]);
}

const statusCases: [string, string, number][] = [
  ["an unknown method is 501", `GET / HTTP/1.1\r\n${HOST}\r\n`, 501],
  [
    "a request line ending in a bare LF is accepted",
    `XYZBOGUS / HTTP/1.1\n${HOST}\r\n`,
    501,
  ],
  ["a bogus version is 400", `GET / FUBAR\r\n${HOST}\r\n`, 400],
  [
    "a version with three numbers is 400",
    `GET / HTTP/9.9.9\r\n${HOST}\r\n`,
    400,
  ],
  [
    "a version with signs is 400",
    `GET / HTTP/-9_9_9.+9_9_9\r\n${HOST}\r\n`,
    400,
  ],
  [
    "a major version over 10 digits is 400",
    `GET / HTTP/909876543210.0\r\n${HOST}\r\n`,
    400,
  ],
  [
    "a minor version over 10 digits is 400",
    `GET / HTTP/1.909876543210\r\n${HOST}\r\n`,
    400,
  ],
  ["HTTP/9.9 is 505", `GET / HTTP/9.9\r\n${HOST}\r\n`, 505],
  ["a blank request line is 400", `  \r\n${HOST}\r\n`, 400],
  [
    "Connection: close still gets a response",
    `GET / HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`,
    501,
  ],
  ["a do_ method answers", `TEST / HTTP/1.1\r\n${HOST}\r\n`, 204],
  [
    "sendError of an unknown code sends it",
    `KEYERROR / HTTP/1.1\r\n${HOST}\r\n`,
    999,
  ],
  ["a custom status is sent", `CUSTOM / HTTP/1.1\r\n${HOST}\r\n`, 999],
  ["an HTTP/1.1 request without Host is 400", "TEST / HTTP/1.1\r\n\r\n", 400],
  ["an HTTP/1.0 request without Host is fine", "TEST / HTTP/1.0\r\n\r\n", 204],
];
for (const [name, request, status] of statusCases) {
  Deno.test(
    name,
    async () => assert.deepEqual(await statusOf(request), status),
  );
}

Deno.test("HTTP/1.01 and HTTP/01.1 are 400 and close the connection: one digit each side (RFC 9112 §2.3)", async () => {
  await using s = serve(TestHandler);
  for (const version of ["HTTP/1.01", "HTTP/01.1"]) {
    using client = await RawClient.connect(s.port);
    await client.send(
      `KEEP / ${version}\r\n${HOST}\r\nKEEP / HTTP/1.1\r\n${HOST}\r\n`,
    );
    const res = await client.readResponse();
    assert.equal(
      res.statusLine,
      `HTTP/1.1 400 Bad request version ('${version}')`,
    );
    assert.equal(res.headers.get("connection"), "close");
    assert.ok(await client.closed(), "the pipelined request is not answered");
  }
});

Deno.test("a version-less two-word request with another method is 400", async () => {
  assert.deepEqual(await statusOf("CUSTOM /\r\n"), 400);
});

Deno.test("Connection: keep-alive from the handler keeps the connection for the next request", async () => {
  await using s = serve(TestHandler);
  using client = await RawClient.connect(s.port);
  await client.send(`KEEP / HTTP/1.1\r\n${HOST}\r\n`);
  const first = await client.readResponse();
  assert.deepEqual(first.headers.get("connection"), "keep-alive");
  await client.send(`TEST / HTTP/1.1\r\n${HOST}\r\n`);
  assert.deepEqual((await client.readResponse()).status, 204);
  assert.ok(await client.closed());
});

Deno.test("an error page with an explanation has a Content-Length", async () => {
  await using s = serve(TestHandler);
  using client = await RawClient.connect(s.port);
  await client.send(`EXPLAINERROR / HTTP/1.1\r\n${HOST}\r\n`);
  const res = await client.readResponse();
  assert.deepEqual(res.status, 999);
  assert.deepEqual(Number(res.headers.get("content-length")), res.body.length);
  assertIncludes(res.text, "<p>Message: Short Message.</p>");
  assertIncludes(
    res.text,
    "Error code explanation: 999 - This is a long \n explanation.",
  );
});

Deno.test("Latin-1 header values go both ways", async () => {
  await using s = serve(TestHandler);
  using client = await RawClient.connect(s.port);
  await client.send(
    `LATINONEHEADER / HTTP/1.1\r\n${HOST}X-Special-Incoming: Ärger mit Unicode\r\n\r\n`,
  );
  const res = await client.readResponse();
  assert.deepEqual(res.headers.get("x-special"), "Dängerous Mind");
  assert.deepEqual(res.text, "Ärger mit Unicode");
});

Deno.test("a standard error response has a Content-Length matching its body", async () => {
  await using s = serve(TestHandler);
  using client = await RawClient.connect(s.port);
  await client.send(`NOTFOUND / HTTP/1.1\r\n${HOST}\r\n`);
  const res = await client.readResponse();
  assert.deepEqual(res.status, 404);
  assert.deepEqual(Number(res.headers.get("content-length")), res.body.length);
  assert.deepEqual(res.headers.get("connection"), "close");
  assert.deepEqual(res.headers.get("content-type"), "text/html;charset=utf-8");
});

Deno.test("sendError sends no body or Content-Type for 1xx, 204, 205 and 304", async () => {
  for (const code of [204, 304, 102, 205, 101]) {
    await using s = serve(TestHandler);
    using client = await RawClient.connect(s.port);
    await client.send(`SEND_ERROR /${code} HTTP/1.1\r\n${HOST}\r\n`);
    const res = await client.readResponse();
    assert.deepEqual(res.status, code);
    assert.deepEqual(res.headers.get("content-length"), null);
    assert.deepEqual(res.headers.get("content-type"), null);
    assert.deepEqual(res.headers.get("transfer-encoding"), null);
    assert.ok(await client.closed(), "nothing follows the head");
  }
});

Deno.test("sendError to a HEAD request sends headers but no body", async () => {
  for (const code of [200, 204, 304, 205, 101]) {
    await using s = serve(TestHandler);
    using client = await RawClient.connect(s.port);
    await client.send(`HEAD /${code} HTTP/1.1\r\n${HOST}\r\n`);
    const res = await client.readResponse(true);
    assert.deepEqual(res.status, code);
    if (code === 200) {
      assert.ok(Number(res.headers.get("content-length")) > 0);
      assertIncludes(res.headers.get("content-type")!, "text/html");
    } else {
      assert.deepEqual(res.headers.get("content-length"), null);
      assert.deepEqual(res.headers.get("content-type"), null);
    }
    assert.ok(await client.closed(), "no body follows");
  }
});

Deno.test("sendError percent-encodes in the status line what does not fit there; the page shows it", async () => {
  class Odd extends BaseHTTPRequestHandler {
    override logMessage(): void {}
    async do_GET() {
      await this.sendError(404, "No such thing ('/€')\r\nX-Injected: 1");
    }
  }
  await using s = serve(Odd);
  const raw = await exchange(s.port, `GET / HTTP/1.0\r\n\r\n`);
  const [head, body] = raw.split("\r\n\r\n");
  assert.equal(
    head.split("\r\n")[0],
    "HTTP/1.0 404 No such thing ('/%E2%82%AC')%0D%0AX-Injected: 1",
  );
  assert.doesNotMatch(head, /^X-Injected/m);
  // The page is UTF-8; exchange() reads bytes as Latin-1.
  assertIncludes(body, "No such thing ('/\u00e2\u0082\u00ac')");
});

Deno.test("a header value beyond Latin-1 is refused where it is set: 500, and the server goes on", async () => {
  class Wide extends BaseHTTPRequestHandler {
    override logMessage(): void {}
    do_GET() {
      this.sendResponse(200);
      this.sendHeader("X-Price", "5 €");
      this.endHeaders();
    }
  }
  const errors: unknown[] = [];
  class Server extends HTTPServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      errors.push(error);
    }
  }
  await using s = serve(Wide, {}, Server);
  for (let i = 0; i < 2; i++) {
    const raw = await exchange(s.port, `GET / HTTP/1.0\r\n\r\n`);
    assert.match(raw, /^HTTP\/1.0 500 /);
  }
  assert.equal(errors.length, 2);
  assert.match(String(errors[0]), /header value is not Latin-1: "5 €"/);
});

/** RequestHandlerLoggingTestCase. */
class LoggingHandler extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
  do_GET() {
    this.sendResponse(200);
    this.sendHeader("Content-Length", "0");
    this.endHeaders();
  }
  async do_ERROR() {
    await this.sendError(404, "File not found");
  }
}

Deno.test("a request is logged in Python's format", async () => {
  const { Handler, lines } = captureLogs(LoggingHandler);
  await using s = serve(Handler);
  await exchange(s.port, `GET / HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
  assert.deepEqual(lines, ['"GET / HTTP/1.1" 200 -']);
});

Deno.test("an error logs its code and message, then the request", async () => {
  const { Handler, lines } = captureLogs(LoggingHandler);
  await using s = serve(Handler);
  await exchange(s.port, `ERROR / HTTP/1.1\r\n${HOST}\r\n`);
  assert.deepEqual(lines, [
    "code 404, message File not found",
    '"ERROR / HTTP/1.1" 404 -',
  ]);
});

Deno.test("logMessage writes address, date and an escaped message to stderr", async () => {
  const written = await captureStderr(async () => {
    await using s = serve(LoggingHandler);
    await exchange(s.port, `ERROR /\x9bbar HTTP/1.1\r\n${HOST}\r\n`);
  });
  assert.deepEqual(written.length, 2);
  assert.match(
    written[0],
    /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\] code 404, message File not found\n$/,
  );
  assertIncludes(written[1], '"ERROR /\\x9bbar HTTP/1.1" 404 -\n');
});

Deno.test("log lines escape control characters and backslashes as Python 3.12 does", async () => {
  const lines = await captureStderr(() => {
    const handler = Object.create(
      BaseHTTPRequestHandler.prototype,
    ) as BaseHTTPRequestHandler;
    Object.defineProperties(handler, {
      clientAddress: { value: { hostname: "127.0.0.1", port: 1337 } },
      trustedProxies: { value: [] },
    });
    handler.logMessage("/foo");
    handler.logMessage("/\x1bbar\x00\x1b");
    handler.logMessage("/spam %s.", "a");
    handler.logMessage("/spam %s.", "\x1b\x7f\x9f\xa0beans");
    handler.logMessage('"GET /foo\\b"ar\x07 HTTP/1.0"');
  });
  assert.equal(lines.length, 5);
  assert.ok(!lines.join("").includes("\x1b"));
  assert.ok(!lines.join("").includes("\x00"));
  assertIncludes(lines[0], "/foo");
  assertIncludes(lines[1], "/\\x1bbar\\x00\\x1b");
  assertIncludes(lines[2], "/spam a.");
  assertIncludes(lines[3], "/spam \\x1b\\x7f\\x9f\xa0beans.");
  assertIncludes(lines[4], '"GET /foo\\\\b"ar\\x07 HTTP/1.0"');
});

/** CPython's SocketlessRequestHandler, served over a socket. */
class DataHandler extends BaseHTTPRequestHandler {
  static calls = 0;
  override logMessage(): void {}
  async do_GET() {
    DataHandler.calls++;
    this.sendResponse(200);
    this.sendHeader("Content-Type", "text/html");
    this.endHeaders();
    await this.wfile.write("<html><body>Data</body></html>\r\n");
  }
}

function splitResponse(raw: string): { lines: string[]; body: string } {
  const end = raw.indexOf("\r\n\r\n");
  return { lines: raw.slice(0, end).split("\r\n"), body: raw.slice(end + 4) };
}

function countHeader(lines: string[], name: string): number {
  return lines.filter((line) => line.startsWith(name + ": ")).length;
}

for (const version of ["HTTP/1.1", "HTTP/1.0"]) {
  Deno.test(`a ${version} GET is answered with status line, Server, Date and body`, async () => {
    await using s = serve(DataHandler);
    const raw = await exchange(s.port, `GET / ${version}\r\n${HOST}\r\n`);
    const { lines, body } = splitResponse(raw);
    assert.match(lines[0], /^HTTP\/1\.0 200 OK$/);
    for (const name of ["Server", "Date", "Content-Type"]) {
      assert.deepEqual(countHeader(lines, name), 1);
    }
    assert.deepEqual(body, "<html><body>Data</body></html>\r\n");
  });
}

Deno.test("an HTTP/0.9 request gets the body only", async () => {
  await using s = serve(DataHandler);
  assert.deepEqual(
    await exchange(s.port, "GET /\r\n"),
    "<html><body>Data</body></html>\r\n",
  );
  assert.deepEqual(
    await exchange(s.port, "GET / HTTP/0.9\r\n\r\n"),
    "<html><body>Data</body></html>\r\n",
  );
});

Deno.test("a request line with a space in the path is 400 and not dispatched", async () => {
  await using s = serve(DataHandler);
  const before = DataHandler.calls;
  const raw = await exchange(s.port, `GET /spaced out HTTP/1.1\r\n${HOST}\r\n`);
  const { lines } = splitResponse(raw);
  assert.match(lines[0], /^HTTP\/1\.0 400 /);
  for (const name of ["Server", "Date", "Content-Type"]) {
    assert.deepEqual(countHeader(lines, name), 1);
  }
  assert.deepEqual(DataHandler.calls, before);
});

class ContinueHandler extends DataHandler {
  override protocolVersion = "HTTP/1.1";
  override async do_GET() {
    this.sendResponse(200);
    this.sendHeader("Content-Type", "text/html");
    this.sendHeader("Content-Length", "32");
    this.endHeaders();
    await this.wfile.write("<html><body>Data</body></html>\r\n");
  }
}

Deno.test("Expect: 100-continue on HTTP/1.0 is ignored", async () => {
  await using s = serve(ContinueHandler);
  const raw = await exchange(
    s.port,
    "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
  );
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
});

Deno.test("Expect: 100-continue on HTTP/1.1 answers 100 Continue first", async () => {
  await using s = serve(ContinueHandler);
  const raw = await exchange(
    s.port,
    `GET / HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  const lines = raw.split("\r\n");
  assert.deepEqual(lines[0], "HTTP/1.1 100 Continue");
  assert.deepEqual(lines[1], "");
  assert.deepEqual(lines[2], "HTTP/1.1 200 OK");
  assert.ok(raw.endsWith("<html><body>Data</body></html>\r\n"));
});

Deno.test("100 Continue is sent before the server waits for the body", async () => {
  class Echo extends ContinueHandler {
    async do_POST() {
      const body = await this.rfile.read(
        Number(this.headers.get("content-length")),
      );
      this.sendResponse(200);
      this.sendHeader("Content-Length", String(body.length));
      this.endHeaders();
      await this.wfile.write(body);
    }
  }
  await using s = serve(Echo);
  using client = await RawClient.connect(s.port);
  await client.send(
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nExpect: 100-continue\r\n\r\n`,
  );
  const interim = await client.readResponse(true);
  assert.deepEqual(interim.statusLine, "HTTP/1.1 100 Continue");
  await client.send("hello");
  const res = await client.readResponse();
  assert.deepEqual(res.text, "hello");
});

Deno.test("an error after 100 Continue still gets its final response (RFC 9110 §15.2)", async () => {
  class Refusing extends ContinueHandler {
    async do_POST() {
      await this.rfile.read();
      throw new HttpError("conflict", "Taken");
    }
    async do_PUT() {
      await this.rfile.read(1);
      throw new Error("a handler bug");
    }
  }
  const { Handler, lines } = captureLogs(Refusing);
  const errors: unknown[] = [];
  class Server extends HTTPServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      errors.push(error);
    }
  }
  await using s = serve(Handler, {}, Server);
  for (const [method, status] of [["POST", 409], ["PUT", 500]] as const) {
    using client = await RawClient.connect(s.port);
    await client.send(
      `${method} / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nExpect: 100-continue\r\n\r\n`,
    );
    assert.equal((await client.readResponse(true)).status, 100);
    await client.send("hello");
    const res = await client.readResponse();
    assert.equal(res.status, status, method);
    assert.equal(res.headers.get("connection"), "close");
    assert.ok(await client.closed());
  }
  assert.match(String(errors[0]), /a handler bug/);
  assert.ok(lines.includes("code 409, message Taken"), lines.join("\n"));
  assert.ok(
    !lines.some((line) => line.includes("after the response began")),
    lines.join("\n"),
  );
});

Deno.test("a handler can refuse 100-continue with 417", async () => {
  class Rejecting extends ContinueHandler {
    override async handleExpect100() {
      await this.sendError(417);
      return false;
    }
  }
  await using s = serve(Rejecting);
  const before = DataHandler.calls;
  const raw = await exchange(
    s.port,
    `GET / HTTP/1.1\r\n${HOST}Expect: 100-continue\r\n\r\n`,
  );
  const { lines } = splitResponse(raw);
  assert.deepEqual(lines[0], "HTTP/1.1 417 Expectation Failed");
  assert.deepEqual(countHeader(lines, "Connection"), 1);
  assert.deepEqual(DataHandler.calls, before);
});

Deno.test("an Expect other than 100-continue is 417", async () => {
  await using s = serve(ContinueHandler);
  const raw = await exchange(
    s.port,
    `GET / HTTP/1.1\r\n${HOST}Expect: something\r\n\r\n`,
  );
  assert.match(raw, /^HTTP\/1\.1 417 /);
});

Deno.test("a request line over 65536 bytes is 414", async () => {
  await using s = serve(DataHandler);
  const raw = await exchange(s.port, "GET " + "x".repeat(65537));
  assert.match(raw, /^HTTP\/1\.0 414 Request-URI Too Long\r\n/);
});

Deno.test("a header line over 65536 bytes is 431 Line too long", async () => {
  await using s = serve(DataHandler);
  const raw = await exchange(
    s.port,
    `GET / HTTP/1.1\r\nX-Foo: bar${"r".repeat(65537)}\r\n\r\n`,
  );
  assert.match(raw, /^HTTP\/1\.0 431 Line too long\r\n/);
});

Deno.test("more than 100 headers is 431 Too many headers", async () => {
  const { Handler, lines } = captureLogs(DataHandler);
  await using s = serve(Handler);
  const raw = await exchange(
    s.port,
    `GET / HTTP/1.1\r\n${"X-Foo: bar\r\n".repeat(101)}\r\n`,
  );
  assert.match(raw, /^HTTP\/1\.0 431 Too many headers\r\n/);
  assert.deepEqual(lines.at(-1), '"GET / HTTP/1.1" 431 -');
});

Deno.test("the error page HTML-escapes the request line", async () => {
  await using s = serve(DataHandler);
  const raw = await exchange(
    s.port,
    '<script>alert("hello")</script> / HTTP/1.1\r\n\r\n',
  );
  const { body } = splitResponse(raw);
  assertIncludes(body, '&lt;script&gt;alert("hello")&lt;/script&gt;');
  assert.ok(!body.includes("<script>"));
});

Deno.test("handle() calls handleOneRequest until closeConnection is set", async () => {
  const values = [false, false, true];
  class Counting extends BaseHTTPRequestHandler {
    override handleOneRequest(): Promise<void> {
      this.closeConnection = values.shift()!;
      return Promise.resolve();
    }
  }
  await using s = serve(Counting);
  await exchange(s.port, "");
  assert.deepEqual(values, []);
});

Deno.test("dateTimeString formats an HTTP date", () => {
  const handler = Object.create(
    BaseHTTPRequestHandler.prototype,
  ) as BaseHTTPRequestHandler;
  assert.deepEqual(
    handler.dateTimeString(784111777000),
    "Sun, 06 Nov 1994 08:49:37 GMT",
  );
});

Deno.test("the status line, headers and a small body leave in one write", async () => {
  // Python writes headers and body separately; a single segment avoids
  // Nagle stalls and halves the syscalls.
  await using s = serve(ContinueHandler);
  using client = await RawClient.connect(s.port);
  await client.send(`GET / HTTP/1.1\r\n${HOST}\r\n`);
  const res = await client.readResponse();
  assert.deepEqual(res.body.length, 32);
});

Deno.test("pipelined requests are answered in order, and a body never leaks into the next request", async () => {
  class Echo extends BaseHTTPRequestHandler {
    override protocolVersion = "HTTP/1.1";
    override logMessage(): void {}
    async do_POST() {
      const body = await this.rfile.read();
      const text = `${this.path}:${new TextDecoder().decode(body)}`;
      this.sendResponse(200);
      this.sendHeader("Content-Length", String(text.length));
      this.endHeaders();
      await this.wfile.write(text);
    }
  }
  await using s = serve(Echo);
  using client = await RawClient.connect(s.port);
  await client.send(
    `POST /a HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhello` +
      `POST /b HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n` +
      `POST /c HTTP/1.1\r\n${HOST}Content-Length: 0\r\nConnection: close\r\n\r\n`,
  );
  assert.deepEqual((await client.readResponse()).text, "/a:hello");
  assert.deepEqual((await client.readResponse()).text, "/b:abcde");
  assert.deepEqual((await client.readResponse()).text, "/c:");
  assert.ok(await client.closed());
});

Deno.test("an unread request body is skipped so keep-alive continues", async () => {
  class Ignoring extends BaseHTTPRequestHandler {
    override protocolVersion = "HTTP/1.1";
    override logMessage(): void {}
    async do_POST() {
      this.sendResponse(200);
      this.sendHeader("Content-Length", "2");
      this.endHeaders();
      await this.wfile.write("ok");
    }
  }
  await using s = serve(Ignoring);
  using client = await RawClient.connect(s.port);
  await client.send(`POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nGET /`);
  assert.deepEqual((await client.readResponse()).text, "ok");
  await client.send(
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 0\r\nConnection: close\r\n\r\n`,
  );
  assert.deepEqual((await client.readResponse()).text, "ok");
});

Deno.test("a keep-alive response without a length closes the connection after it", async () => {
  class Unframed extends BaseHTTPRequestHandler {
    override protocolVersion = "HTTP/1.1";
    override logMessage(): void {}
    async do_GET() {
      this.sendResponse(200);
      this.endHeaders();
      await this.wfile.write("streamed");
    }
  }
  await using s = serve(Unframed);
  const raw = await exchange(s.port, `GET / HTTP/1.1\r\n${HOST}\r\n`);
  assert.ok(raw.endsWith("\r\n\r\nstreamed"));
});

Deno.test("a handler that throws gets a 500 and a logged stack; the server keeps serving", async () => {
  const errors: unknown[] = [];
  class Throwing extends BaseHTTPRequestHandler {
    override logMessage(): void {}
    do_GET() {
      if (this.path === "/boom") throw new Error("boom");
      if (this.path === "/teapot") throw new HttpError("forbidden", "No tea");
      this.sendResponse(200);
      this.endHeaders();
    }
  }
  class Server extends HTTPServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      errors.push(error);
    }
  }
  await using s = serve(Throwing, {}, Server);
  assert.match(
    await exchange(s.port, "GET /boom HTTP/1.0\r\n\r\n"),
    /^HTTP\/1\.0 500 /,
  );
  assert.deepEqual((errors[0] as Error).message, "boom");
  const forbidden = await exchange(s.port, "GET /teapot HTTP/1.0\r\n\r\n");
  assert.match(forbidden, /^HTTP\/1\.0 403 No tea\r\n/);
  assert.deepEqual(errors.length, 1, "an HttpError is a response, not a crash");
  assert.match(
    await exchange(s.port, "GET / HTTP/1.0\r\n\r\n"),
    /^HTTP\/1\.0 200 OK/,
  );
});

Deno.test("a client that disconnects mid-request does not stop the server", async () => {
  await using s = serve(DataHandler);
  for (
    const partial of [
      "GET / HT",
      `POST / HTTP/1.1\r\n${HOST}Content-Length: 10\r\n\r\nabc`,
    ]
  ) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(new TextEncoder().encode(partial));
    conn.close();
  }
  assert.match(
    await exchange(s.port, "GET / HTTP/1.0\r\n\r\n"),
    /^HTTP\/1\.0 200 OK/,
  );
});

Deno.test("the module's example handler answers hello /", async () => {
  class Hello extends BaseHTTPRequestHandler {
    async do_GET() {
      const body = new TextEncoder().encode(`hello ${this.path}\n`);
      this.sendResponse(200);
      this.sendHeader("Content-Type", "text/plain; charset=utf-8");
      this.sendHeader("Content-Length", String(body.length));
      this.endHeaders();
      await this.wfile.write(body);
    }
  }
  await using s = serve(captureLogs(Hello).Handler);
  const res = await fetch(s.url + "/");
  assert.deepEqual(await res.text(), "hello /\n");
});

Deno.test("header() reads the parsed fields as headers.get does, before and after headers is built", async () => {
  const seen: (string | null)[][] = [];
  class Lookup extends BaseHTTPRequestHandler {
    override logMessage(): void {}
    do_GET() {
      const names = ["x-twice", "Host", "x-empty", "missing", "X-TWICE-"];
      seen.push(names.map((name) => this.header(name)));
      // A handler may change the Headers; header() then reads them.
      this.headers.set("x-twice", "changed");
      seen.push(names.map((name) => this.header(name)));
      seen.push(names.map((name) => this.headers.get(name)));
      this.sendResponse(204);
      this.endHeaders();
    }
  }
  await using s = serve(Lookup);
  await exchange(
    s.port,
    "GET / HTTP/1.0\r\nX-Twice: one\r\nHOST: h\r\nx-twice:  two \r\n" +
      "X-Empty:\r\n\r\n",
  );
  assert.deepEqual(seen, [
    ["one, two", "h", "", null, null],
    ["changed", "h", "", null, null],
    ["changed", "h", "", null, null],
  ]);
});

Deno.test("headerValues() gives each field of a name in order, as Python's get_all, and follows a changed headers", async () => {
  const seen: string[][][] = [];
  class Lookup extends BaseHTTPRequestHandler {
    override logMessage(): void {}
    do_GET() {
      const names = ["accept", "X-Empty", "missing", "host"];
      seen.push(names.map((name) => this.headerValues(name)));
      this.headers.set("accept", "changed");
      this.headers.delete("host");
      seen.push(names.map((name) => this.headerValues(name)));
      this.sendResponse(204);
      this.endHeaders();
    }
  }
  await using s = serve(Lookup);
  await exchange(
    s.port,
    "GET / HTTP/1.0\r\nAccept: a, b\r\nHost: h\r\nX-Empty:\r\n" +
      "ACCEPT: c\r\nx-empty: e\r\n\r\n",
  );
  assert.deepEqual(seen, [
    [["a, b", "c"], ["", "e"], [], ["h"]],
    [["changed"], ["", "e"], [], []],
  ]);
});

function assertIncludes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `${JSON.stringify(part)} not in ${JSON.stringify(text)}`,
  );
}

Deno.test("error pages of other codes and other templates, asked in turn, are each their own", async () => {
  const plain = "%(code)d: %(message)s (%(explain)s)\n";
  class Plain extends TestHandler {
    override errorMessageFormat = plain;
  }
  await using one = serve(TestHandler);
  await using two = serve(Plain);
  for (let round = 0; round < 2; round++) {
    for (const code of [404, 403, 501, 404]) {
      for (
        const [s, template] of [
          [one, DEFAULT_ERROR_MESSAGE],
          [two, plain],
        ] as const
      ) {
        using client = await RawClient.connect(s.port);
        await client.send(`SEND_ERROR /${code} HTTP/1.1\r\n${HOST}\r\n`);
        const res = await client.readResponse();
        const [message, explain] = STATUS_MESSAGES[code];
        assert.equal(res.status, code);
        assert.equal(res.text, errorPage(template, code, message, explain));
      }
    }
  }
});
