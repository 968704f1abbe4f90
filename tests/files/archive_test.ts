// The archive core: the ZIP writer's ZIP64 records where values need them
// (read back by Python's zipfile and unzip), tar's pax size past 8 GiB, and the walk of archiveFolder:
// hidden files, access rules, symlink loops, unreadable files, and a
// client that goes away, which must stop the walk and close every file, and
// a file that fails to read, which must end the stream with its error.
import assert from "node:assert/strict";
import { archiveFolder } from "../../files/archive/archive.ts";
import { padTo, TAR_END, tarHeader } from "../../files/archive/tar.ts";
import { ZipWriter } from "../../files/archive/zip.ts";
import type { Access } from "../../files/access.ts";
import { fileNotFound, Sandbox } from "../../files/sandbox.ts";
import { concat, tempFolder, unhandledRejections } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";
import { hex, readZip, runTool, unzipTest } from "../support/archives.ts";

const { test } = requiring("python3", "unzip");

/**
 * Writes the pieces of a ZipWriter to a file, a number of bytes standing
 * for a hole (zeros, not written).
 */
async function writeParts(
  path: string,
  parts: (Uint8Array | number)[],
): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true });
  for (const part of parts) {
    if (typeof part === "number") {
      await file.seek(part, Deno.SeekMode.Current);
    } else await file.write(part).then((n) => assert.equal(n, part.length));
  }
}

test("more than 65,535 members get ZIP64's end records, which zipfile and unzip read", async () => {
  await using dir = await tempFolder("archive_test_");
  const zip = new ZipWriter();
  const parts: Uint8Array[] = [];
  const count = 65_536 + 10;
  for (let i = 0; i < count; i++) {
    parts.push(
      zip.begin({ name: `e/${i}`, directory: false, mtime: null, size: 0 }),
      zip.end(),
    );
  }
  parts.push(...zip.finish());
  const path = `${dir.root}/many.zip`;
  await writeParts(path, [concat(parts)]);
  const reading = await readZip(path, false);
  assert.equal(reading.members.length, count);
  assert.equal(reading.members[count - 1].name, `e/${count - 1}`);
  await unzipTest(path);
});

test("a backslash in a member's name is written _: Windows' extractors would take it for a separator, ..\\ leading out", async () => {
  await using dir = await tempFolder("archive_test_");
  const zip = new ZipWriter();
  const parts = [
    zip.begin({
      name: "top/..\\..\\evil.txt",
      directory: false,
      mtime: null,
      size: 0,
    }),
    zip.end(),
    ...zip.finish(),
  ];
  const path = `${dir.root}/names.zip`;
  await writeParts(path, [concat(parts)]);
  const reading = await readZip(path, false);
  assert.deepEqual(reading.members.map((m) => m.name), ["top/.._.._evil.txt"]);
});

test("a member of 4 GiB and more gets ZIP64 sizes, and the member after it a ZIP64 offset", async () => {
  await using dir = await tempFolder("archive_test_");
  const size = 2 ** 32 + 1;
  const zip = new ZipWriter();
  const parts: (Uint8Array | number)[] = [
    zip.begin({ name: "big.bin", directory: false, mtime: null, size }),
  ];
  // Zeros: the file's hole, counted without being written.
  const zeros = new Uint8Array(64 * 1024 * 1024);
  for (let left = size; left > 0; left -= zeros.length) {
    zip.update(zeros.subarray(0, Math.min(left, zeros.length)));
  }
  parts.push(size, zip.end());
  const after = new TextEncoder().encode("after the big one");
  parts.push(
    zip.begin({ name: "after.txt", directory: false, mtime: null, size: 17 }),
    after,
  );
  zip.update(after);
  parts.push(zip.end(), ...zip.finish());
  const path = `${dir.root}/big.zip`;
  await writeParts(path, parts);
  // Reading after.txt checks its offset, past 4 GiB, and its CRC.
  const reading = await readZip(path, false, ["after.txt"]);
  assert.deepEqual(reading.members.map(({ name, size }) => [name, size]), [
    ["big.bin", size],
    ["after.txt", 17],
  ]);
  assert.equal(reading.read["after.txt"], hex(after));
  // The CRC-32 of 2^32 + 1 zero bytes (Python: zlib.crc32 over them).
  assert.equal(reading.members[0].crc, 0x41d912ff);
});

