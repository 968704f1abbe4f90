/**
 * CGIHTTPRequestHandler: the pure pieces (Python's `_url_collapse_path`
 * vectors, the `is_cgi` split, the environment, the script's header block,
 * `nobody`), then CPython's CGIHTTPServerTestCase ported over the wire with
 * `python3` and `sh` scripts written to a temporary folder, and what this
 * handler does beyond Python: status and redirects from scripts, keep-alive,
 * HEAD, streaming bodies both ways, timeouts, run permission.
 *
 * @module
 */

import assert from "node:assert/strict";
import { HttpError } from "../../util/errors.ts";
import { CGIHTTPRequestHandler } from "../../handlers/cgi/cgi.ts";
import { cgiArguments, cgiEnvironment } from "../../handlers/cgi/env.ts";
import { splitCGIPath, urlCollapsePath } from "../../handlers/cgi/path.ts";
import { exitCode, nobodyIdentity } from "../../handlers/cgi/process.ts";
import {
  MAX_SCRIPT_HEAD,
  ScriptHeadParser,
} from "../../handlers/cgi/response.ts";
import { makeFixture } from "../support/cgi_fixture.ts";
import { Cli } from "../support/cli_process.ts";
import {
  captureLogs,
  latin1,
  processGone,
  RawClient,
  type RawResponse,
  serve,
  until,
  within,
} from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------
// Pure pieces

Deno.test("Python's _url_collapse_path vectors", () => {
  // test_url_collapse_path; null where Python raises IndexError.
  const vectors: [string, string | null][] = [
    ["", "//"],
    ["..", null],
    ["/.//..", null],
    ["/", "//"],
    ["//", "//"],
    ["/\\", "//\\"],
    ["/.//", "//"],
    ["cgi-bin/file1.py", "/cgi-bin/file1.py"],
    ["/cgi-bin/file1.py", "/cgi-bin/file1.py"],
    ["a", "//a"],
    ["/a", "//a"],
    ["//a", "//a"],
    ["./a", "//a"],
    ["./C:/", "/C:/"],
    ["/a/b", "/a/b"],
    ["/a/b/", "/a/b/"],
    ["/a/b/.", "/a/b/"],
    ["/a/b/c/..", "/a/b/"],
    ["/a/b/c/../d", "/a/b/d"],
    ["/a/b/c/../d/e/../f", "/a/b/d/f"],
    ["/a/b/c/../d/e/../../f", "/a/b/f"],
    ["/a/b/c/../d/e/.././././..//f", "/a/b/f"],
    ["../a/b/c/../d/e/.././././..//f", null],
    ["/a/b/c/../d/e/../../../f", "/a/f"],
    ["/a/b/c/../d/e/../../../../f", "//f"],
    ["/a/b/c/../d/e/../../../../../f", null],
    ["/a/b/c/../d/e/../../../../f/..", "//"],
    ["/a/b/c/../d/e/../../../../f/../.", "//"],
    // The query is kept as sent, after the first "?".
    ["/a/../b?x=/../y", "//b?x=/../y"],
    ["/a%2f..%2fb", "//b"],
  ];
  for (const [path, expected] of vectors) {
    assert.equal(urlCollapsePath(path), expected, JSON.stringify(path));
  }
});

const CGI_DIRS = ["/cgi-bin", "/htbin", "/sub/dir/cgi-bin"];
const exact = { caseInsensitive: false };

Deno.test("is_cgi: the CGI folder is found in the collapsed path", () => {
  const cases: [string, [string, string] | null][] = [
    ["/cgi-bin/file1.py", ["/cgi-bin", "file1.py"]],
    ["cgi-bin/file1.py", ["/cgi-bin", "file1.py"]],
    ["/cgi-bin%2ffile1.py", ["/cgi-bin", "file1.py"]],
    ["/htbin/a/b.py/x/y?q=/z", ["/htbin", "a/b.py/x/y?q=/z"]],
    ["/cgi-bin/file4.py?a=b?c=d", ["/cgi-bin", "file4.py?a=b?c=d"]],
    ["/sub/dir/cgi-bin/file5.py", ["/sub/dir/cgi-bin", "file5.py"]],
    ["/cgi-bin/", ["/cgi-bin", ""]],
    ["/cgi-bin", null],
    ["/cgi-binx/file1.py", null],
    ["/index.html?/cgi-bin/x", null],
    ["///////////nocgi.py/../cgi-bin/nothere.sh", ["/cgi-bin", "nothere.sh"]],
    ["/x/..%2fcgi-bin/s.py", ["/cgi-bin", "s.py"]],
    ["/cgi-bin/../secret.py", null],
    // What translatePath serves: an absolute-form target's path, and a path
    // cut at "#", so a script is never taken for a plain file.
    ["http://example.com/cgi-bin/s.py", ["/cgi-bin", "s.py"]],
    ["/cgi-bin/s.py#/../../x", ["/cgi-bin", "s.py"]],
    ["/cgi-bin/s.py?a#b", ["/cgi-bin", "s.py?a#b"]],
  ];
  for (const [path, expected] of cases) {
    assert.deepEqual(splitCGIPath(path, CGI_DIRS, exact), expected, path);
  }
});

Deno.test("is_cgi: a path that climbs above the root is a 400", () => {
  for (
    const path of [
      "/cgi-bin/..%2f..%2f..%2fetc/passwd",
      "/../cgi-bin/s.py",
      "/cgi-bin/../../x",
      "..",
    ]
  ) {
    assert.throws(
      () => splitCGIPath(path, CGI_DIRS, exact),
      (error) => error instanceof HttpError && error.status === 400,
      path,
    );
  }
});

Deno.test("is_cgi: folders compare without case where the file system ignores it", () => {
  assert.deepEqual(
    splitCGIPath("/CGI-Bin/s.py", CGI_DIRS, { caseInsensitive: true }),
    ["/CGI-Bin", "s.py"],
  );
  assert.equal(splitCGIPath("/CGI-Bin/s.py", CGI_DIRS, exact), null);
});

