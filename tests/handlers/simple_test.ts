// SimpleHTTPRequestHandler over real sockets: CPython's
// SimpleHTTPServerTestCase and SimpleHTTPRequestHandlerTestCase, ported, plus
// HEAD, odd names, big folders, a 200 MiB download with flat memory, the
// permission cases and the small-file cache.
import assert from "node:assert/strict";
import { SimpleHTTPRequestHandler } from "../../mod.ts";
import { FileCache } from "../../files/filebody.ts";
import { Cli } from "../support/cli_process.ts";
import {
  captureLogs,
  latin1,
  Quiet,
  RawClient,
  type RawResponse,
  serve,
  tempFolder,
} from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const DATA = "We are the knights who say Ni!";
/** A time with a fraction of a second, as mtimes have: 2023-11-14 22:13:20.5 UTC. */
const MTIME_S = 1_700_000_000.5;
const MTIME_HEADER = "Tue, 14 Nov 2023 22:13:20 GMT";
const decoder = new TextDecoder();

/**
 * CPython's fixture: a served root holding `tmp/test`; requests go to
 * `/tmp/...` as Python's go to `/<tempdir_name>/...`.
 */
async function fixture() {
  const folder = await tempFolder(
    "simple_test_",
    { "tmp/test": DATA },
    MTIME_S,
  );
  return { ...folder, dir: `${folder.root}/tmp` };
}

/**
 * Sends one HTTP/1.1 request and reads the response; as CPython's
 * `check_status_and_reason`, asserts an HTTP/1.0 response after which the
 * server closed the connection without sending anything more.
 */
async function request(
  port: number,
  target: string,
  { method = "GET", headers = {} as Record<string, string> } = {},
): Promise<RawResponse> {
  using client = await RawClient.connect(port);
  const fields = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  await client.send(
    `${method} ${target} HTTP/1.1\r\nHost: t\r\n${fields.join("")}\r\n`,
  );
  const response = await client.readResponse(method === "HEAD");
  assert.ok(response.statusLine.startsWith("HTTP/1.0 "), response.statusLine);
  assert.ok(
    await client.closed(),
    "the connection should be closed, with nothing more sent",
  );
  return response;
}

function assertStatus(response: RawResponse, status: number, body?: string) {
  assert.equal(response.status, status, response.head);
  if (body !== undefined) assert.equal(response.text, body);
}

/** The `href`s of a listing page, in order. */
function hrefs(page: string): string[] {
  return [...page.matchAll(/<li><a href="([^"]*)">/g)].map((m) => m[1]);
}

// --- CPython's SimpleHTTPServerTestCase ---

Deno.test("test_get: files, folders, redirects, 404s and index.html", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  assertStatus(await request(s.port, "/tmp/test"), 200, DATA);
  // A trailing slash on a file is 404 (CPython bpo-17324).
  assertStatus(await request(s.port, "/tmp/test/"), 404);
  assertStatus(await request(s.port, "/tmp/"), 200);
  const redirect = await request(s.port, "/tmp");
  assertStatus(redirect, 301);
  assert.equal(redirect.headers.get("content-length"), "0");
  assert.equal(redirect.headers.get("location"), "/tmp/");
  assertStatus(await request(s.port, "/tmp/?hi=2"), 200);
  const withQuery = await request(s.port, "/tmp?hi=1");
  assertStatus(withQuery, 301);
  assert.equal(withQuery.headers.get("location"), "/tmp/?hi=1");
  assertStatus(await request(s.port, "/ThisDoesNotExist"), 404);
  assertStatus(await request(s.port, "/ThisDoesNotExist/"), 404);
  // A folder named index.html is not an index page: the listing is served.
  await Deno.mkdir(`${fx.dir}/spam/index.html`, { recursive: true });
  const spam = await request(s.port, "/tmp/spam/");
  assertStatus(spam, 200);
  assert.match(spam.text, /Directory listing for \/tmp\/spam\//);
  const index = "Dummy index file\r\n";
  await Deno.writeTextFile(`${fx.dir}/index.html`, index);
  const page = await request(s.port, "/tmp/");
  assertStatus(page, 200, index);
  assert.equal(page.headers.get("content-type"), "text/html");
});

Deno.test("index.htm is served when there is no index.html", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  await Deno.writeTextFile(`${fx.dir}/index.htm`, "htm");
  assertStatus(await request(s.port, "/tmp/"), 200, "htm");
});

Deno.test(
  "an unreadable folder is 404 (not as root, which reads anyway)",
  { ignore: Deno.build.os === "windows" || Deno.uid() === 0 },
  async () => {
    await using fx = await fixture();
    await using s = serve(Quiet, { directory: fx.root });
    await Deno.chmod(fx.dir, 0);
    try {
      assertStatus(await request(s.port, "/tmp/"), 404);
    } finally {
      await Deno.chmod(fx.dir, 0o755);
    }
  },
);

