// The same raw requests to `python3 -m http.server` and to our
// SimpleHTTPRequestHandler on the same fixture folder: status lines, the
// headers Python sends (but Date and Server) and bodies must match, except
// where a named entry of DIFFERENCES, documented in README.md, says how.
import assert from "node:assert/strict";
import { ThreadingHTTPServer } from "../../mod.ts";
import { Cli } from "../support/cli_process.ts";
import { exchange, latin1, Quiet } from "../support/helpers.ts";
import { pythonListingLeaksPath } from "../support/python.ts";
import { requiring } from "../support/tools.ts";

/** A fixed past mtime, so that both servers' caches and Last-Modified agree. */
const MTIME_S = 1_700_000_000.25;
const MTIME_HEADER = "Tue, 14 Nov 2023 22:13:20 GMT";

/**
 * Files of types on which mime-db and Python's tables (with this machine's
 * /etc/mime.types) agree; `.gz` comes from Python's `extensions_map`.
 */
const FILES: Record<string, string> = {
  "plain.txt": "plain text\n",
  "UPPER.TXT": "upper\n",
  "page.html": "<!DOCTYPE html><title>t</title>\n",
  "style.css": "body { color: red }\n",
  "data.json": '{"a": 1}\n',
  "image.png": "\x89PNG\r\n\x1a\n",
  "archive.gz": "\x1f\x8b\x08\x00",
  "style.css.gz": "\x1f\x8b\x08\x00", // a sibling, sent only when asked for
  "blob.bin": "\x00\x01\x02",
  "noext": "no extension\n",
  "empty.txt": "",
  "with space.txt": "space\n",
  "100%.txt": "percent\n",
  "a&b.txt": "ampersand\n",
  "<b>.txt": "angle\n",
  "ünïcödé.txt": "unicode\n",
  "sub/inner.txt": "inner\n",
  "withindex/index.html": "<p>index</p>\n",
  "withindex/other.txt": "other\n",
  "large.bin": "x".repeat(200_000),
};

/**
 * Where we differ from Python on purpose. Each entry quotes the README line
 * (under "Differences from Python") that documents it, and the first line
 * each server answers ("" for none).
 */
const DIFFERENCES = {
  "numeric-zone": {
    readme: "`If-Modified-Since` with a numeric zone",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 304 Not Modified",
  },
  "absolute-form": {
    readme: "An absolute-form request target",
    python: "HTTP/1.0 404 File not found",
    ours: "HTTP/1.0 200 OK",
  },
  "relative-location": {
    readme: "A request target without a leading `/`",
    python: "HTTP/1.0 301 Moved Permanently",
    ours: "HTTP/1.0 301 Moved Permanently",
  },
  "version-not-parsed": {
    readme: "A request line whose version does not parse",
    python: "<!DOCTYPE HTML>", // as HTTP/0.9: the error page alone
    ours: "HTTP/1.0 400 Bad request version ('FUBAR')",
  },
  "version-2": {
    readme: "A request line whose version does not parse",
    python: "<!DOCTYPE HTML>",
    ours: "HTTP/1.0 505 Invalid HTTP version (2.0)",
  },
  "one-word": {
    readme: "a single word (`GET`)",
    python: "<!DOCTYPE HTML>",
    ours: "HTTP/1.0 400 Bad request syntax ('GET')",
  },
  "two-words-not-get": {
    readme: "(`HEAD /x`)",
    python: "<!DOCTYPE HTML>",
    ours: "HTTP/1.0 400 Bad HTTP/0.9 request type ('HEAD')",
  },
  "four-words": {
    readme: "four words",
    python: "<!DOCTYPE HTML>",
    ours: "HTTP/1.0 400 Bad request syntax ('GET / HTTP/1.0 x')",
  },
  "extra-space": {
    readme: "a request line with extra or trailing spaces",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 400 Bad request syntax ('GET  /plain.txt HTTP/1.0')",
  },
  "method-not-token": {
    readme: "A method with a character outside `tchar`",
    python: "HTTP/1.0 501 Unsupported method ('<script>alert(1)</script>')",
    ours:
      "HTTP/1.0 400 Bad request syntax ('<script>alert(1)</script> / HTTP/1.0')",
  },
  "version-two-digits": {
    readme: "on each side of the dot (RFC 9112 §2.3)",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 400 Bad request version ('HTTP/1.01')",
  },
  "version-leading-zero": {
    readme: "on each side of the dot (RFC 9112 §2.3)",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 400 Bad request version ('HTTP/01.1')",
  },
  "version-10": {
    readme: "on each side of the dot (RFC 9112 §2.3)",
    python: "<!DOCTYPE HTML>", // 505 as HTTP/0.9
    ours: "HTTP/1.0 400 Bad request version ('HTTP/10.0')",
  },
  "empty-lines-first": {
    readme: "Empty lines before a request line are skipped",
    python: "",
    ours: "HTTP/1.0 200 OK",
  },
  "nul-in-path": {
    readme: "A `%00` in the path",
    python: "", // Python raises, logs a traceback and drops the connection.
    ours: "HTTP/1.0 400 Bad path",
  },
  "range": {
    readme: "A `Range` request (RFC 9110 §14)",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 206 Partial Content",
  },
  "range-unsatisfiable": {
    readme: "A `Range` request (RFC 9110 §14)",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 416 Requested Range Not Satisfiable",
  },
  "if-none-match": {
    readme: "`If-None-Match` (a list of tags, or `*`)",
    python: "HTTP/1.0 200 OK",
    ours: "HTTP/1.0 304 Not Modified",
  },
} as const;

