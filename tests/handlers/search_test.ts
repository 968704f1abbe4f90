// --search over real sockets, on both faces (SimpleHTTPRequestHandler on
// our own server, createFileHandler on Deno.serve), configured by the same
// flags and asked the same raw bytes: the search box on listings, ?q= as a
// page and as JSON, dotfiles, the redirect of a folder without its slash,
// HEAD; without the flag ?q= is ignored as Python ignores it. Then the
// command line with --allow-read=<folder> only: a symlink out of the folder
// is not followed, a loop is walked once; and the fetch face's walk stops
// with its request's signal.
import assert from "node:assert/strict";
import { parseCliArgs, UsageError } from "../../cli/args.ts";
import { createFileHandler } from "../../fetch/serve_dir.ts";
import { SimpleHTTPRequestHandler } from "../../handlers/simple.ts";
import { ask, comparable, type Face, startFace } from "../support/faces.ts";
import { Cli } from "../support/cli_process.ts";
import { serve, tempFolder } from "../support/helpers.ts";

/** The folder served: names to find, a dotfile, an odd name. */
async function fixture() {
  return await tempFolder("search_wire_test_", {
    "docs/Notes.txt": "n",
    "docs/deep/er/notes.md": "d",
    "docs/.notes": "h",
    "docs/a & <b> notes.txt": "o",
    "docs/Café.txt": "c",
    "other/notes.txt": "x",
  }, 1_700_000_000);
}

const GET = (target: string, more = "") =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${more}\r\n`;

/** Runs `check` against each face serving `dir` with `flags`. */
async function onBothFaces(
  dir: string,
  flags: string[],
  check: (face: Face) => Promise<void>,
): Promise<void> {
  for (const name of ["python", "fetch"] as const) {
    await using face = startFace(name, dir, flags);
    await check(face);
  }
}

Deno.test("with --search, both faces answer ?q= with the same page of names below the folder, nearest first", async () => {
  await using fx = await fixture();
  const pages: ReturnType<typeof comparable>[] = [];
  await onBothFaces(fx.root, ["--search"], async (face) => {
    const response = await ask(face, GET("/docs/?q=NOTES"));
    assert.equal(response.status, 200, face.name);
    assert.equal(
      response.headers.get("content-type"),
      "text/html; charset=utf-8",
    );
    const links = [...response.text.matchAll(/<a href="([^"]*)">([^<]*)</g)]
      .map((match) => `${match[1]} ${match[2]}`);
    assert.deepEqual(links, [
      ".notes .notes",
      "a%20%26%20%3Cb%3E%20notes.txt a &amp; &lt;b&gt; notes.txt",
      "Notes.txt Notes.txt",
      "deep/er/notes.md deep/er/notes.md",
    ], face.name);
    assert.ok(response.text.includes("<h1>Search for NOTES in /docs/</h1>"));
    assert.ok(response.text.includes('name="q" value="NOTES"'));
    pages.push(comparable(response));
  });
  assert.deepEqual(pages[0], pages[1]);
});

Deno.test("with --search, ?q= with format=json or Accept: application/json answers JSON on both faces", async () => {
  await using fx = await fixture();
  await onBothFaces(fx.root, ["--search"], async (face) => {
    for (
      const request of [
        GET("/docs/?q=caf%C3%A9&format=json"),
        GET("/docs/?q=CAFE%CC%81", "Accept: application/json\r\n"),
      ]
    ) {
      const response = await ask(face, request);
      assert.equal(response.status, 200, face.name);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.equal(response.headers.get("vary"), "Accept");
      const body = JSON.parse(response.text);
      assert.deepEqual(body.results, [{
        path: "Café.txt",
        type: "file",
        size: 1,
        modified: "2023-11-14T22:13:20.000Z",
      }]);
      assert.equal(body.truncated, false);
    }
  });
});

Deno.test("with --search and --no-hidden, dotfiles are not found on either face", async () => {
  await using fx = await fixture();
  await onBothFaces(fx.root, ["--search", "--no-hidden"], async (face) => {
    const response = await ask(face, GET("/docs/?q=notes&format=json"));
    const found = JSON.parse(response.text).results.map((r: { path: string }) =>
      r.path
    );
    assert.deepEqual(found, [
      "a & <b> notes.txt",
      "Notes.txt",
      "deep/er/notes.md",
    ], face.name);
  });
});

Deno.test("with --search, listings end with the search box on both faces; without it, no box", async () => {
  await using fx = await fixture();
  await onBothFaces(fx.root, ["--search"], async (face) => {
    const response = await ask(face, GET("/docs/"));
    assert.match(
      response.text,
      /<\/ul>\n<hr>\n<form method="get" role="search">\n<input type="search" name="q" value=""/,
    );
  });
  await onBothFaces(fx.root, ["--search", "--pretty-listing"], async (face) => {
    const response = await ask(face, GET("/docs/"));
    assert.ok(response.text.includes('<form method="get" role="search">'));
    assert.match(
      response.headers.get("content-security-policy")!,
      /form-action 'self'/,
    );
  });
  await onBothFaces(fx.root, [], async (face) => {
    const response = await ask(face, GET("/docs/"));
    assert.ok(!response.text.includes("<form"), face.name);
  });
});

Deno.test("without --search, ?q= is ignored as Python ignores it: the listing, which shows the query", async () => {
  await using fx = await fixture();
  await onBothFaces(fx.root, [], async (face) => {
    const response = await ask(face, GET("/docs/?q=notes"));
    assert.equal(response.status, 200);
    assert.ok(
      response.text.includes(
        "<title>Directory listing for /docs/?q=notes</title>",
      ),
    );
    assert.ok(response.text.includes('<a href="deep/">deep/</a>'));
  });
});

Deno.test("with --search, an empty ?q= is the listing; a folder without its slash is redirected with its query", async () => {
  await using fx = await fixture();
  await onBothFaces(fx.root, ["--search"], async (face) => {
    const empty = await ask(face, GET("/docs/?q=+"));
    assert.ok(empty.text.includes("<title>Directory listing for /docs/?q=+"));
    const redirect = await ask(face, GET("/docs?q=notes"));
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/docs/?q=notes");
  });
});

Deno.test("with --search, HEAD of a search has the GET's length and no body", async () => {
  await using fx = await fixture();
  await onBothFaces(fx.root, ["--search"], async (face) => {
    const get = await ask(face, GET("/docs/?q=notes"));
    const head = await ask(
      face,
      `HEAD /docs/?q=notes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    );
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(
      head.headers.get("content-length"),
      String(get.body.length),
      face.name,
    );
  });
});

