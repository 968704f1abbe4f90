// files/serve.ts, the file-serving core without a socket: each request is a
// FileRequest, each answer a tagged result, and emitHeaders' fields are
// checked in the order a face writes them.
import assert from "node:assert/strict";
import {
  emitHeaders,
  type FileRequest,
  type HeaderSink,
  type Listed,
  serveFile,
  type ServeHooks,
  type ServeOptions,
  type ServeResult,
} from "../../files/serve.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { knownAbsent } from "../../files/listing/service.ts";
import type { FileBody } from "../../files/filebody.ts";
import { guessType } from "../../files/mime.ts";
import { translatePath } from "../../files/paths.ts";
import { HttpError } from "../../util/errors.ts";
import { weakETag } from "../../files/conditional.ts";
import { CLIENT_PATH, EVENTS_PATH } from "../../files/live/client.ts";

const SMALL = "hello, small file\n".repeat(20);
/** A past modification time of the fixture's files, in seconds. */
const MTIME_S = 1_700_000_000.25;
/** Past the 64 KiB of the small-file cache: opened to stream. */
const LARGE = "0123456789abcdef".repeat(8192);

/**
 * `<tmp>/`: `a.txt` (small), `big.txt` (large), `style.css` and its
 * `style.css.br` sibling, `site/index.html`, `list/` (no index page),
 * `.hidden`, `index.html` for the SPA fallback.
 */
