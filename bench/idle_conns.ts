/**
 * What a connection costs our server (the command line, `ThreadingHTTPServer`
 * with HTTP/1.1 and the default limits, in a process of its own), measured
 * as the growth of its resident memory:
 *
 * - idle: 1,000 keep-alive connections held open after one request each
 *   (the measurement of `bench/idle.ts`); the target is under 64 KiB each.
 * - largest head: connections each holding the largest head the default
 *   limits let a client send without ending it (100 header lines of 65,536
 *   bytes), the most a client can make one connection cost before
 *   `headTimeout` (10 s) cuts it off.
 *
 * ```sh
 * deno run -A bench/idle_conns.ts                       # 1,000 idle, 16 largest heads
 * deno run -A bench/idle_conns.ts --idle 200 --heads 4
 * ```
 *
 * It uses the `ours-threading-1.1` server of `bench/servers.ts` (port
 * 18109): do not run it beside `deno task bench`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ensureFixtures } from "./fixtures.ts";
import { idleConnections } from "./idle.ts";
import { connectWithin } from "./net.ts";
import { SERVERS, startServer, stopAll } from "./servers.ts";

/** The target for an idle keep-alive connection, in KiB (bench/README.md). */
const IDLE_TARGET_KIB = 64;
/** Header fields of the largest head: Python's and our default `maxHeaders`. */
const MAX_HEADERS = 100;
/** Bytes of the longest header line with its CRLF: the default `maxLineLength`. */
const MAX_LINE = 65_536;

/** What {@link largestHeads} measured. */
export interface HeadsResult {
  /** Connections that sent the head. */
  connections: number;
  /** Bytes of head each one sent. */
  headBytes: number;
  /** Resident memory before, in KiB. */
  baselineKiB: number;
  /** Resident memory with the heads held, in KiB. */
  loadedKiB: number;
  /** `(loadedKiB - baselineKiB) / connections`. */
  perConnectionKiB: number;
}

/**
 * The largest head the default limits accept, without the empty line that
 * would end it: the request line, Host, and 99 more lines of the longest
 * length.
 */
function largestHead(): Uint8Array {
  let head = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (let i = 1; i < MAX_HEADERS; i++) {
    const name = `X-${i}: `;
    head += name + "v".repeat(MAX_LINE - name.length - 2) + "\r\n";
  }
  return new TextEncoder().encode(head);
}

/**
 * Resolves once the server on `port` has read everything sent to it (no
 * established socket of it has bytes waiting in its receive queue), or after
 * `ms` (then the figure is low, never high).
 */
async function untilRead(port: number, ms: number): Promise<void> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const rows = (await Deno.readTextFile("/proc/net/tcp")).split("\n");
    const waiting = rows.some((row) => {
      const [, address, , state, queues] = row.trim().split(/\s+/);
      // State 01 is ESTABLISHED; queues are `tx:rx` in hex.
      return address?.endsWith(local) && state === "01" &&
        parseInt(queues.split(":")[1], 16) > 0;
    });
    if (!waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Opens `count` connections to `port`, sends each the largest head without
 * ending it, and measures the server's memory once it has read them all.
 */
export async function largestHeads(
  port: number,
  count: number,
  rssKiB: () => number,
): Promise<HeadsResult> {
  const head = largestHead();
  const baselineKiB = rssKiB();
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < count; i++) conns.push(await connectWithin(port, 5000));
    await Promise.all(conns.map(async (conn) => {
      for (let sent = 0; sent < head.length;) {
        sent += await conn.write(head.subarray(sent));
      }
    }));
    await untilRead(port, 5000);
    const loadedKiB = rssKiB();
    return {
      connections: count,
      headBytes: head.length,
      baselineKiB,
      loadedKiB,
      perConnectionKiB: (loadedKiB - baselineKiB) / count,
    };
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Closed by the server.
      }
    }
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      idle: { type: "string", default: "1000" },
      heads: { type: "string", default: "16" },
    },
  });
  const spec = SERVERS.find((server) => server.name === "ours-threading-1.1")!;
  const root = await ensureFixtures();
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  try {
    let server = await startServer(spec, root);
    const idle = await idleConnections(
      spec.port,
      Number(values.idle),
      () => server.rssKiB(),
    );
    await server.stop();
    const perIdle = idle.perConnectionKiB ?? NaN;
    console.log(
      `idle keep-alive: ${idle.stillOpen} of ${values.idle} held open, RSS ${
        mib(idle.baselineKiB)
      } -> ${mib(idle.loadedKiB)}: ${perIdle.toFixed(1)} KiB per connection ` +
        `(target < ${IDLE_TARGET_KIB} KiB: ${
          perIdle < IDLE_TARGET_KIB ? "met" : "MISSED"
        })`,
    );
    server = await startServer(spec, root);
    const heads = await largestHeads(
      spec.port,
      Number(values.heads),
      () => server.rssKiB(),
    );
    await server.stop();
    console.log(
      `largest head (${
        heads.headBytes.toLocaleString("en")
      } bytes, not ended): ${heads.connections} connections, RSS ${
        mib(heads.baselineKiB)
      } -> ${mib(heads.loadedKiB)}: ${
        (heads.perConnectionKiB / 1024).toFixed(2)
      } MiB per connection`,
    );
  } finally {
    await stopAll();
  }
}
