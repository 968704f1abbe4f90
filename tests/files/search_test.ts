// files/search/: the walk (findNames) and the core's answer (searchFolder),
// called directly: which names are found (case, Unicode), which are not
// (dotfiles, paths the Access refuses, folders it refuses not descended),
// symlink loops, the bounds (depth, hits, time, an aborted signal), and the
// answer's formats, links and escapes.
import assert from "node:assert/strict";
import type { Access, AccessMode } from "../../files/access.ts";
import { EVERYONE } from "../../files/access.ts";
import { Sandbox } from "../../files/sandbox.ts";
import {
  findNames,
  foldName,
  type SearchHits,
} from "../../files/search/walk.ts";
import { searchForm, searchQuery } from "../../files/search/page.ts";
import { MAX_SEARCHES, searchFolder } from "../../files/search/search.ts";
import { HttpError } from "../../util/errors.ts";
import { tempFolder } from "../support/helpers.ts";

/** A folder of names to find. */
async function fixture() {
  return await tempFolder("search_test_", {
    "Notes.txt": "n",
    "docs/notes/today.md": "t",
    "docs/readme.md": "r",
    "docs/.notes-hidden": "h",
    ".secret/notes.txt": "s",
    "private/notes.txt": "p",
    "private/inner/notes2.txt": "p",
    "public/private-notes.txt": "q",
  });
}

/** The paths a search found, in its order. */
function paths(found: SearchHits): string[] {
  return found.hits.map((hit) => hit.path);
}

/** Reads everything but `/private` and what is below it; records what it was asked. */
class NoPrivate implements Access {
  readonly user = "visitor";
  readonly asked: string[] = [];
  allows(path: string, mode: AccessMode): boolean {
    this.asked.push(`${mode} ${path}`);
    return !(path === "/private" || path.startsWith("/private/"));
  }
}

function find(
  root: string,
  query: string,
  options: Partial<Parameters<typeof findNames>[3]> = {},
  served = "/",
) {
  const logged: string[] = [];
  const sandbox = new Sandbox(
    root,
    (format, ...args) => logged.push(`${format} ${args.join(" ")}`),
  );
  return findNames(root, served, foldName(query), {
    showHidden: true,
    sandbox,
    access: EVERYONE,
    ...options,
  });
}

Deno.test("a search finds file and folder names below the folder, case-insensitive, nearest first", async () => {
  await using fx = await fixture();
  const found = await find(fx.root, "NOTES");
  assert.deepEqual(paths(found), [
    "Notes.txt",
    ".secret/notes.txt",
    "docs/.notes-hidden",
    "docs/notes",
    "private/notes.txt",
    "public/private-notes.txt",
    "private/inner/notes2.txt",
  ]);
  assert.equal(found.truncated, false);
  const folder = found.hits.find((hit) => hit.path === "docs/notes")!;
  assert.equal(folder.info.isDirectory, true);
});

Deno.test("without showHidden a search neither finds dotfiles nor looks inside hidden folders", async () => {
  await using fx = await fixture();
  const found = await find(fx.root, "notes", { showHidden: false });
  assert.ok(!paths(found).some((path) => /(^|\/)\./.test(path)));
  assert.ok(paths(found).includes("docs/notes"));
});

Deno.test("a folder the Access refuses is neither shown nor descended, and every path shown was asked about", async () => {
  await using fx = await fixture();
  const access = new NoPrivate();
  const found = await find(fx.root, "private", { access });
  assert.deepEqual(paths(found), ["public/private-notes.txt"]);
  const notes = await find(fx.root, "notes", { access });
  assert.ok(!paths(notes).some((path) => path.startsWith("private")));
  for (const path of paths(notes)) {
    assert.ok(access.asked.includes(`read /${path}`), path);
  }
  assert.ok(!access.asked.some((asked) => asked.startsWith("read /private/")));
});

Deno.test("a search of a subfolder asks the Access about paths of the served folder", async () => {
  await using fx = await fixture();
  const access = new NoPrivate();
  const found = await find(`${fx.root}/docs`, "today", { access }, "/docs");
  assert.deepEqual(paths(found), ["notes/today.md"]);
  assert.ok(access.asked.includes("read /docs/notes/today.md"));
});

