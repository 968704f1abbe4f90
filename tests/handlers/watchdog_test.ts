/**
 * Tests of the CGI `Watchdog`: it fires once the script has made no
 * progress for its time, counted from the last `touch` or `resume`, never
 * while paused, and never after `stop`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Watchdog } from "../../handlers/cgi/process.ts";

const MS = 200;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A watchdog, the promise of the time at which it fired, and whether it has. */
function start(): {
  watchdog: Watchdog;
  fired: Promise<number>;
  hasFired: () => boolean;
} {
  let watchdog!: Watchdog;
  let done = false;
  const fired = new Promise<number>((resolve) => {
    watchdog = new Watchdog(MS, () => {
      done = true;
      resolve(performance.now());
    });
  });
  return { watchdog, fired, hasFired: () => done };
}

Deno.test("the watchdog fires once no progress came for its time", async () => {
  const began = performance.now();
  const { watchdog, fired } = start();
  assert.ok((await fired) - began >= MS - 1);
  watchdog.stop();
});

Deno.test("progress restarts the wait, from the last touch", async () => {
  const { watchdog, fired, hasFired } = start();
  let last = performance.now();
  for (let i = 0; i < 4; i++) {
    await delay(MS / 4);
    assert.equal(hasFired(), false);
    watchdog.touch();
    last = performance.now();
  }
  assert.ok((await fired) - last >= MS - 1);
  watchdog.stop();
});

Deno.test("time paused does not count; resume restarts the wait", async () => {
  const { watchdog, fired, hasFired } = start();
  watchdog.pause();
  await delay(MS * 2.5);
  assert.equal(hasFired(), false);
  watchdog.resume();
  const resumed = performance.now();
  assert.ok((await fired) - resumed >= MS - 1);
  watchdog.stop();
});

Deno.test("a stopped watchdog never fires", async () => {
  let fired = false;
  const watchdog = new Watchdog(MS / 2, () => fired = true);
  watchdog.stop();
  await delay(MS);
  assert.equal(fired, false);
});