/**
 * Headers we add to Python's file responses (200 and 304), each quoting the
 * README line that documents it: a client that does not use them sees
 * nothing else change. They are left out of the comparison.
 */
const ADDED_HEADERS: Record<string, string> = {
  "accept-ranges": "`Accept-Ranges: bytes`",
  "etag": "a weak `ETag`",
};

type Difference = keyof typeof DIFFERENCES;

interface Case {
  name: string;
  request: string;
  /** Set when the answers differ, as the named entry documents. */
  differs?: Difference;
  /** A URL that is not UTF-8: see {@link pythonListingLeaksPath}. */
  undecodable?: true;
}

const get = (target: string, headers = "") =>
  `GET ${target} HTTP/1.1\r\nHost: t\r\n${headers}\r\n`;
const head = (target: string) => `HEAD ${target} HTTP/1.1\r\nHost: t\r\n\r\n`;
const ims = (date: string) => `If-Modified-Since: ${date}\r\n`;

const CASES: Case[] = [
  ...Object.keys(FILES).filter((name) => !name.includes("/")).map((name) => ({
    name: `file ${name}`,
    request: get("/" + encodeURIComponent(name)),
  })),
  { name: "a file in a folder", request: get("/sub/inner.txt") },
  { name: "a folder without its slash", request: get("/sub") },
  { name: "a folder without its slash, query kept", request: get("/sub?x=1") },
  { name: "a folder listing", request: get("/sub/") },
  { name: "the root listing of odd names", request: get("/") },
  {
    name: "a listing with a query",
    request: get("/sub/?x=1&y=%bb"),
    undecodable: true,
  },
  { name: "index.html", request: get("/withindex/") },
  { name: "index.html's folder without slash", request: get("/withindex") },
  { name: "a missing file", request: get("/missing.txt") },
  { name: "a missing folder", request: get("/missing/") },
  { name: "a file with a trailing slash", request: get("/plain.txt/") },
  { name: "a symlink to a file", request: get("/link.txt") },
  { name: "a symlink to a folder", request: get("/linkdir/") },
  { name: "a broken symlink", request: get("/broken") },
  { name: "%-encoded space", request: get("/with%20space.txt") },
  { name: "%-encoded percent", request: get("/100%25.txt") },
  { name: "%-encoded UTF-8", request: get("/%C3%BCn%C3%AFc%C3%B6d%C3%A9.txt") },
  { name: "an encoded slash", request: get("/sub%2Finner.txt") },
  { name: "a stray %", request: get("/100%.txt") },
  { name: "a query", request: get("/plain.txt?a=b&c=d") },
  { name: "a fragment", request: get("/plain.txt#frag") },
  { name: "a double slash", request: get("//plain.txt") },
  { name: "dot segments", request: get("/./sub/../plain.txt") },
  { name: "a climb above the root", request: get("/../../plain.txt") },
  { name: "an encoded climb", request: get("/%2e%2e/%2e%2e/plain.txt") },
  {
    name: "If-Modified-Since equal to the mtime",
    request: get("/plain.txt", ims(MTIME_HEADER)),
  },
  {
    name: "If-Modified-Since after the mtime",
    request: get("/plain.txt", ims("Wed, 15 Nov 2023 00:00:00 GMT")),
  },
  {
    name: "If-Modified-Since before the mtime",
    request: get("/plain.txt", ims("Tue, 14 Nov 2023 22:13:19 GMT")),
  },
  {
    name: "If-Modified-Since in RFC 850 form",
    request: get("/plain.txt", ims("Tuesday, 14-Nov-23 22:13:20 GMT")),
  },
  {
    name: "If-Modified-Since without a zone",
    request: get("/plain.txt", ims("Tue Nov 14 22:13:20 2023")),
  },
  {
    name: "If-Modified-Since that does not parse",
    request: get("/plain.txt", ims("yesterday")),
  },
  {
    name: "If-Modified-Since with If-None-Match",
    request: get("/plain.txt", ims(MTIME_HEADER) + "If-None-Match: *\r\n"),
    differs: "if-none-match",
  },
  {
    name: "If-None-Match that matches nothing",
    request: get("/plain.txt", 'If-None-Match: "nothing"\r\n'),
  },
  {
    name: "a Range",
    request: get("/plain.txt", "Range: bytes=0-4\r\n"),
    differs: "range",
  },
  {
    name: "a Range past the end",
    request: get("/plain.txt", "Range: bytes=100-\r\n"),
    differs: "range-unsatisfiable",
  },
  {
    name: "a Range of another unit",
    request: get("/plain.txt", "Range: lines=0-4\r\n"),
  },
  {
    name: "a Range with HEAD",
    request: "HEAD /plain.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n\r\n",
  },
  {
    name: "Accept-Encoding",
    request: get("/style.css", "Accept-Encoding: gzip, deflate, br\r\n"),
  },
  {
    name: "If-Modified-Since on a large file",
    request: get("/large.bin", ims(MTIME_HEADER)),
  },
  {
    name: "If-Modified-Since on a folder's listing",
    request: get("/sub/", ims(MTIME_HEADER)),
  },
  {
    name: "If-Modified-Since with a numeric zone",
    request: get("/plain.txt", ims("Wed, 15 Nov 2023 07:13:20 +0900")),
    differs: "numeric-zone",
  },
  { name: "HEAD of a file", request: head("/plain.txt") },
  { name: "HEAD of a large file", request: head("/large.bin") },
  { name: "HEAD of a listing", request: head("/sub/") },
  { name: "HEAD of a redirect", request: head("/sub") },
  { name: "HEAD of a missing file", request: head("/missing") },
  { name: "an HTTP/1.0 request", request: "GET /plain.txt HTTP/1.0\r\n\r\n" },
  { name: "POST", request: "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n" },
  { name: "an unknown method", request: "FOO / HTTP/1.0\r\n\r\n" },
  { name: "a lower-case method", request: "get / HTTP/1.0\r\n\r\n" },
  {
    name: "a bogus version",
    request: "GET / FUBAR\r\n\r\n",
    differs: "version-not-parsed",
  },
  {
    name: "an unsupported version",
    request: "GET / HTTP/2.0\r\n\r\n",
    differs: "version-2",
  },
  { name: "a single word", request: "GET\r\n\r\n", differs: "one-word" },
  {
    name: "two words, not GET",
    request: "HEAD /x\r\n\r\n",
    differs: "two-words-not-get",
  },
  {
    name: "four words",
    request: "GET / HTTP/1.0 x\r\n\r\n",
    differs: "four-words",
  },
  {
    name: "two spaces after the method",
    request: "GET  /plain.txt HTTP/1.0\r\n\r\n",
    differs: "extra-space",
  },
  {
    name: "a method that is not a token",
    request: "<script>alert(1)</script> / HTTP/1.0\r\n\r\n",
    differs: "method-not-token",
  },
  {
    name: "a two-digit minor version",
    request: "GET /plain.txt HTTP/1.01\r\nHost: t\r\n\r\n",
    differs: "version-two-digits",
  },
  {
    name: "a two-digit major version",
    request: "GET /plain.txt HTTP/01.1\r\nHost: t\r\n\r\n",
    differs: "version-leading-zero",
  },
  {
    name: "HTTP/10.0",
    request: "GET / HTTP/10.0\r\n\r\n",
    differs: "version-10",
  },
  {
    name: "empty lines before the request line",
    request: "\r\n\r\nGET /plain.txt HTTP/1.0\r\n\r\n",
    differs: "empty-lines-first",
  },
  {
    name: "a target without a leading slash, file",
    request: "GET plain.txt HTTP/1.0\r\n\r\n",
  },
  {
    name: "a target without a leading slash, folder",
    request: "GET sub HTTP/1.0\r\n\r\n",
    differs: "relative-location",
  },
  {
    name: "an absolute-form target",
    request: get("http://t/plain.txt"),
    differs: "absolute-form",
  },
  {
    name: "a %00 in the path",
    request: get("/plain.txt%00"),
    differs: "nul-in-path",
  },
];

