/**
 * Large listings against our server (the command line, `ThreadingHTTPServer`,
 * HTTP/1.1, in a process of its own), on `huge/`, a folder of 50,000 entries
 * whose page is about 6.7 MB (see `bench/fixtures.ts`):
 *
 * - hold: 200 connections each ask for the listing, with a query of their
 *   own (so that no two share a page), and never read. Once the server has
 *   sent all it can (its send queue to every one of them is not empty), its
 *   peak RSS is read, and its RSS again after the clients have left. The
 *   target is a peak under 150 MiB.
 * - beside: 40 connections ask for the listing at once, each with its own
 *   query; right after, a `GET /small.bin` on a new connection is timed
 *   from the connect to the end of its answer. Once with listing clients that never
 *   read, once with clients that read as fast as they can; several rounds
 *   each, on a fresh set of connections. The target is well under a second.
 *
 * ```sh
 * deno run -A bench/listing_flood.ts
 * deno run -A bench/listing_flood.ts --clients 100 --beside 20 --rounds 3
 * deno run -A bench/listing_flood.ts --server ours-start-1.1
 * ```
 *
 * It uses the servers of `bench/servers.ts` (ours-threading-1.1 on port
 * 18109 by default): do not run it beside `deno task bench`. Every wait is
 * bounded; everything goes to 127.0.0.1.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ensureFixtures, ensureHugeFolder } from "./fixtures.ts";
import { connectWithin } from "./net.ts";
import { SERVERS, startServer, stopAll } from "./servers.ts";

/** The target for the peak RSS with the non-reading clients, in MiB. */
const HOLD_TARGET_MIB = 150;
/** How long the server may take to fill every client's socket. */
const SETTLE_LIMIT_MS = 180_000;
/**
 * How long the count of filled sockets may stay the same before the server
 * counts as done: the write timeout (30 s) drops a client that stalls it.
 */
const STALL_MS = 15_000;
/** How long after the clients left the RSS is read again. */
const AFTER_MS = 3000;
/** How long one small GET or one listing read may take before we give up. */
const EXCHANGE_LIMIT_MS = 120_000;

const encoder = new TextEncoder();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function request(path: string): Uint8Array {
  return encoder.encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += await conn.write(bytes.subarray(done));
  }
}

