/**
 * The same requests to `python3 -m http.server --cgi` and to
 * CGIHTTPRequestHandler, both serving the CGI fixture at HTTP/1.0 (Python's
 * default): status line, headers (but `Date` and `Server`) and body must be
 * equal, except for the differences named in {@link DIFFERENCES}, each of
 * which states what both servers do and is checked on both sides. Also
 * `urlCollapsePath` against CPython's `_url_collapse_path` on generated
 * paths.
 *
 * Skipped, as the test names then say, where `python3` is not on PATH.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { CGIHTTPRequestHandler } from "../../handlers/cgi/cgi.ts";
import { urlCollapsePath } from "../../handlers/cgi/path.ts";
import { makeFixture } from "../support/cgi_fixture.ts";
import { captureLogs, latin1, serve } from "../support/helpers.ts";
import { runPython } from "../support/python.ts";
import { requiring, tool } from "../support/tools.ts";

const cpython = requiring("python3");

/** The real interpreter: a pyenv shim would add its own variables to the environment. */
const PYTHON = tool("python3") === null ? "" : await findPython();

async function findPython(): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("python3", {
    args: ["-c", "import sys; print(sys.executable)"],
  }).output();
  const decoder = new TextDecoder();
  assert.ok(success, `python3 does not run: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout).trim();
}

/** A response read to the connection's close, split leniently (Python's CGI headers may end in LF). */
interface Reply {
  /** The bytes as received; empty when the server dropped the connection. */
  raw: string;
  statusLine: string;
  /** `[lower-case name, value]`, in order, without `Date` and `Server`. */
  headers: [string, string][];
  body: string;
}

async function exchangeRaw(port: number, request: string): Promise<Reply> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytes = latin1(request);
  for (let offset = 0; offset < bytes.length;) {
    offset += await conn.write(bytes.subarray(offset));
  }
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) break;
      throw error;
    }
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  let raw = "";
  for (const part of parts) raw += String.fromCharCode(...part);
  const lines = raw.split("\n");
  const statusLine = (lines.shift() ?? "").replace(/\r$/, "");
  const headers: [string, string][] = [];
  let consumed = statusLine.length + 2;
  for (const line of lines) {
    consumed += line.length + 1;
    const text = line.replace(/\r$/, "");
    if (text === "") break;
    const colon = text.indexOf(":");
    const name = text.slice(0, colon).toLowerCase();
    if (name !== "date" && name !== "server") {
      headers.push([name, text.slice(colon + 1).trim()]);
    }
  }
  return {
    raw,
    statusLine,
    headers,
    body: new TextDecoder().decode(latin1(raw.slice(consumed))),
  };
}

function header(reply: Reply, name: string): string | undefined {
  return reply.headers.find(([key]) => key === name)?.[1];
}

/** The JSON of `env.py`, with what differs by nature (ports, software) evened out. */
function envOf(reply: Reply): {
  env: Record<string, string>;
  argv: string[];
  cwd: string;
  ids: number[];
} {
  const dump = JSON.parse(reply.body);
  delete dump.env.SERVER_PORT;
  delete dump.env.SERVER_SOFTWARE;
  // PEP 538: Python may set LC_CTYPE in its own environment at startup.
  if (Deno.env.get("LC_CTYPE") === undefined) delete dump.env.LC_CTYPE;
  return dump;
}

/**
 * Every documented way in which this handler answers differently from
 * Python's, as README.md "Differences from Python" lists them. `check` is
 * given both replies and asserts what each server does.
 */
const DIFFERENCES: Record<
  string,
  { why: string; check: (python: Reply, ours: Reply) => void }
> = {
  "status-from-script": {
    why: "RFC 3875 §6.3.3: `Status:` sets the status line; Python sends " +
      "200 and passes `Status:` on as a header",
    check(python, ours) {
      assert.equal(python.statusLine, "HTTP/1.0 200 Script output follows");
      assert.equal(header(python, "status"), "418 Short And Stout");
      assert.equal(ours.statusLine, "HTTP/1.0 418 Short And Stout");
      assert.equal(header(ours, "status"), undefined);
      assert.equal(ours.body, python.body);
    },
  },
  "location-redirects": {
    why: "RFC 3875 §6.2.3: `Location:` without `Status:` is a 302; " +
      "Python sends 200 with the Location header",
    check(python, ours) {
      assert.equal(python.statusLine, "HTTP/1.0 200 Script output follows");
      assert.equal(ours.statusLine, "HTTP/1.0 302 Found");
      assert.equal(header(ours, "location"), header(python, "location"));
    },
  },
  "crlf-header-lines": {
    why: "the script's header lines are parsed and sent with CRLF " +
      "(RFC 9112 §2.1); Python copies the script's bare LF to the wire",
    check(python, ours) {
      assert.match(python.raw, /\r\nContent-type: text\/html\n\n/);
      assert.match(ours.raw, /\r\nContent-type: text\/html\r\n\r\n/);
      assert.equal(ours.body, python.body);
    },
  },
  "head-has-no-body": {
    why: "RFC 9110 §9.3.2: HEAD runs the script but sends no body; " +
      "Python sends the script's body",
    check(python, ours) {
      assert.equal(python.body, "teapot\n");
      assert.equal(ours.body, "");
    },
  },
  "no-content-statuses": {
    why: "RFC 9110 §15.3.6: a script's 205 sends no content and says so " +
      "with Content-Length: 0; Python sends 200 and the script's body",
    check(python, ours) {
      assert.equal(python.statusLine, "HTTP/1.0 200 Script output follows");
      assert.equal(python.body, "hello");
      assert.equal(ours.statusLine, "HTTP/1.0 205 Reset Content");
      assert.equal(header(ours, "content-length"), "0");
      assert.equal(ours.body, "");
    },
  },
  "no-header-block-502": {
    why: "output that does not start with a header block (RFC 3875 §6) " +
      "is a 502; Python sends it after a 200 status line",
    check(python, ours) {
      assert.equal(python.statusLine, "HTTP/1.0 200 Script output follows");
      assert.match(ours.statusLine, /^HTTP\/1.0 502 /);
    },
  },
  "climbing-path-400": {
    why: "a path with more `..` than segments is 400; Python raises " +
      "IndexError and drops the connection without a response",
    check(python, ours) {
      assert.equal(python.raw, "");
      assert.match(ours.statusLine, /^HTTP\/1.0 400 /);
    },
  },
  "fragment-never-shows-source": {
    why: "a `#` in the target is cut before the CGI folder is looked for, " +
      "as where files are served from; Python takes `/cgi-bin/s.py#/../../x` " +
      "for `/x` and serves the source of `s.py`",
    check(python, ours) {
      assert.match(python.body, /^#!/);
      assert.equal(ours.body, "Hello World\n");
    },
  },
  "absolute-form-runs-script": {
    why: "RFC 9112 §3.2.2: an absolute-form target names the same script " +
      "as its path; Python takes `http:` for a folder and answers 404",
    check(python, ours) {
      assert.match(python.statusLine, /^HTTP\/1.0 404 /);
      assert.equal(ours.body, "Hello World\n");
    },
  },
  "every-header-as-http-var": {
    why: "RFC 3875 §4.1.18: every request header reaches the script as " +
      "HTTP_* (not Proxy, credentials or names with `_`); Python passes only " +
      "Accept, Cookie, Referer and User-Agent",
    check(python, ours) {
      const py = envOf(python).env;
      const our = envOf(ours).env;
      assert.equal(py.HTTP_X_CUSTOM, undefined);
      assert.equal(py.HTTP_HOST, undefined);
      assert.equal(our.HTTP_X_CUSTOM, "custom");
      assert.equal(our.HTTP_HOST, "t");
      assert.equal(our.HTTP_PROXY, py.HTTP_PROXY);
      assert.equal(our.HTTP_X_SPOOF, undefined);
    },
  },
  "server-name-is-bound-address": {
    why: "SERVER_NAME is the address the server is bound to; Python's is " +
      "`socket.getfqdn()` of it (a DNS lookup at startup)",
    check(python, ours) {
      assert.equal(envOf(ours).env.SERVER_NAME, "127.0.0.1");
      assert.ok(envOf(python).env.SERVER_NAME);
    },
  },
  "script-folder-is-cwd": {
    why: "RFC 3875 §7.2: the script runs in its own folder; Python's run " +
      "in the server's",
    check(python, ours) {
      assert.ok(envOf(ours).cwd.endsWith("/cgi-bin"));
      assert.ok(!envOf(python).cwd.endsWith("/cgi-bin"));
    },
  },
  "nobody-group": {
    why: "as root, scripts run as nobody's user and group; Python switches " +
      "only the user and leaves the script in group root",
    check(python, ours) {
      const [pyUid, pyGid] = envOf(python).ids;
      const [ourUid, ourGid] = envOf(ours).ids;
      assert.equal(ourUid, pyUid);
      if (pyUid !== 0 && pyGid === 0) assert.notEqual(ourGid, 0);
    },
  },
  "chunked-body-decoded": {
    why: "RFC 3875 §4.1.2: a chunked body is decoded and CONTENT_LENGTH " +
      "set; Python's script gets no CONTENT_LENGTH and the raw chunks",
    check(python, ours) {
      assert.notEqual(python.body, "1, python, 123456\n");
      assert.equal(ours.body, "1, python, 123456\n");
    },
  },
};

