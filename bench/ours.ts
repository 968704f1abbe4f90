/**
 * One of our servers as its own process, for the benchmarks that watch its
 * memory: `mod.ts` with the launcher's V8 flags and the narrowest
 * permissions (the network of 127.0.0.1, the folder's read), quiet.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { START_V8_FLAGS } from "./servers.ts";
import { connectWithin } from "./net.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Starts `mod.ts` serving `dir` on 127.0.0.1:`port` with `flags`; resolves
 * once it accepts a connection (bounded: 200 tries), with the process.
 */
export async function startOurs(
  dir: string,
  port: number,
  flags: string[],
): Promise<Deno.ChildProcess> {
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--v8-flags=${START_V8_FLAGS}`,
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}`,
      `${ROOT}mod.ts`,
      ...flags,
      "-q",
      "-b",
      "127.0.0.1",
      "-d",
      dir,
      String(port),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (let tries = 0; tries < 200; tries++) {
    try {
      (await connectWithin(port, 100)).close();
      return server;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  server.kill("SIGKILL");
  await server.status;
  throw new Error("the server did not start");
}

/** A field of a process's `/proc/PID/status` in MiB; 0 once it is gone. */
export function statusMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kib = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1];
    return Number(kib ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** What {@link curlWatched} measured of the server while curl ran. */
export interface Watched {
  /** curl's `-w` output. */
  written: string;
  /** How long curl took. */
  seconds: number;
  /** The server's RSS before, at its sampled peak and after, in MiB. */
  before: number;
  peak: number;
  after: number;
  /** The server's VmHWM after, in MiB: its peak, every page counted. */
  hwm: number;
}

/**
 * Runs `curl -sS -o /dev/null` with `args` while sampling the RSS of the
 * process `pid` every 100 ms.
 *
 * @throws {Error} with curl's stderr when it fails
 */
export async function curlWatched(
  pid: number,
  args: string[],
): Promise<Watched> {
  const before = statusMiB(pid, "VmRSS");
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, statusMiB(pid, "VmRSS"));
  }, 100);
  const started = performance.now();
  const curl = await new Deno.Command("curl", {
    args: ["-sS", "-o", "/dev/null", ...args],
  }).output();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, statusMiB(pid, "VmRSS"));
  if (!curl.success) throw new Error(new TextDecoder().decode(curl.stderr));
  return {
    written: new TextDecoder().decode(curl.stdout),
    seconds,
    before,
    peak,
    after: statusMiB(pid, "VmRSS"),
    hwm: statusMiB(pid, "VmHWM"),
  };
}
