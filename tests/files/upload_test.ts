// Uploads over real sockets: PUT and the listing page's form, the attacks
// (climbing names, absolute names, hidden names, symlinks out, oversize
// bodies, taken names, aborted bodies, other sites' forms) each leaving
// nothing on disk, and the CLI's --upload with and without --allow-write.
import assert from "node:assert/strict";
import { CGIHTTPRequestHandler } from "../../mod.ts";
import { parseCliArgs } from "../../cli/args.ts";
import { renderListing } from "../../files/listing/python.ts";
import { isAllowedHost } from "../../files/upload/host.ts";
import { UPLOAD_PAGE, UPLOAD_SCRIPT } from "../../files/upload/page.ts";
import { exists } from "../../files/upload/uploadfile.ts";
import type { Access } from "../../files/access.ts";
import { exitCleanups } from "../../util/exitcleanup.ts";
import {
  Cli,
  missingPermissions,
  run,
  withFolder,
} from "../support/cli_process.ts";
import {
  captureLogs,
  concat,
  Quiet,
  RawClient,
  serve,
  treeOf,
} from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

class Uploads extends Quiet {
  override upload = true;
  override maxUploadBytes = 64 * 1024;
}

class Overwrites extends Uploads {
  override overwrite = true;
}

const encoder = new TextEncoder();

