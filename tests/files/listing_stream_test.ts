/**
 * Tests of listings sent as they are made: the bytes on the wire are the
 * page made whole (CPython's for Python's page) whatever the chunking, the
 * `Content-Length` frames them exactly, a client that stops reading holds up
 * no one and is handed one chunk at a time, and making a large page leaves
 * the event loop to others between chunks.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { SimpleHTTPRequestHandler } from "../../mod.ts";
import {
  type ListingEntry,
  renderListing,
} from "../../files/listing/python.ts";
import { renderJsonListing } from "../../files/listing/json.ts";
import {
  pageBytes,
  type PageText,
  wholeText,
  writePage,
} from "../../files/listing/page.ts";
import { renderPrettyListing } from "../../files/listing/pretty.ts";
import { Deadline } from "../../server/deadline.ts";
import { BufferedWriter } from "../../http/writer.ts";
import { RawClient, serve, tempFolder } from "../support/helpers.ts";
import { PY_LISTING_HANDLER, runPython } from "../support/python.ts";

class Quiet extends SimpleHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
  override logMessage(): void {}
}

class QuietPretty extends Quiet {
  override prettyListing = true;
}

class QuietNoHidden extends Quiet {
  override showHidden = false;
}

/** A name of `i` with characters of 1 to 4 bytes and markup to escape. */
function wideName(i: number): string {
  return `${String(i).padStart(4, "0")} é 名前 \u{1F600} a&b <c> %.txt`;
}

/** The folders of the table, by name: files, folders and symlinks. */
const FOLDERS: Record<
  string,
  { files: string[]; dirs?: string[]; links?: [string, string][] }
> = {
  empty: { files: [] },
  one: { files: ["only.txt"] },
  odd: {
    files: [
      "a&b.txt",
      "<script>alert(1)&lt;.html",
      `"quoted" 'single'.txt`,
      "100%.txt",
      "with space.txt",
      "ünïcödé.txt",
      "\u{1F600}-emoji.txt",
      "\uff21-fullwidth.txt",
      "B-upper.txt",
      "b-lower.txt",
      "new\nline",
      ".hidden",
      "ZZZ",
      "zzz",
    ],
    dirs: ["subfolder", "<dir>&"],
    links: [
      ["link-to-file", "a&b.txt"],
      ["link-to-dir", "subfolder"],
      ["broken-link", "nowhere"],
    ],
  },
  thousands: {
    files: Array.from({ length: 3000 }, (_, i) => wideName(i)),
    dirs: ["a dir", "Z dir", ".dotdir"],
  },
  "thousands-links": {
    files: Array.from({ length: 2000 }, (_, i) => `file-${i}.txt`),
    dirs: ["target"],
    links: Array.from(
      { length: 20 },
      (_, i) => [`link-${i}`, i % 2 ? "target" : "file-1.txt"],
    ),
  },
};

/** Makes the table's folders, and `probe.txt`, under a new root. */
async function tableRoot() {
  const made = await tempFolder("listing_stream_test_", {
    "probe.txt": "probe\n",
  });
  const { root } = made;
  for (
    const [folder, { files, dirs = [], links = [] }] of Object.entries(FOLDERS)
  ) {
    const dir = `${root}/${folder}`;
    await Deno.mkdir(dir);
    for (const name of files) await Deno.writeTextFile(`${dir}/${name}`, name);
    for (const name of dirs) await Deno.mkdir(`${dir}/${name}`);
    for (const [name, target] of links) {
      await Deno.symlink(target, `${dir}/${name}`);
    }
  }
  return made;
}

/** A folder of `count` empty files with long names, and `small.txt` beside. */
async function bigRoot(count: number) {
  const made = await tempFolder("listing_stream_big_");
  const { root } = made;
  await Deno.mkdir(`${root}/big`);
  for (let i = 0; i < count; i++) {
    const name = `entry-${String(i).padStart(5, "0")}-${"x".repeat(40)}.txt`;
    Deno.writeFileSync(`${root}/big/${name}`, new Uint8Array(0));
  }
  await Deno.writeTextFile(`${root}/small.txt`, "abc");
  return made;
}

/** The entries of `dir` as the server sees them, each with its `stat`. */
async function entriesOf(dir: string): Promise<ListingEntry[]> {
  const entries: ListingEntry[] = [];
  for await (const entry of Deno.readDir(dir)) {
    let info: Deno.FileInfo | null = null;
    try {
      info = await Deno.stat(`${dir}/${entry.name}`);
    } catch {
      // A broken symlink: no stat.
    }
    entries.push({
      name: entry.name,
      isDirectory: entry.isSymlink
        ? info?.isDirectory ?? false
        : entry.isDirectory,
      isSymlink: entry.isSymlink,
      info,
    });
  }
  return entries;
}

