// Ranges, validators, compression and caching over real sockets: curl's
// resume and --range, a browser's video seek, multipart ranges parsed back,
// 416, If-Range, ETag/304 flows, precompressed siblings, gzip on the fly,
// Cache-Control, and each option's default-off behaviour.
import assert from "node:assert/strict";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { parseCliArgs } from "../../cli/args.ts";
import { Cli, run } from "../support/cli_process.ts";
import {
  Quiet,
  RawClient,
  type RawResponse,
  serve,
  tempFolder,
} from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** 1,000 bytes of text: served from memory. */
const SMALL = encoder.encode("0123456789".repeat(100));
/** 300,000 bytes that are not text: streamed from the file. */
const BIG = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251);
/** 300,000 bytes of text: streamed, and gzipped on the fly when asked. */
const BIG_TEXT = encoder.encode(
  Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`.padEnd(15, "."))
    .join(""),
);
/** Text with real precompressed siblings. */
const APP_JS = encoder.encode(
  "console.log('knights who say Ni');\n".repeat(150),
);
const MTIME_S = 1_700_000_000.5;
const LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT";

class Quiet11 extends Quiet {
  override protocolVersion = "HTTP/1.1";
}

class Compressing extends Quiet11 {
  override precompressed = true;
  override gzip = true;
}

async function fixture() {
  const files: Record<string, Uint8Array> = {
    "small.txt": SMALL,
    "big.bin": BIG,
    "video.mp4": BIG,
    "big.txt": BIG_TEXT,
    "app.js": APP_JS,
    "app.js.gz": gzipSync(APP_JS),
    "app.js.br": brotliCompressSync(APP_JS),
    "image.png": BIG_TEXT.subarray(0, 5000),
    "empty.txt": new Uint8Array(0),
    "sub/inner.txt": SMALL,
  };
  return await tempFolder("features_wire_test_", files, MTIME_S);
}

/** One request on a fresh connection; the response as read off the wire. */
async function request(
  port: number,
  target: string,
  headers: Record<string, string> = {},
  { method = "GET", version = "HTTP/1.1" } = {},
): Promise<RawResponse> {
  using client = await RawClient.connect(port);
  const fields = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  await client.send(
    `${method} ${target} ${version}\r\nHost: t\r\n${fields.join("")}\r\n`,
  );
  return await client.readResponse(method === "HEAD");
}

function assertHeaders(
  response: RawResponse,
  expected: Record<string, string | null>,
) {
  for (const [name, value] of Object.entries(expected)) {
    assert.equal(
      response.headers.get(name),
      value,
      `${name}\n${response.head}`,
    );
  }
}

/** The parts of a multipart/byteranges body, as a client parses them. */
function parseMultipart(response: RawResponse) {
  const type = response.headers.get("content-type")!;
  const boundary = type.match(/^multipart\/byteranges; boundary=(\S+)$/)![1];
  const body = response.body;
  const parts: { range: string; type: string; data: Uint8Array }[] = [];
  const text = String.fromCharCode(...body);
  const delimiter = `--${boundary}`;
  assert.ok(text.endsWith(`\r\n${delimiter}--\r\n`));
  let at = text.indexOf(delimiter);
  while (text.startsWith(`${delimiter}\r\n`, at)) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    const fields = text.slice(at + delimiter.length + 2, headEnd).split("\r\n");
    const get = (name: string) =>
      fields.find((f) => f.toLowerCase().startsWith(name + ":"))!
        .split(": ")[1];
    const next = text.indexOf(`\r\n${delimiter}`, headEnd + 4);
    parts.push({
      range: get("content-range"),
      type: get("content-type"),
      data: body.slice(headEnd + 4, next),
    });
    at = next + 2;
  }
  return parts;
}

/** The tests that run curl. */
const withCurl = requiring("curl");

async function curl(args: string[]): Promise<Uint8Array> {
  const { code, stdout, stderr } = await new Deno.Command("curl", {
    args: ["-s", "-S", "--max-time", "20", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, decoder.decode(stderr));
  return stdout;
}

// --- Ranges (RFC 9110 §14) ---

Deno.test("single ranges: first-last, suffix and open, on small and large files", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (
    const [name, data] of [["small.txt", SMALL], ["big.bin", BIG]] as const
  ) {
    const size = data.length;
    const cases: [string, number, number][] = [
      ["bytes=0-4", 0, 4],
      ["bytes=-7", size - 7, size - 1],
      ["bytes=5-", 5, size - 1],
      ["bytes=100-99999999", 100, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await request(s.port, `/${name}`, { Range: range });
      assert.equal(r.status, 206, `${name} ${range}`);
      assertHeaders(r, {
        "content-range": `bytes ${start}-${end}/${size}`,
        "content-length": String(end - start + 1),
        "accept-ranges": "bytes",
        "last-modified": LAST_MODIFIED,
      });
      assert.deepEqual(r.body, data.slice(start, end + 1), `${name} ${range}`);
    }
  }
});

withCurl.test("curl --range and curl -C - resume get the right bytes", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (
    const [name, data] of [["small.txt", SMALL], ["big.bin", BIG]] as const
  ) {
    const url = `${s.url}/${name}`;
    assert.deepEqual(
      await curl(["--range", "100-199", url]),
      data.slice(100, 200),
    );
    // A download cut short, then resumed where it stopped.
    const out = await Deno.makeTempFile();
    await Deno.writeFile(out, data.slice(0, 777));
    await curl(["-C", "-", "-o", out, url]);
    assert.deepEqual(await Deno.readFile(out), data);
    await Deno.remove(out);
  }
});

Deno.test("a browser's video seek: bytes=0- then bytes=N- on one kept-alive connection", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet11, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  for (const start of [0, 150_000, 299_999, 1234]) {
    await client.send(
      `GET /video.mp4 HTTP/1.1\r\nHost: t\r\nRange: bytes=${start}-\r\n\r\n`,
    );
    const r = await client.readResponse();
    assert.equal(r.status, 206);
    assertHeaders(r, {
      "content-type": "video/mp4",
      "content-range": `bytes ${start}-${BIG.length - 1}/${BIG.length}`,
    });
    assert.deepEqual(r.body, BIG.slice(start));
  }
});

Deno.test("multiple ranges are multipart/byteranges, parsed back in the order asked", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (
    const [name, data] of [["small.txt", SMALL], ["big.bin", BIG]] as const
  ) {
    const size = data.length;
    const r = await request(s.port, `/${name}`, {
      Range: "bytes=500-599, 0-9, -5",
    });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get("content-range"), null);
    assert.equal(Number(r.headers.get("content-length")), r.body.length);
    const type = name.endsWith(".txt")
      ? "text/plain"
      : "application/octet-stream";
    assert.deepEqual(parseMultipart(r), [
      { range: `bytes 500-599/${size}`, type, data: data.slice(500, 600) },
      { range: `bytes 0-9/${size}`, type, data: data.slice(0, 10) },
      {
        range: `bytes ${size - 5}-${size - 1}/${size}`,
        type,
        data: data.slice(-5),
      },
    ]);
  }
});

Deno.test("416 with Content-Range: bytes */size, and the connection stays usable", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet11, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  for (const [name, size] of [["small.txt", 1000], ["big.bin", 300_000]]) {
    await client.send(
      `GET /${name} HTTP/1.1\r\nHost: t\r\nRange: bytes=${size}-\r\n\r\n`,
    );
    const r = await client.readResponse();
    assert.equal(r.status, 416);
    assertHeaders(r, {
      "content-range": `bytes */${size}`,
      "content-length": "0",
    });
  }
  await client.send("GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n");
  assert.equal((await client.readResponse()).status, 200);
});

Deno.test("ranges ignored: HEAD, other units, syntax errors, an empty file, amplification", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const head = await request(s.port, "/small.txt", { Range: "bytes=0-4" }, {
    method: "HEAD",
  });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "1000");
  for (
    const range of [
      "items=0-4",
      "bytes=4-0",
      "bytes=0-,0-", // CVE-2011-3192: more bytes than the file
      `bytes=${Array.from({ length: 1000 }, (_, i) => `${i}-${i}`)}`,
    ]
  ) {
    const r = await request(s.port, "/big.bin", { Range: range });
    assert.equal(r.status, 200, range.slice(0, 30));
    assert.equal(r.body.length, BIG.length);
  }
  const empty = await request(s.port, "/empty.txt", { Range: "bytes=-5" });
  assert.equal(empty.status, 200);
  assert.equal(empty.body.length, 0);
});

Deno.test("If-Range: the Last-Modified date gets the range; another date or any tag the whole file", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const { headers } = await request(s.port, "/big.bin");
  const etag = headers.get("etag")!;
  const cases: [string, number][] = [
    [LAST_MODIFIED, 206],
    ["Tue, 14 Nov 2023 22:13:19 GMT", 200],
    ['"something-else"', 200],
    // Our tag is weak, and If-Range compares strongly (RFC 9110 §13.1.5).
    [etag, 200],
  ];
  for (const [ifRange, status] of cases) {
    const r = await request(s.port, "/big.bin", {
      Range: "bytes=10-19",
      "If-Range": ifRange,
    });
    assert.equal(r.status, status, ifRange);
    assert.deepEqual(r.body, status === 206 ? BIG.slice(10, 20) : BIG);
  }
});

Deno.test("an absolute-form target is served by its path, ranges too", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const whole = await request(s.port, "http://t/small.txt");
  assert.equal(whole.status, 200);
  assert.deepEqual(whole.body, SMALL);
  const part = await request(s.port, "http://t/small.txt", {
    Range: "bytes=0-2",
  });
  assert.equal(part.status, 206);
  assert.equal(part.text, "012");
});

// --- Validators (RFC 9110 §8.8, §13) ---

Deno.test("ETag and If-None-Match: 304 with the tag, then 200 with a new tag once the file changes", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  for (const name of ["small.txt", "big.bin"]) {
    const first = await request(s.port, `/${name}`);
    const etag = first.headers.get("etag")!;
    assert.match(etag, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    for (const inm of [etag, `"x", ${etag}`, "*", etag.slice(2)]) {
      const again = await request(s.port, `/${name}`, { "If-None-Match": inm });
      assert.equal(again.status, 304, inm);
      assert.equal(again.headers.get("etag"), etag);
      assert.equal(again.body.length, 0);
    }
    // If-None-Match wins over If-Modified-Since, both ways.
    const stale = await request(s.port, `/${name}`, {
      "If-None-Match": '"other"',
      "If-Modified-Since": LAST_MODIFIED,
    });
    assert.equal(stale.status, 200);
    const fresh = await request(s.port, `/${name}`, {
      "If-None-Match": etag,
      "If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT",
    });
    assert.equal(fresh.status, 304);
    await Deno.utime(`${fx.root}/${name}`, MTIME_S + 60, MTIME_S + 60);
    const changed = await request(s.port, `/${name}`, {
      "If-None-Match": etag,
    });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
  }
});

Deno.test("If-Modified-Since with a numeric zone is compared in that zone", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const same = await request(s.port, "/small.txt", {
    "If-Modified-Since": "Wed, 15 Nov 2023 07:13:20 +0900",
  });
  assert.equal(same.status, 304);
  const earlier = await request(s.port, "/small.txt", {
    "If-Modified-Since": "Wed, 15 Nov 2023 07:13:19 +0900",
  });
  assert.equal(earlier.status, 200);
});

// --- Compression (off by default) ---

Deno.test("default: no sibling, no gzip, no Vary, whatever the client accepts", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet11, { directory: fx.root });
  for (const name of ["app.js", "big.txt", "small.txt"]) {
    const r = await request(s.port, `/${name}`, {
      "Accept-Encoding": "gzip, deflate, br",
    });
    assert.equal(r.status, 200);
    assertHeaders(r, { "content-encoding": null, vary: null });
    assert.notEqual(r.headers.get("content-length"), null);
  }
});

Deno.test("a precompressed sibling is chosen by Accept-Encoding, typed as the file", async () => {
  await using fx = await fixture();
  await using s = serve(Compressing, { directory: fx.root });
  const cases: [string, string | null, string][] = [
    ["gzip, deflate, br", "br", "app.js.br"],
    ["gzip", "gzip", "app.js.gz"],
    ["br;q=0.5, gzip", "gzip", "app.js.gz"],
    ["identity", null, "app.js"],
    ["br;q=0, gzip;q=0", null, "app.js"],
  ];
  for (const [accept, coding, served] of cases) {
    const r = await request(s.port, "/app.js", { "Accept-Encoding": accept });
    assert.equal(r.status, 200);
    assertHeaders(r, {
      "content-type": "text/javascript",
      "content-encoding": coding,
      vary: "Accept-Encoding",
    });
    assert.deepEqual(r.body, await Deno.readFile(`${fx.root}/${served}`));
  }
  // Without Accept-Encoding, or for a range: the file itself.
  const plain = await request(s.port, "/app.js");
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.deepEqual(plain.body, APP_JS);
  const range = await request(s.port, "/app.js", {
    "Accept-Encoding": "gzip, br",
    Range: "bytes=0-6",
  });
  assert.equal(range.status, 206);
  assertHeaders(range, { "content-encoding": null, vary: "Accept-Encoding" });
  assert.equal(range.text, "console");
  // The sibling has its own tag, and revalidates as itself.
  const gz = await request(s.port, "/app.js", { "Accept-Encoding": "gzip" });
  const again = await request(s.port, "/app.js", {
    "Accept-Encoding": "gzip",
    "If-None-Match": gz.headers.get("etag")!,
  });
  assert.equal(again.status, 304);
  assertHeaders(again, { vary: "Accept-Encoding" });
  assert.notEqual(gz.headers.get("etag"), plain.headers.get("etag"));
});

withCurl.test("curl --compressed decodes what --gzip serves back to the original", async () => {
  await using fx = await fixture();
  await using s = serve(Compressing, { directory: fx.root });
  for (
    const [name, data] of [["app.js", APP_JS], ["big.txt", BIG_TEXT]] as const
  ) {
    assert.deepEqual(await curl(["--compressed", `${s.url}/${name}`]), data);
  }
});

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("gzip on the fly: a small file with Content-Length, a large one chunked on a kept-alive connection", async () => {
  await using fx = await fixture();
  await using s = serve(Compressing, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  for (
    const [name, data] of [["small.txt", SMALL], ["big.txt", BIG_TEXT]] as const
  ) {
    await client.send(
      `GET /${name} HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n`,
    );
    const r = await client.readResponse();
    assert.equal(r.status, 200);
    assertHeaders(r, {
      "content-encoding": "gzip",
      vary: "Accept-Encoding",
      "transfer-encoding": name === "big.txt" ? "chunked" : null,
      "content-length": name === "big.txt" ? null : String(r.body.length),
      etag: (await request(s.port, `/${name}`)).headers.get("etag"),
    });
    assert.ok(r.body.length < data.length / 3);
    assert.deepEqual(await gunzip(r.body), data);
  }
  // HEAD: GET's headers, no body, the connection still in step.
  await client.send(
    "HEAD /big.txt HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n",
  );
  const head = await client.readResponse(true);
  assertHeaders(head, { "transfer-encoding": "chunked" });
  await client.send("GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n");
  assert.deepEqual((await client.readResponse()).body, SMALL);
});

Deno.test("gzip on the fly to an HTTP/1.0 client: no chunks, the body ends at the close", async () => {
  await using fx = await fixture();
  await using s = serve(Compressing, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  await client.send(
    "GET /big.txt HTTP/1.0\r\nConnection: keep-alive\r\nAccept-Encoding: gzip\r\n\r\n",
  );
  const r = await client.readResponse();
  assertHeaders(r, {
    connection: "close",
    "transfer-encoding": null,
    "content-length": null,
  });
  assert.deepEqual(await gunzip(r.body), BIG_TEXT);
});

Deno.test("gzip on the fly skips images, ranges and clients that do not ask", async () => {
  await using fx = await fixture();
  await using s = serve(Compressing, { directory: fx.root });
  const image = await request(s.port, "/image.png", {
    "Accept-Encoding": "gzip",
  });
  assertHeaders(image, { "content-encoding": null, vary: "Accept-Encoding" });
  const range = await request(s.port, "/big.txt", {
    "Accept-Encoding": "gzip",
    Range: "bytes=0-9",
  });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get("content-encoding"), null);
  assert.deepEqual(range.body, BIG_TEXT.slice(0, 10));
  const plain = await request(s.port, "/big.txt");
  assertHeaders(plain, {
    "content-encoding": null,
    "content-length": "300000",
  });
});

// --- Caching (off by default) ---

Deno.test("Cache-Control: none by default, max-age with cacheMaxAge, no-store with noCache", async () => {
  await using fx = await fixture();
  class MaxAge extends Quiet {
    override cacheMaxAge = 3600;
  }
  class NoStore extends Quiet {
    override cacheMaxAge = 3600;
    override noCache = true;
  }
  const cases: [typeof Quiet, string | null][] = [
    [Quiet, null],
    [MaxAge, "max-age=3600"],
    [NoStore, "no-store"],
  ];
  for (const [Handler, expected] of cases) {
    await using s = serve(Handler, { directory: fx.root });
    for (
      const [target, headers, status] of [
        ["/small.txt", {}, 200],
        ["/big.bin", { Range: "bytes=0-0" }, 206],
        ["/small.txt", { "If-Modified-Since": LAST_MODIFIED }, 304],
        ["/sub/", {}, 200],
      ] as const
    ) {
      const r = await request(s.port, target, headers);
      assert.equal(r.status, status);
      assert.equal(r.headers.get("cache-control"), expected, target);
    }
    // Not on errors or redirects.
    const missing = await request(s.port, "/missing");
    assert.equal(missing.headers.get("cache-control"), null);
    const redirect = await request(s.port, "/sub");
    assert.equal(redirect.headers.get("cache-control"), null);
  }
});

// --- The command line ---

Deno.test("--gzip, --cache and --no-cache parse; default off; --cache and --no-cache exclude each other", () => {
  const base = parseCliArgs([])!;
  assert.equal(base.gzip, false);
  assert.equal(base.cacheMaxAge, null);
  assert.equal(base.noCache, false);
  const on = parseCliArgs(["--gzip", "--cache", "600"])!;
  assert.equal(on.gzip, true);
  assert.equal(on.cacheMaxAge, 600);
  assert.equal(parseCliArgs(["--no-cache"])!.noCache, true);
  assert.throws(
    () => parseCliArgs(["--cache", "60", "--no-cache"]),
    /argument --no-cache: not allowed with argument --cache/,
  );
  for (const bad of ["abc", "1.5", "", "1h", "-1"]) {
    assert.throws(
      () => parseCliArgs([`--cache=${bad}`]),
      /argument --cache: invalid seconds: '.*' \(use a whole number of seconds, such as 3600 for an hour\)$/,
      bad,
    );
  }
  assert.equal(parseCliArgs(["--cache", "2147483648"])!.cacheMaxAge, 2 ** 31);
  assert.throws(
    () => parseCliArgs(["--cache", "2147483649"]),
    /argument --cache: too many seconds: '2147483649' \(caches read at most 2147483648, about 68 years\)$/,
  );
  assert.throws(
    () => parseCliArgs(["--cache"]),
    /argument --cache: expected one argument/,
  );
});

Deno.test("the CLI with --gzip --cache serves compressed, cacheable files", async () => {
  await using fx = await fixture();
  await using cli = Cli.serving(fx.root, ["--gzip", "--cache", "60"]);
  const port = await cli.port();
  const r = await request(port, "/app.js", { "Accept-Encoding": "gzip, br" });
  assertHeaders(r, {
    "content-encoding": "br",
    "cache-control": "max-age=60",
    vary: "Accept-Encoding",
  });
  const text = await request(port, "/big.txt", { "Accept-Encoding": "gzip" });
  assert.deepEqual(await gunzip(text.body), BIG_TEXT);
  cli.kill("SIGTERM");
  assert.equal((await cli.finish()).code, 0);
});

Deno.test("the CLI's help lists --gzip, --cache and --no-cache", async () => {
  const { code, stdout } = await run([], ["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /\[--gzip\] \[--cache SECONDS \| --no-cache\]/);
  for (const flag of ["--gzip", "--cache SECONDS", "--no-cache"]) {
    assert.match(stdout, new RegExp(`\n  ${flag} +\\S`), flag);
  }
});