function environment(
  headers: [string, string][] | Record<string, string>,
  contentLength: number | null = null,
): Record<string, string> {
  const fields = Array.isArray(headers) ? headers : Object.entries(headers);
  return cgiEnvironment({
    serverSoftware: "SimpleHTTP/0.6 Deno/2",
    serverName: "127.0.0.1",
    serverPort: 8000,
    serverProtocol: "HTTP/1.0",
    method: "POST",
    pathInfo: "/x y",
    pathTranslated: "/srv/x y",
    scriptName: "/cgi-bin/s.py",
    query: "a=1",
    remoteAddr: "10.0.0.1",
    headers: new Headers(fields),
    headerValues: (name) =>
      fields.filter(([key]) => key.toLowerCase() === name).map(([, v]) => v),
    contentLength,
  });
}

Deno.test("the environment has Python's variables, with its defaults", () => {
  assert.deepEqual(environment({}), {
    SERVER_SOFTWARE: "SimpleHTTP/0.6 Deno/2",
    SERVER_NAME: "127.0.0.1",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "HTTP/1.0",
    SERVER_PORT: "8000",
    REQUEST_METHOD: "POST",
    PATH_INFO: "/x y",
    PATH_TRANSLATED: "/srv/x y",
    SCRIPT_NAME: "/cgi-bin/s.py",
    QUERY_STRING: "a=1",
    REMOTE_ADDR: "10.0.0.1",
    REMOTE_HOST: "",
    CONTENT_TYPE: "text/plain",
    CONTENT_LENGTH: "",
    HTTP_REFERER: "",
    HTTP_ACCEPT: "",
    HTTP_USER_AGENT: "",
    HTTP_COOKIE: "",
  });
});

Deno.test("every request header becomes HTTP_*, but never HTTP_PROXY", () => {
  const env = environment([
    ["Content-Type", "application/json"],
    ["Content-Length", "12"],
    ["Accept", "text/html"],
    ["Accept", "text/plain"],
    ["User-Agent", "t/1"],
    ["Referer", "http://r/"],
    ["Cookie", "a=1"],
    ["X-Trace-Id", "abc"],
    ["Host", "example.com"],
    ["Proxy", "http://evil.example:3128"],
    ["Authorization", "Basic dXNlcjpwYXNz"],
    ["Proxy-Authorization", "Basic eDp5"],
    ["X_Trace_Id", "spoofed"],
  ]);
  assert.equal(env.CONTENT_TYPE, "application/json");
  assert.equal(env.CONTENT_LENGTH, "12");
  assert.equal(env.HTTP_ACCEPT, "text/html,text/plain");
  assert.equal(env.HTTP_USER_AGENT, "t/1");
  assert.equal(env.HTTP_REFERER, "http://r/");
  assert.equal(env.HTTP_COOKIE, "a=1");
  assert.equal(env.HTTP_X_TRACE_ID, "abc");
  assert.equal(env.HTTP_HOST, "example.com");
  assert.equal(env.AUTH_TYPE, "Basic");
  assert.equal(env.REMOTE_USER, "user");
  for (
    const name of [
      "HTTP_PROXY",
      "HTTP_AUTHORIZATION",
      "HTTP_PROXY_AUTHORIZATION",
      "HTTP_CONTENT_TYPE",
      "HTTP_CONTENT_LENGTH",
    ]
  ) {
    assert.ok(!(name in env), name);
  }
});

Deno.test("repeated fields that Python passes keep Python's values; others are joined with `, `", () => {
  const env = environment([
    ["Accept", "text/html"],
    ["Accept", ""],
    ["Accept", "text/plain, */*"],
    ["Cookie", "a=1"],
    ["Cookie", ""],
    ["Cookie", "b=2"],
    ["Referer", "http://r/1"],
    ["Referer", "http://r/2"],
    ["User-Agent", "t/1"],
    ["User-Agent", "t/2"],
    ["Content-Type", "text/csv"],
    ["Content-Type", "text/xml"],
    ["Content-Length", "3"],
    ["Content-Length", "3"],
    ["Authorization", "Basic dXNlcjpwYXNz"],
    ["Authorization", "Bearer x"],
    ["X-Trace", "a"],
    ["X-Trace", "b"],
  ]);
  // Python's `','.join(get_all('accept'))`, `', '.join(filter(None,
  // get_all('cookie')))`, and `headers.get(name)`: the first field.
  assert.equal(env.HTTP_ACCEPT, "text/html,,text/plain, */*");
  assert.equal(env.HTTP_COOKIE, "a=1, b=2");
  assert.equal(env.HTTP_REFERER, "http://r/1");
  assert.equal(env.HTTP_USER_AGENT, "t/1");
  assert.equal(env.CONTENT_TYPE, "text/csv");
  assert.equal(env.CONTENT_LENGTH, "3");
  assert.equal(env.AUTH_TYPE, "Basic");
  assert.equal(env.REMOTE_USER, "user");
  assert.equal(env.HTTP_X_TRACE, "a, b");
});

Deno.test("Authorization gives AUTH_TYPE, and REMOTE_USER for Basic, as Python", () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ["Basic dXNlcjpwYXNz", "Basic", "user"],
    ["basic dXNlcjpwYXNz", "basic", "user"],
    ["Basic dXNlcjpwYTpzcw==", "Basic", undefined], // user:pa:ss
    ["Basic !!!", "Basic", undefined],
    ["Bearer abc", "Bearer", undefined],
    ["Basic", undefined, undefined],
    ["Digest a b", undefined, undefined],
  ];
  for (const [value, type, user] of cases) {
    const env = environment({ Authorization: value });
    assert.equal(env.AUTH_TYPE, type, value);
    assert.equal(env.REMOTE_USER, user, value);
  }
});

Deno.test("a decoded chunked body's length is CONTENT_LENGTH", () => {
  assert.equal(
    environment({ "Transfer-Encoding": "chunked" }, 5).CONTENT_LENGTH,
    "5",
  );
  assert.ok(!("HTTP_TRANSFER_ENCODING" in environment({ TE: "x" }, 5)));
});

Deno.test("an indexed query is the one argument, as Python passes it", () => {
  assert.deepEqual(cgiArguments(""), [""]);
  assert.deepEqual(cgiArguments("spam+eggs%20x"), ["spam eggs%20x"]);
  assert.deepEqual(cgiArguments("a=1&b"), []);
});

