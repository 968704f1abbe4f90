// File operations over real sockets (DELETE, MOVE, MKCOL, PROPFIND, OPTIONS
// on SimpleHTTPRequestHandler): off by default as in Python, on with their
// switches; never the served folder itself, never outside it (a symlink to a
// folder outside is refused), never a hidden name; If-Match and Overwrite
// honoured; concurrent moves of one name leave one winner. The access rules
// are asked through a hand-made Access, the core called directly.
import assert from "node:assert/strict";
import type { Access } from "../../files/access.ts";
import { deleteTarget, moveTarget } from "../../files/ops/change.ts";
import { propfind } from "../../files/ops/propfind.ts";
import type { OpsSite } from "../../files/ops/site.ts";
import { translatePath } from "../../files/paths.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { startFace } from "../support/faces.ts";
import { opsSite, refusal } from "../support/ops_site.ts";
import {
  captureLogs,
  concat,
  Quiet,
  RawClient,
  serve,
  treeOf,
} from "../support/helpers.ts";

class Ops extends Quiet {
  override delete = true;
  override mkdir = true;
}

class ReadOnlyDav extends Quiet {
  override webdav = true;
}

/**
 * `<tmp>/root` (served: `a.txt`, `b.txt`, `sub/c.txt`, `sub/deep/d.txt`,
 * `.hidden/h.txt`, `escape` -> `../outside`, `link.txt` -> `a.txt`) beside
 * `<tmp>/outside` (`o.txt`), which must never change.
 */
async function fixture() {
  const top = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "ops_test_" }),
  );
  const root = `${top}/root`;
  await Deno.mkdir(`${root}/sub/deep`, { recursive: true });
  await Deno.mkdir(`${root}/.hidden`);
  await Deno.mkdir(`${top}/outside`);
  await Deno.writeTextFile(`${root}/a.txt`, "a");
  await Deno.writeTextFile(`${root}/b.txt`, "b");
  await Deno.writeTextFile(`${root}/sub/c.txt`, "c");
  await Deno.writeTextFile(`${root}/sub/deep/d.txt`, "d");
  await Deno.writeTextFile(`${root}/.hidden/h.txt`, "h");
  await Deno.writeTextFile(`${top}/outside/o.txt`, "o");
  await Deno.symlink(`${top}/outside`, `${root}/escape`);
  await Deno.symlink("a.txt", `${root}/link.txt`);
  // Older than 2 s, so that they have GET's validators (see `validatable`).
  for (const file of ["a.txt", "b.txt", "sub/c.txt", "sub/deep/d.txt"]) {
    await Deno.utime(`${root}/${file}`, 1e9, 1e9);
  }
  return {
    top,
    root,
    /** Every path under `top`, relative, sorted, folders with `/`. */
    tree: () => treeOf(top, { folders: true }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(top, { recursive: true });
    },
  };
}

/** What the fixture holds before any change. */
const UNTOUCHED = [
  "outside/",
  "outside/o.txt",
  "root/",
  "root/.hidden/",
  "root/.hidden/h.txt",
  "root/a.txt",
  "root/b.txt",
  "root/escape",
  "root/link.txt",
  "root/sub/",
  "root/sub/c.txt",
  "root/sub/deep/",
  "root/sub/deep/d.txt",
];

/** A request with `method` and header fields; resolves to status and body. */
async function call(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url, { method, headers, body });
  return {
    status: response.status,
    text: await response.text(),
    headers: response.headers,
  };
}

Deno.test("off by default, DELETE, MOVE, MKCOL, PROPFIND and OPTIONS are 501 as in Python", async () => {
  await using f = await fixture();
  await using s = serve(Quiet, { directory: f.root });
  for (const method of ["DELETE", "MOVE", "MKCOL", "PROPFIND", "OPTIONS"]) {
    const res = await call(`${s.url}/a.txt`, method, {
      destination: `${s.url}/z.txt`,
    });
    assert.equal(res.status, 501, method);
    assert.match(res.text, new RegExp(`Unsupported method \\('${method}'\\)`));
  }
  assert.deepEqual(f.tree(), UNTOUCHED);
});