Deno.test("names compare NFC-normalised: a composed query finds a decomposed name and back", async () => {
  await using fx = await tempFolder("search_test_", {
    "Cafe\u0301.txt": "decomposed",
    "sub/CAFÉ menu.txt": "composed",
    "straße.txt": "sharp s",
  });
  assert.deepEqual(paths(await find(fx.root, "café")), [
    "Cafe\u0301.txt",
    "sub/CAFÉ menu.txt",
  ]);
  assert.deepEqual(paths(await find(fx.root, "cafe\u0301")), [
    "Cafe\u0301.txt",
    "sub/CAFÉ menu.txt",
  ]);
  assert.deepEqual(paths(await find(fx.root, "STRASSE")), []);
  assert.deepEqual(paths(await find(fx.root, "STRAẞE")), ["straße.txt"]);
});

Deno.test({
  name: "a symlink loop is walked once, and a folder linked twice is read once",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using fx = await tempFolder("search_test_", {
      "a/b/target.txt": "t",
    });
    await Deno.symlink("..", `${fx.root}/a/b/up`);
    await Deno.symlink(fx.root, `${fx.root}/a/root`);
    await Deno.symlink("b", `${fx.root}/a/again`);
    const found = await find(fx.root, "target");
    // Through the first name that reaches the folder, in Python's order.
    assert.deepEqual(paths(found), ["a/again/target.txt"]);
    assert.equal(found.truncated, false);
    // The links themselves are names too.
    assert.deepEqual(paths(await find(fx.root, "again")), ["a/again"]);
  },
});

Deno.test("the depth bound stops the walk below it and says so", async () => {
  await using fx = await tempFolder("search_test_", {
    "hit0.txt": "0",
    "a/hit1.txt": "1",
    "a/b/hit2.txt": "2",
    "a/b/c/hit3.txt": "3",
  });
  const limits = { depth: 1, hits: 100, ms: 10_000 };
  const found = await find(fx.root, "hit", { limits });
  assert.deepEqual(paths(found), ["hit0.txt", "a/hit1.txt"]);
  assert.equal(found.truncated, true);
  const deep = await find(fx.root, "hit", { limits: { ...limits, depth: 3 } });
  assert.equal(paths(deep).length, 4);
  assert.equal(deep.truncated, false);
});

Deno.test("the hit bound keeps the first hits and says more may match; exactly that many is not cut short", async () => {
  await using fx = await tempFolder("search_test_", {
    "x1": "",
    "x2": "",
    "sub/x3": "",
  });
  const cut = await find(fx.root, "x", {
    limits: { depth: 16, hits: 2, ms: 10_000 },
  });
  assert.deepEqual(paths(cut), ["x1", "x2"]);
  assert.equal(cut.truncated, true);
  const all = await find(fx.root, "x", {
    limits: { depth: 16, hits: 3, ms: 10_000 },
  });
  assert.deepEqual(paths(all), ["x1", "x2", "sub/x3"]);
  assert.equal(all.truncated, false);
});

/** 300 folders, each with a file `f<i>.txt`. */
async function manyFolders() {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`d${i}/f${i}.txt`] = "";
  return await tempFolder("search_test_", files);
}

Deno.test("a search out of time, or whose signal is aborted, stops at the end of its first unit of work and says so", async () => {
  await using fx = await manyFolders();
  const late = await find(fx.root, "f", {
    limits: { depth: 16, hits: 1000, ms: 0 },
  });
  assert.equal(late.truncated, true);
  assert.ok(late.hits.length < 30, `${late.hits.length} hits`);
  const gone = new AbortController();
  gone.abort();
  const aborted = await find(fx.root, "f", { signal: gone.signal });
  assert.equal(aborted.truncated, true);
  assert.ok(aborted.hits.length < 30, `${aborted.hits.length} hits`);
});

Deno.test("a search of many folders lets other work run between its units", async () => {
  await using fx = await manyFolders();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    const found = await find(fx.root, "f");
    assert.equal(found.hits.length, 300);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 0, "timers ran while the search walked");
});

// --- searchQuery and the form ---