interface Case {
  name: string;
  request: string;
  /** A key of {@link DIFFERENCES}; the replies must otherwise be equal. */
  difference?: string;
  /** Compare the env.py dumps as data, not as text. */
  env?: boolean;
}

function get(target: string, headers = ""): string {
  return `GET ${target} HTTP/1.0\r\n${headers}\r\n`;
}

function post(target: string, body: string, headers = ""): string {
  return `POST ${target} HTTP/1.0\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`;
}

const FORM = "spam=1&eggs=python&bacon=123456";
const FORM_TYPE = "Content-Type: application/x-www-form-urlencoded\r\n";

const CASES: Case[] = [
  { name: "a script's output", request: get("/cgi-bin/file1.py") },
  { name: "a nested folder", request: get("/cgi-bin/child-dir/file3.py") },
  { name: "an encoded slash", request: get("/cgi-bin%2ffile1.py") },
  { name: "no leading slash", request: get("cgi-bin/file1.py") },
  { name: "a query with ?", request: get("/cgi-bin/file4.py?a=b?c=d") },
  {
    name: "a query with //",
    request: get("/cgi-bin/file4.py?k=aa%2F%2Fbb&//q//p//=//a//b//"),
  },
  { name: "a form POST", request: post("/cgi-bin/file2.py", FORM, FORM_TYPE) },
  { name: "a missing script", request: get("/cgi-bin/nothere.py") },
  {
    name: "issue19435",
    request: get("///////////nocgi.py/../cgi-bin/nothere.sh"),
  },
  {
    name: "a script that is not executable",
    request: get("/cgi-bin/noexec.sh"),
  },
  { name: "the CGI folder itself", request: get("/cgi-bin/") },
  { name: "a folder named like a script", request: get("/cgi-bin/folder.py") },
  { name: "the CGI folder without slash", request: get("/cgi-bin") },
  { name: "POST to a file", request: post("/index.html", FORM) },
  { name: "a script that fails", request: get("/cgi-bin/fail.sh") },
  { name: "a script with Content-Length", request: get("/cgi-bin/length.sh") },
  {
    name: "the environment of a request",
    request: get(
      "/cgi-bin/env.py/extra%2Fpath/a%2541?spam+eggs",
      "Accept: text/html\r\nUser-Agent: t/1\r\nCookie: c=1\r\n" +
        "Referer: http://r/\r\nProxy: http://evil.example:3128\r\n" +
        "Authorization: Basic " + btoa("user:pw") + "\r\n",
    ),
    env: true,
  },
  {
    name: "the environment of a POST",
    request: post("/cgi-bin/env.py?a=1", FORM, FORM_TYPE),
    env: true,
  },
  {
    name: "Status",
    request: get("/cgi-bin/status.sh"),
    difference: "status-from-script",
  },
  {
    name: "Location",
    request: get("/cgi-bin/redirect.sh"),
    difference: "location-redirects",
  },
  {
    name: "header line endings",
    request: get("/cgi-bin/file1.py"),
    difference: "crlf-header-lines",
  },
  {
    name: "HEAD",
    request: "HEAD /cgi-bin/status.sh HTTP/1.0\r\n\r\n",
    difference: "head-has-no-body",
  },
  {
    name: "a 205 with a body",
    request: get("/cgi-bin/nocontent.sh?205"),
    difference: "no-content-statuses",
  },
  {
    name: "no header block",
    request: get("/cgi-bin/noheader.sh"),
    difference: "no-header-block-502",
  },
  {
    name: "climbing above the root",
    request: get("/cgi-bin/..%2f..%2f..%2fetc/passwd"),
    difference: "climbing-path-400",
  },
  {
    name: "a fragment in the path",
    request: get("/cgi-bin/file1.py#/../../x"),
    difference: "fragment-never-shows-source",
  },
  {
    name: "an absolute-form target",
    request: get("http://t/cgi-bin/file1.py"),
    difference: "absolute-form-runs-script",
  },
  {
    name: "request headers",
    request: get(
      "/cgi-bin/env.py",
      "Host: t\r\nX-Custom: custom\r\nX_Spoof: x\r\nProxy: http://evil.example/\r\n",
    ),
    difference: "every-header-as-http-var",
  },
  {
    name: "repeated fields of the variables Python sets",
    request: post(
      "/cgi-bin/env.py",
      "abc",
      "Accept: text/html\r\nAccept: text/plain\r\nCookie: a=1\r\n" +
        "Cookie:\r\nCookie: b=2\r\nReferer: http://r/1\r\n" +
        "Referer: http://r/2\r\nUser-Agent: t/1\r\nUser-Agent: t/2\r\n" +
        "Content-Type: text/csv\r\nContent-Type: text/xml\r\n" +
        "Content-Length: 3\r\nAuthorization: Basic " + btoa("one:pw") +
        "\r\nAuthorization: Basic " + btoa("two:pw") + "\r\n",
    ),
    env: true,
  },
  {
    name: "SERVER_NAME",
    request: get("/cgi-bin/env.py"),
    difference: "server-name-is-bound-address",
  },
  {
    name: "the script's folder",
    request: get("/cgi-bin/env.py"),
    difference: "script-folder-is-cwd",
  },
  {
    name: "the script's user and group",
    request: get("/cgi-bin/env.py"),
    difference: "nobody-group",
  },
  {
    name: "a chunked POST",
    request:
      "POST /cgi-bin/file2.py HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
      `${FORM_TYPE}Transfer-Encoding: chunked\r\n\r\n` +
      `${FORM.length.toString(16)}\r\n${FORM}\r\n0\r\n\r\n`,
    difference: "chunked-body-decoded",
  },
];