Deno.test("test_head: the headers of GET, no body", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const head = await request(s.port, "/tmp/test", { method: "HEAD" });
  assertStatus(head, 200);
  assert.equal(head.headers.get("content-length"), String(DATA.length));
  assert.equal(head.headers.get("content-type"), "application/octet-stream");
  assert.equal(head.body.length, 0);
  const get = await request(s.port, "/tmp/test");
  const withoutDate = (r: RawResponse) =>
    r.head.split("\r\n").filter((line) => !line.startsWith("Date:"));
  assert.deepEqual(withoutDate(head), withoutDate(get));
});

Deno.test("HEAD of a listing, a redirect and a large file sends GET's headers only", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  await Deno.writeFile(`${fx.dir}/big.bin`, new Uint8Array(300_000));
  for (const target of ["/tmp/", "/tmp", "/tmp/big.bin", "/nothing"]) {
    const head = await request(s.port, target, { method: "HEAD" });
    const get = await request(s.port, target);
    assert.equal(head.status, get.status, target);
    assert.equal(head.body.length, 0, target);
    for (const name of ["content-type", "content-length", "location"]) {
      assert.equal(head.headers.get(name), get.headers.get(name), target);
    }
  }
});

Deno.test("test_browser_cache: If-Modified-Since at or after the mtime is 304", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (
    const since of [
      MTIME_HEADER,
      "Tue, 14 Nov 2023 23:13:20 GMT", // one hour later
      "Tuesday, 14-Nov-23 22:13:20 GMT", // RFC 850
      "Tue Nov 14 22:13:20 2023", // asctime, no zone: UTC
    ]
  ) {
    const response = await request(s.port, "/tmp/test", {
      headers: { "If-Modified-Since": since },
    });
    assertStatus(response, 304);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers.get("content-length"), null);
  }
});

Deno.test("test_browser_cache_file_changed: an older If-Modified-Since is 200", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (
    const since of [
      "Mon, 14 Nov 2022 22:13:20 GMT", // 365 days before
      "Tue, 14 Nov 2023 22:13:19 GMT", // one second before
      "not a date",
      "Tue, 31 Feb 2023 22:13:20 GMT", // no such day
    ]
  ) {
    assertStatus(
      await request(s.port, "/tmp/test", {
        headers: { "If-Modified-Since": since },
      }),
      200,
      DATA,
    );
  }
});

Deno.test("test_browser_cache_with_If_None_Match_header: If-Modified-Since is ignored", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  // Python's test sends `If-None-Match: *` and expects 200; we answer `*`
  // with 304, as it matches any file (RFC 9110 §13.1.2, README "Differences
  // from Python"). A tag that matches nothing keeps the test's point.
  assertStatus(
    await request(s.port, "/tmp/test", {
      headers: {
        "If-Modified-Since": MTIME_HEADER,
        "If-None-Match": '"nothing"',
      },
    }),
    200,
    DATA,
  );
  assertStatus(
    await request(s.port, "/tmp/test", {
      headers: { "If-Modified-Since": MTIME_HEADER, "If-None-Match": "*" },
    }),
    304,
  );
});

Deno.test("If-Modified-Since with a numeric zone is compared in that zone (Python ignores it)", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const at = (since: string) =>
    request(s.port, "/tmp/test", { headers: { "If-Modified-Since": since } });
  // The mtime itself, written in Tokyo time.
  assertStatus(await at("Wed, 15 Nov 2023 07:13:20 +0900"), 304);
  // One hour before the mtime, in Tokyo time.
  assertStatus(await at("Wed, 15 Nov 2023 06:13:20 +0900"), 200, DATA);
  assertStatus(await at("Tue, 14 Nov 2023 17:13:20 EST"), 304);
});

Deno.test("test_invalid_requests: FOO, custom, GETs and POST are 501", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (const method of ["FOO", "custom", "GETs", "POST", "PUT", "DELETE"]) {
    assertStatus(await request(s.port, "/", { method }), 501);
  }
});

Deno.test("test_last_modified: the mtime in whole seconds", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const response = await request(s.port, "/tmp/test");
  assertStatus(response, 200, DATA);
  assert.equal(response.headers.get("last-modified"), MTIME_HEADER);
  assert.match(
    response.head,
    /\r\nContent-type: application\/octet-stream\r\n/,
  );
});