Deno.test("--webdav alone answers PROPFIND and OPTIONS, but changes nothing: DELETE, MOVE, MKCOL stay 501", async () => {
  await using f = await fixture();
  await using s = serve(ReadOnlyDav, { directory: f.root });
  const options = await call(`${s.url}/`, "OPTIONS");
  assert.equal(options.status, 200);
  assert.equal(options.headers.get("dav"), "1");
  assert.equal(options.headers.get("allow"), "GET, HEAD, OPTIONS, PROPFIND");
  assert.equal(
    (await call(`${s.url}/a.txt`, "PROPFIND", { depth: "0" })).status,
    207,
  );
  for (const method of ["DELETE", "MOVE", "MKCOL"]) {
    assert.equal((await call(`${s.url}/sub/c.txt`, method)).status, 501);
  }
  assert.deepEqual(f.tree(), UNTOUCHED);
});

Deno.test("OPTIONS with --delete and --mkdir lists them and the locks in Allow and says DAV: 1, 2; with --cors the preflight says the same", async () => {
  await using f = await fixture();
  class CorsOps extends Ops {
    override cors = true;
  }
  await using s = serve(Ops, { directory: f.root });
  const plain = await call(`${s.url}/`, "OPTIONS");
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get("dav"), "1, 2");
  assert.equal(
    plain.headers.get("allow"),
    "DELETE, GET, HEAD, LOCK, MKCOL, MOVE, OPTIONS, PROPFIND, PROPPATCH, UNLOCK",
  );
  await using c = serve(CorsOps, { directory: f.root });
  const preflight = await call(`${c.url}/`, "OPTIONS", {
    "access-control-request-method": "DELETE",
  });
  assert.equal(preflight.status, 204);
  assert.equal(
    preflight.headers.get("access-control-allow-methods"),
    "DELETE, GET, HEAD, LOCK, MKCOL, MOVE, OPTIONS, PROPFIND, PROPPATCH, UNLOCK",
  );
  assert.equal(preflight.headers.get("dav"), "1, 2");
});

Deno.test("DELETE removes a file (204), a folder with all it holds, and a symlink as a link, its target kept", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  assert.equal((await call(`${s.url}/b.txt`, "DELETE")).status, 204);
  assert.equal((await call(`${s.url}/link.txt`, "DELETE")).status, 204);
  assert.equal((await call(`${s.url}/sub/`, "DELETE")).status, 204);
  // The symlink to a folder outside goes as a link; what it leads to stays.
  assert.equal((await call(`${s.url}/escape`, "DELETE")).status, 204);
  assert.equal((await call(`${s.url}/b.txt`, "DELETE")).status, 404);
  assert.deepEqual(f.tree(), [
    "outside/",
    "outside/o.txt",
    "root/",
    "root/.hidden/",
    "root/.hidden/h.txt",
    "root/a.txt",
  ]);
});

Deno.test("DELETE refuses the served folder itself, hidden names, and paths through a symlink to a folder outside: 403, nothing removed", async () => {
  await using f = await fixture();
  const { Handler, lines } = captureLogs(Ops);
  await using s = serve(Handler, { directory: f.root });
  for (
    const target of [
      "/",
      "/%2e%2e/",
      "//",
      "/sub/..",
      "/.hidden/h.txt",
      "/.hidden/",
      "/escape/o.txt",
      "/escape/",
    ]
  ) {
    const res = await call(`${s.url}${target}`, "DELETE");
    assert.ok(
      target === "/escape/" ? res.status === 204 : res.status === 403,
      `${target}: ${res.status}`,
    );
  }
  assert.deepEqual(
    f.tree(),
    UNTOUCHED.filter((path) => path !== "root/escape"),
  );
  assert.ok(
    lines.some((line) =>
      /refused DELETE .*escape: its real path .* is outside/.test(line)
    ),
    lines.join("\n"),
  );
});

