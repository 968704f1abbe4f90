/**
 * The memory of a large folder's `PROPFIND` (`--webdav`): asks
 * `bench/fixtures/huge/` (50,000 files, built on first use by
 * `ensureHugeFolder`) with `Depth: 1` through `curl -o /dev/null`, from each
 * face (the command line's Python face with `-p HTTP/1.1`, and `--engine
 * serve`), with the V8 flags of `deno task start`, while the server's
 * resident memory is read from `/proc` every 100 ms. Prints, per face, the
 * answer's bytes and time, and the RSS before, at its peak (`VmHWM` too),
 * and after. Not part of `deno task bench`.
 *
 * ```sh
 * deno run -A bench/propfind_rss.ts
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import { ensureHugeFolder } from "./fixtures.ts";
import { curlWatched, startOurs } from "./ours.ts";

const MIB = 1024 * 1024;
const PORT = 18118;

/** Asks the huge folder's properties from one face and prints the figures. */
async function measure(face: string, dir: string, flags: string[]) {
  const server = await startOurs(dir, PORT, ["--webdav", ...flags]);
  try {
    const { written, seconds, before, peak, hwm, after } = await curlWatched(
      server.pid,
      [
        "-X",
        "PROPFIND",
        "-H",
        "Depth: 1",
        "-w",
        "%{http_code} %{size_download}",
        `http://127.0.0.1:${PORT}/huge/`,
      ],
    );
    const [status, bytes] = written.split(" ");
    console.log(
      `${face}: ${status}, ${(Number(bytes) / MIB).toFixed(1)} MiB in ${
        seconds.toFixed(2)
      } s; server RSS ${before.toFixed(1)} MiB before, ${
        peak.toFixed(1)
      } at its peak (VmHWM ${hwm.toFixed(1)}), ${after.toFixed(1)} after`,
    );
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
}

if (import.meta.main) {
  const dir = dirname(await ensureHugeFolder());
  for (
    const [face, flags] of [
      ["Python face (-p HTTP/1.1)", ["-p", "HTTP/1.1"]],
      ["fetch face (--engine serve)", ["--engine", "serve"]],
    ] as const
  ) {
    await measure(face, dir, [...flags]);
  }
}