/** Parses `output` fed in pieces of `step` bytes; returns the head and the body. */
function parseScript(output: string, step = output.length || 1) {
  const parser = new ScriptHeadParser();
  const bytes = latin1(output);
  const body: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    const rest = parser.feed(bytes.subarray(i, i + step));
    if (rest !== null) body.push(rest);
  }
  parser.finish();
  return {
    head: parser.head!,
    body: body.map((b) => decoder.decode(b)).join(""),
  };
}

Deno.test("a script's header block parses the same split at every byte", () => {
  const output =
    "Status: 201 Made\r\nContent-Type: text/plain\nX-A:  spaced  \r\n\r\nbody\nmore";
  for (let step = 1; step <= output.length; step++) {
    const { head, body } = parseScript(output, step);
    assert.equal(head.status, 201);
    assert.equal(head.reason, "Made");
    assert.deepEqual(head.fields, [
      ["Content-Type", "text/plain"],
      ["X-A", "spaced"],
    ]);
    assert.equal(body, "body\nmore");
  }
});

Deno.test("script responses: RFC 3875 §6 document, redirect and status", () => {
  const cases: [string, number, string | undefined, [string, string][]][] = [
    [
      "Content-type: text/html\n\n",
      200,
      "Script output follows",
      [["Content-type", "text/html"]],
    ],
    ["Location: /elsewhere/\n\n", 302, undefined, [[
      "Location",
      "/elsewhere/",
    ]]],
    [
      "Status: 301\nLocation: http://x/\n\n",
      301,
      undefined,
      [["Location", "http://x/"]],
    ],
    ["Status: 404 Not Here\n\n", 404, "Not Here", []],
    ["\n", 200, "Script output follows", []],
    ["\r\n", 200, "Script output follows", []],
    // "A NULL field value is equivalent to a field not being sent."
    ["Status:\nX-Empty:\n\n", 200, "Script output follows", []],
    // The server frames the connection, not the script.
    [
      "Connection: keep-alive\nTransfer-Encoding: chunked\nKeep-Alive: 5\nContent-Length: 3\n\n",
      200,
      "Script output follows",
      [["Content-Length", "3"]],
    ],
  ];
  for (const [output, status, reason, fields] of cases) {
    const { head } = parseScript(output);
    assert.equal(head.status, status, output);
    assert.equal(head.reason, reason, output);
    assert.deepEqual(head.fields, fields, output);
  }
  assert.equal(parseScript("Content-Length: 42\n\n").head.contentLength, 42);
  assert.equal(parseScript("A: b\n\n").head.contentLength, null);
});

Deno.test("malformed script responses are a 502", () => {
  const cases = [
    "",
    "Content-Type: text/plain\n",
    "hello world\n\n",
    "Bad Name: x\n\n",
    " folded: x\n\n",
    "A: b\n continued\n\n",
    ": no name\n\n",
    "Status: 200 OK\nStatus: 404 No\n\n",
    "Location: /a\nlocation: /b\n\n",
    "Status: abc\n\n",
    "Status: 100 Continue\n\n",
    "Status: 600 Nope\n\n",
    "Content-Length: -1\n\n",
    "Content-Length: 1, 1\n\n",
    "A: b\x00c\n\n",
    "A: b\rc\n\n",
    "X: " + "a".repeat(MAX_SCRIPT_HEAD) + "\n",
  ];
  for (const output of cases) {
    assert.throws(
      () => parseScript(output),
      (error) => error instanceof HttpError && error.status === 502,
      JSON.stringify(output.slice(0, 40)),
    );
  }
});

Deno.test("nobody is found as Python's nobody_uid finds it", () => {
  assert.deepEqual(
    nobodyIdentity(
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:99:98::/:/bin/false",
    ),
    { uid: 99, gid: 98 },
  );
  assert.deepEqual(
    nobodyIdentity("root:x:0:0::/:/bin/sh\n# comment\nsvc:x:1000:1000::/:/x\n"),
    { uid: 1001, gid: 1001 },
  );
  assert.deepEqual(nobodyIdentity(null), { uid: 65534, gid: 65534 });
});

Deno.test("exit codes read as Python's waitstatus_to_exitcode", () => {
  assert.equal(exitCode({ success: false, code: 3, signal: null }), 3);
  assert.equal(exitCode({ success: false, code: 137, signal: "SIGKILL" }), -9);
});

// ---------------------------------------------------------------------------
// Over the wire

interface RequestInit {
  method?: string;
  headers?: [string, string][];
  body?: string | Uint8Array;
  version?: string;
}

/** One request on a fresh connection; the response as read off the wire. */
async function request(
  port: number,
  target: string,
  init: RequestInit = {},
): Promise<RawResponse> {
  using client = await RawClient.connect(port);
  await client.send(head(target, init));
  if (init.body !== undefined) await client.send(init.body);
  return await client.readResponse(init.method === "HEAD");
}

function head(target: string, init: RequestInit = {}): string {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  let text = `${method} ${target} ${init.version ?? "HTTP/1.1"}\r\nHost: t\r\n`;
  for (const [name, value] of init.headers ?? []) {
    text += `${name}: ${value}\r\n`;
  }
  if (init.body !== undefined) {
    const length = typeof init.body === "string"
      ? latin1(init.body).length
      : init.body.length;
    text += `Content-Length: ${length}\r\n`;
  }
  return text + "\r\n";
}

class Handler11 extends CGIHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
}

/**
 * Runs `fn` against a fresh fixture and a server with `Handler` (HTTP/1.0,
 * as `python -m http.server --cgi`, unless given), collecting its log lines.
 */
async function withServer(
  fn: (port: number, logs: string[], dir: string) => Promise<void>,
  Handler: typeof CGIHTTPRequestHandler = CGIHTTPRequestHandler,
): Promise<void> {
  await using fixture = await makeFixture();
  const { Handler: Logged, lines } = captureLogs(Handler);
  await using s = serve(Logged, { directory: fixture.dir });
  await fn(s.port, lines, fixture.dir);
}

const HELLO_RESPONSE = ["Hello World\n", "text/html", 200];

function summary(res: RawResponse): [string, string | null, number] {
  return [res.text, res.headers.get("content-type"), res.status];
}

/** The tests that run the fixture's Python scripts. */
const python = requiring("python3");

// CGIHTTPServerTestCase, test by test.