/** Bytes as a string of one character each, for a raw request. */
function latin1Text(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

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
  // Long unchanged: a GET gives its validators (see `validatable`).
  await Deno.utime(`${root}/existing.txt`, 1_700_000_000, 1_700_000_000);
  await Deno.symlink(`${top}/outside`, `${root}/escape`);
  return {
    top,
    root,
    /** Every file under `top`, relative, sorted: what the server left. */
    tree: () => treeOf(top, { folders: false }),
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
  return concat(chunks);
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

Deno.test("an upload, replacing a file or not, leaves no clean-up registered for an immediate exit", async () => {
  await using fx = await fixture();
  const before = exitCleanups.size;
  {
    await using s = serve(Overwrites, { directory: fx.root });
    assert.equal((await put(`${s.url}/existing.txt`, "new")).status, 204);
    assert.equal((await put(`${s.url}/fresh.txt`, "new")).status, 201);
  }
  assert.equal(exitCleanups.size, before);
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
    "PUT /late.txt HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: *\r\n",
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
    "PUT /existing.txt HTTP/1.1\r\nHost: localhost\r\nIf-Match: *\r\n",
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
    "http://localhost/../up5.txt",
    "//up6.txt",
  ];
  for (const target of targets) {
    using client = await RawClient.connect(s.port);
    await client.send(
      `PUT ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx`,
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
      `PUT ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx`,
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
    "PUT /big.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n" +
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
    "PUT /big.bin HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
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
      "PUT /partial.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000\r\n\r\n" +
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
    ["sub//x.txt", 400],
    ["sub/", 400],
    ["sub/./x.txt", 400],
    ["new/../x.txt", 400],
    ["sub/.git/x.txt", 403],
    ["sub\\x.txt", 400],
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

Deno.test("the form stores a folder's files by their relative paths, making the folders they need", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const res = await postForm(`${s.url}/sub/`, [
    { name: "file", filename: "album/2026/a.txt", body: "a" },
    { name: "file", filename: "album/b.txt", body: "b" },
    { name: "file", filename: "c.txt", body: "c" },
  ]);
  assert.equal(res.status, 303, res.text);
  assert.equal(res.headers.get("location"), "/sub/");
  assert.deepEqual(
    fx.tree(),
    [
      ...UNTOUCHED,
      "root/sub/album/2026/a.txt",
      "root/sub/album/b.txt",
      "root/sub/c.txt",
    ].sort(),
  );
  // Into folders that are there now: a name taken in one is 409.
  const again = await postForm(`${s.url}/sub/`, [
    { name: "file", filename: "album/2026/d.txt", body: "d" },
    { name: "file", filename: "album/b.txt", body: "b" },
  ]);
  assert.equal(again.status, 409);
  assert.equal(exists(`${fx.root}/sub/album/2026/d.txt`), false);
});

Deno.test("a form that fails removes the folders it made, and makes none through a symlink out", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const taken = await postForm(`${s.url}/`, [
    { name: "file", filename: "new/deep/a.txt", body: "a" },
    { name: "file", filename: "existing.txt", body: "b" },
  ]);
  assert.equal(taken.status, 409);
  assert.equal(exists(`${fx.root}/new`), false);
  const out = await postForm(`${s.url}/`, [
    { name: "file", filename: "made/a.txt", body: "a" },
    { name: "file", filename: "escape/inner/b.txt", body: "b" },
  ]);
  assert.equal(out.status, 403);
  assert.equal(exists(`${fx.root}/made`), false);
  assert.deepEqual([...Deno.readDirSync(`${fx.top}/outside`)], []);
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("the form asks the request's access for every folder a relative path makes and for its file, and a PUT for its file", async () => {
  await using fx = await fixture();
  const asked: string[] = [];
  const ann: Access = {
    user: "ann",
    allows(path: string, mode: string) {
      asked.push(`${mode} ${path}`);
      return !path.startsWith("/sub/private");
    },
  };
  class Guarded extends Uploads {
    override admit(): void {
      this.access = ann;
    }
  }
  await using s = serve(Guarded, { directory: fx.root });
  const refused = await postForm(`${s.url}/sub/`, [
    { name: "file", filename: "private/a.txt", body: "a" },
  ]);
  assert.equal(refused.status, 403);
  assert.equal(exists(`${fx.root}/sub/private`), false);
  asked.length = 0;
  const taken = await postForm(`${s.url}/sub/`, [
    { name: "file", filename: "open/a.txt", body: "a" },
  ]);
  assert.equal(taken.status, 303);
  assert.deepEqual(asked, ["write /sub/open", "write /sub/open/a.txt"]);
  // A PUT asks it for the file it makes too.
  const put = await fetch(`${s.url}/sub/private.txt`, {
    method: "PUT",
    body: "p",
  });
  await put.body?.cancel();
  assert.equal(put.status, 403);
  assert.equal(exists(`${fx.root}/sub/private.txt`), false);
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

Deno.test("with upload on, listings carry the form and its script, allowed by its hash alone; Python's page is otherwise unchanged", async () => {
  await using fx = await fixture();
  await Deno.remove(`${fx.root}/escape`);
  await using s = serve(Uploads, { directory: fx.root });
  const response = await fetch(`${s.url}/`);
  const page = await response.text();
  const entries = [...Deno.readDirSync(fx.root)].map((e) => ({
    name: e.name,
    isDirectory: e.isDirectory,
    isSymlink: e.isSymlink,
  }));
  const expected = renderListing("/", entries, UPLOAD_PAGE).body;
  assert.equal(page, new TextDecoder().decode(expected));
  assert.match(
    page,
    /<hr>\n<form method="post" enctype="multipart\/form-data">\n.*\n.*\n<\/form>\n<script>/,
  );
  // The hash of the script's text, as a browser takes it (CSP 3 §8.4).
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(UPLOAD_SCRIPT),
  );
  const hash = `'sha256-${
    btoa(String.fromCharCode(...new Uint8Array(digest)))
  }'`;
  assert.equal(
    response.headers.get("content-security-policy"),
    `default-src 'none'; form-action 'self'; script-src ${hash}; connect-src 'self'`,
  );
  class PrettyUploads extends Uploads {
    override prettyListing = true;
  }
  await using p = serve(PrettyUploads, { directory: fx.root });
  const pretty = await fetch(`${p.url}/`);
  assert.ok((await pretty.text()).includes(UPLOAD_PAGE));
  assert.equal(
    pretty.headers.get("content-security-policy"),
    `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; script-src ${hash}; connect-src 'self'`,
  );
  // Without uploads, Python's page has no policy, and the pretty page's
  // allows no script.
  await using plain = serve(Quiet, { directory: fx.root });
  const python = await fetch(`${plain.url}/`);
  await python.body?.cancel();
  assert.equal(python.headers.get("content-security-policy"), null);
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

// --- Answers after 100 Continue ---

class Uploads11 extends Uploads {
  override protocolVersion = "HTTP/1.1";
  override maxUploadBytes = 1024 * 1024;
}

Deno.test("a client still sending a refused upload's body reads to a clean close, not a reset (RFC 9112 §9.6)", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads11, { directory: fx.root });
  using client = await RawClient.connect(s.port);
  const size = 4 * 1024 * 1024;
  await client.send(
    `PUT /existing.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n`,
  );
  // Refused on its head, before the body is read.
  assert.equal((await client.readResponse()).status, 409);
  // Closed at once, the socket would answer these bytes with a reset.
  const chunk = new Uint8Array(64 * 1024);
  for (let sent = 0; sent < size; sent += chunk.length) {
    await client.send(chunk);
  }
  assert.ok(await client.closed());
});

const curlTests = requiring("curl");

/** Runs curl quietly; resolves to the status it read and what it printed on stderr. */
async function curl(
  args: string[],
): Promise<{ status: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "-o", "/dev/null", "-w", "%{http_code}", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    status: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

curlTests.test("curl's large uploads refused after 100 Continue get their 409, 413 or 400, not an empty reply", async () => {
  await using fx = await fixture();
  const big = `${fx.top}/2MB.bin`;
  await Deno.writeFile(big, new Uint8Array(2_000_000));
  await using s = serve(Uploads11, { directory: fx.root });
  // curl sends Expect: 100-continue on its own for a body over 1 MiB; said
  // here so that the test does not hang on the version of curl.
  const expect = ["-H", "Expect: 100-continue"];
  const cases: [string[], string][] = [
    [["-F", `file=@${big};filename=existing.txt`, `${s.url}/`], "409"],
    // Under the Content-Length check (the limit and a form's framing), cut
    // by the parser once past the limit.
    [["-F", `file=@${big}`, `${s.url}/`], "413"],
    [
      ["-T", big, "-H", "Transfer-Encoding: chunked", `${s.url}/big.bin`],
      "413",
    ],
    [["-F", `file=@${big};filename=rtl\u202egpj.exe`, `${s.url}/`], "400"],
  ];
  for (const [args, status] of cases) {
    const res = await curl([...expect, ...args]);
    assert.deepEqual(res, { status, stderr: "" }, args.join(" "));
  }
  assert.deepEqual(fx.tree(), [...UNTOUCHED, "2MB.bin"].sort());
});

// --- The Host of a request that changes files ---

Deno.test("isAllowedHost: IP literals, localhost and names under .localhost, and the names allowed", () => {
  const cases: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.0.0.1:8000", true],
    ["192.168.1.20:80", true],
    ["[::1]:8000", true],
    ["[fe80::1]", true],
    ["localhost", true],
    ["LOCALHOST:8000", true],
    ["app.localhost:5173", true],
    ["nas.lan:8000", true], // allowed below
    ["NAS.LAN", true],
    ["evil.example", false],
    ["evil.example:8000", false],
    ["localhost.evil.example", false],
    ["127.0.0.1.evil.example", false],
    ["evillocalhost", false],
    ["localhost.", false],
    ["1.2.3.256", false],
    ["0x7f.1", false],
    ["sub.nas.lan", false],
    ["", false],
  ];
  for (const [host, allowed] of cases) {
    assert.equal(isAllowedHost(host, ["nas.lan"]), allowed, host);
  }
});

Deno.test("an upload through a Host that is no IP address, localhost or allowed name is 403, its own Origin or not (DNS rebinding)", async () => {
  await using fx = await fixture();
  const { Handler, lines } = captureLogs(Uploads);
  await using s = serve(Handler, { directory: fx.root });
  const form = formBody([{ name: "file", filename: "x.txt", body: "x" }]);
  const requests = [
    `PUT /x.txt HTTP/1.1\r\nHost: evil.example:${s.port}\r\n` +
    `Origin: http://evil.example:${s.port}\r\nContent-Length: 1\r\n\r\nx`,
    `POST / HTTP/1.1\r\nHost: evil.example:${s.port}\r\n` +
    `Origin: http://evil.example:${s.port}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
    `Content-Length: ${form.length}\r\n\r\n${latin1Text(form)}`,
    // An absolute-form target's authority stands for the Host.
    "PUT http://evil.example/x.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
    "Content-Length: 1\r\n\r\nx",
  ];
  for (const request of requests) {
    using client = await RawClient.connect(s.port);
    await client.send(request);
    const res = await client.readResponse();
    assert.equal(res.status, 403, request);
    assert.match(res.text, /Host not allowed/);
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
  assert.ok(
    lines.includes(
      `refused PUT /x.txt: Host evil.example:${s.port} is not an IP address or localhost (allow a name with --allowed-host)`,
    ),
    lines.join("\n"),
  );
});

Deno.test("an upload through an IP address, localhost, a .localhost name or an allowed name is taken", async () => {
  await using fx = await fixture();
  class Allowing extends Uploads {
    override allowedHosts = ["nas.lan"];
  }
  await using s = serve(Allowing, { directory: fx.root });
  const hosts = [
    `127.0.0.1:${s.port}`,
    `[::1]:${s.port}`,
    `localhost:${s.port}`,
    `app.localhost:${s.port}`,
    `NAS.lan:${s.port}`,
  ];
  for (const [i, host] of hosts.entries()) {
    const form = formBody([{ name: "file", filename: `f${i}.txt`, body: "f" }]);
    const requests = [
      `PUT /p${i}.txt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1\r\n\r\nx`,
      `POST / HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
      `Content-Length: ${form.length}\r\n\r\n${latin1Text(form)}`,
    ];
    for (const request of requests) {
      using client = await RawClient.connect(s.port);
      await client.send(request);
      const res = await client.readResponse();
      assert.ok(
        res.status === 201 || res.status === 303,
        `${host}: ${res.head}`,
      );
    }
  }
  assert.equal(fx.tree().length, UNTOUCHED.length + 2 * hosts.length);
});

// --- Names ---

/** Sends `PUT target` with a 1-byte body; resolves to the response. */
async function rawPut(port: number, target: string) {
  using client = await RawClient.connect(port);
  await client.send(
    `PUT ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx`,
  );
  return await client.readResponse();
}

Deno.test("an upload name of 256 bytes or more is 400; a form with one stores none of its files", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const long = "a".repeat(252) + ".txt";
  for (const name of [long, "%C3%A9".repeat(128)]) {
    const res = await rawPut(s.port, `/${name}`);
    assert.equal(res.status, 400, name);
    assert.match(res.text, /File name too long/);
  }
  const form = await postForm(`${s.url}/`, [
    { name: "file", filename: "fine.txt", body: "fine" },
    { name: "file", filename: long, body: "long" },
  ]);
  assert.equal(form.status, 400);
  assert.deepEqual(fx.tree(), UNTOUCHED);
  // 255 bytes is a name.
  assert.equal((await rawPut(s.port, `/${long.slice(1)}`)).status, 201);
});

Deno.test("upload names with C1 or bidirectional controls are 400, as control characters", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const names = [
    "rtl\u202egpj.exe", // shows as rtlexe.jpg
    "a\u202ab.txt",
    "iso\u2066late.txt",
    "pop\u2069.txt",
    "next\u0085line.txt",
    "csi\u009b.txt",
  ];
  for (const name of names) {
    const res = await rawPut(s.port, `/${encodeURIComponent(name)}`);
    assert.equal(res.status, 400, JSON.stringify(name));
    assert.match(res.text, /Not a plain file name/);
    const form = await postForm(`${s.url}/`, [
      { name: "file", filename: name, body: "x" },
    ]);
    assert.equal(form.status, 400, JSON.stringify(name));
  }
  assert.deepEqual(fx.tree(), UNTOUCHED);
});

Deno.test("an upload name that is not UTF-8 is 400, not stored with U+FFFD", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  for (const target of ["/caf%E9.txt", "/sub/%FF.txt", "/%ED%A0%80.txt"]) {
    assert.equal((await rawPut(s.port, target)).status, 400, target);
  }
  const body =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
    `filename="caf\xe9.txt"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`;
  using client = await RawClient.connect(s.port);
  await client.send(
    `POST / HTTP/1.1\r\nHost: localhost\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
  const res = await client.readResponse();
  assert.equal(res.status, 400);
  assert.match(res.text, /not UTF-8/);
  assert.deepEqual(fx.tree(), UNTOUCHED);
  // A query is no part of the name.
  assert.equal((await rawPut(s.port, "/ok.txt?%FF")).status, 201);
});

// --- All or nothing, one open file at a time ---

Deno.test("a form whose second name is taken at the last instant stores neither: 409", async () => {
  await using fx = await fixture();
  await using s = serve(Uploads, { directory: fx.root });
  const link = Deno.link;
  // Another client's file appears as the second file is about to take its name.
  (Deno as { link: typeof Deno.link }).link = async (from, to) => {
    if (to.endsWith("/b.txt")) await Deno.writeTextFile(to, "other");
    await link(from, to);
  };
  try {
    const res = await postForm(`${s.url}/`, [
      { name: "file", filename: "a.txt", body: "mine" },
      { name: "file", filename: "b.txt", body: "mine" },
    ]);
    assert.equal(res.status, 409);
  } finally {
    (Deno as { link: typeof Deno.link }).link = link;
  }
  assert.deepEqual(fx.tree(), [...UNTOUCHED, "root/b.txt"].sort());
  assert.equal(await Deno.readTextFile(`${fx.root}/b.txt`), "other");
});

/** How many `.part` files in `folder` this process holds open. */
function openPartFiles(folder: string): number {
  // Only this folder's: other tests may run in this process meanwhile.
  const real = Deno.realPathSync(folder) + "/";
  let open = 0;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const path = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      if (path.startsWith(real) && path.endsWith(".part")) open++;
    } catch {
      // Closed since the listing.
    }
  }
  return open;
}

Deno.test({
  name: "a form keeps only the part being received open, not every part's file",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using fx = await fixture();
    await using s = serve(Uploads, { directory: fx.root });
    const parts = Array.from({ length: 21 }, (_, i) => ({
      name: "file",
      filename: `f${i}.txt`,
      body: `part ${i}`,
    }));
    const body = latin1Text(formBody(parts));
    // Up to the 21st part's body: 20 parts are complete.
    const cut = body.indexOf("part 20");
    using client = await RawClient.connect(s.port);
    await client.send(
      `POST /sub/ HTTP/1.1\r\nHost: localhost\r\n` +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, cut)}`,
    );
    const partFiles = () =>
      [...Deno.readDirSync(`${fx.root}/sub`)].filter((e) =>
        e.name.endsWith(".part")
      ).length;
    await eventually(() => partFiles() === 21, "21 parts begun");
    assert.equal(openPartFiles(`${fx.root}/sub`), 1);
    await client.send(body.slice(cut));
    assert.equal((await client.readResponse()).status, 303);
    assert.equal(partFiles(), 0);
    assert.equal(await Deno.readTextFile(`${fx.root}/sub/f20.txt`), "part 20");
  },
});

// --- A full disk ---

/**
 * Why a tmpfs cannot be mounted here (the disk-full tests need one), or
 * null when it can: root on Linux.
 */
async function tmpfsRefusal(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "not Linux";
  const dir = await Deno.makeTempDir({ prefix: "upload_test_tmpfs_" });
  try {
    const mounted = await mount(dir, "64k");
    if (mounted !== null) return mounted;
    await umount(dir);
    return null;
  } finally {
    await Deno.remove(dir);
  }
}

/** Mounts a tmpfs of `size` on `dir`; resolves to mount's complaint, or null. */
async function mount(dir: string, size: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
      stdout: "null",
      stderr: "piped",
    }).output();
    return out.success ? null : new TextDecoder().decode(out.stderr).trim();
  } catch (error) {
    return String(error);
  }
}

