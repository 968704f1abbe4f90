// Live reload over real sockets, without a browser: which responses get the
// script (HTML pages, whole) and which never do (a range, another type, a
// compressed sibling, a listing, an error page); the reserved paths; the
// event stream, its bound, its end when the client goes or the server shuts
// down; a folder that cannot be watched; on both faces, a change made
// between a page's load and its stream's opening still reloads the page, and
// a 304 never brings back an older stamp, and with accounts a change names to
// each stream only the paths its user may read. The browser's side is in
// livereload_browser_test.ts.
import assert from "node:assert/strict";
import { HTTPServer, SimpleHTTPRequestHandler } from "../../mod.ts";
import { scriptTag } from "../../files/live/inject.ts";
import {
  CLIENT_PATH,
  CLIENT_SCRIPT,
  EVENTS_PATH,
  WORKER_PATH,
  WORKER_SCRIPT,
} from "../../files/live/client.ts";
import { LiveReload, MAX_STREAMS } from "../../files/live/reload.ts";
import { BANNER, Cli } from "../support/cli_process.ts";
import { startFace } from "../support/faces.ts";
import {
  captureLogs,
  RawClient,
  serve,
  tempFolder,
  until,
  within,
} from "../support/helpers.ts";
import { ALICE, BOB, USERS } from "../support/accounts.ts";

class Live extends SimpleHTTPRequestHandler {
  override logMessage(): void {}
  override liveReload = true;
}

const PAGE = "<!doctype html><title>t</title><p>page</p></body></html>\n";
const BIG = `<p>${"x".repeat(100_000)}</p>\n</body>\n</html>\n`;

