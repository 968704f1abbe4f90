/**
 * A small HTTP/1.0 load generator, for the scenario `wrk` cannot drive (it
 * only speaks HTTP/1.1). Each of `connections` workers opens a connection,
 * sends `GET <path> HTTP/1.0`, reads the response until the server closes,
 * and starts over, until `seconds` have passed. Every request is bounded by
 * a timeout, so the run always ends.
 *
 * ```sh
 * deno run --allow-net bench/load10.ts 8000 /small.bin 50 10
 * ```
 *
 * @module
 */

import { ConnectTimeout, connectWithin } from "./net.ts";

/** What one load run measured (wrk's figures, in the same shape). */
export interface LoadResult {
  /** Responses read in full. */
  requests: number;
  /** Wall time of the run, in seconds. */
  seconds: number;
  /** `requests / seconds`. */
  rps: number;
  /** 99th-percentile latency in milliseconds, when known. */
  p99Ms?: number;
  /** Connect, read and write errors, and timeouts. */
  errors: number;
  /** The errors by kind, as wrk reports them (`read 12, timeout 3`). */
  errorKinds?: string;
  /** Responses whose status was not 2xx or 3xx. */
  non2xx: number;
}

/** Options of {@link loadHttp10}. */
export interface Load10Options {
  /** 127.0.0.1 port to load. */
  port: number;
  /** The request target, such as `/small.bin`. */
  path: string;
  /** Concurrent connections (workers). */
  connections: number;
  /** How long to keep starting requests. */
  seconds: number;
  /** A request still unanswered after this long is aborted and counted. */
  timeoutMs?: number;
}

/** The `q` quantile (0..1) of `values`, which it sorts in place. */
export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(q * values.length))];
}

interface InFlight {
  conn: Deno.Conn;
  started: number;
}

/** Runs HTTP/1.0 load against 127.0.0.1 and reports what was answered. */
export async function loadHttp10(options: Load10Options): Promise<LoadResult> {
  const { port, path, connections, seconds, timeoutMs = 5000 } = options;
  const request = new TextEncoder().encode(
    `GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`,
  );
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  const inFlight = new Set<InFlight>();
  const start = performance.now();
  const end = start + seconds * 1000;
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const item of inFlight) {
      if (now - item.started > timeoutMs) {
        inFlight.delete(item);
        timeouts++;
        item.conn.close(); // The worker's pending read or write then throws.
      }
    }
  }, 100);

  async function worker(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    while (performance.now() < end) {
      const started = performance.now();
      let item: InFlight | undefined;
      try {
        const conn = await connectWithin(port, timeoutMs);
        item = { conn, started };
        inFlight.add(item);
        for (let done = 0; done < request.length;) {
          done += await conn.write(request.subarray(done));
        }
        // The status code is bytes 9..11 of "HTTP/1.x NNN".
        let status = "";
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          if (status.length < 12) {
            status += String.fromCharCode(
              ...buffer.subarray(0, Math.min(n, 12 - status.length)),
            );
          }
        }
        const code = Number(status.slice(9, 12));
        if (!status.startsWith("HTTP/")) {
          if (!item || inFlight.has(item)) errors++; // Else a timeout.
        } else {
          latencies.push(performance.now() - started);
          if (code < 200 || code >= 400) non2xx++;
        }
      } catch (error) {
        if (error instanceof ConnectTimeout) timeouts++;
        else if (!item || inFlight.has(item)) errors++; // Else a timeout.
      } finally {
        if (item && inFlight.delete(item)) item.conn.close();
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    clearInterval(watchdog);
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p99Ms: quantile(latencies, 0.99),
    errors: errors + timeouts,
    errorKinds: [`other ${errors}`, `timeout ${timeouts}`]
      .filter((text) => !text.endsWith(" 0")).join(", "),
    non2xx,
  };
}

if (import.meta.main) {
  const [port = "8000", path = "/small.bin", conns = "50", secs = "10"] =
    Deno.args;
  console.log(
    await loadHttp10({
      port: Number(port),
      path,
      connections: Number(conns),
      seconds: Number(secs),
    }),
  );
}
