// The serving options of SimpleHTTPRequestHandler over real sockets: --spa,
// --no-listing, --no-hidden, JSON listings and the pretty page, each with its
// default (Python's behaviour) checked unchanged, and the CLI flags.
import assert from "node:assert/strict";
import { parseCliArgs } from "../../cli/args.ts";
import { renderListing } from "../../files/listing/python.ts";
import { Cli, run, withFolder } from "../support/cli_process.ts";
import { Quiet, serve, tempFolder } from "../support/helpers.ts";

const MTIME_S = 1_700_000_000;
/** A name that is markup, with both quotes and an ampersand (no slash). */
const ODD = `<img src=x onerror="alert('x')">&.txt`;

/**
 * A served root: an app page, `sub/` without an index (files, a folder,
 * dotfiles, an odd name) and dotfiles at the top.
 */
async function fixture() {
  const files: Record<string, string> = {
    "index.html": "<p>app</p>\n",
    "app.js": "console.log(1);\n",
    ".env": "SECRET=1\n",
    ".git/config": "[core]\n",
    "sub/a.txt": "aaa",
    "sub/big.bin": "b".repeat(2000),
    "sub/.hidden": "h",
    [`sub/${ODD}`]: "odd",
    "sub/Z dir/inner.txt": "inner",
    "sub/.dotdir/x": "x",
    "withindex/index.html": "<p>index</p>\n",
  };
  return await tempFolder("listing_options_test_", files, MTIME_S);
}

/** A GET (or `method`) with `fetch`; the body is always read. */
async function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method, headers, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The header names of a response, but Date and Server, in order. */
function headerNames(headers: Headers): string[] {
  return [...headers.keys()].filter((name) => !/^(date|server)$/.test(name));
}

// --- Defaults: Python's behaviour, unchanged ---

Deno.test("by default a listing is Python's page, with Python's headers and no form", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const res = await get(`${s.url}/sub/`);
  assert.equal(res.status, 200);
  const entries = [...Deno.readDirSync(`${fx.root}/sub`)].map((e) => ({
    name: e.name,
    isDirectory: e.isDirectory,
    isSymlink: e.isSymlink,
  }));
  const expected = new TextDecoder().decode(
    renderListing("/sub/", entries).body,
  );
  assert.equal(res.text, expected);
  assert.deepEqual(headerNames(res.headers), [
    "content-length",
    "content-type",
  ]);
  assert.ok(!res.text.includes("<form"));
});

Deno.test("by default dotfiles are served and listed, as Python does", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  assert.equal((await get(`${s.url}/.env`)).text, "SECRET=1\n");
  assert.equal((await get(`${s.url}/.git/config`)).status, 200);
  const page = (await get(`${s.url}/sub/`)).text;
  assert.ok(page.includes('href=".hidden"'));
  assert.ok(page.includes('href=".dotdir/"'));
});

Deno.test("by default a missing path is 404 and PUT and POST are 501, as in Python", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const missing = await get(`${s.url}/some/route`);
  assert.equal(missing.status, 404);
  assert.match(missing.text, /File not found/);
  for (const method of ["PUT", "POST"]) {
    const res = await fetch(`${s.url}/new.txt`, { method, body: "x" });
    assert.equal(res.status, 501);
    assert.match(
      await res.text(),
      new RegExp(`Unsupported method \\('${method}'\\)`),
    );
  }
  assert.equal(await Deno.stat(`${fx.root}/new.txt`).catch(() => null), null);
});

// --- --spa ---

class Spa extends Quiet {
  override spa = true;
}