/** A folder of pages and other files; each test serves its own. */
async function fixture() {
  const site = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "livereload_test_" }),
  );
  const files: Record<string, string | Uint8Array> = {
    "index.html": PAGE,
    "big.html": BIG,
    "notes.txt": "not a page </body>\n",
    "app.js": "app()\n",
    "gz.html": PAGE,
    "gz.html.gz": new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
    "utf16.html": new Uint8Array([0xff, 0xfe, 0x3c, 0, 0x70, 0, 0x3e, 0]),
    "sub/a.txt": "a",
    "404.html": "<h1>Not here</h1></body>",
  };
  for (const [name, content] of Object.entries(files)) {
    const path = `${site}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
    // Long unchanged: sent with its validators (see `validatable`).
    await Deno.utime(path, 1_700_000_000, 1_700_000_000);
  }
  return {
    site,
    async [Symbol.asyncDispose]() {
      await Deno.remove(site, { recursive: true });
    },
  };
}

async function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method, headers, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The version stamped on a page sent (see `files/live/reload.ts`). */
function versionIn(text: string): string {
  const stamp = /<script src="[^"]*" data-version="([0-9a-f]+\.\d+)" defer>/
    .exec(text);
  assert.ok(stamp !== null, `no stamped script in ${text.slice(-200)}`);
  return stamp[1];
}

/** `page` with the tag of `version` before its last `</body>`. */
function withTag(page: string, version: string): string {
  const at = page.lastIndexOf("</body>");
  return page.slice(0, at) + scriptTag(version) + page.slice(at);
}

Deno.test("live reload: a page gets the script before </body>, with its length, its own ETag and no-cache", async () => {
  await using f = await fixture();
  await using live = serve(Live, { directory: f.site });
  class Plain extends Live {
    override liveReload = false;
  }
  await using plain = serve(Plain, { directory: f.site });
  const page = await get(`${live.url}/`);
  assert.equal(page.status, 200);
  const version = versionIn(page.text);
  assert.equal(page.text, withTag(PAGE, version));
  assert.equal(
    page.headers.get("content-length"),
    String(new TextEncoder().encode(withTag(PAGE, version)).length),
  );
  assert.equal(page.headers.get("cache-control"), "no-cache");
  const etag = page.headers.get("etag")!;
  const original = await get(`${plain.url}/`, {}, "HEAD");
  assert.notEqual(etag, original.headers.get("etag"));
  // HEAD says what GET sends; the page's ETag validates the page.
  const head = await get(`${live.url}/index.html`, {}, "HEAD");
  assert.equal(
    head.headers.get("content-length"),
    page.headers.get("content-length"),
  );
  assert.equal(head.headers.get("etag"), etag);
  assert.equal(
    (await get(`${live.url}/`, { "if-none-match": etag })).status,
    304,
  );
});

Deno.test("live reload: a page saved again within the second it was loaded in is sent anew when reloaded, not a 304", async () => {
  await using f = await fixture();
  await using s = serve(Live, { directory: f.site });
  const path = `${f.site}/index.html`;
  const second = new Date(Math.floor(Date.now() / 1000) * 1000);
  await Deno.utime(path, second, second);
  const page = await get(`${s.url}/`);
  // The same size, in the same second. A browser revalidates a page sent
  // over HTTP/1.0 by its date alone (Chromium ignores the tag).
  const edited = PAGE.replace("page", "edit");
  await Deno.writeTextFile(path, edited);
  await Deno.utime(path, second, new Date(second.getTime() + 1));
  const lastModified = page.headers.get("last-modified");
  const reloaded = await get(
    `${s.url}/`,
    lastModified === null ? {} : { "if-modified-since": lastModified },
  );
  assert.equal(reloaded.status, 200);
  assert.equal(reloaded.text, withTag(edited, versionIn(reloaded.text)));
});

Deno.test("live reload: a page too large to hold is sent from its file with the script", async () => {
  await using f = await fixture();
  await using s = serve(Live, { directory: f.site });
  const page = await get(`${s.url}/big.html`);
  const tagged = withTag(BIG, versionIn(page.text));
  assert.equal(page.text, tagged);
  assert.equal(page.headers.get("content-length"), String(tagged.length));
  const head = await get(`${s.url}/big.html`, {}, "HEAD");
  assert.equal(head.headers.get("content-length"), String(tagged.length));
});

Deno.test("live reload: never into a range, another type, a compressed sibling, a listing, an error page or UTF-16", async () => {
  await using f = await fixture();
  class Gzip extends Live {
    override precompressed = true;
    override gzip = true;
  }
  await using s = serve(Gzip, { directory: f.site });
  const range = await get(`${s.url}/index.html`, { range: "bytes=0-14" });
  assert.equal(range.status, 206);
  assert.equal(range.text, PAGE.slice(0, 15));
  const whole = await get(`${s.url}/index.html`, { range: "bytes=0-" });
  assert.equal(whole.text, PAGE, "a range of it all is still the file's");
  assert.equal((await get(`${s.url}/notes.txt`)).text, "not a page </body>\n");
  assert.equal((await get(`${s.url}/app.js`)).text, "app()\n");
  // A browser accepts gzip: the page comes without its sibling, with the tag.
  const gz = await get(`${s.url}/gz.html`, { "accept-encoding": "gzip" });
  assert.equal(gz.headers.get("content-encoding"), null);
  assert.equal(gz.text, withTag(PAGE, versionIn(gz.text)));
  const listing = await get(`${s.url}/sub/`);
  assert.match(listing.text, /a\.txt/);
  assert.doesNotMatch(listing.text, /live-reload/);
  const missing = await get(`${s.url}/missing.html`);
  assert.equal(missing.status, 404);
  assert.doesNotMatch(missing.text, /live-reload/);
  const utf16 = await fetch(`${s.url}/utf16.html`);
  assert.deepEqual(
    new Uint8Array(await utf16.arrayBuffer()),
    new Uint8Array([0xff, 0xfe, 0x3c, 0, 0x70, 0, 0x3e, 0]),
  );
});

Deno.test("live reload: the 404 page is a page of the site, and gets the script", async () => {
  await using f = await fixture();
  class Page extends Live {
    override notFoundPage = `${f.site}/404.html`;
  }
  await using s = serve(Page, { directory: f.site });
  const missing = await get(`${s.url}/missing`);
  assert.equal(missing.status, 404);
  assert.equal(
    missing.text,
    withTag("<h1>Not here</h1></body>", versionIn(missing.text)),
  );
});

Deno.test("live reload: the scripts are served from the reserved paths; off by default they are not", async () => {
  await using f = await fixture();
  await using s = serve(Live, { directory: f.site });
  for (
    const [path, script] of [[CLIENT_PATH, CLIENT_SCRIPT], [
      WORKER_PATH,
      WORKER_SCRIPT,
    ]]
  ) {
    const response = await get(`${s.url}${path}?v=1`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "text/javascript; charset=utf-8",
    );
    assert.equal(response.text, script);
  }
  const head = await get(`${s.url}${EVENTS_PATH}`, {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-type"), "text/event-stream");
  class Off extends Live {
    override liveReload = false;
  }
  await using off = serve(Off, { directory: f.site });
  for (const path of [CLIENT_PATH, WORKER_PATH, EVENTS_PATH]) {
    assert.equal((await get(`${off.url}${path}`)).status, 404, path);
  }
  assert.equal((await get(`${off.url}/`)).text, PAGE);
});

/** Opens the event stream on a raw connection and reads its head. */
async function openStream(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.send(`GET ${EVENTS_PATH} HTTP/1.1\r\nHost: t\r\n\r\n`);
  await within(
    client.readUntil(/retry: 1000\n\n/),
    5_000,
    "the stream's start",
  );
  return client;
}

Deno.test("live reload: a change reaches the stream; shutting down ends it at once", async () => {
  await using f = await fixture();
  await using s = serve(Live, { directory: f.site, shutdownTimeout: 30_000 });
  using client = await openStream(s.port);
  const head = await client.readUntil(/^[^]*?\r\n\r\n/);
  assert.match(head[0], /^HTTP\/1\.0 200 OK\r\n/);
  assert.match(head[0], /\r\nContent-type: text\/event-stream\r\n/);
  assert.match(head[0], /\r\nCache-Control: no-store\r\n/);
  assert.doesNotMatch(head[0], /Content-Length/i);
  await Deno.writeTextFile(`${f.site}/index.html`, PAGE + "<!-- 2 -->");
  await within(
    client.readUntil(
      /event: reload\nid: \w+\.1\ndata: \["\/index\.html"\]\n\n/,
    ),
    5_000,
    "the change",
  );
  const started = performance.now();
  await within(s.server.shutdown(), 5_000, "the shutdown");
  assert.ok(performance.now() - started < 5_000);
  await within(client.readAll(), 5_000, "the close");
});

Deno.test(`live reload: at most ${MAX_STREAMS} streams; one whose client left frees its place; the watch ends with the server`, async () => {
  await using f = await fixture();
  let closes = 0;
  LiveReload.of(f.site, (path) => {
    const watcher = Deno.watchFs(path, { recursive: true });
    const close = watcher.close.bind(watcher);
    watcher.close = () => {
      closes++;
      close();
    };
    return watcher;
  });
  const { Handler, lines } = captureLogs(Live);
  await using s = serve(Handler, { directory: f.site });
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < MAX_STREAMS; i++) {
      clients.push(await openStream(s.port));
    }
    using refused = await RawClient.connect(s.port);
    await refused.send(`GET ${EVENTS_PATH} HTTP/1.0\r\n\r\n`);
    const response = await refused.readResponse();
    assert.equal(response.status, 503);
    assert.match(response.text, /32 event streams are open already/);
    // A tab closed: its place is free at once, not at the next change.
    clients.pop()!.close();
    clients.push(
      await within(openStream(s.port), 5_000, "a stream in the freed place"),
    );
    for (const client of clients.splice(0)) client.close();
    const live = LiveReload.of(f.site);
    await until(() => live.streams === 0 || undefined, "the streams' end");
    assert.equal(closes, 0, "the watch outlives the streams for a while");
    await within(s.server.shutdown(), 5_000, "the shutdown");
    await until(() => closes === 1 ? true : undefined, "the watch's end");
  } finally {
    for (const client of clients) client.close();
  }
  assert.ok(
    lines.some((line) =>
      line.includes('"GET /.well-known/httpserver/live-reload HTTP/1.0" 503')
    ),
  );
});

Deno.test("live reload: a folder that cannot be watched is said once, at its first page; its pages are served without the script", async () => {
  await using f = await fixture();
  LiveReload.of(f.site, () => {
    throw new Error("OS file watch limit reached. (os error 28)");
  });
  const { Handler, lines } = captureLogs(Live);
  await using s = serve(Handler, { directory: f.site });
  assert.equal((await get(`${s.url}/`)).text, PAGE, "known at the first page");
  for (let i = 0; i < 2; i++) {
    const stream = await get(`${s.url}${EVENTS_PATH}`);
    assert.equal(stream.status, 503);
    assert.match(
      stream.text,
      /live reload is off: OS file watch limit reached/,
    );
  }
  assert.equal((await get(`${s.url}/`)).text, PAGE);
  const said = lines.filter((line) => line.startsWith("cannot watch"));
  assert.deepEqual(said, [
    `cannot watch '${f.site}' for live reload (OS file watch limit reached.): serving without it`,
  ]);
});

Deno.test("live reload needs a ThreadingHTTPServer: under HTTPServer, which a stream would hold, pages get no script", async () => {
  await using f = await fixture();
  await using s = serve(Live, { directory: f.site }, HTTPServer);
  assert.equal((await get(`${s.url}/`)).text, PAGE);
  const stream = await get(`${s.url}${EVENTS_PATH}`);
  assert.equal(stream.status, 503);
  assert.match(stream.text, /HTTPServer serves one connection at a time/);
  assert.equal((await get(`${s.url}/`)).status, 200, "still serving");
});

Deno.test("CLI: --live-reload says so in the banner, serves pages with the script, and stops at once on SIGTERM", async () => {
  await using f = await fixture();
  await using cli = new Cli(
    ["--allow-net=127.0.0.1", `--allow-read=${f.site}`],
    ["0", "-b", "127.0.0.1", "-d", f.site, "--live-reload"],
  );
  const banner = await cli.waitFor(BANNER);
  await cli.waitFor(/Live reload: .*\n/);
  assert.match(
    cli.out,
    new RegExp(
      `Live reload: pages reload when a file in '${f.site}' changes \\(their script: /\\.well-known/httpserver/live-reload\\.js\\)`,
    ),
  );
  const port = Number(banner![2]);
  const page = await get(`http://127.0.0.1:${port}/`);
  assert.equal(page.text, withTag(PAGE, versionIn(page.text)));
  using client = await openStream(port);
  cli.kill("SIGTERM");
  const { code } = await within(cli.finish(), 5_000, "the exit");
  assert.equal(code, 0);
  await within(client.readAll(), 5_000, "the close");
});