python.test("CGI: headers and content", () =>
  withServer(async (port) => {
    const res = await request(port, "/cgi-bin/file1.py");
    assert.deepEqual(summary(res), HELLO_RESPONSE);
    assert.equal(res.statusLine, "HTTP/1.0 200 Script output follows");
  }));

Deno.test("CGI: issue19435, a missing script after a collapsed path is 404", () =>
  withServer(async (port) => {
    const res = await request(
      port,
      "///////////nocgi.py/../cgi-bin/nothere.sh",
    );
    assert.equal(res.status, 404);
    assert.match(res.text, /No such CGI script \('\/cgi-bin\/nothere.sh'\)/);
  }));

python.test("CGI: a script name beyond Latin-1 is 404 with the name percent-encoded in the status line (Python drops the connection)", () =>
  withServer(async (port, logs) => {
    for (const target of ["/cgi-bin/%E2%82%AC.py", "/cgi-bin/x%E2%82%AC/y"]) {
      const res = await request(port, target);
      assert.equal(res.status, 404, target);
      assert.match(
        res.statusLine,
        /^HTTP\/1.0 404 No such CGI script \('\/cgi-bin\/(%E2%82%AC\.py|x%E2%82%AC)'\)$/,
      );
    }
    assert.ok(
      logs.some((l) => l.includes("No such CGI script ('/cgi-bin/€.py')")),
    );
    assert.equal((await request(port, "/cgi-bin/file1.py")).status, 200);
  }));

python.test("CGI: POST reaches the script's stdin", () =>
  withServer(async (port) => {
    const res = await request(port, "/cgi-bin/file2.py", {
      headers: [["Content-type", "application/x-www-form-urlencoded"]],
      body: "spam=1&eggs=python&bacon=123456",
    });
    assert.equal(res.text, "1, python, 123456\n");
  }));

Deno.test("CGI: an invalid URI is 404", () =>
  withServer(async (port) => {
    assert.equal((await request(port, "/cgi-bin/invalid")).status, 404);
  }));

python.test("CGI: Basic authorization", () =>
  withServer(async (port) => {
    const res = await request(port, "/cgi-bin/file1.py", {
      headers: [["Authorization", "Basic " + btoa("username:pass")]],
    });
    assert.deepEqual(summary(res), HELLO_RESPONSE);
  }));

python.test("CGI: no leading slash", () =>
  withServer(async (port) => {
    assert.deepEqual(
      summary(await request(port, "cgi-bin/file1.py")),
      HELLO_RESPONSE,
    );
  }));

/**
 * What a script's environment holds that is not the server's own: the CGI
 * meta-variables, and `LC_CTYPE`, which Python's C-locale coercion may set.
 */
const SET_FOR_THE_SCRIPT =
  /^(HTTP_|SERVER_|REMOTE_|CONTENT_|AUTH_TYPE$|GATEWAY_INTERFACE$|REQUEST_METHOD$|PATH_INFO$|PATH_TRANSLATED$|SCRIPT_NAME$|QUERY_STRING$|LC_CTYPE$)/;

// The process environment is read, never set: test files run in parallel in
// one process, and another file's CGI child would inherit a change.
python.test("CGI: the server's environment is passed, and not altered", () =>
  withServer(async (port) => {
    const before = Deno.env.toObject();
    const { env } = JSON.parse((await request(port, "/cgi-bin/env.py")).text);
    assert.match(env.SERVER_SOFTWARE, /^SimpleHTTP\/0\.6 Deno\//);
    const inherited = Object.entries(before)
      .filter(([name]) => !SET_FOR_THE_SCRIPT.test(name));
    assert.ok(inherited.some(([name]) => name === "PATH"));
    for (const [name, value] of inherited) assert.equal(env[name], value, name);
    assert.deepEqual(Deno.env.toObject(), before);
  }));

python.test("CGI: a URL-encoded slash before the script", () =>
  withServer(async (port) => {
    assert.deepEqual(
      summary(await request(port, "/cgi-bin%2ffile1.py")),
      HELLO_RESPONSE,
    );
  }));

python.test("CGI: issue21323, a script in a nested folder", () =>
  withServer(async (port) => {
    assert.deepEqual(
      summary(await request(port, "/cgi-bin/child-dir/file3.py")),
      HELLO_RESPONSE,
    );
  }));

python.test("CGI: a query with several question marks", () =>
  withServer(async (port) => {
    assert.deepEqual(
      summary(await request(port, "/cgi-bin/file4.py?a=b?c=d")),
      ["a=b?c=d\n", "text/html", 200],
    );
  }));

python.test("CGI: a query with runs of slashes", () =>
  withServer(async (port) => {
    const query = "k=aa%2F%2Fbb&//q//p//=//a//b//";
    assert.deepEqual(
      summary(await request(port, `/cgi-bin/file4.py?${query}`)),
      [query + "\n", "text/html", 200],
    );
  }));

python.test("CGI: a CGI folder inside sub-folders", () => {
  class SubDirs extends CGIHTTPRequestHandler {
    override cgiDirectories = ["/cgi-bin", "/htbin", "/sub/dir/cgi-bin"];
  }
  return withServer(async (port) => {
    assert.deepEqual(
      summary(await request(port, "/sub/dir/cgi-bin/file5.py")),
      HELLO_RESPONSE,
    );
  }, SubDirs);
});

python.test("CGI: Accept reaches the script as HTTP_ACCEPT", () =>
  withServer(async (port) => {
    const accept =
      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    const cases: [[string, string][], string][] = [
      [[["Accept", accept]], accept],
      [[], ""],
      // Python joins these with ",".
      [
        [["Accept", "text/html"], ["ACCEPT", "text/plain"]],
        "text/html,text/plain",
      ],
    ];
    for (const [headers, expected] of cases) {
      const res = await request(port, "/cgi-bin/env.py", { headers });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.text).env.HTTP_ACCEPT, expected);
    }
  }));

// Beyond CGIHTTPServerTestCase.

