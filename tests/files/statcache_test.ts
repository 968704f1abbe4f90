/**
 * Tests of `StatCache` with folders (the small-file tests in
 * `simple_test.ts` cover eviction): a value is served only for the version
 * of the path it was read at, and only kept once that version is old enough
 * to be told apart.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StatCache } from "../../files/statcache.ts";

Deno.test("a kept value is served while its folder's stat is unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "statcache_test_" });
  try {
    const cache = new StatCache<string[]>({ maxTotalBytes: 1000, racyMs: 0 });
    // An old mtime, so that the change below is seen within one clock tick.
    await Deno.utime(dir, 1_000_000, 1_000_000);
    const names = ["a"];
    cache.keep(dir, Deno.statSync(dir), names, 1);
    assert.equal(cache.lookup(dir, Deno.statSync(dir)), names);
    assert.equal(cache.bytes, 1 + 256);
    await Deno.writeTextFile(`${dir}/b`, "");
    assert.equal(cache.lookup(dir, Deno.statSync(dir)), null);
    assert.equal(cache.bytes, 0, "the stale value is dropped");
    // Kept again under the new version, replacing nothing twice.
    cache.keep(dir, Deno.statSync(dir), ["a", "b"], 2);
    cache.keep(dir, Deno.statSync(dir), ["a", "b"], 2);
    assert.deepEqual(cache.lookup(dir, Deno.statSync(dir)), ["a", "b"]);
    assert.equal(cache.bytes, 2 + 256);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a value is not kept when its path just changed, or it is larger than the bound", async () => {
  const dir = await Deno.makeTempDir({ prefix: "statcache_test_" });
  try {
    const recent = new StatCache<string>({ maxTotalBytes: 1000 });
    recent.keep(dir, Deno.statSync(dir), "x", 1);
    assert.equal(recent.lookup(dir, Deno.statSync(dir)), null);
    const small = new StatCache<string>({ maxTotalBytes: 300, racyMs: 0 });
    small.keep(dir, Deno.statSync(dir), "x", 45);
    assert.equal(small.lookup(dir, Deno.statSync(dir)), null);
    assert.equal(small.bytes, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("share: calls for a settled version share the read in progress; a recent one reads again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "statcache_test_" });
  try {
    let reads = 0;
    let finish = () => {};
    const read = () => {
      const n = ++reads;
      return new Promise<string>((resolve) => {
        finish = () => resolve(`read ${n}`);
      });
    };
    // Too small to keep anything: only the sharing of a read in progress.
    const settled = new StatCache<string>({ maxTotalBytes: 0, racyMs: 0 });
    const first = settled.share(dir, Deno.statSync(dir), read, () => 1);
    const second = settled.share(dir, Deno.statSync(dir), read, () => 1);
    finish();
    assert.deepEqual(await Promise.all([first, second]), ["read 1", "read 1"]);
    assert.equal(reads, 1);
    // Read in progress done: the next call reads again.
    const third = settled.share(dir, Deno.statSync(dir), read, () => 1);
    finish();
    assert.equal(await third, "read 2");
    // Another version does not share a read of the one before. An old
    // mtime, so that the change below is seen within one clock tick.
    await Deno.utime(dir, 1_000_000, 1_000_000);
    const old = settled.share(dir, Deno.statSync(dir), read, () => 1);
    const oldFinish = finish;
    await Deno.writeTextFile(`${dir}/b`, "");
    const changed = settled.share(dir, Deno.statSync(dir), read, () => 1);
    oldFinish();
    finish();
    assert.deepEqual(await Promise.all([old, changed]), ["read 3", "read 4"]);
    // Just changed: its stat may not tell its versions apart, nothing shared.
    const recent = new StatCache<string>({ maxTotalBytes: 1000 });
    const a = recent.share(dir, Deno.statSync(dir), read, () => 1);
    const aFinish = finish;
    const b = recent.share(dir, Deno.statSync(dir), read, () => 1);
    aFinish();
    finish();
    assert.deepEqual(await Promise.all([a, b]), ["read 5", "read 6"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