/** Opens `count` connections, 20 at a time. */
async function openMany(port: number, count: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  try {
    while (conns.length < count) {
      const batch = Math.min(20, count - conns.length);
      conns.push(
        ...await Promise.all(
          Array.from({ length: batch }, () => connectWithin(port, 5000)),
        ),
      );
    }
  } catch (error) {
    closeAll(conns);
    throw error;
  }
  return conns;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

/**
 * Reads one response with a `Content-Length` to its end; resolves its total
 * size (head and body). Throws when it takes over `limitMs` or the
 * connection closes first.
 */
async function readResponse(conn: Deno.Conn, limitMs: number): Promise<number> {
  const timer = setTimeout(() => conn.close(), limitMs);
  try {
    const buffer = new Uint8Array(256 * 1024);
    const decoder = new TextDecoder("latin1");
    let head = "";
    let total = 0;
    let end = Infinity;
    while (total < end) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("connection closed mid-response");
      total += n;
      if (end !== Infinity) continue;
      head += decoder.decode(buffer.subarray(0, n));
      const headEnd = head.indexOf("\r\n\r\n");
      if (headEnd === -1) continue;
      const length = head.slice(0, headEnd).match(
        /\r\ncontent-length:\s*(\d+)/i,
      )?.[1];
      if (length === undefined) throw new Error("no Content-Length");
      end = headEnd + 4 + Number(length);
    }
    return total;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The server's established sockets on `port` and their send queues, from
 * `/proc/net/tcp`: how many have bytes waiting to go out.
 */
async function fullSendQueues(port: number): Promise<number> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const rows = (await Deno.readTextFile("/proc/net/tcp")).split("\n");
  return rows.filter((row) => {
    const [, address, , state, queues] = row.trim().split(/\s+/);
    // State 01 is ESTABLISHED; queues are `tx:rx` in hex.
    return address?.endsWith(local) && state === "01" &&
      parseInt(queues.split(":")[0], 16) > 0;
  }).length;
}

/** What {@link hold} measured. */
interface HoldResult {
  baselineKiB: number;
  peakKiB: number;
  /** RSS once every client was served as far as it would read. */
  heldKiB: number;
  afterKiB: number;
  /** Milliseconds until every client's send queue held bytes. */
  settleMs: number;
  /** Clients whose send queue held bytes by then. */
  settled: number;
  /** A small GET's time while they are held, in ms. */
  smallMs: number;
}

/**
 * `clients` connections ask for `path` (each with its own query) and never
 * read; see the module documentation.
 */
async function hold(
  port: number,
  path: string,
  clients: number,
  rssKiB: () => number,
  peakKiB: () => number,
): Promise<HoldResult> {
  const baselineKiB = rssKiB();
  const conns = await openMany(port, clients);
  let small: Deno.Conn | undefined;
  try {
    const started = performance.now();
    await Promise.all(
      conns.map((conn, i) => writeAll(conn, request(`${path}?client=${i}`))),
    );
    let settled = 0;
    let settleMs = 0;
    while (performance.now() - started < SETTLE_LIMIT_MS) {
      const filled = await fullSendQueues(port);
      if (filled > settled) {
        settled = filled;
        settleMs = performance.now() - started;
      }
      if (settled >= clients) break;
      if (settled && performance.now() - started - settleMs > STALL_MS) break;
      await delay(100);
    }
    // What the server still does after the last queue filled.
    await delay(500);
    const heldKiB = rssKiB();
    small = await connectWithin(port, 5000);
    const t = performance.now();
    await writeAll(small, request("/small.bin"));
    await readResponse(small, EXCHANGE_LIMIT_MS);
    const smallMs = performance.now() - t;
    const peak = peakKiB();
    closeAll(conns);
    await delay(AFTER_MS);
    return {
      baselineKiB,
      peakKiB: peak,
      heldKiB,
      afterKiB: rssKiB(),
      settleMs,
      settled,
      smallMs,
    };
  } finally {
    closeAll(conns);
    if (small) closeAll([small]);
  }
}

/** One round of {@link beside}: the small GET's time, and how it failed. */
interface BesideResult {
  ms: number;
  /** Why the small GET got no answer, if it got none. */
  failed?: string;
}

/**
 * One round of `count` listings and a small GET beside them. Readers read
 * their listings to the end.
 */
async function beside(
  port: number,
  path: string,
  count: number,
  round: number,
  read: boolean,
): Promise<BesideResult> {
  const conns = await openMany(port, count);
  let small: Deno.Conn | undefined;
  try {
    await Promise.all(
      conns.map((conn, i) =>
        writeAll(conn, request(`${path}?round=${round}&client=${i}`))
      ),
    );
    const reads = Promise.all(
      read ? conns.map((conn) => readResponse(conn, EXCHANGE_LIMIT_MS)) : [],
    );
    // Handled here too: it may fail while the small GET is awaited.
    reads.catch(() => {});
    // A new connection: a server that blocks its event loop for longer than
    // its idle timeout closes the idle ones when it comes back.
    const t = performance.now();
    let failed: string | undefined;
    try {
      small = await connectWithin(port, EXCHANGE_LIMIT_MS);
      await writeAll(small, request("/small.bin"));
      await readResponse(small, EXCHANGE_LIMIT_MS);
    } catch (error) {
      failed = error instanceof Error ? error.message : String(error);
    }
    const ms = performance.now() - t;
    await reads;
    return { ms, failed };
  } finally {
    closeAll(conns);
    if (small) closeAll([small]);
  }
}

function summary(results: BesideResult[]): string {
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const failures = results.filter((r) => r.failed)
    .map((r) => `${r.failed} after ${r.ms.toFixed(0)} ms`);
  return `median ${median.toFixed(1)} ms, max ${
    sorted[sorted.length - 1].toFixed(1)
  } ms (in order: ${results.map((r) => r.ms.toFixed(1)).join(", ")})${
    failures.length ? `; no answer: ${failures.join(", ")}` : ""
  }`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      clients: { type: "string", default: "200" },
      beside: { type: "string", default: "40" },
      rounds: { type: "string", default: "5" },
      server: { type: "string", default: "ours-threading-1.1" },
    },
  });
  const spec = SERVERS.find((server) => server.name === values.server);
  if (spec === undefined) throw new Error(`no server ${values.server}`);
  const root = await ensureFixtures();
  const huge = await ensureHugeFolder(root);
  // A folder changed in the last 2 s is read again for every request: let
  // it settle, as a folder being served usually has.
  const changed = Deno.statSync(huge).mtime?.getTime() ?? 0;
  await delay(Math.max(0, changed + 3000 - Date.now()));
  const path = "/huge/";
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  try {
    let server = await startServer(spec, root);
    const held = await hold(
      spec.port,
      path,
      Number(values.clients),
      () => server.rssKiB(),
      () => server.peakRssKiB(),
    );
    await server.stop();
    console.log(
      `hold: ${values.clients} clients that never read ${path}: ` +
        `${held.settled} filled in ${(held.settleMs / 1000).toFixed(1)} s; ` +
        `RSS ${mib(held.baselineKiB)} -> ${mib(held.heldKiB)} held, ` +
        `peak ${mib(held.peakKiB)}, ${mib(held.afterKiB)} ${
          AFTER_MS / 1000
        } s after they left (target: peak < ${HOLD_TARGET_MIB} MiB: ${
          held.peakKiB / 1024 < HOLD_TARGET_MIB ? "met" : "MISSED"
        }); a small GET meanwhile ${held.smallMs.toFixed(1)} ms`,
    );
    for (const read of [false, true]) {
      server = await startServer(spec, root);
      const times: BesideResult[] = [];
      for (let round = 0; round < Number(values.rounds); round++) {
        times.push(
          await beside(spec.port, path, Number(values.beside), round, read),
        );
      }
      const peak = server.peakRssKiB();
      await server.stop();
      console.log(
        `beside: a small GET after ${values.beside} listings ${
          read ? "read to the end" : "never read"
        }: ${summary(times)}; peak RSS ${mib(peak)}`,
      );
    }
  } finally {
    await stopAll();
  }
}
