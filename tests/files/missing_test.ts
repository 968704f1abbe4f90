/**
 * Paths known missing (`files/missing.ts`): a path is kept only where its
 * folder says it is missing, and is found again as soon as it is there,
 * however it comes (a file made, a folder made, a symlink's target made);
 * through both faces too, which 404 a path found missing without a failed
 * `stat`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MissingPaths } from "../../files/missing.ts";
import { ask, type FaceName, startFace } from "../support/faces.ts";

/** A folder whose last change is long past, removed at the end. */
async function oldFolder(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "missing_" }));
  await Deno.utime(dir, 1_000_000, 1_000_000);
  return {
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Tells `missing` twice that `path` was found missing, as a server would. */
function missTwice(missing: MissingPaths, path: string): void {
  missing.found(path);
  missing.found(path);
}

Deno.test("a path found missing twice is kept until a file is made there", async () => {
  await using fx = await oldFolder();
  const missing = new MissingPaths({ racyMs: 0 });
  const path = `${fx.dir}/a.txt`;
  missing.found(path);
  assert.equal(missing.has(path), false, "once is not kept");
  missing.found(path);
  assert.equal(missing.has(path), true);
  assert.equal(missing.has(`${fx.dir}/b.txt`), false, "another name is not");
  await Deno.writeTextFile(path, "a");
  assert.equal(missing.has(path), false);
  assert.equal(missing.has(path), false, "and dropped");
});

Deno.test("a path under a missing folder is kept until the folder and the file are made", async () => {
  await using fx = await oldFolder();
  const missing = new MissingPaths({ racyMs: 0 });
  const path = `${fx.dir}/x/y/z.txt`;
  missTwice(missing, path);
  missTwice(missing, `${fx.dir}/x/`);
  assert.equal(missing.has(path), true);
  assert.equal(missing.has(`${fx.dir}/x/`), true);
  await Deno.mkdir(`${fx.dir}/x/y`, { recursive: true });
  assert.equal(missing.has(path), false);
  assert.equal(missing.has(`${fx.dir}/x/`), false);
});

Deno.test("a path through a dangling symlink is never kept: its target can come with no folder changed", async () => {
  await using fx = await oldFolder();
  await Deno.mkdir(`${fx.dir}/site`);
  await Deno.mkdir(`${fx.dir}/elsewhere`);
  await Deno.symlink(`${fx.dir}/elsewhere/t.txt`, `${fx.dir}/site/link.txt`);
  await Deno.symlink(`${fx.dir}/elsewhere/sub`, `${fx.dir}/site/dir`);
  await Deno.utime(`${fx.dir}/site`, 1_000_000, 1_000_000);
  const missing = new MissingPaths({ racyMs: 0 });
  missTwice(missing, `${fx.dir}/site/link.txt`);
  missTwice(missing, `${fx.dir}/site/dir/a.txt`);
  assert.equal(missing.has(`${fx.dir}/site/link.txt`), false);
  assert.equal(missing.has(`${fx.dir}/site/dir/a.txt`), false);
});

Deno.test("a path is not kept while its folder changed too recently to tell versions apart", async () => {
  await using fx = await oldFolder();
  await Deno.mkdir(`${fx.dir}/new`);
  const missing = new MissingPaths();
  missTwice(missing, `${fx.dir}/new/a.txt`);
  assert.equal(missing.has(`${fx.dir}/new/a.txt`), false);
});

Deno.test("a folder swapped for another is another version: its paths are looked up again", async () => {
  await using fx = await oldFolder();
  await Deno.mkdir(`${fx.dir}/one`);
  await Deno.mkdir(`${fx.dir}/two`);
  await Deno.writeTextFile(`${fx.dir}/two/a.txt`, "two");
  await Deno.utime(`${fx.dir}/one`, 1_000_000, 1_000_000);
  const missing = new MissingPaths({ racyMs: 0 });
  missTwice(missing, `${fx.dir}/one/a.txt`);
  assert.equal(missing.has(`${fx.dir}/one/a.txt`), true);
  await Deno.rename(`${fx.dir}/one`, `${fx.dir}/gone`);
  await Deno.rename(`${fx.dir}/two`, `${fx.dir}/one`);
  assert.equal(missing.has(`${fx.dir}/one/a.txt`), false);
});

Deno.test("missing paths are bounded: past the most, the oldest is looked up again", async () => {
  await using fx = await oldFolder();
  const missing = new MissingPaths({ most: 2, racyMs: 0 });
  for (const name of ["a", "b", "c"]) missTwice(missing, `${fx.dir}/${name}`);
  assert.equal(missing.has(`${fx.dir}/a`), false);
  assert.equal(missing.has(`${fx.dir}/b`), true);
  assert.equal(missing.has(`${fx.dir}/c`), true);
});

/** Waits until `dir` last changed over 2 s ago: the paths it lacks are then kept. */
async function settle(dir: string): Promise<void> {
  const age = () => {
    const { mtime, ctime } = Deno.statSync(dir);
    return Date.now() - Math.max(mtime!.getTime(), ctime!.getTime());
  };
  while (age() < 2_100) {
    await new Promise((wake) => setTimeout(wake, 2_100 - age()));
  }
}

Deno.test("a file, a folder or a symlink's target made after its 404s is served at once, by both faces", async () => {
  const top = Deno.realPathSync(await Deno.makeTempDir({ prefix: "missing_" }));
  try {
    const faces: FaceName[] = ["python", "fetch"];
    for (const name of faces) {
      await Deno.mkdir(`${top}/${name}/site`, { recursive: true });
      await Deno.mkdir(`${top}/${name}/out`);
      await Deno.symlink(
        `${top}/${name}/out/t.txt`,
        `${top}/${name}/site/link.txt`,
      );
    }
    await Promise.all(faces.map((name) => settle(`${top}/${name}/site`)));
    for (const name of faces) {
      const site = `${top}/${name}/site`;
      await using face = startFace(name, site, []);
      const get = async (path: string) => {
        const res = await ask(face, `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
        return res.status === 200 ? res.text : res.status;
      };
      for (const path of ["/new.txt", "/later/x.txt", "/link.txt"]) {
        for (let i = 0; i < 3; i++) assert.equal(await get(path), 404, path);
      }
      await Deno.writeTextFile(`${top}/${name}/out/t.txt`, "target");
      assert.equal(await get("/link.txt"), "target", name);
      await Deno.writeTextFile(`${site}/new.txt`, "new");
      assert.equal(await get("/new.txt"), "new", name);
      await Deno.mkdir(`${site}/later`);
      assert.equal(await get("/later/x.txt"), 404, name);
      await Deno.writeTextFile(`${site}/later/x.txt`, "x");
      assert.equal(await get("/later/x.txt"), "x", name);
    }
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