python.test("CGI: the environment, argv and folder of a script", () =>
  withServer(async (port, _logs, dir) => {
    const res = await request(
      port,
      "/cgi-bin/env.py/extra%2Fpath/a%2541?spam+eggs",
      {
        headers: [
          ["X-Custom-Header", "custom"],
          ["Proxy", "http://evil.example:3128"],
          ["X_Custom_Header", "spoofed"],
          ["Cookie", "c=1"],
        ],
      },
    );
    const { env, argv, cwd } = JSON.parse(res.text);
    const real = await Deno.realPath(dir);
    assert.equal(env.GATEWAY_INTERFACE, "CGI/1.1");
    assert.equal(env.SERVER_PROTOCOL, "HTTP/1.0");
    assert.equal(env.SERVER_PORT, String(port));
    assert.equal(env.SERVER_NAME, "127.0.0.1");
    assert.equal(env.REQUEST_METHOD, "GET");
    assert.equal(env.SCRIPT_NAME, "/cgi-bin/env.py");
    // Decoded twice, as Python does: %2541 -> %41 -> A.
    assert.equal(env.PATH_INFO, "/extra/path/aA");
    assert.equal(env.PATH_TRANSLATED, `${dir}/extra/path/aA`);
    assert.equal(env.QUERY_STRING, "spam+eggs");
    assert.equal(env.REMOTE_ADDR, "127.0.0.1");
    assert.equal(env.CONTENT_TYPE, "text/plain");
    assert.equal(env.CONTENT_LENGTH, "");
    assert.equal(env.HTTP_COOKIE, "c=1");
    assert.equal(env.HTTP_HOST, "t");
    assert.equal(env.HTTP_X_CUSTOM_HEADER, "custom");
    assert.ok(
      !("HTTP_PROXY" in env) || env.HTTP_PROXY === Deno.env.get("HTTP_PROXY"),
    );
    assert.deepEqual(argv, ["spam eggs"]);
    assert.equal(await Deno.realPath(cwd), `${real}/cgi-bin`);
  }));

python.test("CGI: `..` never leads out of the root or to a script's source", () =>
  withServer(async (port) => {
    const cases: [string, number][] = [
      ["/cgi-bin/..%2f..%2f..%2fetc/passwd", 400],
      ["/cgi-bin/../../etc/passwd", 400],
      ["/../cgi-bin/file1.py", 400],
      ["/cgi-bin/../cgi-bin/file1.py", 200],
      ["/x/..%2fcgi-bin/file1.py", 200],
      ["/cgi-bin/./file1.py", 200],
      ["http://t/cgi-bin/file1.py", 200],
      ["/cgi-bin/file1.py#/../../x", 200],
      ["/cgi-bin/", 403],
      ["/cgi-bin/folder.py", 403],
      ["/cgi-bin", 301],
      ["/", 200],
    ];
    for (const [target, status] of cases) {
      const res = await request(port, target);
      assert.equal(res.status, status, target);
      assert.ok(!res.text.includes("#!"), `${target} showed a script's source`);
    }
  }));

Deno.test("CGI: scripts that cannot run are 403, 404 or 500", () =>
  withServer(async (port, logs) => {
    const notExecutable = await request(port, "/cgi-bin/noexec.sh");
    assert.equal(notExecutable.status, 403);
    assert.match(notExecutable.text, /CGI script is not executable/);
    assert.equal((await request(port, "/cgi-bin/folder.py")).status, 403);
    assert.equal((await request(port, "/htbin/nothere.py")).status, 404);
    // No "#!": the system runs it with /bin/sh, which fails; no header block.
    const garbage = await request(port, "/cgi-bin/garbage");
    assert.equal(garbage.status, Deno.build.os === "linux" ? 502 : 500);
    assert.ok(
      logs.some((line) => line.startsWith("CGI script exit code 12")),
      logs.join("\n"),
    );
  }));

Deno.test("CGI: a script without a header block is 502", () =>
  withServer(async (port, logs) => {
    const noHeader = await request(port, "/cgi-bin/noheader.sh");
    assert.equal(noHeader.status, 502);
    assert.ok(
      logs.some((l) => l.includes("malformed CGI script header line 'hello'")),
      logs.join("\n"),
    );
    const silent = await request(port, "/cgi-bin/silent.sh");
    assert.equal(silent.status, 502);
    assert.ok(logs.some((l) => l.includes("CGI script sent no output")));
  }));

Deno.test("CGI: stderr and a non-zero exit code are logged", () =>
  withServer(async (port, logs) => {
    const res = await request(port, "/cgi-bin/fail.sh");
    assert.equal(res.status, 200);
    assert.equal(res.text, "partial\n");
    assert.ok(logs.includes("something broke"), logs.join("\n"));
    assert.ok(logs.includes("second line"));
    assert.ok(logs.includes("CGI script exit code 3"));
  }));

Deno.test("CGI: POST to anything but a script is 501", () =>
  withServer(async (port) => {
    const res = await request(port, "/index.html", { body: "x=1" });
    assert.equal(res.status, 501);
    assert.match(res.text, /Can only POST to CGI scripts/);
  }));

Deno.test("CGI: files outside the CGI folders are served as files", () =>
  withServer(async (port) => {
    const res = await request(port, "/index.html");
    assert.equal(res.status, 200);
    assert.equal(res.text, "<p>files</p>\n");
    // nocgi.py is executable but not in a CGI folder: its source is served.
    assert.match((await request(port, "/nocgi.py")).text, /^#!/);
  }));

Deno.test("CGI: Status sets the status line, Location alone redirects", () =>
  withServer(async (port) => {
    const teapot = await request(port, "/cgi-bin/status.sh");
    assert.equal(teapot.statusLine, "HTTP/1.0 418 Short And Stout");
    assert.equal(teapot.headers.get("status"), null);
    assert.equal(teapot.text, "teapot\n");
    const redirect = await request(port, "/cgi-bin/redirect.sh");
    assert.equal(redirect.statusLine, "HTTP/1.0 302 Found");
    assert.equal(redirect.headers.get("location"), "/elsewhere/?a=1");
  }));

python.test("CGI: keep-alive carries several CGI requests on one connection", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(head("/cgi-bin/file1.py"));
    const chunked = await client.readResponse();
    assert.equal(chunked.headers.get("transfer-encoding"), "chunked");
    assert.equal(chunked.text, "Hello World\n");
    await client.send(head("/cgi-bin/length.sh"));
    const sized = await client.readResponse();
    assert.equal(sized.headers.get("content-length"), "5");
    assert.equal(sized.text, "hello");
    await client.send(head("/cgi-bin/echo.sh", { body: "ping" }) + "ping");
    assert.equal((await client.readResponse()).text, "ping");
    await client.send(head("/cgi-bin/status.sh", { method: "HEAD" }));
    const headOnly = await client.readResponse(true);
    assert.equal(headOnly.status, 418);
    await client.send(head("/cgi-bin/redirect.sh"));
    assert.equal((await client.readResponse()).status, 302);
    await client.send(
      head("/cgi-bin/file4.py?last", { headers: [["Connection", "close"]] }),
    );
    assert.equal((await client.readResponse()).text, "last\n");
    assert.ok(await client.closed());
  }, Handler11));