Deno.test("a name with control characters is 400 to take, but what has one already may be renamed and deleted", async () => {
  await using f = await fixture();
  await Deno.writeTextFile(`${f.root}/bad\x01name`, "x");
  await using s = serve(Ops, { directory: f.root });
  assert.equal((await call(`${s.url}/new%01/`, "MKCOL")).status, 400);
  assert.equal(
    (await call(`${s.url}/a.txt`, "MOVE", {
      destination: `${s.url}/a%1b.txt`,
    })).status,
    400,
  );
  assert.equal(
    (await call(`${s.url}/bad%01name`, "MOVE", {
      destination: `${s.url}/good.txt`,
    })).status,
    201,
  );
  assert.equal((await call(`${s.url}/good.txt`, "DELETE")).status, 204);
  assert.deepEqual(f.tree(), UNTOUCHED);
});

Deno.test("DELETE honours If-Match (strong comparison: GET's weak ETag never matches) and If-Unmodified-Since: 412, nothing removed", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  const etag = (await fetch(`${s.url}/a.txt`, { method: "HEAD" })).headers
    .get("etag")!;
  const preconditions: Record<string, string>[] = [
    { "if-match": '"nope"' },
    { "if-match": etag },
    { "if-unmodified-since": "Thu, 01 Jan 1970 00:00:00 GMT" },
  ];
  for (const headers of preconditions) {
    const res = await call(`${s.url}/a.txt`, "DELETE", headers);
    assert.equal(res.status, 412, JSON.stringify(headers));
  }
  assert.equal(
    (await call(`${s.url}/missing.txt`, "DELETE", { "if-match": "*" }))
      .status,
    404,
  );
  assert.deepEqual(f.tree(), UNTOUCHED);
  assert.equal(
    (await call(`${s.url}/a.txt`, "DELETE", { "if-match": "*" })).status,
    204,
  );
});

Deno.test("a change through a Host that is no IP address, localhost or allowed name is 403 (DNS rebinding), as uploads", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  for (
    const request of [
      "DELETE /a.txt HTTP/1.1\r\nHost: evil.example\r\n",
      "MKCOL /new/ HTTP/1.1\r\nHost: evil.example\r\n",
      "MOVE /a.txt HTTP/1.1\r\nHost: evil.example\r\nDestination: http://evil.example/z.txt\r\n",
    ]
  ) {
    using client = await RawClient.connect(s.port);
    await client.send(request + "Connection: close\r\n\r\n");
    const res = await client.readResponse();
    assert.equal(res.status, 403, request);
  }
  assert.deepEqual(f.tree(), UNTOUCHED);
});

Deno.test("MOVE renames a file (201), replaces with Overwrite: T (204), keeps both with Overwrite: F (412)", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  const move = (from: string, to: string, overwrite?: string) =>
    call(`${s.url}${from}`, "MOVE", {
      destination: to.startsWith("/") ? `${s.url}${to}` : to,
      ...overwrite ? { overwrite } : {},
    });
  assert.equal((await move("/a.txt", "/b.txt", "F")).status, 412);
  assert.equal(await Deno.readTextFile(`${f.root}/b.txt`), "b");
  assert.equal((await move("/a.txt", "/sub/moved%20a.txt")).status, 201);
  assert.equal(
    await Deno.readTextFile(`${f.root}/sub/moved a.txt`),
    "a",
  );
  // An absolute path is a Destination too (RFC 4918 §10.3 takes a URI).
  assert.equal(
    (await call(`${s.url}/sub/moved%20a.txt`, "MOVE", {
      destination: "/b.txt",
    })).status,
    204,
  );
  assert.equal(await Deno.readTextFile(`${f.root}/b.txt`), "a");
  assert.equal((await move("/a.txt", "/c.txt")).status, 404);
});

