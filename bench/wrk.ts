/**
 * Runs `wrk -t<T> -c<N> --latency` against 127.0.0.1 and parses its report into
 * a {@link LoadResult}. The process is killed if it overruns its duration by
 * more than 15 s, so a run always ends.
 *
 * @module
 */

import type { LoadResult } from "./load10.ts";

/** Options of {@link runWrk}. */
export interface WrkOptions {
  /** The URL to load (127.0.0.1 only). */
  url: string;
  /** Open connections (`-c`). */
  connections: number;
  /** Client threads (`-t`); default 1. */
  threads?: number;
  /** Duration in seconds (`-d`). */
  seconds: number;
  /** Extra request headers (`-H`), such as `Connection: close`. */
  headers?: string[];
}

const UNIT_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds in a wrk duration such as `812.00us` or `1.20s`. */
function toMs(text: string): number {
  const match = text.match(/^([\d.]+)(us|ms|s|m|h)$/);
  if (!match) throw new Error(`wrk: unreadable duration ${text}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** Parses the text report of `wrk --latency`. */
export function parseWrk(report: string): LoadResult {
  const number = (pattern: RegExp) => Number(report.match(pattern)?.[1] ?? 0);
  const rps = report.match(/^Requests\/sec:\s+([\d.]+)/m);
  const totals = report.match(/(\d+) requests in ([\d.]+\w+),/);
  if (!rps || !totals) throw new Error(`wrk: unreadable report:\n${report}`);
  const p99 = report.match(/^\s+99%\s+(\S+)/m);
  const socket = report.match(
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/,
  );
  return {
    requests: Number(totals[1]),
    seconds: toMs(totals[2]) / 1000,
    rps: Number(rps[1]),
    p99Ms: p99 && Number(totals[1]) > 0 ? toMs(p99[1]) : undefined,
    errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    errorKinds: socket
      ? ["connect", "read", "write", "timeout"]
        .map((kind, i) => `${kind} ${socket[i + 1]}`)
        .filter((text) => !text.endsWith(" 0")).join(", ")
      : undefined,
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
  };
}

/** Runs wrk once and returns what it measured. */
export async function runWrk(options: WrkOptions): Promise<LoadResult> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--timeout",
    "5s",
    "--latency",
    ...(options.headers ?? []).flatMap((header) => ["-H", header]),
    options.url,
  ];
  const child = new Deno.Command("wrk", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(
    () => child.kill("SIGKILL"),
    (options.seconds + 15) * 1000,
  );
  try {
    const { code, signal, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    const report = decoder.decode(stdout) + decoder.decode(stderr);
    if (code !== 0) {
      const why = signal ? `killed by ${signal}` : `exited with status ${code}`;
      throw new Error(`wrk ${why}: ${report.trim().split("\n").at(-1)}`);
    }
    return parseWrk(report);
  } finally {
    clearTimeout(timer);
  }
}