async function fixture(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/a.txt`, SMALL);
  await Deno.writeTextFile(`${root}/big.txt`, LARGE);
  await Deno.writeTextFile(`${root}/style.css`, "body{}".repeat(100));
  await Deno.writeTextFile(`${root}/style.css.br`, "brotli bytes");
  await Deno.mkdir(`${root}/site`);
  await Deno.writeTextFile(`${root}/site/index.html`, "<p>site</p>");
  await Deno.mkdir(`${root}/list`);
  await Deno.writeTextFile(`${root}/list/x.txt`, "x");
  await Deno.writeTextFile(`${root}/.hidden`, "secret");
  await Deno.writeTextFile(`${root}/index.html`, "<p>app</p>");
  // Long unchanged, as served files mostly are: they have validators.
  for await (const entry of Deno.readDir(root)) {
    await Deno.utime(`${root}/${entry.name}`, MTIME_S, MTIME_S);
  }
  await Deno.utime(`${root}/site/index.html`, MTIME_S, MTIME_S);
  return {
    root,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

function options(root: string, changes: Partial<ServeOptions> = {}) {
  return {
    directory: root,
    indexPages: ["index.html"],
    spa: false,
    listing: true,
    showHidden: true,
    jsonListing: true,
    prettyListing: false,
    upload: false,
    precompressed: false,
    gzip: false,
    cacheMaxAge: null,
    noCache: false,
    ...changes,
  };
}

function hooks(root: string): ServeHooks {
  return {
    translatePath: (target) => translatePath(root, target),
    guessType: (path) => guessType(path),
  };
}

function request(
  target: string,
  headers: Record<string, string> = {},
  method = "GET",
): FileRequest {
  return { method, target, header: (name) => headers[name] ?? null };
}

/** The core's answer, with the fixture's settings changed by `changes`. */
function serve(
  root: string,
  target: string,
  headers: Record<string, string> = {},
  changes: Partial<ServeOptions> = {},
  method = "GET",
): Promise<ServeResult> {
  return serveFile(
    request(target, headers, method),
    options(root, changes),
    hooks(root),
    new Sandbox(root, () => {}),
  );
}

/** The fields emitHeaders gives, in order, lengths and dates marked. */
function fields(
  result: Exclude<ServeResult, Listed>,
  changes: Partial<ServeOptions> = {},
): string[] {
  const out: string[] = [];
  const sink: HeaderSink = {
    header: (name, value) => out.push(`${name}: ${value}`),
    date: (name, ms) => out.push(`${name}: <date ${ms}>`),
    length: (bytes) => out.push(`<length ${bytes}>`),
  };
  emitHeaders(result, options("", changes), sink);
  return out;
}

function text(body: Uint8Array | FileBody | unknown): string {
  assert.ok(body instanceof Uint8Array);
  return new TextDecoder().decode(body);
}

async function rejects404(answer: Promise<unknown>): Promise<void> {
  await assert.rejects(answer, (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 404);
    return true;
  });
}

Deno.test("a small file is a 200 of its bytes, with its type, length, date and tag", async () => {
  await using fx = await fixture();
  const result = await serve(fx.root, "/a.txt");
  assert.equal(result.kind, "file");
  if (result.kind !== "file") return;
  assert.equal(result.status, 200);
  assert.equal(text(result.body), SMALL);
  const mtime = Deno.statSync(`${fx.root}/a.txt`).mtime!.getTime();
  assert.deepEqual(fields(result), [
    "Content-type: text/plain",
    `<length ${SMALL.length}>`,
    `Last-Modified: <date ${mtime}>`,
    "Accept-Ranges: bytes",
    `ETag: ${result.etag}`,
  ]);
  assert.deepEqual(fields(result, { cacheMaxAge: 60, gzip: true }).slice(-2), [
    "Vary: Accept-Encoding",
    "Cache-Control: max-age=60",
  ]);
  assert.equal(
    fields(result, { noCache: true }).at(-1),
    "Cache-Control: no-store",
  );
});

Deno.test("a large file is an open file to copy, its length the file's", async () => {
  await using fx = await fixture();
  const result = await serve(fx.root, "/big.txt");
  assert.ok(result.kind === "file" && !(result.body instanceof Uint8Array));
  using file = result.body.file;
  assert.equal(result.length, LARGE.length);
  assert.equal(result.body.length, LARGE.length);
  assert.equal(result.body.send, undefined);
  assert.ok(file.statSync().isFile);
});

Deno.test("a folder's URL without its slash is redirected, the query kept", async () => {
  await using fx = await fixture();
  const result = await serve(fx.root, "/site?x=1");
  assert.deepEqual(result, {
    kind: "redirect",
    status: 301,
    location: "/site/?x=1",
  });
  assert.deepEqual(fields(result as Exclude<ServeResult, Listed>), [
    "Location: /site/?x=1",
    "<length 0>",
  ]);
});

Deno.test("a folder is answered by its index page, else by its listing", async () => {
  await using fx = await fixture();
  const site = await serve(fx.root, "/site/");
  assert.ok(site.kind === "file");
  assert.equal(text(site.body), "<p>site</p>");
  assert.equal(site.type, "text/html");
  const list = await serve(fx.root, "/list/");
  assert.ok(list.kind === "listing");
  assert.equal(list.format, "python");
  assert.match(text(list.body), /<a href="x.txt">x.txt<\/a>/);
  assert.deepEqual(fields(list), [
    "Content-type: text/html; charset=utf-8",
    `<length ${(list.body as Uint8Array).length}>`,
  ]);
  // A cache that keeps Python's page must not hand it to a JSON client.
  assert.deepEqual(fields(list, { cacheMaxAge: 5 }).slice(-2), [
    "Vary: Accept",
    "Cache-Control: max-age=5",
  ]);
  const json = await serve(fx.root, "/list/", { accept: "application/json" });
  assert.ok(json.kind === "listing");
  assert.equal(json.format, "json");
  await rejects404(serve(fx.root, "/list/", {}, { listing: false }));
});

Deno.test("an index page added to a folder whose entries are kept is served at once", async () => {
  await using fx = await fixture();
  const folder = `${fx.root}/list/`;
  // Entries are kept once the folder's last change is 2 s old (statcache.ts).
  const settled = () => {
    const { mtime, ctime } = Deno.statSync(folder);
    return Date.now() - Math.max(mtime!.getTime(), ctime!.getTime());
  };
  while (settled() < 2_100) {
    await new Promise((wake) => setTimeout(wake, 2_100 - settled()));
  }
  assert.ok((await serve(fx.root, "/list/")).kind === "listing");
  // Kept: the index page is known to be missing without a stat.
  assert.equal(knownAbsent(folder, Deno.statSync(folder), "index.html"), true);
  assert.equal(knownAbsent(folder, Deno.statSync(folder), "x.txt"), false);
  assert.equal(knownAbsent(folder, Deno.statSync(folder), "X.TXT"), false);
  await Deno.writeTextFile(`${folder}index.html`, "<p>new</p>");
  const page = await serve(fx.root, "/list/");
  assert.ok(page.kind === "file");
  assert.equal(text(page.body), "<p>new</p>");
});

Deno.test("a face's own listDirectory answers a folder without an index page", async () => {
  await using fx = await fixture();
  const asked: string[] = [];
  const page = new TextEncoder().encode("mine");
  const result = await serveFile(
    request("/list/"),
    options(fx.root, { listing: false }),
    {
      ...hooks(fx.root),
      listDirectory: (path) => {
        asked.push(path);
        return Promise.resolve(page);
      },
    },
    new Sandbox(fx.root, () => {}),
  );
  assert.deepEqual(result, { kind: "listed", body: page });
  assert.deepEqual(asked, [`${fx.root}/list/`]);
});

Deno.test("missing, hidden, and a file with a trailing slash are 404; the SPA fallback answers the missing", async () => {
  await using fx = await fixture();
  await rejects404(serve(fx.root, "/nothing"));
  await rejects404(serve(fx.root, "/a.txt/"));
  await rejects404(serve(fx.root, "/.hidden", {}, { showHidden: false }));
  await rejects404(
    serve(fx.root, "/.hidden", {}, { showHidden: false, spa: true }),
  );
  const hidden = await serve(fx.root, "/.hidden");
  assert.ok(hidden.kind === "file");
  const route = await serve(fx.root, "/app/route", {}, { spa: true });
  assert.ok(route.kind === "file");
  assert.equal(text(route.body), "<p>app</p>");
});

Deno.test("a fresh If-None-Match is a 304 with the validator fields, and the open file is closed", async () => {
  await using fx = await fixture();
  for (const path of ["/a.txt", "/big.txt"]) {
    const first = await serve(fx.root, path, {}, {}, "HEAD");
    assert.ok(first.kind === "file");
    if (!(first.body instanceof Uint8Array)) first.body.file.close();
    assert.ok(first.etag !== null);
    const again = await serve(fx.root, path, { "if-none-match": first.etag });
    assert.deepEqual(again, {
      kind: "not-modified",
      status: 304,
      etag: first.etag,
    });
    assert.deepEqual(fields(again as Exclude<ServeResult, Listed>), [
      "Accept-Ranges: bytes",
      `ETag: ${first.etag}`,
    ]);
  }
});

/**
 * The field a client sends to revalidate its copy of `result`, if it was
 * given the validator: `If-Modified-Since` with the `Last-Modified`, or
 * `If-None-Match` with the `ETag`.
 */
function revalidation(
  result: ServeResult,
  field: "if-modified-since" | "if-none-match",
): Record<string, string> {
  assert.ok(result.kind === "file");
  const [name, value] = field === "if-modified-since"
    ? ["Last-Modified", new Date(result.mtime ?? 0).toUTCString()]
    : ["ETag", result.etag ?? ""];
  return fields(result).some((given) => given.startsWith(`${name}:`))
    ? { [field]: value }
    : {};
}

/** Writes `text` to `path`, modified at `ms` (a date's second and a fraction). */
async function rewrite(path: string, text: string, ms: number): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.utime(path, new Date(ms), new Date(ms));
}

Deno.test("a file rewritten within the second of its Last-Modified is sent again, not a 304 of the copy before", async () => {
  await using fx = await fixture();
  const path = `${fx.root}/a.txt`;
  const second = Math.floor(Date.now() / 1000) * 1000;
  await rewrite(path, SMALL, second);
  const first = await serve(fx.root, "/a.txt");
  // The same size, a millisecond later: the same date, to the second. A
  // browser revalidates by the date alone when it ignores the tag (Chromium
  // does, in a response of HTTP/1.0).
  await rewrite(path, SMALL.toUpperCase(), second + 1);
  const again = await serve(
    fx.root,
    "/a.txt",
    revalidation(first, "if-modified-since"),
  );
  assert.equal(again.kind, "file", "the new bytes, not a 304");
  assert.ok(again.kind === "file");
  assert.equal(text(again.body), SMALL.toUpperCase());
});

Deno.test("a file rewritten within one tick of the file system's clock is sent again, not a 304 of the copy before", async () => {
  await using fx = await fixture();
  const path = `${fx.root}/a.txt`;
  const tick = Math.floor(Date.now() / 1000) * 1000;
  await rewrite(path, SMALL, tick);
  const first = await serve(fx.root, "/a.txt");
  // The same size and the same time: the same tag.
  await rewrite(path, SMALL.toUpperCase(), tick);
  const again = await serve(
    fx.root,
    "/a.txt",
    revalidation(first, "if-none-match"),
  );
  assert.equal(again.kind, "file", "the new bytes, not a 304");
  assert.ok(again.kind === "file");
  assert.equal(text(again.body), SMALL.toUpperCase());
});

Deno.test("ranges: one is a 206 with its Content-Range, several are multipart, none satisfiable is a 416", async () => {
  await using fx = await fixture();
  const one = await serve(fx.root, "/a.txt", { range: "bytes=0-4" });
  assert.ok(one.kind === "file");
  assert.equal(one.status, 206);
  assert.equal(text(one.body), "hello");
  assert.deepEqual(fields(one).slice(0, 3), [
    "Content-type: text/plain",
    `Content-Range: bytes 0-4/${SMALL.length}`,
    "<length 5>",
  ]);
  const large = await serve(fx.root, "/big.txt", { range: "bytes=16-31" });
  assert.ok(large.kind === "file" && !(large.body instanceof Uint8Array));
  using file = large.body.file;
  const part = new Uint8Array(16);
  assert.equal(await file.read(part), 16);
  assert.equal(new TextDecoder().decode(part), "0123456789abcdef");
  const several = await serve(fx.root, "/a.txt", { range: "bytes=0-1,5-6" });
  assert.ok(several.kind === "file");
  assert.match(several.type, /^multipart\/byteranges; boundary=[0-9a-f]{32}$/);
  assert.equal(several.range, null);
  assert.equal(several.length, (several.body as Uint8Array).length);
  const none = await serve(fx.root, "/big.txt", { range: "bytes=999999-" });
  assert.deepEqual(none, {
    kind: "range-not-satisfiable",
    status: 416,
    size: LARGE.length,
  });
  assert.deepEqual(fields(none as Exclude<ServeResult, Listed>), [
    `Content-Range: bytes */${LARGE.length}`,
    "<length 0>",
  ]);
  // HEAD ignores ranges (RFC 9110 §14.2).
  const head = await serve(
    fx.root,
    "/a.txt",
    { range: "bytes=0-4" },
    {},
    "HEAD",
  );
  assert.ok(head.kind === "file" && head.status === 200);
});

Deno.test("codings: a precompressed sibling, gzip in memory, and gzip as sent of unknown length", async () => {
  await using fx = await fixture();
  const accept = { "accept-encoding": "gzip, br" };
  const br = await serve(fx.root, "/style.css", accept, {
    precompressed: true,
  });
  assert.ok(br.kind === "file");
  assert.equal(br.coding, "br");
  assert.equal(br.type, "text/css");
  assert.equal(text(br.body), "brotli bytes");
  const small = await serve(fx.root, "/a.txt", accept, { gzip: true });
  assert.ok(small.kind === "file" && small.body instanceof Uint8Array);
  assert.equal(small.coding, "gzip");
  assert.equal(small.length, small.body.length);
  const large = await serve(fx.root, "/big.txt", accept, { gzip: true });
  assert.ok(large.kind === "file" && large.length === null);
  using file = large.body.file;
  assert.equal(large.body.length, LARGE.length);
  assert.deepEqual(fields(large, { gzip: true }).slice(0, 3), [
    "Content-type: text/plain",
    "Content-Encoding: gzip",
    "<length null>",
  ]);
  assert.ok(file.statSync().isFile);
  // A GET with a Range gets no coding, and so its range.
  const ranged = await serve(
    fx.root,
    "/a.txt",
    { ...accept, range: "bytes=0-4" },
    { gzip: true },
  );
  assert.ok(ranged.kind === "file");
  assert.equal(ranged.coding, null);
  assert.equal(ranged.status, 206);
});

Deno.test("site rules in the core: a clean URL names its page, the .html name redirects, and what names nothing is the 404 page", async () => {
  await using fx = await fixture();
  await Deno.writeTextFile(`${fx.root}/about.html`, "<p>about</p>");
  await Deno.writeTextFile(`${fx.root}/missing.html`, "<p>gone</p>");
  const site = {
    cleanUrls: true,
    notFoundPage: `${fx.root}/missing.html`,
  };
  const about = await serve(fx.root, "/about", {}, site);
  assert.equal(about.kind, "file");
  if (about.kind === "file") assert.equal(text(about.body), "<p>about</p>");
  assert.deepEqual(await serve(fx.root, "/about.html?x=1", {}, site), {
    kind: "redirect",
    status: 301,
    location: "/about?x=1",
  });
  const missing = await serve(fx.root, "/nothing/here", {}, site);
  assert.equal(missing.kind, "not-found-page");
  if (missing.kind !== "not-found-page") return;
  assert.equal(missing.status, 404);
  assert.equal(text(missing.body), "<p>gone</p>");
  assert.deepEqual(fields(missing), [
    "Content-type: text/html",
    "<length 11>",
  ]);
  await rejects404(serve(fx.root, "/nothing/here", {}, { cleanUrls: true }));
});

Deno.test("live reload in the core: a page gets the script and a tag of its own length, only where the face holds event streams", async () => {
  await using fx = await fixture();
  const stopping = new AbortController();
  const live = (target: string, headers: Record<string, string> = {}) =>
    serveFile(
      request(target, headers),
      options(fx.root, { liveReload: true }),
      { ...hooks(fx.root), eventStreams: () => stopping.signal },
      new Sandbox(fx.root, () => {}),
    );
  const page = await live("/site/");
  assert.equal(page.kind, "file");
  if (page.kind !== "file") return;
  const body = text(page.body);
  const stamp =
    /^<p>site<\/p><script src="[^"]+" data-version="(\w+\.0)" defer><\/script>$/
      .exec(body);
  assert.ok(stamp !== null, body);
  assert.equal(page.length, body.length);
  const mtime = Deno.statSync(`${fx.root}/site/index.html`).mtime!.getTime();
  assert.equal(
    page.etag,
    weakETag(body.length, mtime).replace(/"$/, `-${stamp[1]}"`),
  );
  assert.equal(page.mtime, undefined, "no date: it cannot tell stamps apart");
  assert.equal(
    fields(page, { liveReload: true }).at(-1),
    "Cache-Control: no-cache",
  );
  const range = await live("/site/", { range: "bytes=0-2" });
  assert.ok(range.kind === "file" && text(range.body) === "<p>");
  const script = await live(CLIENT_PATH);
  assert.equal(script.kind, "live-script");
  const head = await serveFile(
    request(EVENTS_PATH, {}, "HEAD"),
    options(fx.root, { liveReload: true }),
    { ...hooks(fx.root), eventStreams: () => stopping.signal },
    new Sandbox(fx.root, () => {}),
  );
  assert.deepEqual(head, { kind: "events", status: 200, stream: null });
  // A face that holds no streams: no script, and the stream is 503.
  const plain = await serve(fx.root, "/site/", {}, { liveReload: true });
  assert.ok(plain.kind === "file" && text(plain.body) === "<p>site</p>");
  await assert.rejects(
    serve(fx.root, EVENTS_PATH, {}, { liveReload: true }),
    (error) => error instanceof HttpError && error.status === 503,
  );
  stopping.abort(); // the server's end: the watch the page started ends too
});