async function umount(dir: string): Promise<void> {
  const out = await new Deno.Command("umount", { args: [dir] }).output();
  assert.ok(out.success, `umount ${dir}`);
}

const NO_TMPFS = await tmpfsRefusal();

curlTests.test({
  name:
    "an upload that fills the disk is 507 and leaves nothing; so is a form whose second file does not fit",
  ignore: NO_TMPFS !== null,
  fn: async () => {
    await using fx = await fixture();
    const sub = `${fx.root}/sub`;
    assert.equal(await mount(sub, "1m"), null);
    try {
      class Large extends Uploads11 {
        override maxUploadBytes = 8 * 1024 * 1024;
      }
      await using s = serve(Large, { directory: fx.root });
      const big = `${fx.top}/2MB.bin`;
      await Deno.writeFile(big, new Uint8Array(2_000_000));
      const part = `${fx.top}/600K.bin`;
      await Deno.writeFile(part, new Uint8Array(600 * 1024));
      const cases: [string[], string][] = [
        [["-T", big, `${s.url}/sub/big.bin`], "507"],
        [[
          "-F",
          `file=@${part};filename=a.bin`,
          "-F",
          `file=@${part};filename=b.bin`,
          `${s.url}/sub/`,
        ], "507"],
      ];
      for (const [args, status] of cases) {
        const res = await curl(args);
        assert.deepEqual(res, { status, stderr: "" }, args.join(" "));
        assert.deepEqual([...Deno.readDirSync(sub)], [], args.join(" "));
      }
      // The disk has room again: an upload that fits is taken.
      assert.equal(
        (await curl(["-T", part, `${s.url}/sub/c.bin`])).status,
        "201",
      );
    } finally {
      await umount(sub);
    }
  },
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
    await using cli = Cli.serving(dir, ["--upload", "--max-upload", "1K"], [
      `--allow-write=${dir}`,
    ]);
    const url = `http://127.0.0.1:${await cli.port()}`;
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
    await using cli = Cli.serving(dir, ["--upload", "--overwrite"], [
      `--allow-write=${dir}`,
    ]);
    const url = `http://127.0.0.1:${await cli.port()}`;
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

Deno.test("CLI: --allowed-host NAME (repeatable, with --upload) lets uploads through that name; another is 403 and logged", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, [
      "--upload",
      "--allowed-host",
      "nas.lan",
      "--allowed-host=files.home.arpa",
    ], [`--allow-write=${dir}`]);
    const port = await cli.port();
    const statuses = [];
    for (const host of ["nas.lan", "files.home.arpa", "evil.example"]) {
      using client = await RawClient.connect(port);
      await client.send(
        `PUT /${host}.txt HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
          "Content-Length: 1\r\n\r\nx",
      );
      statuses.push((await client.readResponse()).status);
    }
    assert.deepEqual(statuses, [201, 201, 403]);
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.match(
      stderr,
      /refused PUT \/evil\.example\.txt: Host evil\.example:\d+ is not an IP address or localhost \(allow a name with --allowed-host\)\n/,
    );
  });
  assert.deepEqual(parseCliArgs(["--upload"])!.allowedHosts, []);
  for (
    const [args, message] of [
      [
        ["--allowed-host", "nas.lan"],
        /argument --allowed-host: only with --upload/,
      ],
      [
        ["--upload", "--allowed-host", "nas.lan:8000"],
        /argument --allowed-host: invalid host name: 'nas\.lan:8000'/,
      ],
      [
        ["--upload", "--allowed-host"],
        /argument --allowed-host: expected one argument/,
      ],
    ] as const
  ) {
    const { code, stderr } = await run(["--allow-read"], [...args]);
    assert.equal(code, 2);
    assert.match(stderr, message);
  }
});