Deno.test("CLI: --live-reload on a folder that cannot be watched says so in the banner and serves on", async () => {
  await using f = await fixture();
  await using cli = new Cli(
    ["--allow-net=127.0.0.1", `--allow-read=${f.site}`],
    ["0", "-b", "127.0.0.1", "-d", f.site, "--live-reload"],
    {
      module: new URL("../support/nowatch_fixture.ts", import.meta.url)
        .pathname,
    },
  );
  const banner = await cli.waitFor(BANNER);
  await cli.waitFor(/Live reload off: .*\n/);
  assert.match(
    cli.out,
    new RegExp(
      `\nLive reload off: cannot watch '${f.site}' \\(OS file watch limit reached\\.\\): serving without it\n`,
    ),
  );
  const url = `http://127.0.0.1:${banner![2]}`;
  assert.equal((await get(`${url}/`)).text, PAGE);
  assert.equal((await get(`${url}${EVENTS_PATH}`)).status, 503);
  cli.kill("SIGTERM");
  const { code, stderr } = await cli.finish();
  assert.equal(code, 0);
  assert.doesNotMatch(stderr, /cannot watch/, "said once, in the banner");
});

/** One event of a stream, as a browser's `EventSource` dispatches it. */
interface ServerEvent {
  event: string;
  /** The stream's last id so far: the event's `lastEventId`. */
  id: string;
  data: string;
}

