/**
 * Would `--workers N` pay? Measures N processes sharing one port with
 * `reusePort` (Linux; `Deno.listen({ reusePort: true })` needs
 * `--unstable-net`) against one process, both serving `small.bin` from
 * `bench/fixtures/` with HTTP/1.1 and no logging. One server and the group of
 * N are started once; wrk then alternates between them, pair after pair, so a
 * machine whose load drifts (a shared one) affects both alike, and the median
 * of the pairs' ratios is reported. README.md "Scaling out" has the result.
 *
 * ```sh
 * deno run --allow-all bench/workers.ts                 # 2 workers, 12 pairs of 4 s per load
 * deno run --allow-all bench/workers.ts 4 20 5          # 4 workers, 20 pairs of 5 s
 * ```
 *
 * Run as `bench/workers.ts --serve PORT DIR`, it is one such server.
 *
 * @module
 */

import {
  type ServerAddress,
  SimpleHTTPRequestHandler,
  ThreadingHTTPServer,
} from "../mod.ts";
import { ensureFixtures } from "./fixtures.ts";
import { quantile } from "./load10.ts";
import { parseWrk } from "./wrk.ts";

/** HTTP/1.1 with keep-alive and no log lines, as a benchmark wants. */
class QuietHandler extends SimpleHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
  override logMessage(): void {}
}

/** `ThreadingHTTPServer` on a socket that shares its port with others. */
class ReusePortServer extends ThreadingHTTPServer {
  protected override listen(address: Required<ServerAddress>): Deno.Listener {
    return Deno.listen({ ...address, reusePort: true });
  }
}

/** The loads: wrk threads, connections, extra headers. */
const LOADS = [
  { name: "keep-alive, wrk -t2 -c64", threads: 2, connections: 64 },
  { name: "keep-alive, wrk -t1 -c32", threads: 1, connections: 32 },
  {
    name: "new connection per request, wrk -t2 -c64",
    threads: 2,
    connections: 64,
    headers: ["Connection: close"],
  },
];

function startServers(count: number, port: number, dir: string) {
  return Array.from({ length: count }, () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--unstable-net",
        "--allow-net=127.0.0.1",
        `--allow-read=${dir}`,
        new URL(import.meta.url).pathname,
        "--serve",
        String(port),
        dir,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn());
}

async function waitUntilServing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/small.bin`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no server on port ${port}`);
}

async function wrk(
  port: number,
  load: (typeof LOADS)[number],
  seconds: number,
): Promise<number> {
  const { stdout, stderr } = await new Deno.Command("wrk", {
    args: [
      `-t${load.threads}`,
      `-c${load.connections}`,
      `-d${seconds}s`,
      ...(load.headers ?? []).flatMap((header) => ["-H", header]),
      `http://127.0.0.1:${port}/small.bin`,
    ],
    stdin: "null",
    signal: AbortSignal.timeout((seconds + 15) * 1000),
  }).output();
  const decoder = new TextDecoder();
  return parseWrk(decoder.decode(stdout) + decoder.decode(stderr)).rps;
}

function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

async function measure(workers: number, pairs: number, seconds: number) {
  const dir = await ensureFixtures();
  const one = freePort();
  const many = freePort();
  const children = [
    ...startServers(1, one, dir),
    ...startServers(workers, many, dir),
  ];
  try {
    await waitUntilServing(one);
    await waitUntilServing(many);
    console.log(
      `| load | 1 process (req/s, median) | ${workers} processes (req/s, median) | ratio (median of ${pairs} pairs) | ratio range |`,
    );
    console.log("| --- | --- | --- | --- | --- |");
    for (const load of LOADS) {
      const single: number[] = [];
      const shared: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < pairs; i++) {
        single.push(await wrk(one, load, seconds));
        shared.push(await wrk(many, load, seconds));
        ratios.push(shared[i] / single[i]);
      }
      const median = (values: number[]) => quantile(values, 0.5)!;
      console.log(
        `| ${load.name} | ${median(single).toFixed(0)} | ${
          median(shared).toFixed(0)
        } | ${median(ratios).toFixed(2)} | ${Math.min(...ratios).toFixed(2)}-${
          Math.max(...ratios).toFixed(2)
        } |`,
      );
    }
  } finally {
    for (const child of children) {
      child.kill("SIGTERM");
      await child.status;
    }
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") {
    const [, port, directory] = Deno.args;
    const server = new ReusePortServer(
      { hostname: "127.0.0.1", port: Number(port) },
      QuietHandler,
      { directory },
    );
    Deno.addSignalListener("SIGTERM", () => server.shutdown());
    await server.serveForever();
    server.serverClose();
  } else {
    const [workers = "2", pairs = "12", seconds = "4"] = Deno.args;
    await measure(Number(workers), Number(pairs), Number(seconds));
  }
}
