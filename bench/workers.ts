/**
 * `--workers N` against one worker: our command line, with the flags of
 * `deno task start` and HTTP/1.1, started once with `--workers N` and once
 * without, both serving `small.bin` (1 KiB) from `bench/fixtures/`; then
 * `wrk -t2 -c100` (a client thread per core: the client shares the cores
 * with the server) on one and the other in interleaved pairs
 * (`bench/pairs.ts`), each server's CPU time read from `/proc` around each
 * run. `deno task bench` runs it as its `workers` comparison; README.md
 * "Scaling out" has the result.
 *
 * ```sh
 * deno run --allow-all bench/workers.ts            # 2 workers, 10 pairs of 4 s
 * deno run --allow-all bench/workers.ts 4 20 5     # 4 workers, 20 pairs of 5 s
 * ```
 *
 * @module
 */

import { ensureFixtures } from "./fixtures.ts";
import { type Figures, interleave, median, pairsTable } from "./pairs.ts";
import { format } from "./report.ts";
import {
  oursCli,
  type RunningServer,
  START_V8_FLAGS,
  startServer,
  stopAll,
} from "./servers.ts";
import { runWrk } from "./wrk.ts";

/** What {@link compareWorkers} runs. */
export interface WorkersOptions {
  /** Workers of the second server. */
  workers: number;
  /** Pairs of measurements. */
  pairs: number;
  /** Seconds of each measurement. */
  seconds: number;
  /** The fixtures folder. */
  root: string;
}

/** The targets: at least 1.3x the requests, at most 1.1x the CPU each. */
const TARGETS = { rps: 1.3, cpu: 1.1 };

/**
 * One wrk run: req/s, the server's CPU microseconds per request, and the
 * cores it kept busy (CPU seconds per second): a server that gets no more
 * CPU with two workers than with one found no free core.
 */
async function load(server: RunningServer, seconds: number): Promise<Figures> {
  const cpu = server.cpuSeconds();
  const started = performance.now();
  const result = await runWrk({
    url: `http://127.0.0.1:${server.spec.port}/small.bin`,
    threads: 2,
    connections: 100,
    seconds,
  });
  if (result.requests === 0) throw new Error(`${server.spec.name}: no answer`);
  const used = server.cpuSeconds() - cpu;
  return {
    rps: result.rps,
    cpu: used * 1e6 / result.requests,
    cores: used * 1000 / (performance.now() - started),
  };
}

/**
 * Runs the comparison and returns it as markdown: the table of the pairs,
 * each server's peak RSS, and the targets.
 */
export async function compareWorkers(options: WorkersOptions): Promise<string> {
  const { workers, seconds, root } = options;
  const one = await startServer(
    oursCli("ours-workers-1", 18111, "HTTP/1.1", START_V8_FLAGS),
    root,
  );
  try {
    const many = await startServer(
      oursCli(
        `ours-workers-${workers}`,
        18112,
        "HTTP/1.1",
        START_V8_FLAGS,
        workers,
      ),
      root,
    );
    try {
      // JIT warm-up, unmeasured.
      await load(one, 1);
      await load(many, 1);
      const pairs = await interleave(
        options.pairs,
        () => load(one, seconds),
        () => load(many, seconds),
      );
      const ratio = (key: string) =>
        median(pairs.a.map((a, i) => pairs.b[i][key] / a[key]));
      const mib = (server: RunningServer) => format(server.peakRssKiB() / 1024);
      return [
        pairsTable(["1 worker", `${workers} workers`], [
          ["rps", "req/s"],
          ["cpu", "server CPU us per request"],
          ["cores", "server cores busy"],
        ], pairs),
        "",
        `Peak RSS: ${mib(one)} MiB with 1 worker, ${
          mib(many)
        } MiB with ${workers}.`,
        "",
        `- req/s: >= ${TARGETS.rps}x one worker: ${format(ratio("rps"))}x ${
          ratio("rps") >= TARGETS.rps ? "pass" : "FAIL"
        }`,
        `- CPU per request: <= ${TARGETS.cpu}x one worker's: ${
          format(ratio("cpu"))
        }x ${ratio("cpu") <= TARGETS.cpu ? "pass" : "FAIL"}`,
        "",
      ].join("\n");
    } finally {
      await many.stop();
    }
  } finally {
    await one.stop();
  }
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", async () => {
    await stopAll();
    Deno.exit(130);
  });
  const [workers = "2", pairs = "10", seconds = "4"] = Deno.args;
  console.log(
    await compareWorkers({
      workers: Number(workers),
      pairs: Number(pairs),
      seconds: Number(seconds),
      root: await ensureFixtures(),
    }),
  );
}