Deno.test("CGI: without a body the script reads an empty stdin; with one, the body", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    // No Content-Length, a body, then Content-Length: 0.
    for (const body of [undefined, "ping", ""]) {
      await client.send(head("/cgi-bin/echo.sh", { body }) + (body ?? ""));
      const response = await client.readResponse();
      assert.equal(response.status, 200);
      assert.equal(response.text, body ?? "");
    }
    // A chunked body, even an empty one, is fed as well.
    await client.send(
      head("/cgi-bin/echo.sh", {
        method: "POST",
        headers: [["Transfer-Encoding", "chunked"]],
      }) + "0\r\n\r\n",
    );
    assert.equal((await client.readResponse()).text, "");
  }, Handler11));

python.test("CGI: an HTTP/1.0 keep-alive request gets a close-delimited body", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(
      head("/cgi-bin/file1.py", {
        version: "HTTP/1.0",
        headers: [["Connection", "keep-alive"]],
      }),
    );
    const res = await client.readResponse();
    assert.equal(res.headers.get("connection"), "close");
    assert.equal(res.headers.get("transfer-encoding"), null);
    assert.equal(res.text, "Hello World\n");
    assert.ok(await client.closed());
  }, Handler11));

Deno.test("CGI: HEAD runs the script and sends no body", () =>
  withServer(async (port, logs) => {
    using client = await RawClient.connect(port);
    await client.send(head("/cgi-bin/head.sh", { method: "HEAD" }));
    const res = await client.readResponse(true);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain");
    // Nothing follows the head: the next response starts right there.
    await client.send(head("/cgi-bin/length.sh", { method: "GET" }));
    assert.equal((await client.readResponse()).text, "hello");
    assert.ok(logs.includes("ran HEAD"), logs.join("\n"));
  }, Handler11));

Deno.test("CGI: a script's Content-Length is kept to, both ways", () =>
  withServer(async (port, logs) => {
    using client = await RawClient.connect(port);
    await client.send(head("/cgi-bin/long.sh"));
    const long = await client.readResponse();
    assert.equal(long.text, "hel");
    // The connection survives an overlong script: the excess was dropped.
    await client.send(head("/cgi-bin/short.sh"));
    const short = await client.readAll();
    assert.match(short, /Content-Length: 10\r\n\r\nhello$/);
    assert.ok(logs.some((l) => l.includes("2 bytes past its Content-Length")));
    assert.ok(
      logs.some((l) => l.includes("5 bytes short of its Content-Length")),
    );
  }, Handler11));

Deno.test("CGI: a script's 204, 205 and 304 send no body; 205 says Content-Length: 0, 204 none", () =>
  withServer(async (port, logs) => {
    using client = await RawClient.connect(port);
    const cases: [string, string | null][] = [
      ["204", null],
      ["205", "0"],
      ["304", "5"],
    ];
    for (const [status, length] of cases) {
      await client.send(head(`/cgi-bin/nocontent.sh?${status}`));
      const res = await client.readResponse(status !== "205");
      assert.equal(res.status, Number(status));
      assert.equal(res.headers.get("content-length"), length, status);
      assert.equal(res.text, "", status);
    }
    // Nothing was sent after any head: the next response starts right there.
    await client.send(head("/cgi-bin/length.sh"));
    assert.equal((await client.readResponse()).text, "hello");
    assert.ok(!logs.some((l) => l.includes("Content-Length")), logs.join("\n"));
  }, Handler11));

python.test("CGI: an HTTP/1.1 request that closes gets a chunked body all the same, whose end shows it whole", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(
      head("/cgi-bin/file1.py", { headers: [["Connection", "close"]] }),
    );
    const res = await client.readResponse();
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    assert.equal(res.text, "Hello World\n");
    assert.ok(await client.closed());
  }, Handler11));

Deno.test("CGI: Expect: 100-continue before a script's body", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(
      "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    assert.equal((await client.readResponse()).status, 100);
    await client.send("hello");
    assert.equal((await client.readResponse()).text, "hello");
  }, Handler11));

python.test("CGI: a chunked body is decoded and CONTENT_LENGTH set", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(
      "POST /cgi-bin/file2.py HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "9\r\nspam=1&eg\r\n16\r\ngs=python&bacon=123456\r\n0\r\n\r\n",
    );
    assert.equal((await client.readResponse()).text, "1, python, 123456\n");
  }, Handler11));

/** Reads a chunked body off `conn` after the head, calling `onData` per piece. */
async function readChunkedStream(
  conn: Deno.Conn,
  onData: (bytes: Uint8Array) => void,
): Promise<string> {
  const buf = new Uint8Array(256 * 1024);
  let start = 0;
  let end = 0;
  const more = async () => {
    if (start > 0) {
      buf.copyWithin(0, start, end);
      end -= start;
      start = 0;
    }
    const n = await conn.read(buf.subarray(end));
    if (n === null) throw new Error("connection closed early");
    end += n;
  };
  const line = async () => {
    for (;;) {
      const lf = buf.subarray(start, end).indexOf(10);
      if (lf >= 0) {
        const text = decoder.decode(buf.subarray(start, start + lf));
        start += lf + 1;
        return text.replace(/\r$/, "");
      }
      await more();
    }
  };
  let headText = "";
  for (let l = await line(); l !== ""; l = await line()) headText += l + "\n";
  for (;;) {
    let size = parseInt(await line(), 16);
    if (size === 0) {
      await line();
      return headText;
    }
    while (size > 0) {
      if (start === end) await more();
      const n = Math.min(size, end - start);
      onData(buf.subarray(start, start + n));
      start += n;
      size -= n;
    }
    await line();
  }
}

