/**
 * Tests of `ExitCleanup`: what an immediate exit cleans, its bound, and the
 * temporary file of a spooled CGI body held in the process's list.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BodySpool, SPOOL_MEMORY_LIMIT } from "../../handlers/cgi/spool.ts";
import type { RequestBody } from "../../http/body.ts";
import { ExitCleanup, exitCleanups } from "../../util/exitcleanup.ts";

Deno.test("runSync runs each clean-up held once, even when one throws", () => {
  const cleanups = new ExitCleanup();
  const ran: string[] = [];
  cleanups.add(() => ran.push("a"));
  cleanups.add(() => {
    throw new Error("already gone");
  });
  const deleted = cleanups.add(() => ran.push("deleted"));
  cleanups.add(() => ran.push("c"));
  cleanups.delete(deleted);
  cleanups.runSync();
  assert.deepEqual(ran.sort(), ["a", "c"]);
  assert.equal(cleanups.size, 0);
  cleanups.runSync();
  assert.deepEqual(ran.sort(), ["a", "c"]);
});

Deno.test("past its bound a clean-up is not held", () => {
  const cleanups = new ExitCleanup(2);
  const first = cleanups.add(() => {});
  assert.ok(cleanups.add(() => {}));
  assert.equal(cleanups.add(() => {}), null);
  assert.equal(cleanups.size, 2);
  cleanups.delete(first);
  cleanups.delete(null);
  assert.ok(cleanups.add(() => {}));
});

Deno.test("a spooled CGI body's temporary file is removed by an immediate exit", async () => {
  const chunks = [new Uint8Array(SPOOL_MEMORY_LIMIT + 1)];
  const body = {
    readChunk: () => Promise.resolve(chunks.pop() ?? new Uint8Array(0)),
  } as unknown as RequestBody;
  const made: string[] = [];
  const makeTempFile = Deno.makeTempFile;
  Deno.makeTempFile = async (options) => {
    made.push(await makeTempFile(options));
    return made.at(-1)!;
  };
  let spool: BodySpool;
  try {
    spool = await BodySpool.fill(body, 1024 * 1024);
  } finally {
    Deno.makeTempFile = makeTempFile;
  }
  await using _ = spool;
  assert.equal(made.length, 1);
  assert.equal(exitCleanups.size, 1);
  exitCleanups.runSync();
  await assert.rejects(Deno.stat(made[0]), Deno.errors.NotFound);
});

Deno.test("a spool lets go of its clean-up once disposed of", async () => {
  const chunks = [new Uint8Array(SPOOL_MEMORY_LIMIT + 1)];
  const body = {
    readChunk: () => Promise.resolve(chunks.pop() ?? new Uint8Array(0)),
  } as unknown as RequestBody;
  const spool = await BodySpool.fill(body, 1024 * 1024);
  assert.equal(exitCleanups.size, 1);
  await spool[Symbol.asyncDispose]();
  assert.equal(exitCleanups.size, 0);
});
