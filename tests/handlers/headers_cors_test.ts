// SimpleHTTPRequestHandler's extraHeaders and cors fields over real sockets,
// their defaults (nothing added, OPTIONS is 501 as in Python), and the
// parser of the CLI's -H.
import assert from "node:assert/strict";
import { CGIHTTPRequestHandler, SimpleHTTPRequestHandler } from "../../mod.ts";
import { parseHeaderArgument } from "../../http/fields.ts";
import {
  Cli,
  run,
  withFolder as withCliFolder,
} from "../support/cli_process.ts";
import {
  captureLogs,
  RawClient,
  type RawResponse,
  serve,
} from "../support/helpers.ts";

/** The folder of {@link withCliFolder}, with an empty `sub/` too. */
async function withFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  await withCliFolder(async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    await fn(dir);
  });
}

/** Sends one request on a fresh connection and reads its response. */
async function request(
  port: number,
  head: string,
  bodyless = false,
): Promise<RawResponse> {
  using client = await RawClient.connect(port);
  await client.send(head);
  return await client.readResponse(bodyless);
}

/** The allowed methods are exactly `methods`, in this (sorted) order. */
function assertMethods(res: RawResponse, methods: string[]): void {
  assert.equal(
    res.headers.get("access-control-allow-methods"),
    methods.join(", "),
  );
}

const Quiet = captureLogs(SimpleHTTPRequestHandler).Handler;

class Extra extends Quiet {
  override extraHeaders = [
    ["X-Frame-Options", "DENY"],
    ["Link", "</a>; rel=preload"],
    ["Link", "</b>; rel=preload"],
  ] as const;
}

class Cors extends Quiet {
  override protocolVersion = "HTTP/1.1";
  override cors = true;
}

Deno.test("by default no header is added and OPTIONS is 501, as in Python", async () => {
  await withFolder(async (dir) => {
    await using running = serve(Quiet, { directory: dir });
    const ok = await request(running.port, "GET /hello.txt HTTP/1.0\r\n\r\n");
    assert.equal(ok.status, 200);
    assert.doesNotMatch(ok.head, /access-control-/i);
    const options = await request(
      running.port,
      "OPTIONS /hello.txt HTTP/1.0\r\nOrigin: http://a.example\r\n" +
        "Access-Control-Request-Method: GET\r\n\r\n",
    );
    assert.equal(options.status, 501);
    assert.match(options.text, /Unsupported method \('OPTIONS'\)/);
    assert.equal(options.headers.get("access-control-allow-origin"), null);
    assert.equal(options.headers.get("access-control-allow-methods"), null);
  });
});

Deno.test("extraHeaders go on every response, after Server and Date, repeated names kept", async () => {
  await withFolder(async (dir) => {
    await using running = serve(Extra, { directory: dir });
    const cases: [string, number][] = [
      ["GET /hello.txt HTTP/1.0", 200],
      ["GET /sub HTTP/1.0", 301],
      ["GET /sub/ HTTP/1.0", 200],
      ["GET /missing HTTP/1.0", 404],
      ["BREW /hello.txt HTTP/1.0", 501],
    ];
    for (const [line, status] of cases) {
      const res = await request(running.port, `${line}\r\n\r\n`);
      assert.equal(res.status, status, line);
      assert.match(
        res.head,
        /\r\nServer: [^\r]+\r\nDate: [^\r]+\r\nX-Frame-Options: DENY\r\nLink: <\/a>; rel=preload\r\nLink: <\/b>; rel=preload\r\n/,
        line,
      );
    }
    const lastModified = (await request(
      running.port,
      "HEAD /hello.txt HTTP/1.0\r\n\r\n",
      true,
    )).headers.get("last-modified")!;
    const notModified = await request(
      running.port,
      `GET /hello.txt HTTP/1.0\r\nIf-Modified-Since: ${lastModified}\r\n\r\n`,
    );
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("x-frame-options"), "DENY");
  });
});

