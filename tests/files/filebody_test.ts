/**
 * Tests of `copyBytes`, the body copy of file downloads: exact lengths, a
 * file that ends early, and that its pooled buffer goes back to the pool
 * whichever side fails, never while a write still reads from it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Deadline } from "../../server/deadline.ts";
import { BufferPool } from "../../http/pool.ts";
import { BufferedWriter, type ByteSink } from "../../http/writer.ts";
import { copyBytes } from "../../files/filebody.ts";
import { concat } from "../support/helpers.ts";

const CHUNK = 32 * 1024;
const FALLBACK = 512;

/**
 * A pool of two chunk-sized buffers, as COPY_BUFFERS is at a smaller scale,
 * that counts the buffers handed out.
 */
class SmallPool extends BufferPool {
  acquired = 0;
  constructor() {
    super(CHUNK, 2, FALLBACK);
  }
  override acquire(): Uint8Array {
    this.acquired++;
    return super.acquire();
  }
}

function smallPool(): SmallPool {
  return new SmallPool();
}

/** Whether both pooled buffers are back: two more acquires get pooled ones. */
function bothReleased(pool: BufferPool): boolean {
  const a = pool.acquire();
  const b = pool.acquire();
  return a.length === CHUNK && b.length === CHUNK && a !== b;
}

/**
 * A connection that keeps what it is sent, or fails on its `failAt`th write.
 * Each write takes a turn of the event loop and checks that its bytes did
 * not change meanwhile: a buffer reused before its write resolved shows.
 */
class Sink implements ByteSink {
  chunks: Uint8Array[] = [];
  constructor(readonly failAt = Infinity) {}
  async write(p: Uint8Array): Promise<number> {
    if (this.chunks.length + 1 >= this.failAt) {
      throw new Error("connection reset");
    }
    const sent = p.slice();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(p, sent, "the bytes changed while being written");
    this.chunks.push(sent);
    return p.length;
  }
  bytes(): Uint8Array {
    return concat(this.chunks);
  }
}

/** A file whose synchronous reads `readSync` answers. */
function fakeFile(
  readSync: (into: Uint8Array) => number | null,
): Deno.FsFile {
  return { readSync } as unknown as Deno.FsFile;
}

function writer(sink: Sink): BufferedWriter {
  return new BufferedWriter(sink, new Deadline(() => {}), 0);
}

/**
 * A file of `size` bytes, and its bytes: a pattern whose period (251) divides
 * no chunk size, so chunks out of order or repeated differ from it.
 */
async function patternFile(size: number): Promise<[string, Uint8Array]> {
  const bytes = new Uint8Array(size).map((_, i) => i % 251);
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, bytes);
  return [path, bytes];
}

Deno.test("copyBytes copies exactly the length asked, in chunks, through one buffer it returns", async () => {
  const [path, bytes] = await patternFile(5 * CHUNK + 123);
  try {
    for (const length of [bytes.length, 3 * CHUNK, CHUNK - 1, 1]) {
      using file = await Deno.open(path);
      const sink = new Sink();
      const out = writer(sink);
      const pool = smallPool();
      assert.equal(await copyBytes(file, out, length, pool), length);
      await out.flush();
      assert.deepEqual(sink.bytes(), bytes.subarray(0, length));
      assert.equal(pool.acquired, 1, `length ${length}`);
      assert.ok(bothReleased(pool), `length ${length}`);
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("copyBytes stops where a file ends early and says how much it sent", async () => {
  const [path, bytes] = await patternFile(2 * CHUNK + 5);
  try {
    using file = await Deno.open(path);
    const sink = new Sink();
    const out = writer(sink);
    const pool = smallPool();
    assert.equal(await copyBytes(file, out, 10 * CHUNK, pool), bytes.length);
    await out.flush();
    assert.deepEqual(sink.bytes(), bytes);
    assert.ok(bothReleased(pool));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("copyBytes with length 0 reads nothing", async () => {
  const source = fakeFile(() => {
    throw new Error("must not read");
  });
  const pool = smallPool();
  assert.equal(await copyBytes(source, writer(new Sink()), 0, pool), 0);
  assert.ok(bothReleased(pool));
});

Deno.test("copyBytes: a failed write rejects with its error and frees the buffer", async () => {
  let reads = 0;
  const source = fakeFile((into) => {
    reads++;
    into.fill(7);
    return into.length;
  });
  const pool = smallPool();
  await assert.rejects(
    copyBytes(source, writer(new Sink(2)), 6 * CHUNK, pool),
    /connection reset/,
  );
  // Nothing is read past the write that failed.
  assert.equal(reads, 2);
  assert.ok(bothReleased(pool));
});

Deno.test("copyBytes: a read that fails rejects with its error once the write before it is done, and frees the buffer", async () => {
  let reads = 0;
  let writing = 0;
  const source = fakeFile((into) => {
    reads++;
    assert.equal(writing, 0, "read into the buffer while it was written");
    if (reads === 1) return into.length;
    throw new Error("disk error");
  });
  /** A connection whose writes take a few event-loop turns. */
  const slow: ByteSink = {
    write: (p) => {
      writing++;
      return new Promise((done) =>
        setTimeout(() => {
          writing--;
          done(p.length);
        }, 5)
      );
    },
  };
  const pool = smallPool();
  await assert.rejects(
    copyBytes(
      source,
      new BufferedWriter(slow, new Deadline(() => {}), 0),
      4 * CHUNK,
      pool,
    ),
    /disk error/,
  );
  assert.equal(reads, 2);
  assert.ok(bothReleased(pool));
});