Deno.test("test_path_without_leading_slash: served; the redirect gets a leading slash", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  assertStatus(await request(s.port, "tmp/test"), 200, DATA);
  assertStatus(await request(s.port, "tmp/test/"), 404);
  assertStatus(await request(s.port, "tmp/"), 200);
  assertStatus(await request(s.port, "tmp"), 301);
  assertStatus(await request(s.port, "tmp/?hi=2"), 200);
  const redirect = await request(s.port, "tmp?hi=1");
  assertStatus(redirect, 301);
  // Python sends "tmp/?hi=1", a relative reference; see README.
  assert.equal(redirect.headers.get("location"), "/tmp/?hi=1");
});

Deno.test("test_html_escape_filename: names are escaped in the listing", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  await Deno.writeTextFile(`${fx.dir}/<test&>.txt`, "");
  const response = await request(s.port, "/tmp/");
  assertStatus(response, 200);
  assert.equal(
    response.headers.get("content-type"),
    "text/html; charset=utf-8",
  );
  assert.ok(response.text.includes(">&lt;test&amp;&gt;.txt<"));
  assert.ok(response.text.includes('href="%3Ctest%26%3E.txt"'));
});

Deno.test("test_undecodable_parameter: the listing title shows U+FFFD", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const valid = await request(s.port, "/tmp/?x=123");
  assert.match(valid.text, /listing for \/tmp\/\?x=123/);
  const bogus = await request(s.port, "/tmp/?x=%bb");
  assert.match(bogus.text, /listing for \/tmp\/\?x=\uFFFD/);
});

requiring("python3").test(
  "test_undecodable_filename: listed with U+FFFD, and not servable (see README)",
  { ignore: Deno.build.os !== "linux" },
  async () => {
    await using fx = await fixture();
    await using s = serve(Quiet, { directory: fx.root });
    // Deno cannot make a name that is not UTF-8; Python can.
    const made = await new Deno.Command("python3", {
      args: [
        "-c",
        "import sys; open(sys.argv[1].encode() + b'/bad\\xff.txt', 'wb').close()",
        fx.dir,
      ],
    }).output();
    assert.equal(made.code, 0, decoder.decode(made.stderr));
    const listing = await request(s.port, "/tmp/");
    assertStatus(listing, 200);
    assert.ok(listing.text.includes(">bad\uFFFD.txt<"), listing.text);
    assert.ok(listing.text.includes('href="bad%EF%BF%BD.txt"'));
    assertStatus(await request(s.port, "/tmp/bad%FF.txt"), 404);
    assertStatus(await request(s.port, "/tmp/bad%EF%BF%BD.txt"), 404);
  },
);

Deno.test("test_get_dir_redirect_location_domain_injection_bug: Location never starts with //", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  await Deno.mkdir(`${fx.dir}/existing_directory`);
  const url =
    "/python.org/..%2f..%2f..%2f..%2f..%2f../%0a%0d/../tmp/existing_directory";
  const expected = `${url}/`;
  const plain = await request(s.port, url);
  assertStatus(plain, 301);
  assert.equal(plain.headers.get("location"), expected);
  for (const attack of [`/${url}`, `//${url}`, `/\\${url}`]) {
    const response = await request(s.port, attack);
    assertStatus(response, 301);
    assert.equal(response.headers.get("location"), expected, attack);
  }
  // An absolute-form target keeps its scheme and host, as in Python.
  const absolute = await request(s.port, `https://pypi.org/${url}`);
  assertStatus(absolute, 301);
  assert.ok(
    absolute.headers.get("location")!.startsWith("https://pypi.org/"),
  );
});

// --- CPython's SimpleHTTPRequestHandlerTestCase, over the wire ---

Deno.test("test_query_arguments: the query and fragment are dropped", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (
    const target of [
      "/tmp/test?foo=bar",
      "/tmp/test?a=b&spam=eggs#zot",
      "/tmp/test#frag",
      "/tmp/test?",
    ]
  ) {
    assertStatus(await request(s.port, target), 200, DATA);
  }
});

Deno.test("test_start_with_double_slash: a leading // names the same file", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  assertStatus(await request(s.port, "//tmp/test"), 200, DATA);
  assertStatus(await request(s.port, "//tmp/test?foo=bar"), 200, DATA);
  assertStatus(await request(s.port, "/tmp//test"), 200, DATA);
});

// --- Beyond CPython's tests ---

/** Names that need escaping or quoting somewhere, and their contents. */
const ODD_NAMES = [
  "with space.txt",
  "100%.txt",
  "a&b.txt",
  "<script>alert(1)&lt;.html",
  `"quoted" 'single'.txt`,
  "ünïcödé.txt",
  "日本語.txt",
  "\u{1F600}-emoji.txt",
  "#hash",
  "?q",
  "semi;colon",
  "plus+sign",
  "new\nline",
  "back\\slash",
  "tab\there",
  ".hidden",
];