const PY_PAGES = `
import base64, json, sys
${PY_LISTING_HANDLER}
handler = Handler()
pages = []
for folder, path in json.load(sys.stdin):
    handler.path = path
    pages.append(base64.b64encode(handler.list_directory(folder).read()).decode())
json.dump(pages, sys.stdout)
`;

/**
 * Sends `method path` on `client` and reads the response, then a GET of
 * `/probe.txt` on the same connection: a body longer or shorter than its
 * `Content-Length` would break that second response.
 */
async function exchangeFramed(
  client: RawClient,
  method: "GET" | "HEAD",
  path: string,
) {
  await client.send(`${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const response = await client.readResponse(method === "HEAD");
  await client.send("GET /probe.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  const probe = await client.readResponse();
  assert.equal(probe.status, 200, `${method} ${path}: framing`);
  assert.equal(probe.text, "probe\n", `${method} ${path}: framing`);
  return response;
}

Deno.test("a listing sent in chunks is CPython's page, framed by its Content-Length; HEAD sends its headers alone", async () => {
  await using fixture = await tableRoot();
  await using server = serve(Quiet, { directory: fixture.root });
  using client = await RawClient.connect(server.port);
  const requests: [string, string][] = [];
  for (const folder of Object.keys(FOLDERS)) {
    for (const path of [`/${folder}/`, `/${folder}/?q=%C3%A9&x=<1>`]) {
      requests.push([`${fixture.root}/${folder}`, path]);
    }
  }
  const pages = await runPython(PY_PAGES, requests) as string[];
  for (const [i, [, path]] of requests.entries()) {
    const expected = new Uint8Array(Buffer.from(pages[i], "base64"));
    const get = await exchangeFramed(client, "GET", path);
    assert.equal(get.status, 200, path);
    assert.equal(get.headers.get("content-length"), String(expected.length));
    assert.deepEqual(get.body, expected, path);
    const head = await exchangeFramed(client, "HEAD", path);
    assert.equal(head.status, 200, path);
    assert.equal(head.body.length, 0);
    assert.deepEqual(
      [...head.headers].filter(([name]) => name !== "date"),
      [...get.headers].filter(([name]) => name !== "date"),
      path,
    );
  }
  // The large pages were streamed: above one chunk, with a query (never
  // kept) or symlinks.
  const large = await exchangeFramed(client, "GET", "/thousands/?q");
  assert.ok(large.body.length > 4 * 64 * 1024);
});

Deno.test("JSON and the pretty page sent in chunks are the pages made whole, dotfiles left out or not", async () => {
  await using fixture = await tableRoot();
  await using plain = serve(Quiet, { directory: fixture.root });
  await using pretty = serve(QuietPretty, { directory: fixture.root });
  await using noHidden = serve(QuietNoHidden, { directory: fixture.root });
  using plainClient = await RawClient.connect(plain.port);
  using prettyClient = await RawClient.connect(pretty.port);
  using noHiddenClient = await RawClient.connect(noHidden.port);
  for (const folder of Object.keys(FOLDERS)) {
    const entries = await entriesOf(`${fixture.root}/${folder}`);
    const visible = entries.filter(({ name }) => !name.startsWith("."));
    const json = `/${folder}/?format=json`;
    const cases: [RawClient, string, Uint8Array][] = [
      [plainClient, json, renderJsonListing(entries)],
      [noHiddenClient, json, renderJsonListing(visible)],
      [
        noHiddenClient,
        `/${folder}/?q`,
        renderListing(`/${folder}/?q`, visible).body,
      ],
    ];
    for (
      const query of ["", "?sort=size&order=desc", "?sort=name&order=desc"]
    ) {
      const path = `/${folder}/${query}`;
      cases.push([prettyClient, path, renderPrettyListing(path, entries)]);
    }
    for (const [client, path, expected] of cases) {
      const response = await exchangeFramed(client, "GET", path);
      assert.equal(response.status, 200, path);
      assert.equal(
        response.headers.get("content-length"),
        String(expected.length),
      );
      assert.deepEqual(response.body, expected, path);
    }
  }
});

/** A connection that keeps every write. */
class Sink {
  chunks: Uint8Array[] = [];
  write(p: Uint8Array): Promise<number> {
    this.chunks.push(p.slice());
    return Promise.resolve(p.length);
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

Deno.test("a page is encoded alike whole and a chunk at a time, wherever a chunk ends", async () => {
  const texts: Record<string, string[]> = {
    empty: [],
    "empty pieces": ["", "", ""],
    ascii: Array.from({ length: 5000 }, (_, i) => `<li>row ${i}</li>\n`),
    // 3-byte characters: chunk ends fall between characters, never inside.
    "three bytes": Array.from({ length: 9000 }, (_, i) => `名前${i}é\n`),
    "one large piece": ["x".repeat(150_000) + "é".repeat(70_000)],
    "surrogate pairs": Array.from({ length: 30_000 }, () => "a\u{1F600}"),
    // Encoded as U+FFFD, 3 bytes each.
    "lone surrogates": ["\ud800x\udc00", "\udbff", "y".repeat(70_000)],
  };
  const encoder = new TextEncoder();
  // More pages at once than the pool holds buffers: some get smaller ones.
  await Promise.all(
    Object.entries(texts).flatMap(([name, pieces]) =>
      Array.from({ length: 6 }, async () => {
        const expected = encoder.encode(pieces.join(""));
        const page: PageText = wholeText(pieces);
        assert.equal(page.length, expected.length, name);
        assert.deepEqual(pageBytes(page), expected, name);
        const sink = new Sink();
        const out = new BufferedWriter(sink, new Deadline(() => {}), 0);
        assert.equal(await writePage(page, out), expected.length, name);
        await out.flush();
        assert.deepEqual(sink.bytes(), expected, name);
      })
    ),
  );
});

/**
 * A handler that records, for the listing of `/big/`, each write handed to
 * the connection and the value of `ticks()` then.
 */
function watching(ticks: () => number) {
  const writes: { bytes: number; tick: number }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  class Watching extends Quiet {
    override async do_GET(): Promise<void> {
      if (this.path.startsWith("/big/")) {
        const conn = this.wfile.conn as Deno.Conn;
        const write = conn.write.bind(conn);
        conn.write = (p: Uint8Array) => {
          writes.push({ bytes: p.length, tick: ticks() });
          for (const waiter of waiters) {
            if (writes.length >= waiter.count) waiter.resolve();
          }
          return write(p);
        };
      }
      await super.do_GET();
    }
  }
  return {
    Handler: Watching,
    writes,
    /** Resolves once `count` writes were handed to the connection. */
    handed: (count: number) =>
      new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

Deno.test("a client that stops reading a 50,000-entry listing holds up no one, and is handed one chunk at a time", async () => {
  await using fixture = await bigRoot(50_000);
  const watch = watching(() => 0);
  await using server = serve(watch.Handler, { directory: fixture.root });
  using stalled = await RawClient.connect(server.port);
  await stalled.send("GET /big/?q HTTP/1.1\r\nHost: x\r\n\r\n");
  // The head, then two chunks: the socket takes that much however small
  // its buffers; the client has read nothing.
  await watch.handed(3);
  const small = await fetch(`${server.url}/small.txt`);
  assert.equal(await small.text(), "abc");
  const largest = Math.max(...watch.writes.map(({ bytes }) => bytes));
  assert.ok(largest <= 64 * 1024, `a write of ${largest} bytes`);
  // Read at last, it is the whole page, as its Content-Length says.
  const response = await stalled.readResponse();
  const expected = renderListing(
    "/big/?q",
    await entriesOf(`${fixture.root}/big`),
  ).body;
  assert.equal(response.headers.get("content-length"), String(expected.length));
  assert.deepEqual(response.body, expected);
});

Deno.test("a large listing is made over several turns of the event loop: timers run between its chunks", async () => {
  await using fixture = await bigRoot(20_000);
  let ticks = 0;
  let ticking = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    ticks++;
    if (ticking) timer = setTimeout(tick, 0);
  };
  const watch = watching(() => ticks);
  await using server = serve(watch.Handler, { directory: fixture.root });
  try {
    tick();
    const response = await fetch(`${server.url}/big/?q`);
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal(response.headers.get("content-length"), String(body.length));
  } finally {
    ticking = false;
    clearTimeout(timer);
  }
  const body = watch.writes.filter(({ bytes }) => bytes > 1024);
  assert.ok(body.length > 1, `${body.length} writes of the page`);
  assert.ok(body.at(-1)!.tick > body[0].tick, "no timer ran in between");
});

Deno.test("a subclass that overrides listDirectory answers folders with the page it returns", async () => {
  await using fixture = await tableRoot();
  const paths: string[] = [];
  class Counting extends Quiet {
    override async listDirectory(path: string): Promise<Uint8Array> {
      paths.push(path);
      return await super.listDirectory(path);
    }
  }
  await using server = serve(Counting, { directory: fixture.root });
  using client = await RawClient.connect(server.port);
  const path = "/thousands/?q";
  const response = await exchangeFramed(client, "GET", path);
  const expected = renderListing(
    path,
    await entriesOf(`${fixture.root}/thousands`),
  ).body;
  assert.deepEqual(response.body, expected);
  assert.deepEqual(paths, [`${fixture.root}/thousands/`]);
});
