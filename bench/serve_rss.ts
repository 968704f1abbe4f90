/**
 * The fetch face's memory during a large download: `--engine serve` (with
 * the V8 flags of `deno task start`) serves a 1 GiB file, sparse so that the
 * disk is not what is measured, to `curl -o /dev/null`, while the server's
 * resident memory is read from `/proc` every 100 ms. The body streams from
 * the file, so the RSS stays flat: prints it before, at its peak during,
 * and after the download, and the download's speed.
 *
 * ```sh
 * deno run -A bench/serve_rss.ts            # 1 GiB
 * deno run -A bench/serve_rss.ts 4096       # 4 GiB
 * ```
 *
 * @module
 */

import { curlWatched, startOurs } from "./ours.ts";

const MIB = 1024 * 1024;
const PORT = 18116;

async function main(): Promise<void> {
  const size = Number(Deno.args[0] ?? 1024) * MIB;
  const dir = await Deno.makeTempDir({ prefix: "httpserver-rss-" });
  const path = `${dir}/large.bin`;
  await Deno.writeFile(path, new Uint8Array(0));
  await Deno.truncate(path, size);
  const server = await startOurs(dir, PORT, ["--engine", "serve"]);
  try {
    const { seconds, before, peak, after } = await curlWatched(server.pid, [
      `http://127.0.0.1:${PORT}/large.bin`,
    ]);
    console.log(
      `${size / MIB} MiB in ${seconds.toFixed(1)} s (${
        (size / seconds / 1e6).toFixed(0)
      } MB/s); server RSS ${before.toFixed(1)} MiB before, ${
        peak.toFixed(1)
      } at its peak during the download, ${after.toFixed(1)} after`,
    );
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