/** A port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`python3 -m http.server did not listen on ${port}`);
}

cpython.test({
  name:
    "python -m http.server --cgi and ours answer alike, but for the named differences",
  async fn() {
    await using fixture = await makeFixture();
    const port = freePort();
    const python = new Deno.Command(PYTHON, {
      args: ["-m", "http.server", "--cgi", "--bind", "127.0.0.1", String(port)],
      cwd: fixture.dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForPort(port);
      const { Handler } = captureLogs(CGIHTTPRequestHandler);
      await using ours = serve(Handler, { directory: fixture.dir });
      const used = new Set<string>();
      for (const { name, request, difference, env } of CASES) {
        const py = await exchangeRaw(port, request);
        const our = await exchangeRaw(ours.port, request);
        if (difference !== undefined) {
          assert.ok(difference in DIFFERENCES, difference);
          used.add(difference);
          DIFFERENCES[difference].check(py, our);
          continue;
        }
        assert.equal(our.statusLine, py.statusLine, name);
        assert.deepEqual(our.headers, py.headers, name);
        if (env) {
          const [a, b] = [envOf(py), envOf(our)];
          // Named differences, compared in their own cases.
          for (const dump of [a, b]) {
            delete dump.env.SERVER_NAME;
            dump.cwd = "";
            dump.ids = [];
          }
          assert.deepEqual(b, a, name);
        } else {
          assert.equal(our.body, py.body, name);
        }
      }
      assert.deepEqual(
        [...used].sort(),
        Object.keys(DIFFERENCES).sort(),
        "every named difference has a case",
      );
    } finally {
      python.kill("SIGTERM");
      await python.status;
    }
  },
});

cpython.test({
  name: "urlCollapsePath agrees with CPython's _url_collapse_path",
  async fn() {
    const paths = fc.sample(
      fc.oneof(
        fc.string({
          unit: fc.constantFrom("/", ".", "a", "%2f", "%2e", "?", "b/"),
        }),
        fc.array(
          fc.constantFrom("/", "..", ".", "a", "cgi-bin", "//", "?x=/.."),
          {
            maxLength: 10,
          },
        ).map((parts) => parts.join("/")),
      ),
      { numRuns: 2000, seed: 5 },
    );
    const results = await runPython(
      `import json, sys
from http.server import _url_collapse_path
out = []
for p in json.load(sys.stdin):
    try:
        out.append(_url_collapse_path(p))
    except IndexError:
        out.append(None)
json.dump(out, sys.stdout)`,
      paths,
    ) as (string | null)[];
    paths.forEach((path, i) => {
      assert.equal(urlCollapsePath(path), results[i], JSON.stringify(path));
    });
  },
});