const QUERIES: [string, string | null][] = [
  ["/docs/", null],
  ["/docs/?q=", null],
  ["/docs/?q=+%20", null],
  ["/docs/?sort=size", null],
  ["/docs/?q=read+me", "read me"],
  ["/docs/?format=json&q=%C3%A9t%C3%A9", "été"],
  ["/docs/?q=a#frag", "a"],
];

for (const [target, query] of QUERIES) {
  Deno.test(`${target} searches for ${JSON.stringify(query)}`, () => {
    assert.equal(searchQuery(target), query);
  });
}

Deno.test("the search box is a plain GET form whose value is escaped", () => {
  const form = searchForm(`"><script>x</script>`);
  assert.match(form, /^<form method="get" role="search">\n/);
  assert.ok(
    form.includes(
      '<input type="search" name="q" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"',
    ),
  );
  assert.ok(!form.includes("<script>"));
});

Deno.test("the search box is wide enough for its whole placeholder (a browser's default is 20 characters)", () => {
  const form = searchForm("");
  const placeholder = form.match(/placeholder="([^"]*)"/)![1];
  const size = Number(form.match(/ size="(\d+)"/)?.[1] ?? 20);
  assert.ok(size >= placeholder.length, form);
});

// --- searchFolder: the answer ---

const OPTIONS = {
  directory: "",
  listing: true,
  jsonListing: true,
  prettyListing: false,
  showHidden: true,
  upload: false,
  search: true,
};

/** The core's answer to `target`, as text. */
async function answer(
  root: string,
  target: string,
  query: string,
  options: Partial<typeof OPTIONS> = {},
  request: { accept?: string; access?: Access } = {},
) {
  const sandbox = new Sandbox(root, () => {});
  const result = await searchFolder(
    root,
    {
      method: "GET",
      target,
      header: (name) => name === "accept" ? request.accept ?? null : null,
      access: request.access,
    },
    query,
    { ...OPTIONS, directory: root, ...options },
    sandbox,
  );
  assert.ok(result.body instanceof Uint8Array);
  return {
    format: result.format,
    headers: result.headers,
    text: new TextDecoder().decode(result.body),
  };
}

Deno.test("the answer is Python's kind of page: links quoted as Python quotes them, names escaped", async () => {
  await using fx = await tempFolder("search_test_", {
    "a b/<b>&x.txt": "x",
    "a b/x:y.txt": "x",
  });
  const { format, headers, text } = await answer(fx.root, "/?q=x", "x");
  assert.equal(format, "python");
  assert.deepEqual(headers, [["Content-type", "text/html; charset=utf-8"]]);
  assert.ok(text.includes("<title>Search for x in /</title>"));
  assert.ok(
    text.includes(
      '<li><a href="a%20b/%3Cb%3E%26x.txt">a b/&lt;b&gt;&amp;x.txt</a></li>',
    ),
    text,
  );
  // A colon would make the relative link a scheme.
  assert.ok(text.includes('<a href="a%20b/x%3Ay.txt">'), text);
  assert.ok(text.includes("<p>2 names found.</p>"));
  assert.ok(text.includes('value="x"'));
});

Deno.test("the answer is the pretty kind of page with the pretty listing on, under its CSP", async () => {
  await using fx = await tempFolder("search_test_", { "a b/it's.txt": "x" });
  const { format, headers, text } = await answer(fx.root, "/?q=it", "it", {
    prettyListing: true,
  });
  assert.equal(format, "pretty");
  assert.deepEqual(headers.map(([name]) => name), [
    "Content-type",
    "Vary",
    "Content-Security-Policy",
  ]);
  assert.match(headers[2][1], /form-action 'self'/);
  assert.ok(!/<script/i.test(text));
  assert.ok(
    text.includes(`<a href="a%20b/it's.txt">a b/it&#x27;s.txt</a>`),
    text,
  );
  assert.ok(text.includes('<td class="size">1 B</td>'));
});