/** An event stream read over `fetch` as a browser's `EventSource` reads it. */
class Events implements AsyncDisposable {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #text = "";
  #id = "";

  private constructor(reader: ReadableStreamDefaultReader<string>) {
    this.#reader = reader;
  }

  /** Opens the stream of the server on `port`, with `headers`. */
  static async open(
    port: number,
    headers: Record<string, string> = {},
  ): Promise<Events> {
    const response = await fetch(`http://127.0.0.1:${port}${EVENTS_PATH}`, {
      headers,
    });
    assert.equal(response.status, 200);
    return new Events(
      response.body!.pipeThrough(new TextDecoderStream()).getReader(),
    );
  }

  /** The next event dispatched (a block without data, `retry:`, is none). */
  async next(): Promise<ServerEvent> {
    for (;;) {
      const end = this.#text.indexOf("\n\n");
      if (end < 0) {
        const { value, done } = await within(
          this.#reader.read(),
          5_000,
          "an event",
        );
        if (done) throw new Error("the stream ended");
        this.#text += value;
        continue;
      }
      const block = this.#text.slice(0, end);
      this.#text = this.#text.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        const [field, value] = line.split(/: ?(.*)/s, 2);
        if (field === "event") event = value;
        else if (field === "id") this.#id = value;
        else if (field === "data") data.push(value);
      }
      if (data.length > 0) {
        return { event, id: this.#id, data: data.join("\n") };
      }
    }
  }

