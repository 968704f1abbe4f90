/**
 * Tests of the wait for a request head, without sockets: how far a head has
 * come after the parser's feed, which wait applies and for how long, as one
 * table of options, progress and time, what each deadline does, and the
 * loop over a scripted connection (the waits it arms, end of stream, and
 * shutdown). The same rules over real sockets are in
 * `tests/server/faults_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  headDeadline,
  type HeadProgress,
  headProgress,
  type HeadTimeouts,
  headWaitPhase,
  headWaitTimeout,
  readHead,
  type TimeoutOutcome,
  timeoutOutcome,
} from "../../handlers/headwait.ts";
import { RequestParser } from "../../http/parser.ts";
import { BufferedReader } from "../../http/reader.ts";
import type { PeerWait } from "../../http/wait.ts";
import type { WaitPhase } from "../../server/deadline.ts";
import { HttpError } from "../../util/errors.ts";

/** The bytes of `s`, one per char code (latin-1). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

const PROGRESS: [string, string, HeadProgress][] = [
  ["one empty line", "\r\n", "empty-lines"],
  ["an empty line ended by a bare LF", "\n", "empty-lines"],
  [
    "empty lines, then a lone CR that may end another",
    "\r\n\r\n\r",
    "empty-lines",
  ],
  ["the first byte of a request line", "G", "request"],
  ["empty lines, then part of a request line", "\r\n\r\nGE", "request"],
  ["a CR followed by anything but LF", "\r\r", "request"],
  [
    "a whole request line, its headers awaited",
    "GET / HTTP/1.1\r\n",
    "request",
  ],
  ["a request line and part of a header", "GET / HTTP/1.1\r\nHo", "request"],
];

for (const [name, raw, progress] of PROGRESS) {
  Deno.test(`head progress: ${name} is ${progress}`, () => {
    const parser = new RequestParser();
    const buf = bytes(raw);
    const used = parser.feed(buf, 0, buf.length);
    assert.equal(parser.head, null);
    assert.equal(
      headProgress(parser.inHeaders, buf, used, buf.length),
      progress,
    );
  });
}

/**
 * One wait: the options, the progress, the deadline set at an earlier wait
 * of that progress (0: none) and the time, then the deadline, the phase and
 * the timeout of the wait (0: no limit).
 */
interface WaitRow {
  name: string;
  options: HeadTimeouts;
  progress: HeadProgress;
  deadline: number;
  now: number;
  expect: { deadline: number; phase: PeerWait; timeout: number };
}

const BOTH = { idleTimeout: 5_000, headTimeout: 10_000 };

const WAITS: WaitRow[] = [
  {
    name: "the keep-alive wait for a request's first byte is idleTimeout",
    options: BOTH,
    progress: "none",
    deadline: 0,
    now: 0,
    expect: { deadline: 0, phase: "idle", timeout: 5_000 },
  },
  {
    name: "with idleTimeout 0 the keep-alive wait has no limit",
    options: { idleTimeout: 0, headTimeout: 10_000 },
    progress: "none",
    deadline: 0,
    now: 0,
    expect: { deadline: 0, phase: "idle", timeout: 0 },
  },
  {
    name:
      "the first wait after empty lines sets their headTimeout and waits idleTimeout",
    options: BOTH,
    progress: "empty-lines",
    deadline: 0,
    now: 1_000,
    expect: { deadline: 11_000, phase: "idle", timeout: 5_000 },
  },
  {
    name: "empty lines near their headTimeout wait only what is left of it",
    options: BOTH,
    progress: "empty-lines",
    deadline: 11_000,
    now: 9_000,
    expect: { deadline: 11_000, phase: "idle", timeout: 2_000 },
  },
  {
    name:
      "empty lines with idleTimeout 0 wait what is left of their headTimeout",
    options: { idleTimeout: 0, headTimeout: 10_000 },
    progress: "empty-lines",
    deadline: 11_000,
    now: 4_000,
    expect: { deadline: 11_000, phase: "idle", timeout: 7_000 },
  },
  {
    name: "empty lines with headTimeout 0 wait idleTimeout each",
    options: { idleTimeout: 5_000, headTimeout: 0 },
    progress: "empty-lines",
    deadline: 0,
    now: 1_000,
    expect: { deadline: 0, phase: "idle", timeout: 5_000 },
  },
  {
    name: "empty lines with both timeouts 0 wait without limit",
    options: { idleTimeout: 0, headTimeout: 0 },
    progress: "empty-lines",
    deadline: 0,
    now: 1_000,
    expect: { deadline: 0, phase: "idle", timeout: 0 },
  },
  {
    name:
      "the first wait of a request sets its headTimeout; idleTimeout no longer applies",
    options: BOTH,
    progress: "request",
    deadline: 0,
    now: 1_000,
    expect: { deadline: 11_000, phase: "head", timeout: 10_000 },
  },
  {
    name: "a later wait of a request has what is left of its headTimeout",
    options: BOTH,
    progress: "request",
    deadline: 11_000,
    now: 4_000,
    expect: { deadline: 11_000, phase: "head", timeout: 7_000 },
  },
  {
    name: "a request past its deadline waits 1 ms, so the deadline fires",
    options: BOTH,
    progress: "request",
    deadline: 11_000,
    now: 12_000,
    expect: { deadline: 11_000, phase: "head", timeout: 1 },
  },
  {
    name:
      "a request with headTimeout 0 waits without limit, whatever idleTimeout",
    options: { idleTimeout: 5_000, headTimeout: 0 },
    progress: "request",
    deadline: 0,
    now: 1_000,
    expect: { deadline: 0, phase: "head", timeout: 0 },
  },
];

