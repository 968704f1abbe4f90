// Uploads over real sockets: PUT and the listing page's form, the attacks
// (climbing names, absolute names, hidden names, symlinks out, oversize
// bodies, taken names, aborted bodies, other sites' forms) each leaving
// nothing on disk, and the CLI's --upload with and without --allow-write.
import assert from "node:assert/strict";
import { CGIHTTPRequestHandler, SimpleHTTPRequestHandler } from "../mod.ts";
import { parseCliArgs } from "../cli.ts";
import { renderListing } from "../handlers/listing.ts";
import { UPLOAD_FORM } from "../handlers/upload.ts";
import {
  BANNER,
  Cli,
  missingPermissions,
  run,
  withFolder,
} from "./cli_process.ts";
import { RawClient, serve } from "./helpers.ts";

class Quiet extends SimpleHTTPRequestHandler {
  override logMessage(): void {}
}

class Uploads extends Quiet {
  override upload = true;
  override maxUploadBytes = 64 * 1024;
}

class Overwrites extends Uploads {
  override overwrite = true;
}

const encoder = new TextEncoder();

/**
 * `<tmp>/root` (served: `existing.txt`, `sub/`, `escape` -> `../outside`)
 * beside `<tmp>/outside`, where nothing may ever appear.
 */
async function fixture() {
  const top = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "upload_test_" }),
  );
  const root = `${top}/root`;
  await Deno.mkdir(`${root}/sub`, { recursive: true });
  await Deno.mkdir(`${top}/outside`);
  await Deno.writeTextFile(`${root}/existing.txt`, "old");
  await Deno.symlink(`${top}/outside`, `${root}/escape`);
  return {
    top,
    root,
    /** Every file under `top`, relative, sorted: what the server left. */
    tree(): string[] {
      const out: string[] = [];
      const walk = (dir: string, prefix: string) => {
        for (const entry of Deno.readDirSync(dir)) {
          const name = prefix + entry.name;
          if (entry.isDirectory) walk(`${dir}/${entry.name}`, name + "/");
          else out.push(name);
        }
      };
      walk(top, "");
      return out.sort();
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(top, { recursive: true });
    },
  };
}

/** What the fixture holds before any upload. */
const UNTOUCHED = ["root/escape", "root/existing.txt"];

