// Pages for sites over real sockets: clean URLs (--clean-urls), a 404 page
// (--404) and its precedence with --spa, each off by default, and through
// the command line with the folder's read permission alone.
import assert from "node:assert/strict";
import { parseCliArgs } from "../../cli/args.ts";
import { neededPermissions, permissionFlags } from "../../cli/permissions.ts";
import { BANNER, Cli, run } from "../support/cli_process.ts";
import { captureLogs, exchange, Quiet, serve } from "../support/helpers.ts";

/**
 * `root/site` is served; `root/site.html` and `root/secret.html` lie beside
 * it, outside, for the tests that must never reach them.
 */
async function fixture() {
  const root = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "site_test_" }),
  );
  const site = `${root}/site`;
  const files: Record<string, string> = {
    "site/index.html": "<p>home</p>\n",
    "site/about.html": "<p>about</p>\n",
    "site/docs/index.html": "<p>docs</p>\n",
    "site/docs/guide.html": "<p>guide</p>\n",
    "site/both.html": "<p>both.html</p>\n",
    "site/both/index.html": "<p>both/</p>\n",
    "site/plain": "plain\n",
    "site/plain.html": "<p>plain.html</p>\n",
    "site/app.js": "app()\n",
    "site/404.html": "<h1>Not here</h1>\n",
    "site/.env": "SECRET=1\n",
    "site.html": "OUTSIDE\n",
    "secret.html": "OUTSIDE\n",
  };
  for (const [name, text] of Object.entries(files)) {
    const path = `${root}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  await Deno.symlink(`${root}/secret.html`, `${site}/leak.html`);
  return {
    root,
    site,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

async function get(
  url: string,
  method = "GET",
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A raw GET of `target` (which fetch would normalise): status line and body. */
async function raw(port: number, target: string): Promise<string> {
  return await exchange(port, `GET ${target} HTTP/1.0\r\n\r\n`);
}

class Clean extends Quiet {
  override cleanUrls = true;
}

Deno.test("clean URLs: /about serves about.html, /about.html redirects to /about, the query kept", async () => {
  await using f = await fixture();
  await using s = serve(Clean, { directory: f.site });
  const about = await get(`${s.url}/about`);
  assert.equal(about.status, 200);
  assert.equal(about.text, "<p>about</p>\n");
  assert.equal(about.headers.get("content-type"), "text/html");
  const head = await get(`${s.url}/about`, "HEAD");
  assert.equal(head.headers.get("content-length"), "13");
  const redirect = await get(`${s.url}/about.html?lang=en`);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get("location"), "/about?lang=en");
  assert.equal((await get(`${s.url}/docs/guide`)).text, "<p>guide</p>\n");
  assert.equal(
    (await get(`${s.url}/docs/guide.html`)).headers.get("location"),
    "/docs/guide",
  );
  assert.equal((await get(`${s.url}/missing`)).status, 404);
  assert.equal((await get(`${s.url}/missing.html`)).status, 404);
});

Deno.test("clean URLs: folders keep their trailing slash and index pages; index.html redirects to the folder", async () => {
  await using f = await fixture();
  await using s = serve(Clean, { directory: f.site });
  const docs = await get(`${s.url}/docs`);
  assert.equal(docs.status, 301);
  assert.equal(docs.headers.get("location"), "/docs/");
  assert.equal((await get(`${s.url}/docs/`)).text, "<p>docs</p>\n");
  const index = await get(`${s.url}/docs/index.html`);
  assert.equal(index.status, 301);
  assert.equal(index.headers.get("location"), "/docs/");
  assert.equal((await get(`${s.url}/index.html`)).headers.get("location"), "/");
  // Where the clean URL names something else, the .html name stays.
  assert.equal((await get(`${s.url}/both`)).headers.get("location"), "/both/");
  assert.equal((await get(`${s.url}/both.html`)).text, "<p>both.html</p>\n");
  assert.equal((await get(`${s.url}/plain`)).text, "plain\n");
  assert.equal((await get(`${s.url}/plain.html`)).text, "<p>plain.html</p>\n");
});

Deno.test("clean URLs never reach outside the folder: the folder itself is never folder.html", async () => {
  await using f = await fixture();
  await using s = serve(Clean, { directory: f.site });
  for (
    const target of [
      "/..",
      "/%2e%2e",
      "/../",
      "/..%2f",
      "/.%2e",
      "/docs/../..",
      "/site",
    ]
  ) {
    const response = await raw(s.port, target);
    assert.doesNotMatch(response, /OUTSIDE/, target);
  }
  assert.match(
    await raw(s.port, "/.."),
    /^HTTP\/1\.0 301 /,
    "/.. is the folder",
  );
  // Even where the folder is not there (removed while served), whose path
  // then names nothing.
  await using gone = serve(Clean, { directory: `${f.root}/secret` });
  for (const target of ["/..", "/%2e%2e", "/"]) {
    const response = await raw(gone.port, target);
    assert.match(response, /^HTTP\/1\.0 404 /, target);
    assert.doesNotMatch(response, /OUTSIDE/, target);
  }
});

Deno.test("clean URLs are off by default: /about is 404 and /about.html served, as in Python", async () => {
  await using f = await fixture();
  await using s = serve(Quiet, { directory: f.site });
  assert.equal((await get(`${s.url}/about`)).status, 404);
  assert.equal((await get(`${s.url}/about.html`)).status, 200);
});

class NotFound extends Quiet {
  override notFoundPage = "";
}

function withPage(page: string, base = NotFound) {
  return class extends base {
    override notFoundPage = page;
  };
}

Deno.test("404 page: what is not found gets the file with 404, its type and length; HEAD its headers", async () => {
  await using f = await fixture();
  await using s = serve(withPage(`${f.site}/404.html`), {
    directory: f.site,
  });
  for (const path of ["/missing", "/docs/missing.html", "/about.html/"]) {
    const missing = await get(`${s.url}${path}`);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.text, "<h1>Not here</h1>\n");
    assert.equal(missing.headers.get("content-type"), "text/html");
    assert.equal(missing.headers.get("content-length"), "18");
    assert.equal(missing.headers.get("etag"), null, "not what was asked for");
    assert.equal(missing.headers.get("last-modified"), null);
  }
  const head = await get(`${s.url}/missing`, "HEAD");
  assert.equal(head.status, 404);
  assert.equal(head.headers.get("content-length"), "18");
  assert.equal(head.text, "");
  // Found things are served as ever.
  assert.equal((await get(`${s.url}/about.html`)).status, 200);
});

Deno.test("404 page: hidden paths with --no-hidden and folders with --no-listing get it too", async () => {
  await using f = await fixture();
  class Strict extends withPage(`${f.site}/404.html`) {
    override showHidden = false;
    override listing = false;
  }
  await Deno.mkdir(`${f.site}/empty`);
  await using s = serve(Strict, { directory: f.site });
  for (const path of ["/.env", "/empty/"]) {
    const response = await get(`${s.url}${path}`);
    assert.equal(response.status, 404, path);
    assert.equal(response.text, "<h1>Not here</h1>\n");
  }
});

Deno.test("404 page: a page that cannot be read is logged, and Python's error page sent", async () => {
  await using f = await fixture();
  const { Handler, lines } = captureLogs(withPage(`${f.site}/gone.html`));
  await using s = serve(Handler, { directory: f.site });
  const response = await get(`${s.url}/missing`);
  assert.equal(response.status, 404);
  assert.match(response.text, /<p>Message: File not found.<\/p>/);
  assert.ok(
    lines.some((line) =>
      line.startsWith(`cannot send the 404 page ${f.site}/gone.html: NotFound`)
    ),
    lines.join("\n"),
  );
});

Deno.test("404 page with --spa: routes get /index.html, missing files the 404 page", async () => {
  await using f = await fixture();
  class SpaPage extends withPage(`${f.site}/404.html`) {
    override spa = true;
  }
  await using s = serve(SpaPage, { directory: f.site });
  for (const route of ["/users/42", "/settings/", "/a.b/c"]) {
    const page = await get(`${s.url}${route}`);
    assert.equal(page.status, 200, route);
    assert.equal(page.text, "<p>home</p>\n");
  }
  for (const file of ["/missing.js", "/img/logo.png"]) {
    const page = await get(`${s.url}${file}`);
    assert.equal(page.status, 404, file);
    assert.equal(page.text, "<h1>Not here</h1>\n");
  }
  assert.equal((await get(`${s.url}/app.js`)).text, "app()\n");
});

Deno.test("CLI: the site flags reach the handler; --404 of no file is a usage error", async () => {
  const options = parseCliArgs([])!;
  assert.equal(options.notFoundPage, undefined);
  assert.equal(options.cleanUrls, false);
  assert.equal(options.liveReload, false);
  const on = parseCliArgs([
    "--404",
    "x.html",
    "--clean-urls",
    "--live-reload",
  ])!;
  assert.equal(on.notFoundPage, "x.html");
  assert.equal(on.cleanUrls, true);
  assert.equal(on.liveReload, true);
  await using f = await fixture();
  const { code, stderr } = await run(["--allow-read"], [
    "-d",
    f.site,
    "--404",
    `${f.site}/nothing.html`,
  ]);
  assert.equal(code, 2);
  assert.match(stderr, /argument --404: no such file: '.*nothing\.html'/);
});

Deno.test("CLI: --404 needs read of its page only when it is outside the folder", () => {
  const flags = (args: string[]) =>
    permissionFlags(neededPermissions(parseCliArgs(args)!));
  assert.deepEqual(flags(["-d", "site", "--404", "site/404.html"]), [
    "--allow-net=0.0.0.0:8000",
    "--allow-read=site",
  ]);
  assert.deepEqual(flags(["-d", "site", "--404", "../pages/404.html"]), [
    "--allow-net=0.0.0.0:8000",
    "--allow-read=site,../pages/404.html",
  ]);
  assert.deepEqual(flags(["-d", "site", "--404", "site/../404.html"]), [
    "--allow-net=0.0.0.0:8000",
    "--allow-read=site,site/../404.html",
  ]);
});

Deno.test("CLI: --clean-urls --404 with the folder's read alone: a symlink out is refused, its page sent", async () => {
  await using f = await fixture();
  await using cli = new Cli(
    ["--allow-net=127.0.0.1", `--allow-read=${f.site}`],
    [
      "0",
      "-b",
      "127.0.0.1",
      "-d",
      f.site,
      "--clean-urls",
      "--404",
      `${f.site}/404.html`,
    ],
  );
  const banner = await cli.waitFor(BANNER);
  const url = `http://127.0.0.1:${banner![2]}`;
  assert.equal((await get(`${url}/about`)).text, "<p>about</p>\n");
  for (const path of ["/leak", "/leak.html"]) {
    const leak = await get(`${url}${path}`);
    assert.equal(leak.status, 404, path);
    assert.equal(leak.text, "<h1>Not here</h1>\n");
  }
  cli.kill("SIGTERM");
  const { code, stderr } = await cli.finish();
  assert.equal(code, 0);
  assert.match(
    stderr,
    /refused .*leak\.html: its real path .*secret\.html is outside/,
  );
});