Deno.test("spa: a missing path gets /index.html; files and folders are served as ever", async () => {
  await using fx = await fixture();
  await using s = serve(Spa, { directory: fx.root });
  for (const route of ["/some/route", "/users/42/", "/missing.js", "/a?x=1"]) {
    const res = await get(s.url + route);
    assert.equal(res.status, 200, route);
    assert.equal(res.text, "<p>app</p>\n", route);
    assert.match(res.headers.get("content-type")!, /^text\/html/);
  }
  assert.equal((await get(`${s.url}/app.js`)).text, "console.log(1);\n");
  assert.equal((await get(`${s.url}/withindex/`)).text, "<p>index</p>\n");
  assert.match((await get(`${s.url}/sub/`)).text, /Directory listing for/);
  assert.equal((await get(`${s.url}/sub`)).status, 301);
  const head = await get(`${s.url}/route`, {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "11");
});

Deno.test("spa: without an /index.html a missing path is still 404", async () => {
  await using fx = await fixture();
  await Deno.remove(`${fx.root}/index.html`);
  await using s = serve(Spa, { directory: fx.root });
  assert.equal((await get(`${s.url}/some/route`)).status, 404);
});

// --- --no-listing ---

class NoListing extends Quiet {
  override listing = false;
}

Deno.test("no listing: a folder without an index is 404 in every format; files and index pages are served", async () => {
  await using fx = await fixture();
  await using s = serve(NoListing, { directory: fx.root });
  for (const target of ["/sub/", "/sub/?format=json", "/sub/Z%20dir/"]) {
    const res = await get(s.url + target);
    assert.equal(res.status, 404, target);
    assert.match(res.text, /File not found/);
  }
  const json = await get(`${s.url}/sub/`, { Accept: "application/json" });
  assert.equal(json.status, 404);
  assert.equal((await get(`${s.url}/sub/a.txt`)).text, "aaa");
  assert.equal((await get(`${s.url}/withindex/`)).text, "<p>index</p>\n");
  assert.equal((await get(`${s.url}/`)).text, "<p>app</p>\n");
});

// --- showHidden = false (--no-hidden) ---

class NoHidden extends Quiet {
  override showHidden = false;
}

Deno.test("no hidden: any path with a dot-component is 404, however it is spelled", async () => {
  await using fx = await fixture();
  await using s = serve(NoHidden, { directory: fx.root });
  for (
    const target of [
      "/.env",
      "/.git/config",
      "/.git/",
      "/.git",
      "/%2egit/config",
      "/sub/.hidden",
      "/sub/./.hidden",
      "/sub/.dotdir/x",
      "/x/../.env",
    ]
  ) {
    assert.equal((await get(s.url + target)).status, 404, target);
  }
  assert.equal((await get(`${s.url}/sub/a.txt`)).text, "aaa");
});

Deno.test("no hidden: listings, HTML and JSON, leave dotfiles out", async () => {
  await using fx = await fixture();
  await using s = serve(NoHidden, { directory: fx.root });
  const page = (await get(`${s.url}/sub/`)).text;
  assert.ok(page.includes('href="a.txt"'));
  assert.ok(!page.includes(".hidden"));
  assert.ok(!page.includes(".dotdir"));
  const names = JSON.parse((await get(`${s.url}/sub/?format=json`)).text)
    .map((e: { name: string }) => e.name);
  assert.deepEqual(names, [ODD, "a.txt", "big.bin", "Z dir"]);
});

Deno.test("no hidden, spa: a hidden path is still 404, not the app's page", async () => {
  await using fx = await fixture();
  class Both extends NoHidden {
    override spa = true;
  }
  await using s = serve(Both, { directory: fx.root });
  for (const target of ["/.env", "/.hidden", "/sub/.dotdir/x", "/%2egit/"]) {
    const res = await get(s.url + target);
    assert.equal(res.status, 404, target);
    assert.match(res.text, /File not found/, target);
  }
  assert.equal((await get(`${s.url}/some/route`)).text, "<p>app</p>\n");
});

// --- JSON listings ---

interface Entry {
  name: string;
  type: string;
  size: number | null;
  modified: string | null;
}

Deno.test("json: ?format=json lists name, type, size and modified in the page's order", async () => {
  await using fx = await fixture();
  await Deno.symlink("nowhere", `${fx.root}/sub/broken`);
  await Deno.symlink("Z dir", `${fx.root}/sub/zlink`);
  await using s = serve(Quiet, { directory: fx.root });
  const res = await get(`${s.url}/sub/?format=json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("vary"), "Accept");
  const entries: Entry[] = JSON.parse(res.text);
  const modified = new Date(MTIME_S * 1000).toISOString();
  assert.deepEqual(entries.map((e) => e.name), [
    ".dotdir",
    ".hidden",
    ODD,
    "a.txt",
    "big.bin",
    "broken",
    "Z dir",
    "zlink",
  ]);
  const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
  assert.deepEqual(byName["a.txt"], {
    name: "a.txt",
    type: "file",
    size: 3,
    modified,
  });
  assert.deepEqual(byName["big.bin"].size, 2000);
  assert.equal(byName["Z dir"].type, "directory");
  assert.equal(byName["Z dir"].size, null);
  assert.equal(byName["zlink"].type, "directory");
  assert.deepEqual(byName["broken"], {
    name: "broken",
    type: "other",
    size: null,
    modified: null,
  });
});

Deno.test("json: Accept decides when the query does not; browsers get the page", async () => {
  await using fx = await fixture();
  await using s = serve(Quiet, { directory: fx.root });
  const cases: [string, Record<string, string>, boolean][] = [
    ["/sub/", { Accept: "application/json" }, true],
    ["/sub/", { Accept: "application/json, text/plain, */*" }, true],
    ["/sub/", { Accept: "text/html;q=0.5, application/json" }, true],
    ["/sub/", { Accept: "text/html, application/json;q=0.9" }, false],
    ["/sub/", { Accept: "application/json;q=0" }, false],
    [
      "/sub/",
      {
        Accept:
          "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      },
      false,
    ],
    ["/sub/", { Accept: "*/*" }, false],
    ["/sub/?format=html", { Accept: "application/json" }, false],
    ["/sub/?format=json", { Accept: "text/html" }, true],
  ];
  for (const [target, headers, json] of cases) {
    const res = await get(s.url + target, headers);
    assert.equal(
      res.headers.get("content-type"),
      json ? "application/json" : "text/html; charset=utf-8",
      `${target} ${headers.Accept}`,
    );
  }
});

Deno.test("json: jsonListing = false keeps Python's page for every client", async () => {
  await using fx = await fixture();
  class Strict extends Quiet {
    override jsonListing = false;
  }
  await using s = serve(Strict, { directory: fx.root });
  const res = await get(`${s.url}/sub/?format=json`, {
    Accept: "application/json",
  });
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(res.text, /Directory listing for \/sub\/\?format=json/);
});

// --- The pretty page ---

class Pretty extends Quiet {
  override prettyListing = true;
}

/** The link texts of a pretty page's rows, in order. */
function rowNames(page: string): string[] {
  return [...page.matchAll(/<td class="name"><a href="[^"]*">([^<]*)<\/a>/g)]
    .map((m) => m[1]);
}

Deno.test("pretty: a table of names, sizes and dates, folders first, names escaped, no script", async () => {
  await using fx = await fixture();
  await using s = serve(Pretty, { directory: fx.root });
  const res = await get(`${s.url}/sub/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("vary"), "Accept");
  assert.match(
    res.headers.get("content-security-policy")!,
    /default-src 'none'/,
  );
  const page = res.text;
  assert.ok(!/<script|<img/i.test(page));
  assert.ok(page.includes("prefers-color-scheme: dark"));
  assert.ok(page.includes("<title>Directory listing for /sub/</title>"));
  assert.deepEqual(rowNames(page), [
    "../",
    ".dotdir/",
    "Z dir/",
    ".hidden",
    "&lt;img src=x onerror=&quot;alert(&#x27;x&#x27;)&quot;&gt;&amp;.txt",
    "a.txt",
    "big.bin",
  ]);
  assert.ok(page.includes(`href="${encodeURIComponent(ODD)}"`));
  assert.ok(page.includes('href="Z%20dir/"'));
  assert.ok(page.includes('<td class="size">2.0 KiB</td>'));
  assert.ok(page.includes('<td class="size">3 B</td>'));
  const date = new Date(MTIME_S * 1000).toISOString();
  assert.ok(
    page.includes(
      `<time datetime="${date}">${date.slice(0, 16).replace("T", " ")}</time>`,
    ),
  );
  assert.ok(!page.includes("<form"));
});

Deno.test("pretty: sorting links order by size and date, either way", async () => {
  await using fx = await fixture();
  await Deno.utime(`${fx.root}/sub/big.bin`, MTIME_S - 100, MTIME_S - 100);
  await Deno.utime(`${fx.root}/sub/a.txt`, MTIME_S + 100, MTIME_S + 100);
  await using s = serve(Pretty, { directory: fx.root });
  const files = async (query: string) =>
    rowNames((await get(`${s.url}/sub/${query}`)).text).filter((n) =>
      !n.endsWith("/")
    );
  const bySize = await files("?sort=size");
  assert.equal(bySize[0], ".hidden");
  assert.equal(bySize.at(-1), "big.bin");
  assert.deepEqual(await files("?sort=size&order=desc"), bySize.toReversed());
  const byDate = await files("?sort=modified");
  assert.equal(byDate[0], "big.bin");
  assert.equal(byDate.at(-1), "a.txt");
  const page = (await get(`${s.url}/sub/?sort=size`)).text;
  assert.ok(page.includes('<a href="?sort=size&amp;order=desc">Size</a> ▲'));
  assert.ok(page.includes('<a href="?sort=name&amp;order=asc">Name</a>'));
});

Deno.test("pretty: JSON still answers a client that asks; the root has no parent link", async () => {
  await using fx = await fixture();
  await Deno.remove(`${fx.root}/index.html`);
  await using s = serve(Pretty, { directory: fx.root });
  const json = await get(`${s.url}/sub/`, { Accept: "application/json" });
  assert.equal(json.headers.get("content-type"), "application/json");
  assert.ok(!(await get(`${s.url}/`)).text.includes('href="../"'));
});

// --- The CLI ---

Deno.test("CLI: the serving flags reach the handler; defaults are Python's", () => {
  const base = parseCliArgs([])!;
  assert.equal(base.spa, false);
  assert.equal(base.listing, true);
  assert.equal(base.showHidden, true);
  assert.equal(base.prettyListing, false);
  const on = parseCliArgs(["--spa", "--no-hidden", "--pretty-listing"])!;
  assert.equal(on.spa, true);
  assert.equal(on.showHidden, false);
  assert.equal(on.prettyListing, true);
  assert.equal(parseCliArgs(["--no-listing"])!.listing, false);
  // The last of --hidden and --no-hidden wins, as argparse's.
  assert.equal(parseCliArgs(["--no-hidden", "--hidden"])!.showHidden, true);
  assert.equal(parseCliArgs(["--hidden", "--no-hidden"])!.showHidden, false);
});

Deno.test("CLI: --pretty-listing with --no-listing is a usage error", async () => {
  const { code, stderr } = await run(["--allow-read"], [
    "--pretty-listing",
    "--no-listing",
  ]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /argument --pretty-listing: not allowed with argument --no-listing/,
  );
});

Deno.test("CLI: --spa --no-hidden --pretty-listing serve as documented", async () => {
  await withFolder(async (dir) => {
    await Deno.writeTextFile(`${dir}/index.html`, "app\n");
    await Deno.writeTextFile(`${dir}/.env`, "secret\n");
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/f.txt`, "f");
    await using cli = Cli.serving(dir, [
      "--spa",
      "--no-hidden",
      "--pretty-listing",
    ]);
    const url = `http://127.0.0.1:${await cli.port()}`;
    assert.equal((await get(`${url}/deep/route`)).text, "app\n");
    assert.equal((await get(`${url}/.env`)).status, 404);
    assert.match((await get(`${url}/sub/`)).text, /<table>/);
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("CLI: --no-listing answers 404 for a folder", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, ["--no-listing"]);
    const url = `http://127.0.0.1:${await cli.port()}`;
    assert.equal((await get(`${url}/`)).status, 404);
    assert.equal((await get(`${url}/hello.txt`)).text, "hello\n");
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});