Deno.test("CGI: a 20 MiB POST body streams through a script and back", () =>
  withServer(async (port) => {
    const size = 20 * 1024 * 1024;
    const body = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) {
      crypto.getRandomValues(body.subarray(i, i + 65536));
    }
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const writing = (async () => {
      const request = latin1(head("/cgi-bin/echo.sh", { body }));
      await conn.write(request);
      for (let offset = 0; offset < size;) {
        offset += await conn.write(body.subarray(offset, offset + (1 << 20)));
      }
    })();
    let received = 0;
    let same = true;
    const headText = await readChunkedStream(conn, (bytes) => {
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] !== body[received + i]) same = false;
      }
      received += bytes.length;
    });
    await writing;
    assert.match(headText, /^HTTP\/1.1 200 /);
    assert.equal(received, size);
    assert.ok(same, "the echoed bytes differ");
  }, Handler11));

Deno.test("CGI: the body reaches the script before it has all arrived", () =>
  withServer(async (port) => {
    // The client sends the rest only once the script has echoed the start:
    // a server that held the body back would wait forever.
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const first = encoder.encode("first part\n");
    const rest = encoder.encode("and the rest\n");
    await conn.write(latin1(head("/cgi-bin/echo.sh", {
      body: new Uint8Array(first.length + rest.length),
    })));
    await conn.write(first);
    let echoed = "";
    let sentRest = false;
    const headText = await readChunkedStream(conn, (bytes) => {
      echoed += decoder.decode(bytes);
      if (!sentRest && echoed === "first part\n") {
        sentRest = true;
        conn.write(rest);
      }
    });
    assert.match(headText, /^HTTP\/1.1 200 /);
    assert.equal(echoed, "first part\nand the rest\n");
  }, Handler11));

Deno.test("CGI: a 20 MiB chunked body is spooled, counted and passed", () =>
  withServer(async (port) => {
    const size = 20 * 1024 * 1024;
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode(
      "POST /cgi-bin/count.sh HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
    ));
    const piece = new Uint8Array(1 << 20).fill(0x61);
    const frame = encoder.encode((1 << 20).toString(16) + "\r\n");
    for (let sent = 0; sent < size; sent += piece.length) {
      await conn.write(frame);
      for (let o = 0; o < piece.length;) {
        o += await conn.write(piece.subarray(o));
      }
      await conn.write(encoder.encode("\r\n"));
    }
    await conn.write(encoder.encode("0\r\n\r\n"));
    let text = "";
    await readChunkedStream(conn, (bytes) => text += decoder.decode(bytes));
    assert.equal(text.trim(), String(size));
  }, Handler11));

Deno.test("CGI: a chunked body past maxUploadBytes is 413 and the script never runs", () => {
  class Small extends Handler11 {
    override maxUploadBytes = 100_000;
  }
  return withServer(async (port, logs) => {
    using client = await RawClient.connect(port);
    const chunk = "x".repeat(40_000);
    await client.send(
      "POST /cgi-bin/head.sh HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
        `9c40\r\n${chunk}\r\n`.repeat(3) + "0\r\n\r\n",
    );
    const res = await client.readResponse();
    assert.equal(res.status, 413);
    assert.match(res.text, /may have 100000 bytes/);
    // head.sh logs "ran POST" on stderr when it runs.
    assert.ok(!logs.some((l) => l.startsWith("ran ")), logs.join("\n"));
  }, Small);
});

Deno.test("CGI: a chunked body past maxUploadBytes after 100 Continue still gets its 413", () => {
  class Small extends Handler11 {
    override maxUploadBytes = 100_000;
  }
  return withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(
      "POST /cgi-bin/head.sh HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n" +
        "Expect: 100-continue\r\n\r\n",
    );
    assert.equal((await client.readResponse(true)).status, 100);
    const chunk = "x".repeat(40_000);
    await client.send(`9c40\r\n${chunk}\r\n`.repeat(3) + "0\r\n\r\n");
    const res = await client.readResponse();
    assert.equal(res.status, 413);
    assert.match(res.text, /may have 100000 bytes/);
  }, Small);
});

class QuickTimeout extends Handler11 {
  override cgiTimeout = 300;
}

Deno.test("CGI: a hanging script is killed with its children: 504", () =>
  withServer(async (port, logs) => {
    const started = Date.now();
    const res = await request(port, "/cgi-bin/hang.sh");
    assert.equal(res.status, 504);
    assert.ok(Date.now() - started < 10_000);
    assert.ok(
      logs.some((l) => l.includes("made no progress for 300 ms: killed")),
    );
    assert.ok(logs.includes("CGI script exit code -9"), logs.join("\n"));
    const child = logs.find((l) => l.startsWith("child "));
    if (Deno.build.os === "linux" && child) {
      assert.ok(await processGone(Number(child.slice(6))), "sleep lives on");
    }
  }, QuickTimeout));

Deno.test("CGI: a child holding stdin of a script killed mid-body dies with it: 504 in time", () =>
  withServer(async (port) => {
    const started = Date.now();
    const res = await request(port, "/cgi-bin/hangstdin.sh", {
      body: "x".repeat(1024 * 1024),
    });
    assert.equal(res.status, 504);
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  }, QuickTimeout));

requiring("setsid").test({
  name:
    "CGI: a child that leaves the script's process group, holding its output pipes, does not hold the response",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withServer(async (port, logs) => {
      const res = await request(port, "/cgi-bin/escape.sh");
      assert.equal(res.status, 504);
      assert.ok(logs.includes("CGI script exit code -9"), logs.join("\n"));
      const line = logs.find((l) => l.startsWith("child "));
      assert.ok(line, logs.join("\n"));
      const child = Number(line.slice(6));
      try {
        assert.match(
          Deno.readTextFileSync(`/proc/${child}/cmdline`),
          /^sleep\0/,
          "the sleep that left the group still runs",
        );
      } finally {
        try {
          Deno.kill(child, "SIGKILL");
        } catch {
          // Gone already: the assertion above says why.
        }
      }
    }, SlowerTimeout),
});

/** Time enough for a script to name its child even on a loaded machine. */
class SlowerTimeout extends Handler11 {
  override cgiTimeout = 1_000;
}

