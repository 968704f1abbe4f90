// The share as a WebDAV client mounts it: Debian's rclone, with no config
// file (an on-the-fly `:webdav:` remote), lists, copies a tree in (MKCOL and
// PUT), renames, deletes and purges on both faces, configured by the same
// flags, and copies a Mac's folder with the `._name` and `.DS_Store` files
// Finder leaves in it; a read-only share (--webdav) lists and refuses
// changes. Skipped where rclone is missing.
import assert from "node:assert/strict";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

/** Runs rclone with `args`, no config file and its cache in `home`. */
async function rclone(
  home: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command("rclone", {
    args: [...args, "--contimeout", "5s", "--timeout", "10s", "--retries", "1"],
    env: { RCLONE_CONFIG: "/dev/null", HOME: home, XDG_CACHE_HOME: home },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** The lines of `rclone lsf -R`, sorted. */
function lines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "").sort();
}

/**
 * A share holding `files`, served by `face` with --upload --delete --mkdir,
 * a home for rclone's cache, and the on-the-fly remote that names the share.
 */
async function writableShare(
  face: FaceName,
  files: Record<string, string> = {},
) {
  const share = await tempFolder("webdav_share_", files);
  const home = await tempFolder("webdav_home_");
  const server = startFace(face, share.root, [
    "--upload",
    "--delete",
    "--mkdir",
  ]);
  return {
    share: share.root,
    home: home.root,
    remote: `:webdav,url='http://127.0.0.1:${server.port}':`,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await home[Symbol.asyncDispose]();
      await share[Symbol.asyncDispose]();
    },
  };
}

for (const face of ["python", "fetch"] as FaceName[]) {
  requiring("rclone").test(
    `rclone lists, copies in, renames and deletes through the ${face} face with --upload --delete --mkdir`,
    async () => {
      await using t = await writableShare(face, {
        "hello.txt": "hello\n",
        "docs/guide.md": "# Guide\n",
      });
      const { remote } = t;
      await using local = await tempFolder("webdav_local_", {
        "one.txt": "one\n",
        "deep/er/two.txt": "two\n",
      });
      const run = async (...args: string[]) => {
        const result = await rclone(t.home, ...args);
        assert.equal(
          result.code,
          0,
          `rclone ${args.join(" ")}: ${result.stderr}`,
        );
        return result.stdout;
      };
      assert.deepEqual(lines(await run("lsf", "-R", remote)), [
        "docs/",
        "docs/guide.md",
        "hello.txt",
      ]);
      await run("copy", local.root, `${remote}up`);
      assert.equal(
        await Deno.readTextFile(`${t.share}/up/deep/er/two.txt`),
        "two\n",
      );
      await run("moveto", `${remote}up/one.txt`, `${remote}docs/uno.txt`);
      await run("mkdir", `${remote}made`);
      await run("delete", `${remote}up`);
      await run("purge", `${remote}up`);
      assert.deepEqual(lines(await run("lsf", "-R", remote)), [
        "docs/",
        "docs/guide.md",
        "docs/uno.txt",
        "hello.txt",
        "made/",
      ]);
      assert.equal(
        await Deno.readTextFile(`${t.share}/docs/uno.txt`),
        "one\n",
      );
      // What rclone reads back is what was put.
      assert.equal(await run("cat", `${remote}docs/uno.txt`), "one\n");
    },
  );
}

requiring("rclone").test(
  "rclone lists a read-only share (--webdav), and its changes are refused",
  async () => {
    await using share = await tempFolder("webdav_share_", {
      "hello.txt": "hello\n",
    });
    await using home = await tempFolder("webdav_home_");
    await using server = startFace("python", share.root, ["--webdav"]);
    const remote = `:webdav,url='http://127.0.0.1:${server.port}':`;
    const list = await rclone(home.root, "lsf", "-R", remote);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(lines(list.stdout), ["hello.txt"]);
    const mkdir = await rclone(home.root, "mkdir", `${remote}new`);
    assert.notEqual(mkdir.code, 0);
    const remove = await rclone(home.root, "deletefile", `${remote}hello.txt`);
    assert.notEqual(remove.code, 0);
    assert.deepEqual([...Deno.readDirSync(share.root)].map((e) => e.name), [
      "hello.txt",
    ]);
  },
);

for (const face of ["python", "fetch"] as FaceName[]) {
  requiring("rclone").test(
    `rclone copies a folder from a Mac, its ._ and .DS_Store files too, through the ${face} face, and a .env in it is refused`,
    async () => {
      await using t = await writableShare(face);
      const { remote } = t;
      await using local = await tempFolder("webdav_local_", {
        "album/photo.jpg": "jpeg",
        "album/._photo.jpg": "appledouble",
        "album/.DS_Store": "view",
        "secrets/.env": "KEY=1",
      });
      const album = await rclone(
        t.home,
        "copy",
        `${local.root}/album`,
        `${remote}album`,
      );
      assert.equal(album.code, 0, album.stderr);
      const list = await rclone(t.home, "lsf", "-R", remote);
      assert.deepEqual(
        lines(list.stdout),
        ["album/", "album/.DS_Store", "album/._photo.jpg", "album/photo.jpg"],
      );
      assert.equal(
        await Deno.readTextFile(`${t.share}/album/._photo.jpg`),
        "appledouble",
      );
      const secrets = await rclone(
        t.home,
        "copy",
        `${local.root}/secrets`,
        `${remote}album`,
      );
      assert.notEqual(secrets.code, 0);
      assert.match(secrets.stderr, /403/);
      assert.deepEqual(
        [...Deno.readDirSync(`${t.share}/album`)].map((e) => e.name).sort(),
        [".DS_Store", "._photo.jpg", "photo.jpg"],
      );
    },
  );
}