Deno.test("the answer is JSON for format=json or an Accept that prefers it, as JSON listings", async () => {
  await using fx = await tempFolder("search_test_", { "sub/hello.txt": "hi" });
  for (
    const [target, accept] of [
      ["/?q=HELLO&format=json", undefined],
      ["/?q=HELLO", "application/json"],
    ]
  ) {
    const { format, headers, text } = await answer(
      fx.root,
      target!,
      "HELLO",
      {},
      {
        accept,
      },
    );
    assert.equal(format, "json");
    assert.deepEqual(headers, [
      ["Content-type", "application/json"],
      ["Vary", "Accept"],
    ]);
    const body = JSON.parse(text);
    assert.equal(body.query, "HELLO");
    assert.equal(body.truncated, false);
    assert.equal(body.results.length, 1);
    assert.deepEqual(
      { ...body.results[0], modified: typeof body.results[0].modified },
      { path: "sub/hello.txt", type: "file", size: 2, modified: "string" },
    );
  }
});

Deno.test("with jsonListing off, a search answers HTML to every client", async () => {
  await using fx = await tempFolder("search_test_", { "hello.txt": "hi" });
  const { format } = await answer(fx.root, "/?q=h&format=json", "h", {
    jsonListing: false,
  });
  assert.equal(format, "python");
});

Deno.test("a search of a folder the Access refuses is 404, as a folder that cannot be listed", async () => {
  await using fx = await fixture();
  await assert.rejects(
    answer(`${fx.root}/private`, "/private/?q=notes", "notes", {
      directory: fx.root,
    }, {
      access: new NoPrivate(),
    }),
    (error) =>
      error instanceof HttpError && error.status === 404 &&
      error.message === "No permission to list directory",
  );
});

Deno.test("with listings off a search is 404, as the listing would be", async () => {
  await using fx = await fixture();
  await assert.rejects(
    answer(fx.root, "/?q=notes", "notes", { listing: false }),
    (error) => error instanceof HttpError && error.status === 404,
  );
});

Deno.test("a cut-short search says so on its page", async () => {
  await using fx = await fixture();
  const sandbox = new Sandbox(fx.root, () => {});
  const result = await searchFolder(
    fx.root,
    { method: "GET", target: "/?q=notes", header: () => null },
    "notes",
    { ...OPTIONS, directory: fx.root },
    sandbox,
    { depth: 16, hits: 1, ms: 10_000 },
  );
  const text = new TextDecoder().decode(result.body as Uint8Array);
  assert.ok(
    text.includes(
      "<p>1 name found; the search stopped early, and more may match.</p>",
    ),
    text,
  );
});

Deno.test("a query of markup is escaped wherever the page shows it, on both kinds of page", async () => {
  await using fx = await tempFolder("search_test_", { "a.txt": "a" });
  const query = `<script>alert("x")</script>&'`;
  for (const prettyListing of [false, true]) {
    const { text } = await answer(
      fx.root,
      `/?q=${encodeURIComponent(query)}`,
      query,
      { prettyListing },
    );
    assert.ok(!text.includes("<script>"), text);
    assert.ok(text.includes("&lt;script&gt;"), text);
  }
});

Deno.test("past MAX_SEARCHES searches walking at once, a search is refused with 503 and Retry-After until one ends", async () => {
  await using fx = await fixture();
  // Each call takes its place before its first await: these walk together.
  const walking = Array.from(
    { length: MAX_SEARCHES },
    () => answer(fx.root, "/?q=notes", "notes"),
  );
  await assert.rejects(
    answer(fx.root, "/?q=notes", "notes"),
    (error) =>
      error instanceof HttpError && error.status === 503 &&
      error.kind === "too-many-searches" &&
      error.headers.some(([name, value]) =>
        name === "Retry-After" && value === "2"
      ),
  );
  for (const found of await Promise.all(walking)) {
    assert.match(found.text, /Notes\.txt/);
  }
  // A search whose walk fails gives its place back too.
  await assert.rejects(
    answer(`${fx.root}/missing`, "/missing/?q=notes", "notes"),
    (error) => error instanceof HttpError && error.status === 404,
  );
  const again = await Promise.all(
    Array.from(
      { length: MAX_SEARCHES },
      () => answer(fx.root, "/?q=notes", "notes"),
    ),
  );
  assert.equal(again.length, MAX_SEARCHES);
});