/** Whether a program of this name is in a folder on `PATH`. */
Deno.test("CGI: a script that hangs mid-body is killed and the connection closed", () =>
  withServer(async (port) => {
    using client = await RawClient.connect(port);
    await client.send(head("/cgi-bin/hangbody.sh"));
    const raw = await client.readAll();
    assert.match(raw, /^HTTP\/1.1 200 /);
    assert.match(raw, /Transfer-Encoding: chunked\r\n\r\n8\r\npartial\n\r\n$/);
  }, QuickTimeout));

Deno.test("CGI: a script that exits after its Content-Length, leaving a child that holds its output, does not hold the keep-alive connection", () =>
  withServer(async (port, logs) => {
    using client = await RawClient.connect(port);
    try {
      await client.send(head("/cgi-bin/background.sh"));
      const first = await within(client.readResponse(), 5_000, "the response");
      assert.equal(first.text, "hello");
      await client.send(head("/cgi-bin/length.sh"));
      const next = client.readResponse();
      next.catch(() => {});
      const second = await within(next, 5_000, "the next response");
      assert.equal(second.text, "hello");
      // What the script left in its process group went with it.
      assert.ok(await processGone(pidLogged(logs, "child")), "sleep lives on");
    } finally {
      killLogged(logs, ["child"]);
    }
  }, Handler11));

Deno.test("CGI: shutdown kills a hung script with its process group once shutdownTimeout has passed", async () => {
  await using fixture = await makeFixture();
  const { Handler, lines: logs } = captureLogs(Handler11);
  await using s = serve(Handler, {
    directory: fixture.dir,
    shutdownTimeout: 200,
  });
  using client = await RawClient.connect(s.port);
  await client.send(head("/cgi-bin/hang.sh"));
  await until(() => logs.find((l) => l.startsWith("child ")), "the child");
  try {
    await within(s.server.shutdown(), 5_000, "shutdown");
    assert.ok(await processGone(pidLogged(logs, "script")), "script lives on");
    assert.ok(await processGone(pidLogged(logs, "child")), "sleep lives on");
    assert.ok(
      logs.includes(
        "CGI script '/cgi-bin/hang.sh' still running at shutdown: killed",
      ),
      logs.join("\n"),
    );
    assert.ok(await client.closed());
  } finally {
    killLogged(logs, ["script", "child"]);
  }
});

/** The pid a fixture script logged as `<name> <pid>`. */
function pidLogged(logs: string[], name: string): number {
  const line = logs.find((l) => l.startsWith(`${name} `));
  assert.ok(line, logs.join("\n"));
  return Number(line.slice(name.length + 1));
}

/** Kills what a failed test left running: the processes that `logs` name. */
function killLogged(logs: string[], names: string[]): void {
  for (const name of names) {
    const line = logs.find((l) => l.startsWith(`${name} `));
    try {
      if (line) Deno.kill(Number(line.slice(name.length + 1)), "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

Deno.test("CGI: a client that vanishes mid-body does not leave the script running", () =>
  withServer(async (port, logs) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      latin1(head("/cgi-bin/echo.sh", { body: "x".repeat(1000) })),
    );
    await conn.write(encoder.encode("only part of it"));
    conn.close();
    // The server notices the body cut short, kills the script and finishes
    // the request (the test's sanitizers see every process and pipe closed).
    const cut = () => logs.some((l) => /ended early|connection lost/.test(l));
    for (let i = 0; i < 250 && !cut(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(cut(), logs.join("\n"));
  }, Handler11));

// Permissions: a server started without --allow-run or --allow-write.

/** Starts a server in a child Deno with `flags`; returns its port and log. */
async function permissionServer(
  flags: string[],
  dir: string,
  fn: (port: number) => Promise<void>,
): Promise<string> {
  const main = `${dir}/server.ts`;
  const cgi = new URL("../../handlers/cgi/cgi.ts", import.meta.url).href;
  const server = new URL("../../server.ts", import.meta.url).href;
  await Deno.writeTextFile(
    main,
    `import { CGIHTTPRequestHandler } from ${JSON.stringify(cgi)};
import { ThreadingHTTPServer } from ${JSON.stringify(server)};
class H extends CGIHTTPRequestHandler { override protocolVersion = "HTTP/1.1"; }
const s = new ThreadingHTTPServer({ hostname: "127.0.0.1", port: 0 }, H, { directory: ${
      JSON.stringify(dir)
    } });
console.log(s.serverPort);
await s.serveForever();
`,
  );
  await using child = Cli.binary(Deno.execPath(), [
    "run",
    "--quiet",
    "--config",
    new URL("../../deno.json", import.meta.url).pathname,
    ...flags,
    main,
  ]);
  try {
    await fn(Number((await child.waitFor(/^(.*)\n/))?.[1]));
  } finally {
    child.kill("SIGTERM");
  }
  return (await child.finish()).stderr;
}

Deno.test("CGI: without --allow-run a script request is 403 and one log line names the flag", async () => {
  await using fixture = await makeFixture();
  const log = await permissionServer(
    ["--allow-net=127.0.0.1", `--allow-read`],
    fixture.dir,
    async (port) => {
      const res = await request(port, "/cgi-bin/file1.py");
      assert.equal(res.status, 403);
      // Files are still served, and missing scripts still 404.
      assert.equal((await request(port, "/index.html")).status, 200);
      assert.equal((await request(port, "/cgi-bin/nothere")).status, 404);
    },
  );
  const named = log.split("\n").filter((l) => l.includes("--allow-run"));
  assert.equal(named.length, 1, log);
  assert.match(named[0], /CGI script '\/cgi-bin\/file1.py' not run/);
  assert.ok(!log.includes("    at "), `a stack trace: ${log}`);
});

Deno.test("CGI: a large chunked body without --allow-write is 411, logged", async () => {
  await using fixture = await makeFixture();
  const log = await permissionServer(
    ["--allow-net=127.0.0.1", "--allow-read", "--allow-run"],
    fixture.dir,
    async (port) => {
      using client = await RawClient.connect(port);
      const size = 100 * 1024;
      await client.send(
        "POST /cgi-bin/count.sh HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
          `${size.toString(16)}\r\n${"a".repeat(size)}\r\n0\r\n\r\n`,
      );
      assert.equal((await client.readResponse()).status, 411);
      // A small one is held in memory and needs no file.
      assert.equal(
        (await request(port, "/cgi-bin/count.sh", { body: "abc" })).text,
        "3\n",
      );
    },
  );
  assert.match(log, /--allow-write/);
});
