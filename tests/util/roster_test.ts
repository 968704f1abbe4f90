/**
 * Tests of `Roster`: joins, leaves, and walks while members leave.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Roster } from "../../util/roster.ts";

Deno.test("a roster holds what was added and not deleted, newest first", () => {
  const roster = new Roster<string>();
  const a = roster.add("a");
  const b = roster.add("b");
  const c = roster.add("c");
  assert.deepEqual([...roster], ["c", "b", "a"]);
  assert.equal(roster.size, 3);
  roster.delete(b); // the middle
  assert.deepEqual([...roster], ["c", "a"]);
  roster.delete(c); // the head
  roster.delete(a); // the last
  assert.deepEqual([...roster], []);
  assert.equal(roster.size, 0);
  assert.equal(roster.has(a), false);
  roster.add("d");
  assert.deepEqual([...roster], ["d"]);
});

Deno.test("deleting twice, or another roster's entry, changes nothing", () => {
  const roster = new Roster<number>();
  const other = new Roster<number>();
  const one = roster.add(1);
  roster.add(2);
  const foreign = other.add(3);
  roster.delete(one);
  roster.delete(one);
  roster.delete(foreign);
  assert.deepEqual([...roster], [2]);
  assert.equal(roster.size, 1);
  assert.deepEqual([...other], [3]);
  assert.equal(roster.has(foreign), false);
  assert.equal(other.has(foreign), true);
  assert.equal(roster.has(null), false);
});

Deno.test("a value added twice is two members", () => {
  const roster = new Roster<string>();
  const first = roster.add("x");
  roster.add("x");
  roster.delete(first);
  assert.deepEqual([...roster], ["x"]);
});

Deno.test("members may leave during a walk: the current one, the next, any", () => {
  const roster = new Roster<number>();
  const entries = [1, 2, 3, 4, 5, 6].map((n) => roster.add(n));
  const seen: number[] = [];
  for (const n of roster) {
    seen.push(n);
    roster.delete(entries[n - 1]); // the current member
    if (n === 6) roster.delete(entries[4]); // the next one (5)
    if (n === 4) roster.delete(entries[1]); // one further on (2)
    if (n === 3) roster.add(7); // joins after the walk began: not visited
  }
  assert.deepEqual(seen, [6, 4, 3, 1]);
  assert.deepEqual([...roster], [7]);
});