Deno.test("a listing of odd names links to each of them", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const folder = `${fx.dir}/odd`;
  await Deno.mkdir(`${folder}/sub dir`, { recursive: true });
  for (const name of ODD_NAMES) {
    await Deno.writeTextFile(`${folder}/${name}`, `contents of ${name}`);
  }
  await Deno.symlink("with space.txt", `${folder}/link to file`);
  await Deno.symlink("sub dir", `${folder}/link to dir`);
  await Deno.symlink("nowhere", `${folder}/broken link`);
  const listing = await request(s.port, "/tmp/odd/");
  assertStatus(listing, 200);
  const text = listing.text;
  assert.ok(text.includes('<a href="sub%20dir/">sub dir/</a>'));
  assert.ok(text.includes('<a href="link%20to%20dir/">link to dir@</a>'));
  assert.ok(text.includes('<a href="link%20to%20file">link to file@</a>'));
  assert.ok(text.includes('<a href="broken%20link">broken link@</a>'));
  assert.ok(
    text.includes(
      "&lt;script&gt;alert(1)&amp;lt;.html</a>",
    ),
  );
  assert.ok(!text.includes("<script>"));
  const links = hrefs(text);
  assert.equal(links.length, ODD_NAMES.length + 4);
  for (const href of links) {
    const response = await request(s.port, `/tmp/odd/${href}`);
    if (href === "broken%20link") assertStatus(response, 404);
    else if (href.endsWith("/")) assertStatus(response, 200);
    else {
      const name = decodeURIComponent(href);
      const expected = name === "link to file" ? "with space.txt" : name;
      assertStatus(response, 200, `contents of ${expected}`);
    }
  }
});

Deno.test("a folder of 2,000 entries lists them all", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  await Deno.mkdir(`${fx.dir}/many`);
  for (let i = 0; i < 2000; i++) {
    Deno.writeTextFileSync(
      `${fx.dir}/many/entry-${String(i).padStart(4, "0")}.txt`,
      "",
    );
  }
  const response = await request(s.port, "/tmp/many/");
  assertStatus(response, 200);
  const links = hrefs(response.text);
  assert.equal(links.length, 2000);
  assert.equal(links[0], "entry-0000.txt");
  assert.equal(links[1999], "entry-1999.txt");
  assert.equal(
    Number(response.headers.get("content-length")),
    response.body.length,
  );
});

Deno.test("paths that try to leave the folder stay in it", async () => {
  await using fx = await fixture();
  await Deno.writeTextFile(`${fx.root}/secret`, "outside");
  await using s = serve(Quiet, { directory: fx.dir });
  for (
    const target of [
      "/../secret",
      "/%2e%2e/secret",
      "/..%2fsecret",
      "/%2e%2e%2fsecret",
      "/..\\secret",
      "/test/../../secret",
    ]
  ) {
    const response = await request(s.port, target);
    assert.notEqual(response.text, "outside", target);
  }
  assertStatus(await request(s.port, "/sub/../test"), 200, DATA);
});

Deno.test("a %00 in the path is 400, and a NUL in the query is harmless", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  assertStatus(await request(s.port, "/tmp/test%00"), 400);
  assertStatus(await request(s.port, "/tmp/%00/test"), 400);
  assertStatus(await request(s.port, "/tmp/test?x=%00"), 200, DATA);
});

Deno.test("an absolute-form target is served by its path (RFC 9112 §3.2.2)", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  assertStatus(await request(s.port, "http://t/tmp/test"), 200, DATA);
  const redirect = await request(s.port, "http://t/tmp?x=1");
  assertStatus(redirect, 301);
  assert.equal(redirect.headers.get("location"), "http://t/tmp/?x=1");
});

Deno.test("types come from extensionsMap, then mime-db, else octet-stream", async () => {
  await using fx = await fixture();
  class Custom extends Quiet {
    override extensionsMap = { ".txt": "text/x-custom" };
  }
  await using s = serve(Custom, { directory: fx.root });
  const files: Record<string, string> = {
    "a.TXT": "text/x-custom",
    "a.html": "text/html",
    "a.json": "application/json",
    "a.png": "image/png",
    "a.unknownext": "application/octet-stream",
  };
  for (const [name, type] of Object.entries(files)) {
    await Deno.writeTextFile(`${fx.dir}/${name}`, "x");
    const response = await request(s.port, `/tmp/${name}`);
    assert.equal(response.headers.get("content-type"), type, name);
  }
});

