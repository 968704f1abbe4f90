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