/** A served folder with a bit of everything the walk decides about. */
async function walkFixture() {
  const dir = await tempFolder("archive_walk_", {
    "docs/a.txt": "a",
    "docs/.env": "SECRET=1",
    "docs/.git/config": "[core]",
    "docs/private/plan.txt": "plan",
    "docs/public/ok.txt": "ok",
    "docs/secret.txt": "secret",
    "docs/sub/deep/d.txt": "d",
    "docs/unreadable.txt": "no",
  });
  await Deno.symlink("..", `${dir.root}/docs/sub/deep/up`);
  await Deno.symlink(`${dir.root}/docs`, `${dir.root}/docs/sub/again`);
  return dir;
}

/** A sandbox that logs to `lines`, fails to open `refuse`, counts open files. */
class Watched extends Sandbox {
  opened = 0;
  open_ = 0;
  constructor(directory: string, lines: string[], readonly refuse = "") {
    super(
      directory,
      (format, ...args) => lines.push(`${format} ${args.join(" ")}`),
    );
  }

  override async open(path: string, info: Deno.FileInfo) {
    if (path.endsWith(this.refuse) && this.refuse !== "") {
      throw fileNotFound(new Deno.errors.PermissionDenied("Permission denied"));
    }
    const opened = await super.open(path, info);
    this.opened++;
    this.open_++;
    const close = opened.file.close.bind(opened.file);
    opened.file.close = () => {
      this.open_--;
      close();
    };
    return opened;
  }
}