Deno.test("a changed file is served fresh on the next request", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const path = `${fx.dir}/test`;
  assertStatus(await request(s.port, "/tmp/test"), 200, DATA);
  await Deno.writeTextFile(path, "changed");
  assertStatus(await request(s.port, "/tmp/test"), 200, "changed");
  // Same size, and the old mtime put back (as `cp -p` does).
  await Deno.writeTextFile(path, "CHANGED");
  await Deno.utime(path, MTIME_S, MTIME_S);
  assertStatus(await request(s.port, "/tmp/test"), 200, "CHANGED");
  await Deno.remove(path);
  assertStatus(await request(s.port, "/tmp/test"), 404);
});

Deno.test("concurrent keep-alive requests, served from the cache too, each see a change made before they were sent", async () => {
  await using fx = await fixture();
  class KeepAlive extends Quiet {
    override protocolVersion = "HTTP/1.1";
  }
  await using s = serve(KeepAlive, { directory: fx.root });
  const path = `${fx.dir}/shared`;
  await Deno.writeTextFile(path, "one");
  await Deno.utime(path, MTIME_S, MTIME_S);
  // The cache keeps a file only once its ctime, which cannot be set back, is
  // 2 s old.
  const { ctime } = await Deno.stat(path);
  const age = Date.now() - ctime!.getTime();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2_100 - age)));
  const clients = await Promise.all(
    Array.from({ length: 20 }, () => RawClient.connect(s.port)),
  );
  /** All clients at once, so that the server parses many in one turn. */
  const everyone = async (status: number, text?: string) => {
    await Promise.all(
      clients.map((c) => c.send("GET /tmp/shared HTTP/1.1\r\nHost: t\r\n\r\n")),
    );
    for (const client of clients) {
      const response = await client.readResponse();
      assert.equal(response.status, status);
      if (text !== undefined) {
        assert.equal(new TextDecoder().decode(response.body), text);
      }
    }
  };
  try {
    await everyone(200, "one");
    await everyone(200, "one"); // from the cache
    // The same size and mtime: only the ctime tells.
    await Deno.writeTextFile(path, "two");
    await Deno.utime(path, MTIME_S, MTIME_S);
    await everyone(200, "two");
    await Deno.writeTextFile(path, "three");
    await everyone(200, "three");
    await Deno.remove(path);
    await everyone(404);
  } finally {
    for (const client of clients) client.close();
  }
});

Deno.test("a listing read from memory changes with its folder, and follows symlinks afresh", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  // plain/ has no symlink: its whole page may be kept. links/ has one, whose
  // target may change without the folder changing.
  const plain = `${fx.dir}/plain`;
  const links = `${fx.dir}/links`;
  const elsewhere = `${fx.root}/elsewhere`;
  await Deno.mkdir(plain);
  await Deno.mkdir(links);
  await Deno.writeTextFile(`${plain}/old.txt`, "x");
  await Deno.writeTextFile(`${plain}/.dot`, "x");
  await Deno.writeTextFile(elsewhere, "x");
  await Deno.symlink(elsewhere, `${links}/link`);
  // Folders are kept once changed (mtime and ctime, which cannot be set back)
  // 2 s ago.
  const changed = await Promise.all([plain, links].map(async (dir) => {
    const { mtime, ctime } = await Deno.stat(dir);
    return Math.max(mtime!.getTime(), ctime!.getTime());
  }));
  const age = Date.now() - Math.max(...changed);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2_100 - age)));
  const list = async (target: string) => {
    const response = await request(s.port, target);
    assert.equal(response.status, 200);
    return new TextDecoder().decode(response.body);
  };
  const first = await list("/tmp/plain/");
  assert.ok(first.includes('href="old.txt"'));
  assert.equal(await list("/tmp/plain/"), first); // now from memory
  // Each page keeps what it depends on: the request target it shows, and
  // the handler's dotfile and upload settings.
  assert.ok((await list("/tmp/plain/?q=1")).includes("for /tmp/plain/?q=1<"));
  class NoHidden extends Quiet {
    override showHidden = false;
  }
  class Uploads extends Quiet {
    override upload = true;
  }
  await using hiding = serve(NoHidden, { directory: fx.root });
  await using uploads = serve(Uploads, { directory: fx.root });
  for (let i = 0; i < 2; i++) {
    const page = async (port: number) =>
      new TextDecoder().decode((await request(port, "/tmp/plain/")).body);
    assert.ok((await page(s.port)).includes('href=".dot"'));
    assert.ok(!(await page(hiding.port)).includes(".dot"));
    assert.ok((await page(uploads.port)).includes("<form"));
    assert.ok(!(await page(s.port)).includes("<form"));
  }
  await Deno.writeTextFile(`${plain}/new.txt`, "x");
  assert.ok((await list("/tmp/plain/")).includes('href="new.txt"'));
  await Deno.rename(`${plain}/old.txt`, `${plain}/renamed.txt`);
  const renamed = await list("/tmp/plain/");
  assert.ok(!renamed.includes("old.txt") && renamed.includes("renamed.txt"));
  await Deno.remove(`${plain}/renamed.txt`);
  await Deno.mkdir(`${plain}/renamed.txt`);
  assert.ok((await list("/tmp/plain/")).includes('href="renamed.txt/"'));
  // A symlink's target is not part of its folder: it is looked at each time.
  assert.ok((await list("/tmp/links/")).includes('href="link">link@</a>'));
  assert.ok((await list("/tmp/links/")).includes('href="link">link@</a>'));
  await Deno.remove(elsewhere);
  await Deno.mkdir(elsewhere);
  assert.ok((await list("/tmp/links/")).includes('href="link/">link@</a>'));
});