/**
 * A response as compared: the status line, headers but Date, Server and
 * {@link ADDED_HEADERS}, body.
 */
interface Answer {
  statusLine: string;
  headers: [string, string][];
  body: string;
}

function parse(raw: string): Answer {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return { statusLine: raw, headers: [], body: "" };
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  }).filter(([name]) =>
    !/^(date|server)$/i.test(name) &&
    !Object.hasOwn(ADDED_HEADERS, name.toLowerCase())
  );
  return { statusLine, headers, body: raw.slice(end + 4) };
}

async function makeFixture(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "differential_test_" });
  for (const [name, text] of Object.entries(FILES)) {
    const path = `${root}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, latin1(text));
    await Deno.utime(path, MTIME_S, MTIME_S);
  }
  await Deno.symlink("plain.txt", `${root}/link.txt`);
  await Deno.symlink("sub", `${root}/linkdir`);
  await Deno.symlink("nowhere", `${root}/broken`);
  return root;
}

/** A free port: bind port 0, read it, close. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Starts `python3 -m http.server` and resolves once it accepts connections. */
async function startPython(root: string) {
  const port = freePort();
  const python = Cli.binary(
    "python3",
    ["-u", "-m", "http.server", "--bind", "127.0.0.1", String(port)]
      .concat("-d", root),
  );
  const stop = async () => {
    python.kill("SIGTERM");
    return (await python.finish()).stderr;
  };
  try {
    // Python prints its banner once it listens.
    if (!(await python.waitFor(/Serving HTTP/))) {
      throw new Error("python3 -m http.server exited");
    }
    for (let tries = 0;; tries++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch (error) {
        if (tries === 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } catch (error) {
    throw new Error(`${error}\n${await stop()}`);
  }
  return { port, stop };
}

const cpython = requiring("python3");

cpython.test("ours and python3 -m http.server answer the same requests alike", async (t) => {
  const leaky = await pythonListingLeaksPath();
  const root = await makeFixture();
  const python = await startPython(root);
  const ours = new ThreadingHTTPServer(
    { hostname: "127.0.0.1", port: 0 },
    Quiet,
    { directory: root },
  );
  const loop = ours.serveForever();
  try {
    for (const c of CASES) {
      await t.step({
        name: c.name,
        ignore: leaky && c.undecodable,
        fn: async () => {
          const theirs = await exchange(python.port, c.request);
          const mine = await exchange(ours.serverPort, c.request);
          if (c.differs === undefined) {
            assert.deepEqual(parse(mine), parse(theirs));
            return;
          }
          const difference = DIFFERENCES[c.differs];
          const firstLine = (raw: string) => raw.split(/\r?\n/, 1)[0];
          assert.equal(firstLine(theirs), difference.python, "python");
          assert.equal(firstLine(mine), difference.ours, "ours");
          assert.notDeepEqual(parse(mine), parse(theirs));
        },
      });
    }
  } finally {
    await ours.shutdown();
    ours.serverClose();
    await loop;
    await python.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("each allowed difference is documented in README.md", async () => {
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  const section = readme.split("## Differences from Python")[1]?.split(
    "\n## ",
  )[0] ?? "";
  for (const [name, difference] of Object.entries(DIFFERENCES)) {
    assert.ok(section.includes(difference.readme), name);
  }
  for (const [name, readme] of Object.entries(ADDED_HEADERS)) {
    assert.ok(section.includes(readme), name);
  }
});