async function put(
  url: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method: "PUT", body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A part of a form: a field, or a file when `filename` is set. */
interface FormPart {
  name: string;
  filename?: string;
  body: string | Uint8Array;
}

const BOUNDARY = "----formboundaryQ8ez";

/** A multipart/form-data body as a browser sends it. */
function formBody(parts: FormPart[]): Uint8Array<ArrayBuffer> {
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    let head =
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) {
      head +=
        `; filename="${part.filename}"\r\nContent-Type: application/octet-stream`;
    }
    chunks.push(encoder.encode(head + "\r\n\r\n"));
    chunks.push(
      typeof part.body === "string" ? encoder.encode(part.body) : part.body,
    );
    chunks.push(encoder.encode("\r\n"));
  }
  chunks.push(encoder.encode(`--${BOUNDARY}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function postForm(
  url: string,
  parts: FormPart[],
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    body: formBody(parts),
    headers: {
      "Content-Type": `multipart/form-data; boundary=${BOUNDARY}`,
      ...headers,
    },
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

// --- PUT ---

Deno.test("PUT stores a new file: 201 and the exact bytes, no temporary file left", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const res = await put(`${s.url}/sub/new%20file.txt`, "hello upload\n");
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("content-length"), "0");
  assert.equal(
    await Deno.readTextFile(`${fx.root}/sub/new file.txt`),
    "hello upload\n",
  );
  assert.deepEqual(fx.tree(), [...UNTOUCHED, "root/sub/new file.txt"].sort());
  // Served at once, like any file.
  const back = await fetch(`${s.url}/sub/new%20file.txt`);
  assert.equal(await back.text(), "hello upload\n");
});

Deno.test("PUT streams a body of random bytes, chunked, intact", async () => {
  await using fx = await fixture();
  class Big extends Uploads {
    override maxUploadBytes = 8 * 1024 * 1024;
  }
  await using s = serve(Big, { directory: fx.root });
  const data = crypto.getRandomValues(new Uint8Array(65536));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 64; i++) controller.enqueue(data);
      controller.close();
    },
  });
  const res = await put(`${s.url}/big.bin`, stream);
  assert.equal(res.status, 201);
  const stored = await Deno.readFile(`${fx.root}/big.bin`);
  assert.equal(stored.length, 64 * 65536);
  for (let i = 0; i < 64; i++) {
    assert.deepEqual(stored.subarray(i * 65536, (i + 1) * 65536), data);
  }
});

Deno.test("PUT over an existing file is 409 without overwrite, 204 with it", async () => {
  await using fx = await fixture();
  {
    await using s = serve(Uploads, { directory: fx.root });
    const res = await put(`${s.url}/existing.txt`, "new");
    assert.equal(res.status, 409);
    assert.match(res.text, /File exists/);
    assert.equal(await Deno.readTextFile(`${fx.root}/existing.txt`), "old");
    assert.deepEqual(fx.tree(), UNTOUCHED);
  }
  await using s = serve(Overwrites, { directory: fx.root });
  const res = await put(`${s.url}/existing.txt`, "new");
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("content-length"), null);
  assert.equal(await Deno.readTextFile(`${fx.root}/existing.txt`), "new");
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("PUT with --overwrite keeps to If-Match, If-None-Match and If-Unmodified-Since: 412", async () => {
  await using fx = await fixture();
  await using s = serve(Overwrites, { directory: fx.root });
  const existing = `${s.url}/existing.txt`;
  const head = await fetch(existing, { method: "HEAD" });
  const etag = head.headers.get("etag")!;
  const refused: Record<string, string>[] = [
    { "If-None-Match": "*" },
    { "If-None-Match": `"other", ${etag}` },
    { "If-Match": etag }, // weak: never equal by the strong comparison
    { "If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT" },
  ];
  for (const headers of refused) {
    const res = await put(existing, "new", headers);
    assert.equal(res.status, 412, JSON.stringify(headers));
    assert.equal(await Deno.readTextFile(`${fx.root}/existing.txt`), "old");
  }
  const missing = await put(`${s.url}/new.txt`, "x", { "If-Match": "*" });
  assert.equal(missing.status, 412);
  assert.deepEqual(fx.tree(), UNTOUCHED);
  const taken: Record<string, string>[] = [
    { "If-Match": "*" },
    { "If-None-Match": '"other"' },
    { "If-Unmodified-Since": new Date(Date.now() + 60_000).toUTCString() },
  ];
  for (const headers of taken) {
    const res = await put(existing, "new", headers);
    assert.equal(res.status, 204, JSON.stringify(headers));
  }
  const created = await put(`${s.url}/new.txt`, "x", { "If-None-Match": "*" });
  assert.equal(created.status, 201);
});

/**
 * Sends `head` (a PUT without its last line) and half of a 6-byte body,
 * runs `meanwhile` once the upload's temporary file exists, then sends the
 * rest; returns the status.
 */
async function putMeanwhile(
  port: number,
  root: string,
  head: string,
  meanwhile: () => Promise<void>,
): Promise<number> {
  using client = await RawClient.connect(port);
  await client.send(`${head}Content-Length: 6\r\n\r\nfir`);
  await eventually(
    () => [...Deno.readDirSync(root)].some((e) => e.name.endsWith(".part")),
    "the upload started",
  );
  await meanwhile();
  await client.send("st!");
  return (await client.readResponse()).status;
}

Deno.test("PUT with If-None-Match: * is 412 when the name is taken while the body arrives", async () => {
  await using fx = await fixture();
  await using s = serve(Overwrites, { directory: fx.root });
  const status = await putMeanwhile(
    s.port,
    fx.root,
    "PUT /late.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n",
    () => Deno.writeTextFile(`${fx.root}/late.txt`, "other"),
  );
  assert.equal(status, 412);
  assert.equal(await Deno.readTextFile(`${fx.root}/late.txt`), "other");
});

Deno.test("PUT checks its preconditions again once the body is in: If-Match: * on a file removed meanwhile is 412", async () => {
  await using fx = await fixture();
  await using s = serve(Overwrites, { directory: fx.root });
  const status = await putMeanwhile(
    s.port,
    fx.root,
    "PUT /existing.txt HTTP/1.1\r\nHost: t\r\nIf-Match: *\r\n",
    () => Deno.remove(`${fx.root}/existing.txt`),
  );
  assert.equal(status, 412);
  assert.deepEqual(fx.tree(), ["root/escape"]);
});

Deno.test("PUT with If-None-Match: * takes the name with a hard link: a file made in the last instant is kept, 412", async () => {
  await using fx = await fixture();
  await using s = serve(Overwrites, { directory: fx.root });
  const link = Deno.link;
  // Another client's file appears between the last check and the link.
  (Deno as { link: typeof Deno.link }).link = async (from, to) => {
    await Deno.writeTextFile(to, "other");
    await link(from, to);
  };
  try {
    const res = await put(`${s.url}/race.txt`, "mine", {
      "If-None-Match": "*",
    });
    assert.equal(res.status, 412);
  } finally {
    (Deno as { link: typeof Deno.link }).link = link;
  }
  assert.equal(await Deno.readTextFile(`${fx.root}/race.txt`), "other");
});

Deno.test("PUT with If-None-Match listing * among tags, or onto a dangling symlink, is create-only: 412", async () => {
  await using fx = await fixture();
  await Deno.symlink(`${fx.root}/nowhere.txt`, `${fx.root}/dangling.txt`);
  await using s = serve(Overwrites, { directory: fx.root });
  for (
    const [target, tags] of [
      ["/existing.txt", '"x", *'],
      ["/dangling.txt", "*"],
    ]
  ) {
    const res = await put(`${s.url}${target}`, "new", {
      "If-None-Match": tags,
    });
    assert.equal(res.status, 412, target);
  }
  assert.equal(await Deno.readTextFile(`${fx.root}/existing.txt`), "old");
  assert.ok(Deno.lstatSync(`${fx.root}/dangling.txt`).isSymlink);
});

Deno.test("PUT compares preconditions with the file a symlink names, as GET serves it", async () => {
  await using fx = await fixture();
  await Deno.symlink(`${fx.root}/existing.txt`, `${fx.root}/alias.txt`);
  await using s = serve(Overwrites, { directory: fx.root });
  const head = await fetch(`${s.url}/alias.txt`, { method: "HEAD" });
  const res = await put(`${s.url}/alias.txt`, "new", {
    "If-None-Match": head.headers.get("etag")!,
  });
  assert.equal(res.status, 412);
  assert.ok(Deno.lstatSync(`${fx.root}/alias.txt`).isSymlink);
});

Deno.test("PUT without --overwrite: a taken name is 409 whatever the preconditions (RFC 9110 §13.2.1)", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const res = await put(`${s.url}/existing.txt`, "new", {
    "If-None-Match": "*",
  });
  assert.equal(res.status, 409);
});

Deno.test("PUT to a folder, or into a folder that does not exist, is 409", async () => {
  await using fx = await fixture();
  await using s = serve(Overwrites, { directory: fx.root });
  for (
    const target of [
      "/",
      "/sub",
      "/sub/",
      "/missing/new.txt",
      "/existing.txt/x",
    ]
  ) {
    const res = await put(s.url + target, "x");
    assert.equal(res.status, 409, target);
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("PUT never writes outside the folder: climbing and absolute targets land inside", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const targets = [
    "/../up1.txt",
    "/%2e%2e/%2e%2e/up2.txt",
    "/sub/../../up3.txt",
    "/..%2fup4.txt",
    "http://evil/../up5.txt",
    "//up6.txt",
  ];
  for (const target of targets) {
    using client = await RawClient.connect(s.port);
    await client.send(
      `PUT ${target} HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx`,
    );
    const res = await client.readResponse();
    assert.equal(res.status, 201, target);
  }
  assert.deepEqual(
    fx.tree(),
    [...UNTOUCHED, ...[1, 2, 3, 4, 5, 6].map((i) => `root/up${i}.txt`)].sort(),
  );
});

Deno.test("PUT of a name with control characters is 400 and writes nothing, as the form refuses it", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  for (const target of ["/new%0a.txt", "/tab%09.txt", "/del%7f.txt"]) {
    using client = await RawClient.connect(s.port);
    await client.send(
      `PUT ${target} HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx`,
    );
    const res = await client.readResponse();
    assert.equal(res.status, 400, target);
    assert.match(res.text, /Not a plain file name/);
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
  if (Deno.build.os !== "windows") {
    // A backslash is an ordinary character in a POSIX name.
    assert.equal((await put(`${s.url}/back%5Cslash.txt`, "x")).status, 201);
  }
});

Deno.test("PUT through a symlink to a folder outside is 403 and writes nothing", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const res = await put(`${s.url}/escape/x.txt`, "x");
  assert.equal(res.status, 403);
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("PUT of a hidden name is 403, dotfiles served or not", async () => {
  await using fx = await fixture();
  await Deno.mkdir(`${fx.root}/.git/hooks`, { recursive: true });
  await using s = serve(Overwrites, { directory: fx.root });
  for (
    const target of [
      "/.bashrc",
      "/%2essh/authorized_keys",
      "/.git/hooks/pre-commit",
      "/sub/.htaccess",
    ]
  ) {
    const res = await put(s.url + target, "evil");
    assert.equal(res.status, 403, target);
    assert.match(res.text, /Hidden names cannot be uploaded/);
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("PUT larger than maxUploadBytes by Content-Length is 413 before a byte is read", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  // As curl sends a large upload: it waits for 100 Continue before the body.
  await client.send(
    "PUT /big.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n" +
      "Expect: 100-continue\r\n\r\n",
  );
  const res = await client.readResponse();
  assert.equal(res.status, 413, res.head);
  assert.match(res.text, /Upload too large/);
  assert.ok(await client.closed());
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("a chunked PUT that grows past maxUploadBytes is 413 and leaves nothing", async () => {
  await using fx = await fixture();
  class Small extends Uploads {
    override maxUploadBytes = 1000;
  }
  await using s = serve(Small, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  const chunk = "x".repeat(400);
  await client.send(
    "PUT /big.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
      `190\r\n${chunk}\r\n`.repeat(3) + "0\r\n\r\n",
  );
  const res = await client.readResponse();
  assert.equal(res.status, 413);
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

/** Waits until `check` holds, for at most 5 s. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(what);
}

Deno.test("an upload cut off mid-body leaves nothing on disk", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  {
    using client = await RawClient.connect(s.port);
    await client.send(
      "PUT /partial.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n" +
        "y".repeat(20000),
    );
    // The temporary file exists while the body streams in...
    await eventually(
      () => fx.tree().some((name) => name.includes(".upload-")),
      "a temporary file while uploading",
    );
  }
  // ...and is gone once the client has vanished.
  await eventually(
    () => JSON.stringify(fx.tree()) === JSON.stringify(UNTOUCHED),
    "nothing left after the abort",
  );
});

// --- The form ---

Deno.test("the form stores each file part, skips fields and empty inputs, and sends the browser back", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const binary = crypto.getRandomValues(new Uint8Array(5000));
  const res = await postForm(`${s.url}/sub/?sort=size`, [
    { name: "note", body: "a plain field" },
    { name: "file", filename: "photo.jpg", body: binary },
    {
      name: "file",
      filename: "notes ü.txt",
      body: "text\r\n--not a boundary\r\n",
    },
    { name: "file", filename: "", body: "" },
  ]);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/sub/?sort=size");
  assert.deepEqual(await Deno.readFile(`${fx.root}/sub/photo.jpg`), binary);
  assert.equal(
    await Deno.readTextFile(`${fx.root}/sub/notes ü.txt`),
    "text\r\n--not a boundary\r\n",
  );
  assert.deepEqual(
    fx.tree(),
    [...UNTOUCHED, "root/sub/notes ü.txt", "root/sub/photo.jpg"].sort(),
  );
});

Deno.test("the form refuses names that are not plain, visible names, and stores none of its files", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const names: [string, number][] = [
    ["../up.txt", 400],
    ["..", 403],
    ["/etc/passwd", 400],
    ["sub/x.txt", 400],
    ["a\\b.txt", 400],
    ["C:\\\\x.txt", 400],
    [".htaccess", 403],
    ["bad\x01name", 400],
  ];
  for (const [name, status] of names) {
    const res = await postForm(`${s.url}/`, [
      { name: "file", filename: "fine.txt", body: "fine" },
      { name: "file", filename: name, body: "evil" },
    ]);
    assert.equal(res.status, status, name);
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("the form with a taken name is 409 and stores none of its files; overwrite replaces", async () => {
  await using fx = await fixture();
  const parts = [
    { name: "file", filename: "fresh.txt", body: "fresh" },
    { name: "file", filename: "existing.txt", body: "new" },
  ];
  {
    await using s = serve(Uploads, { directory: fx.root });
    const res = await postForm(`${s.url}/`, parts);
    assert.equal(res.status, 409);
    assert.deepEqual(fx.tree(), UNTOUCHED);
    const twice = await postForm(`${s.url}/`, [parts[0], parts[0]]);
    assert.equal(twice.status, 409);
    assert.deepEqual(fx.tree(), UNTOUCHED);
  }
  await using s = serve(Overwrites, { directory: fx.root });
  assert.equal((await postForm(`${s.url}/`, parts)).status, 303);
  assert.equal(await Deno.readTextFile(`${fx.root}/existing.txt`), "new");
  assert.deepEqual(fx.tree(), [...UNTOUCHED, "root/fresh.txt"].sort());
});

Deno.test("the form past maxUploadBytes is 413 and leaves nothing", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const res = await postForm(`${s.url}/`, [
    { name: "file", filename: "a.bin", body: new Uint8Array(40 * 1024) },
    { name: "file", filename: "b.bin", body: new Uint8Array(40 * 1024) },
  ]);
  assert.equal(res.status, 413);
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("the form from another site's page is 403; from the server's own page it is taken", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const part = [{ name: "file", filename: "x.txt", body: "x" }];
  for (
    const origin of [
      "http://evil.example",
      "null",
      `http://localhost:${s.port}`,
    ]
  ) {
    const res = await postForm(`${s.url}/`, part, { Origin: origin });
    assert.equal(res.status, 403, origin);
    assert.match(res.text, /Cross-site upload refused/);
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
  const own = await postForm(`${s.url}/`, part, { Origin: s.url });
  assert.equal(own.status, 303);
});