Deno.test("concurrent listings: each sees a file added before it was sent, and its own page", async () => {
  await using fx = await fixture();
  class KeepAlive extends Quiet {
    override protocolVersion = "HTTP/1.1";
  }
  await using s = serve(KeepAlive, { directory: fx.root });
  const clients = await Promise.all(
    Array.from({ length: 12 }, () => RawClient.connect(s.port)),
  );
  // Three pages of one folder, asked for at once: each keeps its own.
  const asks = [
    ["/tmp/", ""],
    ["/tmp/?x=1", ""],
    ["/tmp/", "Accept: application/json\r\n"],
  ];
  try {
    for (const name of ["first.txt", "second.txt"]) {
      await Deno.writeTextFile(`${fx.dir}/${name}`, name);
      await Promise.all(clients.map((c, i) => {
        const [target, header] = asks[i % 3];
        return c.send(`GET ${target} HTTP/1.1\r\nHost: t\r\n${header}\r\n`);
      }));
      for (const [i, client] of clients.entries()) {
        const [target, header] = asks[i % 3];
        const response = await client.readResponse();
        assert.equal(response.status, 200);
        const text = new TextDecoder().decode(response.body);
        assert.ok(text.includes(name), `${target} ${header}: ${name}`);
        if (header) assert.ok(JSON.parse(text), target);
        else assert.ok(text.includes(`Directory listing for ${target}<`));
      }
    }
  } finally {
    for (const client of clients) client.close();
  }
});

Deno.test("concurrent listings of one folder by servers that list it differently keep their own pages", async () => {
  await using fx = await fixture();
  await Deno.writeTextFile(`${fx.dir}/.secret`, "x");
  class Plain extends Quiet {
    override protocolVersion = "HTTP/1.1";
  }
  class NoHidden extends Plain {
    override showHidden = false;
  }
  class Uploads extends Plain {
    override upload = true;
  }
  await using a = serve(Plain, { directory: fx.root });
  await using b = serve(NoHidden, { directory: fx.root });
  await using c = serve(Uploads, { directory: fx.root });
  const servers = [
    { port: a.port, hidden: true, form: false },
    { port: b.port, hidden: false, form: false },
    { port: c.port, hidden: true, form: true },
  ];
  const clients = await Promise.all(
    [...servers, ...servers, ...servers].map(async (server) => ({
      server,
      client: await RawClient.connect(server.port),
    })),
  );
  try {
    await Promise.all(
      clients.map(({ client }) =>
        client.send("GET /tmp/ HTTP/1.1\r\nHost: t\r\n\r\n")
      ),
    );
    for (const { server, client } of clients) {
      const response = await client.readResponse();
      assert.equal(response.status, 200);
      const page = new TextDecoder().decode(response.body);
      assert.equal(page.includes(".secret"), server.hidden, page);
      assert.equal(page.includes("<form"), server.form, page);
    }
  } finally {
    for (const { client } of clients) client.close();
  }
});

