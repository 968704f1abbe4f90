/**
 * Tests of `PipeReader`: a child's whole output, read through one buffer of
 * `PIPE_BUFFER_SIZE` bytes, and a cancel while a read waits.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PIPE_BUFFER_SIZE, PipeReader } from "../../handlers/cgi/pipe.ts";

Deno.test("a child's output is read whole, in chunks of the reader's buffer", async () => {
  const path = await Deno.makeTempFile();
  const data = Uint8Array.from({ length: 200_000 }, (_, i) => i % 251);
  await Deno.writeFile(path, data);
  try {
    const child = new Deno.Command("cat", { args: [path], stdout: "piped" })
      .spawn();
    const reader = new PipeReader(child.stdout);
    const received = new Uint8Array(data.length);
    let at = 0;
    for (let chunk; (chunk = await reader.read()) !== null;) {
      // Read into the reader's own buffer, not one the stream allocated.
      assert.equal(chunk.buffer.byteLength, PIPE_BUFFER_SIZE);
      received.set(chunk, at);
      at += chunk.length;
    }
    reader.release();
    assert.equal(at, data.length);
    assert.deepEqual(received, data);
    assert.equal((await child.status).success, true);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a cancel ends a waiting read with null, and the reader is then released", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], stdout: "piped" })
    .spawn();
  const reader = new PipeReader(child.stdout);
  try {
    const pending = reader.read();
    await reader.cancel();
    assert.equal(await pending, null);
    reader.release();
    // A new reader gets a whole buffer, whatever the cancelled one lost.
    const next = new PipeReader(new Blob(["x"]).stream());
    assert.equal((await next.read())?.buffer.byteLength, PIPE_BUFFER_SIZE);
    next.release();
  } finally {
    child.kill();
    await child.status;
  }
});