Deno.test({
  name:
    "with --allow-read=<folder> only, a search follows no symlink out of the folder and walks a loop once, on both engines",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using outside = await tempFolder("search_outside_", {
      "notes-secret.txt": "s",
    });
    await using fx = await fixture();
    await Deno.symlink(outside.root, `${fx.root}/docs/out`);
    await Deno.symlink(
      `${outside.root}/notes-secret.txt`,
      `${fx.root}/docs/notes-link.txt`,
    );
    await Deno.symlink("..", `${fx.root}/docs/deep/up`);
    for (const engine of ["python", "serve"]) {
      await using cli = Cli.serving(fx.root, [
        "--search",
        "--engine",
        engine,
      ]);
      const port = await cli.port();
      const response = await fetch(
        `http://127.0.0.1:${port}/docs/?q=notes&format=json`,
      );
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.deepEqual(
        body.results.map((r: { path: string }) => r.path),
        [".notes", "a & <b> notes.txt", "Notes.txt", "deep/er/notes.md"],
        engine,
      );
      assert.equal(body.truncated, false);
      cli.kill("SIGINT");
      const { code, stderr } = await cli.finish();
      assert.equal(code, 0, stderr);
      assert.doesNotMatch(stderr, /secret|NotCapable|Error:/);
    }
  },
});

Deno.test("the fetch face's search stops with its request's signal: a client that left gets no long walk", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`d${i}/f${i}.txt`] = "";
  await using fx = await tempFolder("search_wire_test_", files);
  const handler = createFileHandler({
    fsRoot: fx.root,
    showDirListing: true,
    search: true,
    quiet: true,
  });
  const url = "http://localhost/?q=f&format=json";
  const whole = await (await handler(new Request(url))).json();
  assert.equal(whole.results.length, 300);
  assert.equal(whole.truncated, false);
  const left = new AbortController();
  left.abort();
  const response = await handler(new Request(url, { signal: left.signal }));
  const cut = await response.json();
  assert.equal(cut.truncated, true);
  assert.ok(cut.results.length < 30, `${cut.results.length} results`);
});

Deno.test("search is off by default on every face: the CLI, the handler field, the fetch option", async () => {
  assert.equal(parseCliArgs([])!.search, false);
  assert.equal(parseCliArgs(["--search"])!.search, true);
  await using fx = await fixture();
  class Quiet extends SimpleHTTPRequestHandler {
    override logMessage(): void {}
  }
  await using running = serve(Quiet, { directory: fx.root });
  const handler = createFileHandler({ fsRoot: fx.root, showDirListing: true });
  for (
    const response of [
      await fetch(`${running.url}/docs/?q=notes`),
      await handler(new Request("http://localhost/docs/?q=notes")),
    ]
  ) {
    const page = await response.text();
    assert.ok(page.includes("<title>Directory listing for /docs/?q=notes"));
    assert.ok(!page.includes("<form"));
  }
});

Deno.test("--search with --no-listing is a usage error: a search lists names", () => {
  assert.throws(
    () => parseCliArgs(["--search", "--no-listing"]),
    (error: Error) =>
      error instanceof UsageError &&
      error.message ===
        "argument --search: not allowed with argument --no-listing",
  );
});
