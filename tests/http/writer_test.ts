/**
 * Tests of the connection's write side: what reaches the connection, in how
 * many writes, when Nagle's algorithm is turned off, and that pooled buffers
 * are never shared by two writers.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Deadline } from "../../server/deadline.ts";
import { BufferedWriter } from "../../http/writer.ts";

/** A connection that records each write and each setNoDelay call. */
class FakeConn {
  writes: string[] = [];
  noDelay: number[] = [];
  write(p: Uint8Array): Promise<number> {
    this.writes.push(String.fromCharCode(...p));
    return Promise.resolve(p.length);
  }
  setNoDelay(on: boolean): void {
    assert.ok(on);
    this.noDelay.push(this.writes.length);
  }
}

function writer(conn: FakeConn): BufferedWriter {
  return new BufferedWriter(conn, new Deadline(() => {}), 0);
}

Deno.test("headers and a small body leave in one write", async () => {
  const conn = new FakeConn();
  const out = writer(conn);
  out.bufferLatin1("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
  await out.write("hi");
  await out.flush();
  assert.deepEqual(conn.writes, [
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
  ]);
});

Deno.test("Latin-1 header text is one byte a character; above U+00FF throws", async () => {
  const conn = new FakeConn();
  const out = writer(conn);
  out.bufferLatin1("X-A: caf\xe9\r\n");
  await out.flush();
  assert.deepEqual(conn.writes, ["X-A: caf\xe9\r\n"]);
  assert.throws(() => out.bufferLatin1("X-B: \u0100\r\n"), TypeError);
  await out.flush();
  assert.deepEqual(conn.writes.length, 1);
});

Deno.test("Nagle's algorithm is turned off before the second write, once", async () => {
  const conn = new FakeConn();
  const out = writer(conn);
  await out.write("first");
  await out.flush();
  assert.deepEqual(conn.noDelay, []);
  await out.write("second");
  await out.flush();
  await out.write("third");
  await out.flush();
  assert.deepEqual(conn.noDelay, [1]);
  assert.deepEqual(conn.writes, ["first", "second", "third"]);
});

Deno.test("a connection that is written once never turns Nagle off", async () => {
  const conn = new FakeConn();
  const out = writer(conn);
  await out.write(new Uint8Array(100_000));
  await out.flush();
  assert.deepEqual(conn.writes.length, 1);
  assert.deepEqual(conn.noDelay, []);
});

Deno.test("write buffers go back to the pool and are never shared", async () => {
  const a = new FakeConn();
  const b = new FakeConn();
  const outA = writer(a);
  const outB = writer(b);
  await outA.write("aaaa");
  await outA.flush();
  // outB now likely holds the buffer outA released; outA takes another.
  await outB.write("bb");
  await outA.write("AA");
  await outB.flush();
  await outA.flush();
  outA.release();
  outB.release();
  assert.deepEqual(a.writes, ["aaaa", "AA"]);
  assert.deepEqual(b.writes, ["bb"]);
});
