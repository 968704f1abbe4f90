/**
 * Tests of `Coalescer` and `sharedStat`: requests that ask together share one
 * run, and that run is always made after every one of them asked, so a
 * change made before a request arrived is never missed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Coalescer, sharedStat, statOrNull } from "../../files/coalesce.ts";

async function tempFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("calls made together share one stat; a later call takes a new one", async () => {
  const path = await tempFile("abc");
  try {
    const [a, b, c] = await Promise.all([
      sharedStat(path),
      sharedStat(path),
      sharedStat(path),
    ]);
    assert.ok(a !== null && a === b && b === c);
    const later = await sharedStat(path);
    assert.ok(later !== null && later !== a);
    assert.equal(later.size, 3);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("the shared stat is taken after the last call: a change made after it is seen", async () => {
  const path = await tempFile("abc");
  try {
    const first = sharedStat(path);
    // Changed after the first call, before the second: both must see it.
    Deno.writeTextFileSync(path, "abcdef");
    const second = sharedStat(path);
    assert.equal(first, second);
    assert.equal((await first)?.size, 6);
    // And a change after the stat was taken is seen by the next call.
    Deno.writeTextFileSync(path, "a");
    assert.equal((await sharedStat(path))?.size, 1);
    Deno.removeSync(path);
    assert.equal(await sharedStat(path), null);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("a call made once the stat is taken, before its callers resume, gets a new one", async () => {
  const path = await tempFile("abc");
  try {
    const first = sharedStat(path);
    // Queued after the stat's microtask, ahead of the first caller's resumption.
    const second = new Promise<Deno.FileInfo | null>((resolve) =>
      queueMicrotask(() => {
        Deno.writeTextFileSync(path, "abcdef");
        resolve(sharedStat(path));
      })
    );
    assert.equal((await first)?.size, 3);
    assert.equal((await second)?.size, 6);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("different paths are stat'ed apart; a missing one is null", async () => {
  const path = await tempFile("abc");
  try {
    const [file, folder, missing] = await Promise.all([
      sharedStat(path),
      sharedStat(Deno.cwd()),
      sharedStat(`${path}.missing`),
    ]);
    assert.ok(file?.isFile && folder?.isDirectory);
    assert.equal(missing, null);
    assert.equal(statOrNull(`${path}.missing`), null);
    assert.equal(statOrNull(path)?.size, 3);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a Coalescer runs once per key for the callers before the run, and again after", async () => {
  const coalescer = new Coalescer<string>();
  const runs: string[] = [];
  const work = (key: string) => () => {
    runs.push(key);
    return `${key}#${runs.length}`;
  };
  const together = await Promise.all([
    coalescer.run("a", work("a")),
    coalescer.run("b", work("b")),
    coalescer.run("a", work("a")),
  ]);
  assert.deepEqual(together, ["a#1", "b#2", "a#1"]);
  assert.equal(await coalescer.run("a", work("a")), "a#3");
  assert.deepEqual(runs, ["a", "b", "a"]);
});

Deno.test("a Coalescer call made while the work runs starts a new run", async () => {
  const coalescer = new Coalescer<number>();
  let runs = 0;
  let during: Promise<number> | undefined;
  const first = coalescer.run("k", () => {
    runs++;
    during ??= coalescer.run("k", () => ++runs * 10);
    return runs;
  });
  assert.equal(await first, 1);
  assert.equal(await during, 20);
  assert.equal(runs, 2);
});