Deno.test("a POST that is not a form is 415; a form to a missing folder 404; a cut-off form 400", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const plain = await fetch(`${s.url}/`, { method: "POST", body: "x=1" });
  assert.equal(plain.status, 415);
  await plain.body?.cancel();
  const missing = await postForm(`${s.url}/nowhere/`, [
    { name: "file", filename: "x.txt", body: "x" },
  ]);
  assert.equal(missing.status, 404);
  const cut = formBody([{ name: "file", filename: "x.txt", body: "x" }]);
  const res = await fetch(`${s.url}/`, {
    method: "POST",
    body: cut.subarray(0, cut.length - 10),
    headers: { "Content-Type": `multipart/form-data; boundary=${BOUNDARY}` },
  });
  assert.equal(res.status, 400);
  await res.body?.cancel();
  const empty = await postForm(`${s.url}/`, [{ name: "note", body: "x" }]);
  assert.equal(empty.status, 400);
  assert.match(empty.text, /no file/);
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("with upload on, listings carry the form; Python's page is otherwise unchanged", async () => {
  await using fx = await fixture();
  await Deno.remove(`${fx.root}/escape`);
  await using s = serve(Uploads, { directory: fx.root });
  const page = await (await fetch(`${s.url}/`)).text();
  const entries = [...Deno.readDirSync(fx.root)].map((e) => ({
    name: e.name,
    isDirectory: e.isDirectory,
    isSymlink: e.isSymlink,
  }));
  const expected = renderListing("/", entries, UPLOAD_FORM).body;
  assert.equal(page, new TextDecoder().decode(expected));
  assert.match(
    page,
    /<hr>\n<form method="post" enctype="multipart\/form-data">/,
  );
  class PrettyUploads extends Uploads {
    override prettyListing = true;
  }
  await using p = serve(PrettyUploads, { directory: fx.root });
  assert.ok((await (await fetch(`${p.url}/`)).text()).includes(UPLOAD_FORM));
});

Deno.test("with CGI on, a POST outside the CGI folders is an upload when upload is on, else 501", async () => {
  await using fx = await fixture();
  class Cgi extends CGIHTTPRequestHandler {
    override logMessage(): void {}
  }
  class CgiUploads extends Cgi {
    override upload = true;
  }
  const part = [{ name: "file", filename: "x.txt", body: "x" }];
  {
    await using s = serve(Cgi, { directory: fx.root });
    const res = await postForm(`${s.url}/`, part);
    assert.equal(res.status, 501);
    assert.match(res.text, /Can only POST to CGI scripts/);
  }
  await using s = serve(CgiUploads, { directory: fx.root });
  assert.equal((await postForm(`${s.url}/`, part)).status, 303);
  assert.equal(await Deno.readTextFile(`${fx.root}/x.txt`), "x");
});

// --- The CLI ---

Deno.test("CLI: --upload without --allow-write names the flag and exits 1", async () => {
  await withFolder(async (dir) => {
    for (
      const permissions of [
        [],
        [`--allow-write=${dir}/elsewhere`],
      ]
    ) {
      const { code, stderr } = await run(
        ["--allow-net=127.0.0.1", `--allow-read=${dir}`, ...permissions],
        ["0", "-b", "127.0.0.1", "-d", dir, "--upload"],
      );
      assert.equal(code, 1);
      assert.deepEqual(missingPermissions(stderr).flags, [
        `--allow-write=${dir}`,
      ]);
    }
  });
});

Deno.test("CLI: --upload with --allow-write for the folder takes PUT and the form, within --max-upload", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--upload", "--max-upload", "1K"],
    );
    const banner = await cli.waitFor(BANNER);
    const url = `http://127.0.0.1:${banner![2]}`;
    assert.equal((await put(`${url}/put.txt`, "put")).status, 201);
    assert.equal((await put(`${url}/hello.txt`, "no")).status, 409);
    assert.equal((await put(`${url}/big.txt`, "x".repeat(1025))).status, 413);
    const form = await postForm(`${url}/`, [
      { name: "file", filename: "form.txt", body: "form" },
    ]);
    assert.equal(form.status, 303);
    assert.match(await (await fetch(`${url}/`)).text(), /<form method="post"/);
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.match(stderr, /"PUT \/put\.txt HTTP\/1\.1" 201 -/);
  });
  // withFolder removed the folder: the uploads were in it.
});