Deno.test("MOVE of a folder moves all it holds; into itself, onto itself or from the served folder is 403", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  const move = (from: string, to: string) =>
    call(`${s.url}${from}`, "MOVE", { destination: `${s.url}${to}` });
  assert.equal((await move("/sub/", "/sub/deep/sub/")).status, 403);
  assert.equal((await move("/sub/", "/sub/")).status, 403);
  assert.equal((await move("/", "/x/")).status, 403);
  assert.equal((await move("/a.txt", "/")).status, 403);
  assert.deepEqual(f.tree(), UNTOUCHED);
  assert.equal((await move("/sub/", "/renamed/")).status, 201);
  assert.equal(await Deno.readTextFile(`${f.root}/renamed/deep/d.txt`), "d");
  // Overwrite: T onto a folder deletes that folder first (RFC 4918 §9.9.3).
  await Deno.mkdir(`${f.root}/target/old`, { recursive: true });
  assert.equal((await move("/renamed", "/target")).status, 204);
  assert.deepEqual(
    [...Deno.readDirSync(`${f.root}/target`)].map((e) => e.name).sort(),
    ["c.txt", "deep"],
  );
});

Deno.test("MOVE onto the source by another name (a symlink to its folder) is 403 and deletes nothing", async () => {
  await using f = await fixture();
  await Deno.symlink(".", `${f.root}/here`);
  await using s = serve(Ops, { directory: f.root });
  const move = (from: string, to: string) =>
    call(`${s.url}${from}`, "MOVE", { destination: `${s.url}${to}` });
  assert.equal((await move("/sub/", "/here/sub/")).status, 403);
  assert.equal((await move("/a.txt", "/here/a.txt")).status, 403);
  assert.deepEqual(f.tree(), [...UNTOUCHED, "root/here"].sort());
});

Deno.test("MOVE refuses a Destination elsewhere: another server 502, no Destination 400, a missing folder 409, outside or hidden 403", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  const cases: [Record<string, string>, number][] = [
    [{ destination: "http://example.com/z.txt" }, 502],
    [{}, 400],
    [{ destination: "http://[::1" }, 400],
    [{ destination: `${s.url}/nowhere/z.txt` }, 409],
    [{ destination: `${s.url}/escape/z.txt` }, 403],
    [{ destination: `${s.url}/.hidden/z.txt` }, 403],
    [{ destination: `${s.url}/z.txt`, overwrite: "maybe" }, 400],
  ];
  for (const [headers, status] of cases) {
    const res = await call(`${s.url}/a.txt`, "MOVE", headers);
    assert.equal(res.status, status, JSON.stringify(headers));
  }
  // Climbing Destinations land inside, as request paths do.
  const climb = await call(`${s.url}/a.txt`, "MOVE", {
    destination: `${s.url}/sub/%2e%2e/%2e%2e/%2e%2e/up.txt`,
  });
  assert.equal(climb.status, 201);
  assert.deepEqual(
    f.tree(),
    [...UNTOUCHED.filter((p) => p !== "root/a.txt"), "root/up.txt"].sort(),
  );
});

Deno.test("a MOVE or MKCOL into a folder that does not exist says so, not that an upload failed", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  const move = await call(`${s.url}/a.txt`, "MOVE", {
    destination: `${s.url}/nowhere/z.txt`,
  });
  const mkcol = await call(`${s.url}/no/such/`, "MKCOL");
  for (const answer of [move, mkcol]) {
    assert.equal(answer.status, 409);
    assert.match(answer.text, /No such folder to put it in/);
    assert.doesNotMatch(answer.text, /upload/);
  }
});

Deno.test("MKCOL creates a folder (201); a taken name is 405, a missing parent 409, a body 415, hidden or outside 403", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  assert.equal((await call(`${s.url}/new/`, "MKCOL")).status, 201);
  assert.ok(Deno.statSync(`${f.root}/new`).isDirectory);
  const cases: [string, number, string?][] = [
    ["/new/", 405],
    ["/a.txt", 405],
    ["/no/such/", 409],
    ["/body/", 415, "<x/>"],
    ["/.git/", 403],
    ["/escape/in/", 403],
    ["/", 403],
  ];
  for (const [target, status, body] of cases) {
    const res = await call(`${s.url}${target}`, "MKCOL", {}, body);
    assert.equal(res.status, status, target);
  }
  assert.deepEqual(f.tree(), [...UNTOUCHED, "root/new/"].sort());
});

