/**
 * A soak: up to 1,000,000 keep-alive requests (or a time bound) of one file
 * to our server (the command line, `ThreadingHTTPServer`, HTTP/1.1, in a
 * process of its own), driven by `wrk` in slices, with the server's resident
 * memory sampled every second. After the warm-up (the first third of the
 * requests made) it must stay flat: the median RSS of the second half of the
 * samples within 5% of that of the first half.
 *
 * ```sh
 * deno run -A bench/soak.ts                                   # 1,000,000 requests, at most 300 s
 * deno run -A bench/soak.ts --requests 200000 --seconds 60 --path /medium.bin
 * ```
 *
 * Exits 1 when memory grew by 5% or more, or a request failed. It uses the
 * `ours-threading-1.1` server of `bench/servers.ts` (port 18109): do not run
 * it beside `deno task bench`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ensureFixtures } from "./fixtures.ts";
import { SERVERS, startServer, stopAll } from "./servers.ts";
import { runWrk } from "./wrk.ts";

/** Growth of resident memory after warm-up that fails the soak. */
const MAX_GROWTH = 0.05;
/**
 * Seconds of one wrk run; connections are reopened between slices. wrk
 * reports only at its end, so this is how often the count of requests done
 * (which places the samples) moves on.
 */
const SLICE_SECONDS = 2;
/**
 * The share of the requests that warms the server up: its heap grows to a
 * steady size over the first 300,000 or so small requests.
 */
const WARM_UP = 1 / 3;

/** What {@link soak} measured. */
export interface SoakResult {
  /** Responses read in full. */
  requests: number;
  /** Wall time of the load, in seconds. */
  seconds: number;
  /** Socket errors and non-2xx/3xx responses. */
  failures: number;
  /** Resident memory each second, in KiB, with the requests done by then. */
  samples: { requests: number; rssKiB: number }[];
  /** Median RSS of the first half of the samples after warm-up, in KiB. */
  warmKiB: number;
  /** Median RSS of the second half, in KiB. */
  endKiB: number;
  /** `endKiB / warmKiB - 1`. */
  growth: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Loads `url` with `connections` keep-alive connections until `requests`
 * responses or `seconds` have passed, sampling `rssKiB` every second.
 */
export async function soak(options: {
  url: string;
  connections: number;
  requests: number;
  seconds: number;
  rssKiB: () => number;
}): Promise<SoakResult> {
  const samples: SoakResult["samples"] = [];
  let requests = 0;
  let failures = 0;
  const started = performance.now();
  const timer = setInterval(
    () => samples.push({ requests, rssKiB: options.rssKiB() }),
    1000,
  );
  try {
    while (requests < options.requests) {
      const left = options.seconds - (performance.now() - started) / 1000;
      if (left < 1) break;
      const slice = await runWrk({
        url: options.url,
        connections: options.connections,
        seconds: Math.min(SLICE_SECONDS, Math.floor(left)),
      });
      requests += slice.requests;
      failures += slice.errors + slice.non2xx;
    }
  } finally {
    clearInterval(timer);
  }
  // The garbage collector makes RSS a sawtooth: compare the medians of the
  // two halves after warm-up, not two samples.
  const after = samples.filter((s) => s.requests >= requests * WARM_UP)
    .map((s) => s.rssKiB);
  const half = Math.floor(after.length / 2);
  const warmKiB = median(after.slice(0, half));
  const endKiB = median(after.slice(half));
  return {
    requests,
    seconds: (performance.now() - started) / 1000,
    failures,
    samples,
    warmKiB,
    endKiB,
    growth: endKiB / warmKiB - 1,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      requests: { type: "string", default: "1000000" },
      seconds: { type: "string", default: "300" },
      connections: { type: "string", default: "50" },
      path: { type: "string", default: "/small.bin" },
    },
  });
  const spec = SERVERS.find((server) => server.name === "ours-threading-1.1")!;
  const root = await ensureFixtures();
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  let result: SoakResult;
  try {
    const server = await startServer(spec, root);
    result = await soak({
      url: `http://127.0.0.1:${spec.port}${values.path}`,
      connections: Number(values.connections),
      requests: Number(values.requests),
      seconds: Number(values.seconds),
      rssKiB: () => server.rssKiB(),
    });
  } finally {
    await stopAll();
  }
  const rss = result.samples.map((s) => s.rssKiB);
  console.log(
    `${result.requests.toLocaleString("en")} requests of ${values.path} in ${
      result.seconds.toFixed(0)
    } s (${
      Math.round(result.requests / result.seconds).toLocaleString("en")
    }/s), ${result.failures} failed`,
  );
  console.log(
    `RSS: ${mib(Math.min(...rss))} min, ${mib(Math.max(...rss))} max; ` +
      `${mib(result.warmKiB)} after warm-up -> ${
        mib(result.endKiB)
      } at the end: ${(result.growth * 100).toFixed(1)}% (limit ${
        MAX_GROWTH * 100
      }%)`,
  );
  const flat = result.growth < MAX_GROWTH && result.failures === 0;
  console.log(flat ? "flat" : "FAILED");
  Deno.exit(flat ? 0 : 1);
}
