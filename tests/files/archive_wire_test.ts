// Folder archives over real sockets, on both faces (SimpleHTTPRequestHandler
// on our server, createFileHandler on Deno.serve) as the command line's
// --archive sets them up: read back by unzip, Python's zipfile and tar,
// framed as each transport does without a length, answered with the head
// alone for HEAD, ignored without --archive, linked from the listing pages;
// a client that goes away stops the walk and closes its files; a symlink
// out of a folder-only read grant stays out.
import assert from "node:assert/strict";
import { parseCliArgs } from "../../cli/args.ts";
import { handlerFor } from "../../cli/serve.ts";
import { createFileHandler } from "../../fetch/serve_dir.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { Cli } from "../support/cli_process.ts";
import { type FaceName, startFace } from "../support/faces.ts";
import {
  captureLogs,
  RawClient,
  recordStderr,
  serve,
  tempFolder,
  unhandledRejections,
  until,
} from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";
import {
  filesUnder,
  hex,
  readZip,
  runTool,
  unzipTest,
} from "../support/archives.ts";

const { test } = requiring("python3", "unzip", "tar");

const FOLDER = "Ünï 日本";
const QUOTED = encodeURIComponent(FOLDER);
const LONG = "l".repeat(120) + ".txt";

/** A folder to archive: UTF-8 and long names, a larger file, empty folder. */
async function fixture() {
  const random = new Uint8Array(300 * 1024);
  for (let at = 0; at < random.length; at += 65536) {
    crypto.getRandomValues(random.subarray(at, at + 65536));
  }
  const dir = await tempFolder("archive_wire_", {
    [`${FOLDER}/a.txt`]: "hello\n",
    [`${FOLDER}/random.bin`]: random,
    [`${FOLDER}/sub/日本語.txt`]: "nihongo\n",
    [`${FOLDER}/sub/${LONG}`]: "long\n",
    [`${FOLDER}/.env`]: "SECRET=1\n",
    "top.txt": "top\n",
  });
  await Deno.mkdir(`${dir.root}/${FOLDER}/empty`);
  return dir;
}

/** The files the archive of {@link FOLDER} must hold, with the dotfile. */
async function expected(root: string): Promise<Record<string, Uint8Array>> {
  const files = await filesUnder(`${root}/${FOLDER}`);
  return Object.fromEntries(
    Object.entries(files).map(([name, bytes]) => [`${FOLDER}/${name}`, bytes]),
  );
}