Deno.test("cors adds Access-Control-Allow-Origin: * to files, listings and errors", async () => {
  await withFolder(async (dir) => {
    await using running = serve(Cors, { directory: dir });
    for (const path of ["/hello.txt", "/sub/", "/missing"]) {
      const res = await fetch(`${running.url}${path}`, {
        headers: { Origin: "http://a.example" },
      });
      await res.body?.cancel();
      assert.equal(res.headers.get("access-control-allow-origin"), "*", path);
    }
  });
});

Deno.test("cors answers a preflight with 204, the handler's methods and the asked headers, and keeps the connection", async () => {
  await withFolder(async (dir) => {
    await using running = serve(Cors, { directory: dir });
    using client = await RawClient.connect(running.port);
    await client.send(
      "OPTIONS /hello.txt HTTP/1.1\r\nHost: t\r\nOrigin: http://a.example\r\n" +
        "Access-Control-Request-Method: GET\r\n" +
        "Access-Control-Request-Headers: x-requested-with, range\r\n\r\n",
    );
    const preflight = await client.readResponse();
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assertMethods(preflight, ["GET", "HEAD", "OPTIONS"]);
    assert.equal(
      preflight.headers.get("access-control-allow-headers"),
      "x-requested-with, range",
    );
    assert.equal(preflight.headers.get("content-length"), null);
    assert.equal(preflight.body.length, 0);
    await client.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    const get = await client.readResponse();
    assert.equal(get.status, 200);
    assert.equal(get.text, "hello\n");
  });
});