Deno.test("concurrent moves of one name leave one winner and one file: the others are 404", async () => {
  for (const overwrite of ["T", "F"]) {
    for (const folder of [false, true]) {
      await using f = await fixture();
      await using s = serve(Ops, { directory: f.root });
      const source = folder ? "/sub/" : "/a.txt";
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(`${s.url}${source}`, "MOVE", {
            destination: `${s.url}/to${i}${folder ? "/" : ".txt"}`,
            overwrite,
          })),
      );
      const statuses = results.map((r) => r.status).sort();
      const label = `${source} with Overwrite: ${overwrite}`;
      assert.deepEqual(statuses, [201, ...Array(11).fill(404)], label);
      const names = [...Deno.readDirSync(f.root)].map((e) => e.name);
      const landed = names.filter((name) => name.startsWith("to"));
      assert.equal(landed.length, 1, `${label}: ${names}`);
      assert.ok(!names.includes(source.replace(/\//g, "")), label);
      const moved = `${f.root}/${landed[0]}`;
      assert.equal(
        await Deno.readTextFile(folder ? `${moved}/c.txt` : moved),
        folder ? "c" : "a",
      );
    }
  }
});

Deno.test("concurrent moves onto one name with Overwrite: F: one takes it (201), the others are 412 and keep their files", async () => {
  await using f = await fixture();
  await using s = serve(Ops, { directory: f.root });
  const sources = Array.from({ length: 10 }, (_, i) => `f${i}.txt`);
  for (const name of sources) {
    await Deno.writeTextFile(`${f.root}/${name}`, name);
  }
  const results = await Promise.all(
    sources.map((name) =>
      call(`${s.url}/${name}`, "MOVE", {
        destination: `${s.url}/one.txt`,
        overwrite: "F",
      })
    ),
  );
  const statuses = results.map((r) => r.status);
  assert.deepEqual(statuses.toSorted(), [201, ...Array(9).fill(412)]);
  const winner = sources[statuses.indexOf(201)];
  assert.equal(await Deno.readTextFile(`${f.root}/one.txt`), winner);
  for (const name of sources.filter((n) => n !== winner)) {
    assert.equal(await Deno.readTextFile(`${f.root}/${name}`), name);
  }
});

Deno.test("PROPFIND answers 207 with a file's properties (Depth: 0), a folder's entries (Depth: 1); Depth: infinity or none is 403", async () => {
  await using f = await fixture();
  await using s = serve(ReadOnlyDav, { directory: f.root });
  const file = await call(`${s.url}/a.txt`, "PROPFIND", { depth: "0" });
  assert.equal(file.status, 207);
  assert.match(
    file.headers.get("content-type")!,
    /^application\/xml; charset="utf-8"$/,
  );
  const head = await fetch(`${s.url}/a.txt`, { method: "HEAD" });
  for (
    const prop of [
      "<D:href>/a.txt</D:href>",
      "<D:displayname>a.txt</D:displayname>",
      "<D:resourcetype/>",
      "<D:getcontentlength>1</D:getcontentlength>",
      "<D:getcontenttype>text/plain</D:getcontenttype>",
      `<D:getetag>${head.headers.get("etag")}</D:getetag>`,
      `<D:getlastmodified>${
        head.headers.get("last-modified")
      }</D:getlastmodified>`,
      "<D:status>HTTP/1.1 200 OK</D:status>",
    ]
  ) {
    assert.ok(file.text.includes(prop), `${prop} in ${file.text}`);
  }
  const folder = await call(`${s.url}/`, "PROPFIND", { depth: "1" });
  assert.equal(folder.status, 207);
  const hrefs = [...folder.text.matchAll(/<D:href>([^<]*)<\/D:href>/g)]
    .map((m) => m[1]);
  assert.deepEqual(hrefs, [
    "/",
    "/.hidden/",
    "/a.txt",
    "/b.txt",
    "/escape/",
    "/link.txt",
    "/sub/",
  ]);
  assert.match(
    folder.text,
    /<D:href>\/sub\/<\/D:href><D:propstat><D:prop><D:displayname>sub<\/D:displayname><D:resourcetype><D:collection\/><\/D:resourcetype>/,
  );
  for (const depth of ["infinity", undefined]) {
    const res = await call(
      `${s.url}/`,
      "PROPFIND",
      depth === undefined ? {} : { depth },
    );
    assert.equal(res.status, 403, depth);
  }
  assert.equal(
    (await call(`${s.url}/`, "PROPFIND", { depth: "2" })).status,
    400,
  );
  assert.equal(
    (await call(`${s.url}/missing`, "PROPFIND", { depth: "0" })).status,
    404,
  );
});

Deno.test("PROPFIND answers what its body asks: some properties (those a file lacks in a 404 propstat), their names, or all; a body that is no propfind is 400", async () => {
  await using f = await fixture();
  await using s = serve(ReadOnlyDav, { directory: f.root });
  const some = await call(
    `${s.url}/sub/`,
    "PROPFIND",
    { depth: "0", "content-type": "application/xml" },
    `<?xml version="1.0"?>
<propfind xmlns="DAV:" xmlns:oc="http://owncloud.org/ns">
  <prop><resourcetype/><getcontentlength/><oc:checksums/></prop>
</propfind>`,
  );
  assert.equal(some.status, 207);
  assert.ok(
    some.text.includes(
      "<D:href>/sub/</D:href>" +
        "<D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>" +
        '<D:propstat><D:prop><getcontentlength xmlns="DAV:"/><checksums xmlns="http://owncloud.org/ns"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>',
    ),
    some.text,
  );
  const names = await call(
    `${s.url}/a.txt`,
    "PROPFIND",
    { depth: "0" },
    '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>',
  );
  assert.match(
    names.text,
    /<D:prop><D:displayname\/><D:resourcetype\/><D:getlastmodified\/>.*<D:getcontentlength\/><D:getcontenttype\/><D:getetag\/><\/D:prop>/,
  );
  const all = await call(
    `${s.url}/a.txt`,
    "PROPFIND",
    { depth: "0" },
    '<propfind xmlns="DAV:"><allprop/></propfind>',
  );
  assert.match(all.text, /<D:getcontentlength>1<\/D:getcontentlength>/);
  const bad = await call(`${s.url}/a.txt`, "PROPFIND", { depth: "0" }, "<x/>");
  assert.equal(bad.status, 400);
});

Deno.test("PROPFIND bodies of tags that never end are read as any other, in one pass (bench/README.md: wanted.ts)", async () => {
  await using f = await fixture();
  await using s = serve(ReadOnlyDav, { directory: f.root });
  const open = '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop>';
  for (const rest of ["<" + "a".repeat(60_000), "<a".repeat(30_000)]) {
    const answer = await call(
      `${s.url}/a.txt`,
      "PROPFIND",
      { depth: "0" },
      open + rest,
    );
    assert.equal(answer.status, 207);
    assert.match(answer.text, /<D:prop><D:getetag>/);
  }
});

Deno.test("PROPFIND lists what GET serves: no dotfiles without showHidden, names escaped, a folder only with listings on", async () => {
  await using f = await fixture();
  await Deno.writeTextFile(`${f.root}/sub/a&<b> c.txt`, "x");
  class NoHidden extends ReadOnlyDav {
    override showHidden = false;
  }
  class NoListing extends ReadOnlyDav {
    override listing = false;
  }
  await using s = serve(NoHidden, { directory: f.root });
  const root = await call(`${s.url}/`, "PROPFIND", { depth: "1" });
  assert.ok(!root.text.includes(".hidden"), root.text);
  assert.equal(
    (await call(`${s.url}/.hidden/h.txt`, "PROPFIND", { depth: "0" })).status,
    404,
  );
  const sub = await call(`${s.url}/sub`, "PROPFIND", { depth: "1" });
  assert.ok(
    sub.text.includes(
      "<D:href>/sub/a%26%3Cb%3E%20c.txt</D:href><D:propstat><D:prop><D:displayname>a&amp;&lt;b&gt; c.txt</D:displayname>",
    ),
    sub.text,
  );
  await using n = await serve(NoListing, { directory: f.root });
  assert.equal(
    (await call(`${n.url}/sub/`, "PROPFIND", { depth: "1" })).status,
    403,
  );
  assert.equal(
    (await call(`${n.url}/sub/`, "PROPFIND", { depth: "0" })).status,
    207,
  );
});

// --- The core, with access rules ---

/** An Access that lets `user` read everything and change only `writable`. */
function rules(writable: (path: string) => boolean): Access {
  return {
    user: "ann",
    allows: (path, mode) =>
      mode === "read" ? path !== "/sub/c.txt" : writable(path),
  };
}

/** The core's view of one request, as a face gives it. */
function site(
  root: string,
  method: string,
  target: string,
  access: Access,
  fields: Record<string, string> = {},
): OpsSite {
  return opsSite(root, method, target, access, { fields });
}

Deno.test("the access rules are asked for every path a change touches: a MOVE's both ends, all a deleted or moved folder holds", async () => {
  await using f = await fixture();
  const onlySub = rules((path) => path === "/sub" || path.startsWith("/sub/"));
  const notDeep = rules((path) => !path.startsWith("/sub/deep/"));
  assert.equal(
    await refusal(deleteTarget(site(f.root, "DELETE", "/a.txt", onlySub))),
    403,
  );
  // The source may change, the destination may not; and the other way.
  assert.equal(
    await refusal(
      moveTarget(site(f.root, "MOVE", "/sub/c.txt", onlySub, {
        destination: "/c.txt",
      })),
    ),
    403,
  );
  assert.equal(
    await refusal(
      moveTarget(site(f.root, "MOVE", "/a.txt", onlySub, {
        destination: "/sub/a.txt",
      })),
    ),
    403,
  );
  // The folder may change, a file deep inside may not; 401 when no one
  // signed in, as every refusal of the rules.
  assert.equal(
    await refusal(deleteTarget(site(f.root, "DELETE", "/sub/", notDeep))),
    403,
  );
  assert.equal(
    await refusal(
      deleteTarget(
        site(f.root, "DELETE", "/sub/", { ...notDeep, user: null }),
      ),
    ),
    401,
  );
  // Moved, what it holds would leave the rules of its paths behind.
  assert.equal(
    await refusal(
      moveTarget(site(f.root, "MOVE", "/sub/", notDeep, {
        destination: "/moved/",
      })),
    ),
    403,
  );
  assert.deepEqual(f.tree(), UNTOUCHED);
  const moved = await moveTarget(
    site(f.root, "MOVE", "/sub/c.txt", onlySub, { destination: "/sub/e.txt" }),
  );
  assert.equal(moved.status, 201);
});

Deno.test("a change is checked at the path its face's translatePath names: a component Windows drops (c:) leads no Destination round the rules, nor makes a folder the name to replace", async () => {
  await using f = await fixture();
  const notSub = rules((path) => path !== "/sub" && !path.startsWith("/sub/"));
  // translatePath as on Windows, which drops a component holding `:`.
  const windowsLike = (target: string) =>
    translatePath(f.root, target.replace(/\/[^/]*:[^/]*/g, ""));
  const move = {
    ...site(f.root, "MOVE", "/a.txt", notSub, {
      destination: "/x:y/sub/a.txt",
    }),
    translatePath: windowsLike,
  };
  assert.equal(await refusal(moveTarget(move)), 403);
  // Nor does a dropped last name make its folder the name to take (and
  // replace): 400.
  const onto = {
    ...site(f.root, "MOVE", "/a.txt", rules(() => true), {
      destination: "/sub/x:y",
    }),
    translatePath: windowsLike,
  };
  assert.equal(await refusal(moveTarget(onto)), 400);
  assert.deepEqual(f.tree(), UNTOUCHED);
});

Deno.test("PROPFIND asks the access rules: a path the user may not read is 403 (401 without a user), and is left out of its folder's entries", async () => {
  await using f = await fixture();
  const access = rules(() => false);
  assert.equal(
    await refusal(
      propfind(site(f.root, "PROPFIND", "/sub/c.txt", access, { depth: "0" })),
    ),
    403,
  );
  // As every refusal of the rules: 401 when no one signed in.
  assert.equal(
    await refusal(
      propfind(
        site(f.root, "PROPFIND", "/sub/c.txt", { ...access, user: null }, {
          depth: "0",
        }),
      ),
    ),
    401,
  );
  const answer = await propfind(
    site(f.root, "PROPFIND", "/sub/", access, { depth: "1" }),
  );
  const text = await new Response(answer.body as BodyInit).text();
  assert.ok(text.includes("<D:href>/sub/deep/</D:href>"), text);
  assert.ok(!text.includes("c.txt"), text);
});

/** A sandbox that counts the entries it was asked to `stat`. */
class Counting extends Sandbox {
  stats = 0;
  override stat(path: string, log: boolean): Deno.FileInfo | null {
    this.stats++;
    return super.stat(path, log);
  }
}

Deno.test("a large folder's PROPFIND Depth: 1 is a stream made as it is read, not a body held whole", async () => {
  await using f = await fixture();
  await Deno.mkdir(`${f.root}/many`);
  for (let i = 0; i < 1000; i++) {
    await Deno.writeTextFile(
      `${f.root}/many/f${String(i).padStart(4, "0")}`,
      "",
    );
  }
  const sandbox = new Counting(f.root, () => {});
  const answer = await propfind({
    ...site(f.root, "PROPFIND", "/many/", rules(() => false), { depth: "1" }),
    sandbox,
  });
  assert.equal(answer.status, 207);
  assert.ok(answer.body instanceof ReadableStream, "a body held whole");
  const reader = answer.body.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  const second = await reader.read();
  assert.ok(!second.done);
  // The folder's own response, then one unit of entries: no more looked at.
  assert.ok(sandbox.stats <= 128, `${sandbox.stats} entries looked at`);
  const rest: Uint8Array[] = [first.value, second.value];
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    rest.push(next.value);
  }
  const text = new TextDecoder().decode(concat(rest));
  assert.equal(text.match(/<D:response>/g)?.length, 1001);
  assert.ok(text.startsWith('<?xml version="1.0" encoding="utf-8"?>\n'));
  assert.ok(text.includes("<D:href>/many/f0999</D:href>"));
  assert.ok(text.endsWith("</D:multistatus>\n"));
});