/** The archive's bytes, whole. */
async function whole(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const OPTIONS = (directory: string, showHidden: boolean) => ({
  directory,
  showHidden,
});

test("the walk leaves out dotfiles, paths the user may not read, folders seen before and unreadable files, logging the last two", async () => {
  await using dir = await walkFixture();
  const lines: string[] = [];
  const sandbox = new Watched(dir.root, lines, "unreadable.txt");
  const access: Access = {
    user: "ann",
    allows: (path) => !["/docs/private", "/docs/secret.txt"].includes(path),
  };
  const result = archiveFolder(
    `${dir.root}/docs/`,
    "zip",
    OPTIONS(dir.root, false),
    access,
    sandbox,
  );
  assert.equal(result.disposition, 'attachment; filename="docs.zip"');
  const path = `${dir.root}/docs.zip`;
  await Deno.writeFile(path, await whole(result.open()));
  const reading = await readZip(path, true);
  assert.equal(reading.bad, null);
  assert.deepEqual(reading.members.map((m) => m.name), [
    "docs/",
    "docs/a.txt",
    "docs/public/",
    "docs/public/ok.txt",
    "docs/sub/",
    "docs/sub/deep/",
    "docs/sub/deep/d.txt",
  ]);
  assert.equal(sandbox.open_, 0);
  assert.equal(
    lines.filter((l) => /a folder archived already/.test(l)).length,
    2,
  );
  assert.ok(
    lines.some((l) =>
      /skipped the unreadable file .*unreadable\.txt PermissionDenied/.test(l)
    ),
    lines.join("\n"),
  );
});

test("with showHidden the walk takes dotfiles too, and a folder the user may not read is 404", async () => {
  await using dir = await walkFixture();
  const lines: string[] = [];
  const sandbox = new Watched(dir.root, lines);
  const result = archiveFolder(
    `${dir.root}/docs/`,
    "zip",
    OPTIONS(dir.root, true),
    undefined,
    sandbox,
  );
  const path = `${dir.root}/docs.zip`;
  await Deno.writeFile(path, await whole(result.open()));
  const names = (await readZip(path, true)).members.map((m) => m.name);
  assert.ok(names.includes("docs/.env") && names.includes("docs/.git/config"));
  assert.throws(
    () =>
      archiveFolder(
        `${dir.root}/docs/`,
        "zip",
        OPTIONS(dir.root, true),
        { user: null, allows: () => false },
        sandbox,
      ),
    { status: 404 },
  );
});

for (const format of ["zip", "tar.gz"] as const) {
  test(`a client that goes away from a ${format} stops the walk and closes every file`, async () => {
    await using dir = await tempFolder("archive_gone_");
    // Random: zeros would gzip to almost nothing, and all be read at once.
    const big = new Uint8Array(1024 * 1024);
    for (let at = 0; at < big.length; at += 65536) {
      crypto.getRandomValues(big.subarray(at, at + 65536));
    }
    for (let i = 0; i < 20; i++) {
      await Deno.writeFile(
        `${dir.root}/f${String(i).padStart(2, "0")}.bin`,
        big,
      );
    }
    const lines: string[] = [];
    const sandbox = new Watched(dir.root, lines);
    const result = archiveFolder(
      `${dir.root}/`,
      format,
      OPTIONS(dir.root, true),
      undefined,
      sandbox,
    );
    const reader = result.open().getReader();
    const first = await reader.read();
    assert.ok(!first.done);
    await reader.cancel();
    assert.ok(
      lines.some((l) => /stopped: the client went away/.test(l)),
      lines.join("\n"),
    );
    assert.equal(sandbox.open_, 0);
    assert.ok(sandbox.opened <= 3, `opened ${sandbox.opened} of 20 files`);
  });
}

requiring("tar").test(
  "a tar member of 8 GiB and more gets its size in a pax header, which tar reads",
  async () => {
    await using dir = await tempFolder("archive_test_");
    const size = 2 ** 33 + 1;
    const name = `${"long/".repeat(30)}日本.bin`;
    const header = tarHeader({ name, directory: false, mtime: null, size });
    const path = `${dir.root}/big.tar`;
    // The data: a hole of zeros, then its padding and the end.
    await writeParts(path, [header, padTo(size), TAR_END]);
    const listing = await runTool("tar", ["-tvf", path]);
    assert.match(listing, new RegExp(` ${size} .* ${name}\\n$`));
  },
);

/** A watched sandbox whose reads of the file named `broken` fail. */
class Broken extends Watched {
  constructor(directory: string, lines: string[], readonly broken: string) {
    super(directory, lines);
  }

  override async open(path: string, info: Deno.FileInfo) {
    const opened = await super.open(path, info);
    if (path.endsWith(this.broken)) {
      opened.file.read = () => Promise.reject(new Error("EIO: read failed"));
    }
    return opened;
  }
}

for (const format of ["zip", "tar.gz"] as const) {
  test(`a ${format} whose file fails to read while the client is slow ends the stream with the error, leaves no rejection unhandled and closes the file`, async () => {
    await using dir = await tempFolder("archive_broken_");
    await Deno.mkdir(`${dir.root}/docs`);
    const random = new Uint8Array(256 * 1024);
    for (let at = 0; at < random.length; at += 65536) {
      crypto.getRandomValues(random.subarray(at, at + 65536));
    }
    await Deno.writeFile(`${dir.root}/docs/a.bin`, random);
    await Deno.writeFile(`${dir.root}/docs/b.bin`, random);
    const lines: string[] = [];
    const sandbox = new Broken(dir.root, lines, "b.bin");
    await unhandledRejections(async (unhandled) => {
      const result = archiveFolder(
        `${dir.root}/docs/`,
        format,
        OPTIONS(dir.root, false),
        undefined,
        sandbox,
      );
      const reader = result.open().getReader();
      let failure: unknown = null;
      for (let chunks = 0; failure === null && chunks < 100; chunks++) {
        try {
          if ((await reader.read()).done) break;
        } catch (error) {
          failure = error;
        }
        // A slow client: a turn of the event loop between its reads, in
        // which the walk goes on alone.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      assert.match(String(failure), /EIO: read failed/);
      assert.deepEqual(unhandled, []);
      assert.equal(sandbox.open_, 0);
      assert.ok(
        lines.some((l) => /^archive of %s failed.* \/docs /.test(l)),
        lines.join("\n"),
      );
    });
  });
}