Deno.test("files on both sides of the 64 KiB cache limit arrive whole", async () => {
  await using fx = await fixture();
  class KeepAlive extends Quiet {
    override protocolVersion = "HTTP/1.1";
  }
  await using s = serve(KeepAlive, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  for (const size of [0, 1, 16 * 1024, 64 * 1024, 64 * 1024 + 1, 3_000_000]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
    await Deno.writeFile(`${fx.dir}/f${size}`, bytes);
    // Two requests on one connection: the second may come from the cache.
    for (let i = 0; i < 2; i++) {
      await client.send(`GET /tmp/f${size} HTTP/1.1\r\nHost: t\r\n\r\n`);
      const response = await client.readResponse();
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-length"), String(size));
      assert.deepEqual(response.body, bytes, `${size} bytes`);
    }
  }
});

Deno.test("a client that leaves mid-download costs no open file (resource sanitizer)", async () => {
  await using fx = await fixture();
  const { Handler, lines } = captureLogs(SimpleHTTPRequestHandler);
  {
    await using s = serve(Handler, { directory: fx.root });
    await Deno.writeFile(`${fx.dir}/big.bin`, new Uint8Array());
    await Deno.truncate(`${fx.dir}/big.bin`, 64 * 1024 * 1024);
    const client = await RawClient.connect(s.port);
    await client.send("GET /tmp/big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    const response = await client.readResponse(true);
    assert.equal(response.status, 200);
    client.close();
  }
  // The server has finished the connection when disposed; its log says why.
  assert.ok(
    lines.some((line) => line.startsWith("connection lost")),
    lines.join("\n"),
  );
});

Deno.test("directory is the server's option, else the current folder", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet);
  await using t = serve(Quiet, { directory: fx.dir });
  const here = await request(s.port, "/deno.json");
  assertStatus(here, 200);
  assertStatus(await request(t.port, "/test"), 200, DATA);
});

// --- Child processes: memory and permissions ---

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const MOD = new URL("../../mod.ts", import.meta.url).href;