Deno.test("CLI: --overwrite replaces files; its flags need --upload; sizes parse", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--upload", "--overwrite"],
    );
    const banner = await cli.waitFor(BANNER);
    const url = `http://127.0.0.1:${banner![2]}`;
    assert.equal((await put(`${url}/hello.txt`, "replaced")).status, 204);
    assert.equal(await Deno.readTextFile(`${dir}/hello.txt`), "replaced");
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
  const defaults = parseCliArgs([])!;
  assert.equal(defaults.upload, false);
  assert.equal(defaults.overwrite, false);
  assert.equal(defaults.maxUploadBytes, 1024 ** 3);
  assert.equal(
    parseCliArgs(["--upload", "--max-upload", "10m"])!.maxUploadBytes,
    10 * 1024 ** 2,
  );
  assert.equal(
    parseCliArgs(["--upload", "--max-upload", "123"])!.maxUploadBytes,
    123,
  );
  assert.equal(
    parseCliArgs(["--cgi", "--max-upload", "2K"])!.maxUploadBytes,
    2048,
  );
  for (
    const [args, message] of [
      [["--overwrite"], /argument --overwrite: only with --upload/],
      [
        ["--max-upload", "1G"],
        /argument --max-upload: only with --upload or --cgi/,
      ],
      [["--upload", "--max-upload", "1T"], /invalid size: '1T'/],
      [["--upload", "--max-upload=-1"], /invalid size: '-1'/],
      [["--upload", "--max-upload", "0.5G"], /invalid size: '0\.5G'/],
    ] as const
  ) {
    const { code, stderr } = await run(["--allow-read"], [...args]);
    assert.equal(code, 2);
    assert.match(stderr, message);
  }
});
