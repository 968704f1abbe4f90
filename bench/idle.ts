/**
 * Memory per idle keep-alive connection: open many connections to a server,
 * send one `GET /small.bin HTTP/1.1` on each, read the whole response, hold
 * the connections the server keeps open, and compare the server's resident
 * memory with its baseline. Then one more request on each held connection
 * counts those still open at the measurement (a server with an idle timeout
 * may have closed the first ones), and the memory growth is divided by that
 * count, so the figure errs high, never low.
 *
 * Connections are opened five at a time (Python listens with a backlog of 5:
 * a larger burst gets SYNs dropped and retried seconds later), every exchange
 * is bounded by a timeout, and opening stops at the first batch in which a
 * connection is closed or goes unanswered (an HTTP/1.0 server closes them; a
 * server that serves one connection at a time leaves the rest waiting), so
 * the run always ends, in seconds.
 *
 * @module
 */

import { connectWithin } from "./net.ts";

/** What {@link idleConnections} measured. */
export interface IdleResult {
  /** Connections that got a full response. */
  answered: number;
  /** Connections that failed or got no response in time (opening stopped). */
  unanswered: number;
  /** Of those answered, how many the server kept open (keep-alive). */
  held: number;
  /** Of those, how many still answered a second request after the measurement. */
  stillOpen: number;
  /** Resident memory before, in KiB. */
  baselineKiB: number;
  /** Resident memory with the connections held, in KiB. */
  loadedKiB: number;
  /** `(loadedKiB - baselineKiB) / stillOpen`, when any was still open. */
  perConnectionKiB?: number;
}

/** Connections opened at once: at most Python's listen backlog of 5. */
const BATCH = 5;
/** Requests sent at once on connections already open. */
const RECHECK_BATCH = 50;
const STEP_TIMEOUT_MS = 5000;
const SETTLE_MS = 500;
const REQUEST = new TextEncoder().encode(
  "GET /small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends one request on `conn` and reads the whole response. Resolves whether
 * the server keeps the connection open; throws if the response is cut short.
 */
async function exchange(conn: Deno.Conn): Promise<boolean> {
  for (let done = 0; done < REQUEST.length;) {
    done += await conn.write(REQUEST.subarray(done));
  }
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder("latin1");
  let text = "";
  let total = 0;
  let length = Infinity; // Head plus body, once the head is read.
  let keepAlive = false;
  let chunked = false;
  while (total < length) {
    const n = await conn.read(buffer);
    if (n === null) break;
    total += n;
    if (length !== Infinity) continue;
    text += decoder.decode(buffer.subarray(0, n));
    // A chunked body ends with its last chunk (no trailers expected here).
    if (chunked && text.endsWith("\r\n0\r\n\r\n")) length = total;
    if (chunked) continue;
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd === -1) continue;
    const head = text.slice(0, headEnd).toLowerCase();
    const connection = head.match(/\r\nconnection:\s*([^\r]*)/)?.[1];
    keepAlive = head.startsWith("http/1.1")
      ? connection !== "close"
      : connection === "keep-alive";
    const contentLength = head.match(/\r\ncontent-length:\s*(\d+)/)?.[1];
    chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(head);
    if (contentLength !== undefined) {
      length = headEnd + 4 + Number(contentLength);
    } else if (chunked && text.endsWith("\r\n0\r\n\r\n")) {
      length = total;
    } else if (!chunked) {
      keepAlive = false; // The body runs to the close.
    }
  }
  if (!text.startsWith("HTTP/")) throw new Error("no response");
  if (length !== Infinity && total < length) throw new Error("short read");
  return keepAlive && total === length;
}

/** Runs `step` with a timeout that closes `conn`; `undefined` on failure. */
async function bounded<T>(
  conn: Deno.Conn,
  step: () => Promise<T>,
): Promise<T | undefined> {
  const timer = setTimeout(() => conn.close(), STEP_TIMEOUT_MS);
  try {
    return await step();
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens one connection and makes one exchange: resolves the connection if
 * the server keeps it open, `"closed"` if it closes it, `undefined` if
 * anything failed or took longer than the step timeout.
 */
async function openOne(
  port: number,
): Promise<Deno.Conn | "closed" | undefined> {
  let conn: Deno.Conn;
  try {
    conn = await connectWithin(port, STEP_TIMEOUT_MS);
  } catch {
    return undefined;
  }
  const kept = await bounded(conn, () => exchange(conn));
  if (kept) return conn;
  try {
    conn.close();
  } catch {
    // The timeout closed it.
  }
  return kept === false ? "closed" : undefined;
}

/**
 * Measures the memory that `count` idle keep-alive connections cost the
 * server on `port`; `rssKiB` reads its resident memory.
 */
export async function idleConnections(
  port: number,
  count: number,
  rssKiB: () => number,
): Promise<IdleResult> {
  await delay(SETTLE_MS);
  const baselineKiB = rssKiB();
  const held: Deno.Conn[] = [];
  let answered = 0;
  let unanswered = 0;
  try {
    for (let opened = 0; opened < count; opened += BATCH) {
      const results = await Promise.all(
        Array.from(
          { length: Math.min(BATCH, count - opened) },
          () => openOne(port),
        ),
      );
      for (const result of results) {
        if (result === undefined) unanswered++;
        else answered++;
        if (result !== undefined && result !== "closed") held.push(result);
      }
      if (results.some((result) => typeof result !== "object")) break;
    }
    await delay(SETTLE_MS);
    const loadedKiB = rssKiB();
    let stillOpen = 0;
    for (let i = 0; i < held.length; i += RECHECK_BATCH) {
      const batch = held.slice(i, i + RECHECK_BATCH);
      const alive = await Promise.all(
        batch.map((conn) => bounded(conn, () => exchange(conn))),
      );
      stillOpen += alive.filter((ok) => ok !== undefined).length;
    }
    return {
      answered,
      unanswered,
      held: held.length,
      stillOpen,
      baselineKiB,
      loadedKiB,
      perConnectionKiB: stillOpen > 0
        ? (loadedKiB - baselineKiB) / stillOpen
        : undefined,
    };
  } finally {
    for (const conn of held) {
      try {
        conn.close();
      } catch {
        // Closed by a timeout.
      }
    }
  }
}