for (const row of WAITS) {
  Deno.test(`head wait: ${row.name}`, () => {
    const deadline = headDeadline(
      row.options,
      row.progress,
      row.deadline,
      row.now,
    );
    assert.deepEqual({
      deadline,
      phase: headWaitPhase(row.progress),
      timeout: headWaitTimeout(row.options, row.progress, deadline, row.now),
    }, row.expect);
  });
}

const OUTCOMES: [WaitPhase, TimeoutOutcome][] = [
  ["idle", "close"],
  ["head", "answer-408"],
  ["body", "log-and-close"],
  ["write", "log-and-close"],
  ["script", "log-and-close"],
];

for (const [phase, outcome] of OUTCOMES) {
  Deno.test(`deadline: a wait in phase ${phase} ends with ${outcome}`, () => {
    assert.equal(timeoutOutcome(phase), outcome);
  });
}

/** A connection that yields `chunks` one read at a time, then its end. */
class Script {
  /** The waits armed, as `phase timeout`. */
  waits: string[] = [];
  #chunks: Uint8Array[];

  constructor(chunks: string[]) {
    this.#chunks = chunks.map(bytes);
  }

  read(p: Uint8Array): Promise<number | null> {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    p.set(chunk);
    return Promise.resolve(chunk.length);
  }

  arm(phase: PeerWait, timeoutMs: number): void {
    this.waits.push(`${phase} ${timeoutMs}`);
  }

  disarm(): void {}
}

/**
 * Runs {@link readHead} over `chunks`; the waits it armed and its outcome.
 * With `buffered`, the first chunk is in the buffer before it starts, as a
 * pipelined request's bytes are.
 */
async function readScripted(
  chunks: string[],
  options: HeadTimeouts,
  { shuttingDown = false, buffered = false } = {},
) {
  const script = new Script(chunks);
  const reader = new BufferedReader(script, script, 1024);
  if (buffered) {
    await reader.fill("idle", 0);
    script.waits.length = 0;
  }
  try {
    const head = await readHead(reader, new RequestParser(), {
      options,
      shuttingDown,
    });
    return { waits: script.waits, head };
  } catch (error) {
    return { waits: script.waits, error };
  } finally {
    reader.release();
  }
}

// Timeouts that no scripted read, which resolves at once, can eat into.
const LONG = { idleTimeout: 50_000, headTimeout: 100_000 };

Deno.test("read head: empty lines wait as idle, then the request gets a headTimeout of its own", async () => {
  const { waits, head } = await readScripted(
    ["\r\n", "GET / HTTP/1.1\r\n", "Host: t\r\n\r\n"],
    LONG,
  );
  assert.equal(head?.target, "/");
  assert.deepEqual(waits, ["idle 50000", "idle 50000", "head 100000"]);
});

Deno.test("read head: a head that arrives whole needs only the keep-alive wait", async () => {
  const { waits, head } = await readScripted(
    ["GET / HTTP/1.1\r\nHost: t\r\n\r\n"],
    LONG,
  );
  assert.equal(head?.target, "/");
  assert.deepEqual(waits, ["idle 50000"]);
});

Deno.test("read head: the end of the stream after empty lines is a silent end", async () => {
  const { waits, head, error } = await readScripted(["\r\n\r"], LONG);
  assert.equal(head, null);
  assert.equal(error, undefined);
  assert.deepEqual(waits, ["idle 50000", "idle 50000"]);
});

Deno.test("read head: the end of the stream in a request line is an incomplete request", async () => {
  const { error } = await readScripted(["GET / HT"], LONG);
  assert.ok(error instanceof HttpError);
  assert.equal(error.kind, "bad-request-line");
  assert.equal(error.reason, "Incomplete request");
});

Deno.test("read head: a shutdown ends an idle connection without waiting", async () => {
  const { waits, head } = await readScripted([], LONG, { shuttingDown: true });
  assert.equal(head, null);
  assert.deepEqual(waits, []);
});

Deno.test("read head: a shutdown ends a connection that sent only empty lines", async () => {
  const { waits, head } = await readScripted(["\r\n"], LONG, {
    shuttingDown: true,
    buffered: true,
  });
  assert.equal(head, null);
  assert.deepEqual(waits, []);
});

Deno.test("read head: a shutdown lets a request under way arrive whole", async () => {
  const { waits, head } = await readScripted(
    ["GET / HTTP/1.1\r\n", "Host: t\r\n\r\n"],
    LONG,
    { shuttingDown: true, buffered: true },
  );
  assert.equal(head?.target, "/");
  assert.deepEqual(waits, ["head 100000"]);
});