for (const face of ["python", "fetch"] as const) {
  Deno.test(`${face} face: a large folder's PROPFIND Depth: 1 is sent chunked, the connection kept; to HTTP/1.0 up to the close`, async () => {
    await using f = await fixture();
    await Deno.mkdir(`${f.root}/many`);
    for (let i = 0; i < 200; i++) {
      await Deno.writeTextFile(`${f.root}/many/f${i}.txt`, "x");
    }
    await using server = startFace(face, f.root, ["--webdav"]);
    const ask = (version: string) =>
      `PROPFIND /many/ ${version}\r\nHost: 127.0.0.1\r\nDepth: 1\r\n\r\n`;
    {
      using client = await RawClient.connect(server.port);
      await client.send(ask("HTTP/1.1"));
      const streamed = await client.readResponse();
      assert.equal(streamed.status, 207);
      assert.equal(streamed.headers.get("content-length"), null);
      assert.equal(streamed.headers.get("transfer-encoding"), "chunked");
      assert.equal(streamed.text.match(/<D:response>/g)?.length, 201);
      assert.ok(streamed.text.endsWith("</D:multistatus>\n"));
      await client.send(ask("HTTP/1.1"));
      assert.equal((await client.readResponse()).text, streamed.text);
    }
    if (face === "python") {
      using client = await RawClient.connect(server.port);
      await client.send(ask("HTTP/1.0"));
      const closed = await client.readResponse();
      assert.equal(closed.headers.get("transfer-encoding"), null);
      assert.equal(closed.text.match(/<D:response>/g)?.length, 201);
      assert.ok(closed.text.endsWith("</D:multistatus>\n"));
    }
  });
}