  /** The next event named `name`, those before it passed over. */
  async nextOf(name: string): Promise<ServerEvent> {
    for (;;) {
      const event = await this.next();
      if (event.event === name) return event;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel();
  }
}

/**
 * What the page script does with its stream (see `files/live/client.ts`):
 * reads it until the page reloads, for a change, or for a version of its
 * watch past its own stamp (a change it missed); says which.
 */
async function reloadOf(page: string, events: Events): Promise<string> {
  const stamp = /data-version="(\w+)\.(\d+)"/.exec(page);
  for (;;) {
    const { event, data } = await events.next();
    if (event === "reload") return "a change";
    const [watch, count] = data.split(".");
    if (
      event === "version" && stamp !== null && watch === stamp[1] &&
      Number(count) > Number(stamp[2])
    ) {
      return "a missed change";
    }
  }
}

/** The fixture's page edited: the `n`th version. */
function edit(n: number): string {
  return PAGE.replace("page", `page ${n}`);
}

for (const face of ["python", "fetch"] as const) {
  Deno.test(`live reload (${face} face): a change told to the stream a reloading tab is leaving still reloads the page it loaded`, async () => {
    await using f = await fixture();
    await using s = startFace(face, f.site, ["--live-reload"]);
    const live = LiveReload.of(f.site);
    const url = `http://127.0.0.1:${s.port}`;
    let page: string;
    {
      // The tab's stream, as its shared worker holds it.
      await using leaving = await Events.open(s.port);
      await until(() => live.streams === 1 || undefined, "the stream");
      await Deno.writeTextFile(`${f.site}/index.html`, edit(2));
      await leaving.nextOf("reload");
      // The tab reloads; its worker ends only after the page is answered,
      // so the next change goes to the stream that is leaving.
      page = (await get(`${url}/`)).text;
      assert.match(page, /page 2/);
      await Deno.writeTextFile(`${f.site}/index.html`, edit(3));
      await leaving.nextOf("reload");
    }
    await until(() => live.streams === 0 || undefined, "the stream's end");
    await using fresh = await Events.open(s.port);
    assert.equal(await reloadOf(page, fresh), "a missed change");
    assert.match((await get(`${url}/`)).text, /page 3/);
  });

  Deno.test(`live reload (${face} face): a change made after the last stream closed, before the page's own opens, reloads the page`, async () => {
    await using f = await fixture();
    await using s = startFace(face, f.site, ["--live-reload"]);
    const live = LiveReload.of(f.site);
    const url = `http://127.0.0.1:${s.port}`;
    {
      await using _leaving = await Events.open(s.port);
      await until(() => live.streams === 1 || undefined, "the stream");
    }
    const page = (await get(`${url}/`)).text;
    await until(() => live.streams === 0 || undefined, "the stream's end");
    await Deno.writeTextFile(`${f.site}/index.html`, edit(2));
    await using fresh = await Events.open(s.port);
    assert.match(await reloadOf(page, fresh), /change/);
    assert.match((await get(`${url}/`)).text, /page 2/);
  });

  Deno.test(`live reload (${face} face): a change made between a first page's load and its stream's opening reloads the page`, async () => {
    await using f = await fixture();
    await using s = startFace(face, f.site, ["--live-reload"]);
    const url = `http://127.0.0.1:${s.port}`;
    const page = (await get(`${url}/`)).text;
    await Deno.writeTextFile(`${f.site}/index.html`, edit(2));
    await using events = await Events.open(s.port);
    assert.match(await reloadOf(page, events), /change/);
    assert.match((await get(`${url}/`)).text, /page 2/);
  });

  Deno.test(`live reload (${face} face): a page revalidated after a change is sent anew with its new stamp, never a 304 of the old one`, async () => {
    await using f = await fixture();
    await using s = startFace(face, f.site, ["--live-reload"]);
    const url = `http://127.0.0.1:${s.port}`;
    const first = await get(`${url}/`);
    const etag = first.headers.get("etag")!;
    assert.match(etag, new RegExp(`-${versionIn(first.text)}"$`));
    assert.equal(
      first.headers.get("last-modified"),
      null,
      "a date is no stamp",
    );
    assert.equal((await get(`${url}/`, { "if-none-match": etag })).status, 304);
    await using events = await Events.open(s.port);
    // Another file: the page's own bytes and times stay as they were.
    await Deno.writeTextFile(`${f.site}/app.js`, "app(2)\n");
    const { id } = await events.nextOf("reload");
    const again = await get(`${url}/`, { "if-none-match": etag });
    assert.equal(again.status, 200);
    assert.equal(versionIn(again.text), id);
    assert.equal(again.text, withTag(PAGE, id));
  });
}

for (const face of ["python", "fetch"] as const) {
  Deno.test(`live reload (${face} face): a change names to each stream only the paths its user may read`, async () => {
    await using f = await fixture();
    await using accounts = await tempFolder("livereload_test_", {
      users: USERS,
    });
    await Deno.mkdir(`${f.site}/private`);
    await using s = startFace(face, f.site, [
      "--live-reload",
      "--auth-file",
      `${accounts.root}/users`,
      "--access",
      "/:*=ro",
      "--access",
      "/private:alice=rw",
    ]);
    const live = LiveReload.of(f.site);
    await using anyone = await Events.open(s.port);
    await using bob = await Events.open(s.port, BOB);
    await using alice = await Events.open(s.port, ALICE);
    await until(() => live.streams === 3 || undefined, "the streams");
    await Deno.writeTextFile(`${f.site}/private/plan.css`, "p {}\n");
    await Deno.writeTextFile(`${f.site}/site.css`, "b {}\n");
    /** The paths a stream is told until it has been told of `wanted`. */
    const told = async (events: Events, wanted: string[]) => {
      const paths = new Set<string>();
      while (!wanted.every((path) => paths.has(path))) {
        const { event, data } = await events.next();
        if (event !== "version") {
          for (const path of JSON.parse(data)) paths.add(path);
        }
      }
      return [...paths].sort();
    };
    assert.deepEqual(await told(anyone, ["/site.css"]), ["/site.css"]);
    assert.deepEqual(await told(bob, ["/site.css"]), ["/site.css"]);
    assert.deepEqual(
      await told(alice, ["/private/plan.css", "/site.css"]),
      ["/private/plan.css", "/site.css"],
    );
  });
}