/** A server in a child `deno` process, so its memory and permissions are its own. */
async function startChild(directory: string, permissions: string[]) {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from ${
      JSON.stringify(MOD)
    };
const server = new ThreadingHTTPServer(
  { hostname: "127.0.0.1", port: 0 },
  SimpleHTTPRequestHandler,
  { directory: Deno.args[0] },
);
console.log(server.serverPort);
await server.serveForever();
`,
  );
  const child = Cli.binary(
    Deno.execPath(),
    ["run", "--config", CONFIG, ...permissions, script, directory],
  );
  const port = await child.waitFor(/^(.*)\n/);
  if (port === null) {
    child.kill("SIGTERM");
    const { stderr } = await child.finish();
    await Deno.remove(script);
    throw new Error(`the child server did not start:\n${stderr}`);
  }
  return {
    pid: child.pid,
    port: Number(port[1]),
    /** Peak resident memory so far, in MiB (Linux's VmHWM). */
    async peakMiB(): Promise<number> {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      return Number(status.match(/VmHWM:\s+(\d+) kB/)![1]) / 1024;
    },
    /** Stops the child; resolves to what it logged. */
    async stop(): Promise<string> {
      child.kill("SIGTERM");
      const { stderr } = await child.finish();
      await Deno.remove(script);
      return stderr;
    },
  };
}

/** Downloads `target` through a 1 MiB buffer; resolves to the body's size. */
async function download(port: number, target: string): Promise<number> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(latin1(`GET ${target} HTTP/1.0\r\n\r\n`));
  const buf = new Uint8Array(1 << 20);
  let total = 0;
  let head = "";
  let headEnd = -1;
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    if (headEnd < 0) {
      head += decoder.decode(buf.subarray(0, n));
      headEnd = head.indexOf("\r\n\r\n");
      // Latin-1 and UTF-8 agree on a head of ASCII.
      if (headEnd >= 0) total = head.length - headEnd - 4;
      continue;
    }
    total += n;
  }
  assert.match(head, /^HTTP\/1\.0 200 /);
  return total;
}

Deno.test({
  name: "a 200 MiB file downloads whole with the server's memory flat",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using fx = await fixture();
    const size = 200 * 1024 * 1024;
    // Sparse: the test writes nothing, the server reads zeros.
    await Deno.writeFile(`${fx.dir}/huge.bin`, new Uint8Array());
    await Deno.truncate(`${fx.dir}/huge.bin`, size);
    const child = await startChild(fx.root, ["--allow-net", "--allow-read"]);
    try {
      assertStatus(await request(child.port, "/tmp/test"), 200, DATA);
      const before = await child.peakMiB();
      assert.equal(await download(child.port, "/tmp/huge.bin"), size);
      const after = await child.peakMiB();
      console.log(
        `server peak memory: ${before.toFixed(1)} MiB before, ${
          after.toFixed(1)
        } MiB after a 200 MiB download`,
      );
      assert.ok(after < 120, `peak ${after} MiB`);
      assert.ok(after - before < 40, `grew by ${after - before} MiB`);
    } finally {
      await child.stop();
    }
  },
});

Deno.test({
  name:
    "with --allow-read=<folder>, a symlink out of the folder is 404, logged, and serving goes on",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using fx = await fixture();
    const outside = `${fx.root}/outside`;
    await Deno.mkdir(outside);
    await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
    await Deno.symlink(`${outside}/secret.txt`, `${fx.dir}/leak.txt`);
    await Deno.symlink(outside, `${fx.dir}/leakdir`);
    await Deno.symlink("test", `${fx.dir}/inside-link`);
    const child = await startChild(fx.dir, [
      "--allow-net=127.0.0.1",
      `--allow-read=${fx.dir}`,
    ]);
    let log: string;
    try {
      assertStatus(await request(child.port, "/leak.txt"), 404);
      assertStatus(await request(child.port, "/leakdir/secret.txt"), 404);
      assertStatus(await request(child.port, "/leakdir/"), 404);
      assertStatus(await request(child.port, "/test"), 200, DATA);
      assertStatus(await request(child.port, "/inside-link"), 200, DATA);
      const listing = await request(child.port, "/");
      assertStatus(listing, 200);
      // Shown, as any name in the folder, but not as a folder.
      assert.ok(listing.text.includes('<a href="leakdir">leakdir@</a>'));
      assertStatus(await request(child.port, "/nothing"), 404);
    } finally {
      log = await child.stop();
    }
    assert.match(
      log,
      /refused \S*\/leak\.txt: its real path \S*\/secret\.txt is outside the read permission/,
    );
    assert.doesNotMatch(log, /Exception|NotCapable|Error:/);
  },
});

Deno.test({
  name: "with --allow-read=<a symlink to the folder>, the folder is served",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using fx = await fixture();
    const link = `${fx.root}/served`;
    await Deno.symlink(fx.dir, link);
    const big = new Uint8Array(100_000).fill(7);
    await Deno.writeFile(`${fx.dir}/big.bin`, big);
    const child = await startChild(link, [
      "--allow-net=127.0.0.1",
      `--allow-read=${link}`,
    ]);
    try {
      assertStatus(await request(child.port, "/test"), 200, DATA);
      assert.deepEqual((await request(child.port, "/big.bin")).body, big);
      assertStatus(await request(child.port, "/"), 200);
    } finally {
      await child.stop();
    }
  },
});

Deno.test({
  name: "a folder outside the read grant is 404, without a prompt or a crash",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using fx = await fixture();
    await Deno.mkdir(`${fx.root}/granted`);
    // Serves the root but may read only one folder in it.
    const child = await startChild(fx.root, [
      "--allow-net=127.0.0.1",
      `--allow-read=${fx.root}/granted`,
    ]);
    try {
      assertStatus(await request(child.port, "/tmp/test"), 404);
      assertStatus(await request(child.port, "/"), 404);
      assertStatus(await request(child.port, "/granted/"), 200);
    } finally {
      await child.stop();
    }
  },
});

// --- The small-file cache itself ---

Deno.test("FileCache keeps files by version and within its byte bound", async () => {
  const dir = await Deno.makeTempDir({ prefix: "filecache_test_" });
  try {
    const cache = new FileCache({
      maxEntryBytes: 1000,
      maxTotalBytes: 3 * (1000 + 256),
      racyMs: 0,
    });
    const paths = [0, 1, 2, 3].map((i) => `${dir}/f${i}`);
    for (const path of paths) await Deno.writeFile(path, new Uint8Array(1000));
    for (const path of paths.slice(0, 3)) {
      assert.equal(cache.lookup(path, Deno.statSync(path)), null);
      assert.equal(cache.load(path, Deno.statSync(path))?.body.length, 1000);
    }
    const first = cache.lookup(paths[0], Deno.statSync(paths[0]));
    assert.ok(first !== null, "a fresh entry is served");
    // A fourth file evicts the least recently used: f1.
    cache.load(paths[3], Deno.statSync(paths[3]));
    assert.ok(cache.bytes <= 3 * 1256);
    assert.equal(cache.lookup(paths[1], Deno.statSync(paths[1])), null);
    assert.ok(cache.lookup(paths[0], Deno.statSync(paths[0])) !== null);
    // A changed file no longer matches its entry.
    await Deno.writeFile(paths[0], new Uint8Array(999));
    assert.equal(cache.lookup(paths[0], Deno.statSync(paths[0])), null);
    // Too large to keep, or grown since its stat: null, so the caller streams it.
    const before = Deno.statSync(paths[2]);
    await Deno.writeFile(paths[2], new Uint8Array(1001));
    assert.equal(cache.load(paths[2], Deno.statSync(paths[2])), null);
    assert.equal(cache.load(paths[2], before), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileCache does not keep a file changed within racyMs", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "new");
    const cache = new FileCache({ maxEntryBytes: 100, maxTotalBytes: 1000 });
    assert.equal(cache.load(path, Deno.statSync(path))?.body.length, 3);
    assert.equal(cache.lookup(path, Deno.statSync(path)), null);
    assert.equal(cache.bytes, 0);
  } finally {
    await Deno.remove(path);
  }
});
