/**
 * Tests of connection deadlines: the watch fires what is due, once, and
 * adding or removing deadlines (also while they fire) keeps its list whole.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Deadline,
  DeadlineWatch,
  type WaitPhase,
} from "../../server/deadline.ts";

function deadlines(n: number, fired: string[]): Deadline[] {
  return Array.from(
    { length: n },
    (_, i) => new Deadline((phase: WaitPhase) => fired.push(`${i}:${phase}`)),
  );
}

Deno.test("expireWaiting fires the armed deadlines of a phase, each once", () => {
  const fired: string[] = [];
  const watch = new DeadlineWatch(1000);
  const [a, b, c] = deadlines(3, fired);
  for (const d of [a, b, c]) watch.add(d);
  watch.add(a); // a second add changes nothing
  a.arm("idle", 0);
  b.arm("head", 0);
  c.arm("idle", 0);
  c.disarm();
  watch.expireWaiting("idle");
  watch.expireWaiting("idle");
  assert.deepEqual(fired, ["0:idle"]);
  for (const d of [a, b, c]) watch.delete(d);
});

Deno.test("removed deadlines never fire, and removing one twice is harmless", () => {
  const fired: string[] = [];
  const watch = new DeadlineWatch(1000);
  const list = deadlines(4, fired);
  for (const d of list) {
    watch.add(d);
    d.arm("body", 0);
  }
  watch.delete(list[1]);
  watch.delete(list[1]);
  watch.delete(list[3]);
  watch.expireWaiting("body");
  assert.deepEqual(fired.sort(), ["0:body", "2:body"]);
  for (const d of list) watch.delete(d);
});

Deno.test("a deadline that fires may remove the others", () => {
  const fired: string[] = [];
  const watch = new DeadlineWatch(1000);
  const list: Deadline[] = [];
  for (let i = 0; i < 3; i++) {
    list.push(
      new Deadline((phase) => {
        fired.push(`${i}:${phase}`);
        for (const d of list) watch.delete(d);
      }),
    );
  }
  for (const d of list) {
    watch.add(d);
    d.arm("write", 0);
  }
  watch.expireWaiting("write");
  // The first to fire removed the others: they no longer fire.
  assert.deepEqual(fired, ["2:write"]);
  watch.expireWaiting("write");
  assert.deepEqual(fired, ["2:write"]);
});

Deno.test("the watch's interval fires a deadline once its time has passed", async () => {
  const fired: string[] = [];
  const watch = new DeadlineWatch(5);
  const [d] = deadlines(1, fired);
  watch.add(d);
  d.arm("head", 10);
  await new Promise((resolve) => setTimeout(resolve, 60));
  watch.delete(d);
  assert.deepEqual(fired, ["0:head"]);
});
