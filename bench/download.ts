/**
 * Large-file throughput: downloads a URL with `curl -o /dev/null` a few times,
 * one after another, and reports each download's speed in MB/s (10^6 bytes per
 * second). Each download is bounded by `--max-time`. Run alone, it compares
 * our command line with `python3 -m http.server` in interleaved pairs
 * ({@link compareDownloads}; `deno task bench` runs it as `download-pairs`):
 *
 * ```sh
 * deno run --allow-all bench/download.ts        # 7 pairs
 * deno run --allow-all bench/download.ts 15     # 15 pairs
 * ```
 *
 * @module
 */

import { ensureFixtures, FILE_SIZES } from "./fixtures.ts";
import { type Figures, interleave, median, pairsTable } from "./pairs.ts";
import { format } from "./report.ts";
import {
  oursCli,
  pythonServer,
  type RunningServer,
  START_V8_FLAGS,
  startServer,
  stopAll,
} from "./servers.ts";

/** What {@link download} measured. */
export interface DownloadResult {
  /** Speed of each download, in MB/s, in the order they ran. */
  mbps: number[];
  /** Downloads that failed or came back short. */
  errors: number;
}

/** Downloads `url` `times` times and checks each got `expectedBytes`. */
export async function download(
  url: string,
  times: number,
  expectedBytes: number,
): Promise<DownloadResult> {
  const mbps: number[] = [];
  let errors = 0;
  for (let i = 0; i < times; i++) {
    const { success, stdout } = await new Deno.Command("curl", {
      args: [
        "-s",
        "-o",
        "/dev/null",
        "--max-time",
        "60",
        "-w",
        "%{http_code} %{size_download} %{speed_download}",
        url,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const [code, size, speed] = new TextDecoder().decode(stdout).split(" ")
      .map(Number);
    if (success && code === 200 && size === expectedBytes) {
      mbps.push(speed / 1e6);
    } else {
      errors++;
    }
  }
  return { mbps, errors };
}

/** The target: at least this share of Python's speed. */
const TARGET = 0.9;

/**
 * One 100 MiB download from `server`: its speed in MB/s, and the server's
 * CPU milliseconds for it.
 */
async function once(server: RunningServer): Promise<Figures> {
  const cpu = server.cpuSeconds();
  const size = FILE_SIZES["large.bin"];
  const url = `http://127.0.0.1:${server.spec.port}/large.bin`;
  const { mbps, errors } = await download(url, 1, size);
  if (errors) throw new Error(`${server.spec.name}: the download failed`);
  return { mbps: mbps[0], cpu: (server.cpuSeconds() - cpu) * 1000 };
}

/**
 * The 100 MiB download of `python3 -m http.server` and of our command line
 * as `ours-start-1.1` runs it, in `pairs` interleaved pairs
 * (`bench/pairs.ts`), after one unmeasured download each (which fills the
 * page cache); as markdown, with the target.
 */
export async function compareDownloads(
  pairs: number,
  root: string,
): Promise<string> {
  const python = pythonServer("python", "python3 -m http.server", 18113, []);
  const ours = oursCli("ours-start-1.1", 18114, "HTTP/1.1", START_V8_FLAGS);
  const a = await startServer(python, root);
  try {
    const b = await startServer(ours, root);
    try {
      await once(a);
      await once(b);
      const result = await interleave(pairs, () => once(a), () => once(b));
      const ratio = median(result.a.map((x, i) => result.b[i].mbps / x.mbps));
      return [
        pairsTable([python.name, ours.name], [
          ["mbps", "MB/s"],
          ["cpu", "server CPU ms per download"],
        ], result),
        "",
        `- 100 MiB download: >= ${TARGET}x python: ${format(ratio)}x ${
          ratio >= TARGET ? "pass" : "FAIL"
        }`,
        "",
      ].join("\n");
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", async () => {
    await stopAll();
    Deno.exit(130);
  });
  const [pairs = "7"] = Deno.args;
  console.log(await compareDownloads(Number(pairs), await ensureFixtures()));
}