/** Asks `port` for `target` over HTTP/1.1 and returns the raw response. */
async function get(port: number, target: string, version = "HTTP/1.1") {
  using client = await RawClient.connect(port);
  await client.send(
    `GET ${target} ${version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
  );
  return await client.readResponse();
}

for (const face of ["python", "fetch"] as FaceName[]) {
  test(`${face} face: ?download=zip sends the folder as a zip that unzip and zipfile read back, names, sizes and bytes`, async () => {
    await using dir = await fixture();
    await using server = startFace(face, dir.root, ["--archive", "--hidden"]);
    const response = await get(server.port, `/${QUOTED}/?download=zip`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/zip");
    assert.equal(
      response.headers.get("content-disposition"),
      `attachment; filename="_n_ __.zip"; filename*=UTF-8''${QUOTED}.zip`,
    );
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(response.headers.get("transfer-encoding"), "chunked");
    const path = `${dir.root}/out.zip`;
    await Deno.writeFile(path, response.body);
    await unzipTest(path);
    const files = await expected(dir.root);
    const reading = await readZip(path, true, Object.keys(files));
    assert.equal(reading.bad, null);
    assert.deepEqual(
      reading.members.map((m) => [m.name, m.size]).sort(),
      [
        [`${FOLDER}/`, 0],
        [`${FOLDER}/empty/`, 0],
        [`${FOLDER}/sub/`, 0],
        ...Object.entries(files).map(([name, bytes]) => [name, bytes.length]),
      ].sort(),
    );
    for (const [name, bytes] of Object.entries(files)) {
      assert.equal(reading.read[name], hex(bytes), name);
    }
  });

  test(`${face} face: ?download=tar.gz sends the folder as a tar.gz that tar lists and extracts byte for byte, dotfiles left out with --no-hidden`, async () => {
    await using dir = await fixture();
    await using server = startFace(face, dir.root, [
      "--archive",
      "--no-hidden",
    ]);
    const response = await get(server.port, `/${QUOTED}/sub/?download=tar.gz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/gzip");
    assert.equal(
      response.headers.get("content-disposition"),
      'attachment; filename="sub.tar.gz"',
    );
    const path = `${dir.root}/out.tar.gz`;
    await Deno.writeFile(path, response.body);
    const listed = (await runTool("tar", ["-tzf", path])).split("\n");
    assert.deepEqual(listed.filter(Boolean).sort(), [
      "sub/",
      `sub/${LONG}`,
      "sub/日本語.txt",
    ]);
    await Deno.mkdir(`${dir.root}/x`);
    await runTool("tar", ["-xzf", path, "-C", `${dir.root}/x`]);
    assert.deepEqual(
      await filesUnder(`${dir.root}/x`),
      await filesUnder(`${dir.root}/${FOLDER}`, "").then((all) =>
        Object.fromEntries(
          Object.entries(all)
            .filter(([name]) => name.startsWith("sub/"))
            .map(([name, bytes]) => [name, bytes]),
        )
      ),
    );
    const whole = await get(server.port, `/${QUOTED}/?download=tar.gz`);
    const names = (await runTool("tar", ["-tz"], whole.body)).split("\n");
    assert.ok(
      names.includes(`${FOLDER}/a.txt`) && !names.includes(`${FOLDER}/.env`),
    );
  });

  test(`${face} face: HEAD of an archive is its head alone, the URL without its slash is redirected, and without --archive ?download= is ignored as in Python`, async () => {
    await using dir = await fixture();
    {
      await using server = startFace(face, dir.root, ["--archive"]);
      using client = await RawClient.connect(server.port);
      await client.send(
        `HEAD /${QUOTED}/?download=zip HTTP/1.1\r\nHost: a\r\n\r\n` +
          `GET /top.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      const head = await client.readResponse(true);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-type"), "application/zip");
      const next = await client.readResponse();
      assert.equal(next.text, "top\n");
      // The folder's URL without its slash is redirected, query kept.
      const bare = await get(server.port, `/${QUOTED}?download=zip`);
      assert.equal(bare.status, 301);
      assert.equal(
        bare.headers.get("location"),
        `/${QUOTED}/?download=zip`,
      );
    }
    await using plain = startFace(face, dir.root, []);
    const listing = await get(plain.port, `/${QUOTED}/?download=zip`);
    assert.equal(listing.status, 200);
    assert.match(listing.headers.get("content-type")!, /^text\/html/);
    assert.doesNotMatch(listing.text, /href="\?download=/);
  });

  test(`${face} face: both listing pages link to the folder's archives with --archive`, async () => {
    await using dir = await fixture();
    for (const flags of [["--archive"], ["--archive", "--pretty-listing"]]) {
      await using server = startFace(face, dir.root, flags);
      const page = await get(server.port, `/${QUOTED}/`);
      assert.match(page.text, /<a href="\?download=zip" download>zip<\/a>/);
      assert.match(
        page.text,
        /<a href="\?download=tar.gz" download>tar.gz<\/a>/,
      );
    }
  });
}

test("python face: an HTTP/1.0 client gets the archive up to the close, without chunks", async () => {
  await using dir = await fixture();
  await using server = startFace("python", dir.root, ["--archive"]);
  const response = await get(
    server.port,
    `/${QUOTED}/?download=zip`,
    "HTTP/1.0",
  );
  assert.equal(response.headers.get("transfer-encoding"), null);
  assert.equal(response.headers.get("content-length"), null);
  const path = `${dir.root}/out.zip`;
  await Deno.writeFile(path, response.body);
  await unzipTest(path);
});

/** A folder `big/` of `count` files of 1 MiB of random bytes. */
async function bigFolder(count: number) {
  const dir = await tempFolder("archive_gone_");
  await Deno.mkdir(`${dir.root}/big`);
  const bytes = new Uint8Array(1024 * 1024);
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  for (let i = 0; i < count; i++) {
    await Deno.writeFile(`${dir.root}/big/f${i}.bin`, bytes);
  }
  return dir;
}

/**
 * How many files under `root` this process has open: by their paths, as
 * test files running alongside share the process.
 */
function openUnder(root: string): number {
  let count = 0;
  for (const { name } of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${name}`).startsWith(root)) count++;
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
}

/** Reads the head and some of the archive, then goes away. */
async function leaveEarly(port: number, format: string): Promise<void> {
  using client = await RawClient.connect(port);
  await client.send(
    `GET /big/?download=${format} HTTP/1.1\r\nHost: a\r\n\r\n`,
  );
  await client.readUntil(/\r\n\r\n[\s\S]{1000}/);
}

for (const format of ["zip", "tar.gz"]) {
  test(`python face: a client that goes away from a ${format} stops the walk and closes every file`, async () => {
    await using dir = await bigFolder(40);
    const { Handler, lines } = captureLogs(
      handlerFor(parseCliArgs(["--archive", "-p", "HTTP/1.1"])!),
    );
    await using server = serve(Handler, { directory: dir.root });
    await leaveEarly(server.port, format);
    await until(
      () => lines.find((l) => /stopped: the client went away/.test(l)),
      "the walk's end",
    );
    assert.equal(openUnder(dir.root), 0);
  });

  test(`fetch face: a client that goes away from a ${format} stops the walk and closes every file`, async () => {
    await using dir = await bigFolder(40);
    const writes = await recordStderr(async (writes) => {
      await using server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        createFileHandler({ fsRoot: dir.root, archive: true }),
      );
      await leaveEarly(server.addr.port, format);
      await until(
        () =>
          writes.find((w) => /stopped: the client went away/.test(w)) ??
            undefined,
        "the walk's end",
      );
      assert.equal(openUnder(dir.root), 0);
    });
    assert.ok(writes.some((w) => /stopped: the client went away/.test(w)));
  });
}

test("with read permission for the folder only, a symlink out of it is left out of the archive, and logged", async () => {
  await using outside = await tempFolder("archive_outside_", {
    "secret.txt": "secret\n",
    "dir/inner.txt": "inner\n",
  });
  await using dir = await tempFolder("archive_sandbox_", {
    "share/ok.txt": "ok\n",
  });
  await Deno.symlink(
    `${outside.root}/secret.txt`,
    `${dir.root}/share/leak.txt`,
  );
  await Deno.symlink(`${outside.root}/dir`, `${dir.root}/share/leakdir`);
  await using cli = Cli.serving(dir.root, ["--archive"]);
  const port = await cli.port();
  const response = await get(port, "/share/?download=zip");
  const path = `${dir.root}/out.zip`;
  await Deno.writeFile(path, response.body);
  const reading = await readZip(path, true);
  assert.deepEqual(reading.members.map((m) => m.name), [
    "share/",
    "share/ok.txt",
  ]);
  cli.kill("SIGTERM");
  const { stderr } = await cli.finish();
  assert.match(
    stderr,
    /refused \S+leak\.txt: its real path \S+ is outside the read permission/,
  );
  assert.match(stderr, /refused \S+leakdir: its real path/);
});

/**
 * Makes every sandbox's reads of files named `z.bin` fail, for `body`;
 * resolves to the rejections left unhandled meanwhile.
 */
async function withBrokenReads(body: () => Promise<void>): Promise<unknown[]> {
  const open = Sandbox.prototype.open;
  Sandbox.prototype.open = async function (path, info) {
    const opened = await open.call(this, path, info);
    if (path.endsWith("z.bin")) {
      // As the file system would: the read fails after a trip to it.
      const read = opened.file.read.bind(opened.file);
      opened.file.read = async (buffer) => {
        await read(buffer);
        throw new Error("EIO: read failed");
      };
    }
    return opened;
  };
  try {
    return await unhandledRejections(body);
  } finally {
    Sandbox.prototype.open = open;
  }
}

/** Asks for the tar.gz of `big/`, whose `z.bin` fails: the body is cut short. */
async function brokenArchive(port: number): Promise<void> {
  using client = await RawClient.connect(port);
  await client.send(
    "GET /big/?download=tar.gz HTTP/1.1\r\nHost: a\r\n\r\n",
  );
  const text = await client.readAll();
  assert.match(text, /^HTTP\/1\.1 200 /);
  assert.ok(!text.endsWith("\r\n0\r\n\r\n"), "a last chunk after a failure");
}

test("python face: a tar.gz whose file fails to read is cut short, with no rejection unhandled and no file left open", async () => {
  await using dir = await bigFolder(3);
  await Deno.rename(`${dir.root}/big/f2.bin`, `${dir.root}/big/z.bin`);
  const { Handler, lines } = captureLogs(
    handlerFor(parseCliArgs(["--archive", "-p", "HTTP/1.1"])!),
  );
  const unhandled = await withBrokenReads(async () => {
    await using server = serve(Handler, { directory: dir.root });
    await brokenArchive(server.port);
  });
  assert.deepEqual(unhandled, []);
  assert.ok(
    lines.some((l) => /archive of \/big failed/.test(l)),
    lines.join("\n"),
  );
  assert.equal(openUnder(dir.root), 0);
});

test("fetch face: a tar.gz whose file fails to read is cut short, with no rejection unhandled and no file left open", async () => {
  await using dir = await bigFolder(3);
  await Deno.rename(`${dir.root}/big/f2.bin`, `${dir.root}/big/z.bin`);
  let unhandled: unknown[] = [];
  const writes = await recordStderr(async () => {
    unhandled = await withBrokenReads(async () => {
      await using server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        createFileHandler({ fsRoot: dir.root, archive: true }),
      );
      await brokenArchive(server.addr.port);
    });
  });
  assert.deepEqual(unhandled, []);
  assert.ok(
    writes.some((w) => /archive of \/big failed/.test(w)),
    writes.join(""),
  );
  assert.equal(openUnder(dir.root), 0);
});