Deno.test("a preflight that asks for no headers grants none; OPTIONS * is answered too", async () => {
  await withFolder(async (dir) => {
    await using running = serve(Cors, { directory: dir });
    for (const target of ["/hello.txt", "*"]) {
      const res = await request(
        running.port,
        `OPTIONS ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(res.status, 204, target);
      assert.equal(res.headers.get("access-control-allow-headers"), null);
    }
  });
});

Deno.test("the preflight lists the do_ methods a subclass adds", async () => {
  class WithPatch extends Cors {
    do_PATCH(): void {
      this.sendResponse(204);
      this.endHeaders();
    }
  }
  await withFolder(async (dir) => {
    await using running = serve(WithPatch, { directory: dir });
    const res = await request(
      running.port,
      "OPTIONS / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assertMethods(res, ["GET", "HEAD", "OPTIONS", "PATCH"]);
  });
});

Deno.test("the preflight lists PUT and POST only where they answer: with uploads, or POST with CGI", async () => {
  class Uploads extends Cors {
    override upload = true;
  }
  class Scripts extends CGIHTTPRequestHandler {
    override cors = true;
  }
  const cases: [typeof SimpleHTTPRequestHandler, string[]][] = [
    [Uploads, ["GET", "HEAD", "OPTIONS", "POST", "PUT"]],
    [Scripts, ["GET", "HEAD", "OPTIONS", "POST"]],
  ];
  await withFolder(async (dir) => {
    for (const [Handler, methods] of cases) {
      await using running = serve(Handler, { directory: dir });
      const res = await request(
        running.port,
        "OPTIONS / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      );
      assertMethods(res, methods);
    }
  });
});

Deno.test("parseHeaderArgument takes Name: value, trimmed", () => {
  assert.deepEqual(parseHeaderArgument("Cache-Control: no-store"), [
    "Cache-Control",
    "no-store",
  ]);
  assert.deepEqual(parseHeaderArgument("X-A:b:c "), ["X-A", "b:c"]);
  assert.deepEqual(parseHeaderArgument("X-Empty:"), ["X-Empty", ""]);
  assert.deepEqual(parseHeaderArgument("X-Tab:\ta\tb"), ["X-Tab", "a\tb"]);
});

Deno.test("parseHeaderArgument refuses malformed headers and the server's own", () => {
  for (
    const bad of [
      "no colon",
      "X Bad: 1",
      ": v",
      "X-A: a\r\nX-B: b",
      "X-Nul: \0",
      "X-Price: 5 €",
    ]
  ) {
    assert.throws(() => parseHeaderArgument(bad), /invalid header/, bad);
  }
  for (
    const owned of [
      "Content-Length: 5",
      "transfer-encoding: chunked",
      "Connection: keep-alive",
      "Server: mine",
      "date: now",
      "Content-Type: text/plain",
      'ETag: "x"',
    ]
  ) {
    assert.throws(
      () => parseHeaderArgument(owned),
      /is set by the server/,
      owned,
    );
  }
});

// The command line: -H and --cors, and nothing added without them.

Deno.test("the CLI without -H or --cors adds nothing and answers OPTIONS 501", async () => {
  await withCliFolder(async (dir) => {
    await using cli = Cli.serving(dir);
    const port = await cli.port();
    const get = await request(port, "GET /hello.txt HTTP/1.0\r\n\r\n");
    assert.equal(get.status, 200);
    assert.doesNotMatch(get.head, /access-control-|X-Frame-Options/i);
    const options = await request(port, "OPTIONS / HTTP/1.0\r\n\r\n");
    assert.equal(options.status, 501);
  });
});

Deno.test("the CLI's -H (repeated) and --cors reach every response and preflight", async () => {
  await withCliFolder(async (dir) => {
    await using cli = Cli.serving(dir, [
      "-H",
      "X-Frame-Options: DENY",
      "--header",
      "Cache-Control:  no-store ",
      "--cors",
    ]);
    const port = await cli.port();
    for (const path of ["/hello.txt", "/missing"]) {
      const res = await request(port, `GET ${path} HTTP/1.0\r\n\r\n`);
      assert.equal(res.headers.get("x-frame-options"), "DENY", path);
      assert.equal(res.headers.get("cache-control"), "no-store", path);
      assert.equal(res.headers.get("access-control-allow-origin"), "*", path);
    }
    const preflight = await request(
      port,
      "OPTIONS /hello.txt HTTP/1.0\r\nOrigin: http://a.example\r\n" +
        "Access-Control-Request-Method: GET\r\n" +
        "Access-Control-Request-Headers: range\r\n\r\n",
    );
    assert.equal(preflight.status, 204);
    assertMethods(preflight, ["GET", "HEAD", "OPTIONS"]);
    assert.equal(
      preflight.headers.get("access-control-allow-headers"),
      "range",
    );
  });
});

const headerUsageErrors: [string[], RegExp][] = [
  [
    ["-H", "no colon"],
    /: error: argument -H\/--header: invalid header: 'no colon' \(use "Name: value"\)$/m,
  ],
  [
    ["-H", "Content-Length: 1"],
    /: error: argument -H\/--header: 'Content-Length' is set by the server$/m,
  ],
  [
    ["-H", "Server: mine"],
    /: error: argument -H\/--header: 'Server' is set by the server$/m,
  ],
  [
    ["--cors", "-H", "Access-Control-Allow-Origin: https://a.example"],
    /: error: argument -H\/--header: 'Access-Control-Allow-Origin' is set by --cors$/m,
  ],
  [["-H"], /: error: argument -H\/--header: expected one argument$/m],
];
for (const [args, message] of headerUsageErrors) {
  Deno.test(`the CLI refuses ${JSON.stringify(args)}: a usage error, exit 2`, async () => {
    const { code, stderr } = await run(["--allow-read"], ["0", ...args]);
    assert.equal(code, 2);
    assert.match(stderr, /^usage: httpserver /);
    assert.match(stderr, message);
  });
}

Deno.test("--help lists -H and --cors", async () => {
  const { stdout } = await run([], ["--help"]);
  assert.ok(stdout.includes("-H HEADER, --header HEADER\n"));
  assert.match(stdout, /\[-H HEADER\]\s+\[--cors\]/);
  assert.match(stdout, /\n {2}--cors {16}allow cross-origin requests/);
});
