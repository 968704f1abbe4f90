/**
 * The memory of a folder downloaded as an archive (`--archive`): builds a
 * 2 GiB folder of mixed sizes in /tmp (one file of 1 GiB, 4 of 128 MiB, 96
 * of 4 MiB, 1,600 of 64 KiB, 24,000 of 1 KiB, in nested folders; half
 * random, half text, so that gzip has work of both kinds), then downloads it
 * as `zip` and as `tar.gz` with `curl -o /dev/null` from each face (the
 * command line's Python face with `-p HTTP/1.1`, and `--engine serve`), both
 * with the V8 flags of `deno task start`, while the server's resident memory
 * is read from `/proc` every 100 ms. Prints, per download, the bytes and the
 * speed, and the RSS before, at its peak during (`VmHWM` too), and after.
 * The folder is removed at the end. Not part of `deno task bench`.
 *
 * ```sh
 * deno run -A bench/archive_rss.ts          # 2 GiB
 * deno run -A bench/archive_rss.ts 512      # 512 MiB: the sizes scaled down
 * ```
 *
 * @module
 */

import { curlWatched, startOurs } from "./ours.ts";

const MIB = 1024 * 1024;
const PORT = 18117;

/** How many files of each size make up 2 GiB (2,043 MiB). */
const MIX: readonly [count: number, bytes: number][] = [
  [1, 1024 * MIB],
  [4, 128 * MIB],
  [96, 4 * MIB],
  [1_600, 64 * 1024],
  [24_000, 1024],
];

/** 1 MiB of content: half random bytes, half lines of text. */
function content(): Uint8Array {
  const bytes = new Uint8Array(MIB);
  for (let at = 0; at < MIB / 2; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  const text = new TextEncoder().encode(
    "The quick brown fox jumps over the lazy dog, 0123456789.\n".repeat(
      MIB / 2 / 57 + 1,
    ),
  );
  bytes.set(text.subarray(0, MIB / 2), MIB / 2);
  return bytes;
}

/** Builds the folder under `dir`; `scale` shrinks every size. */
async function build(dir: string, scale: number): Promise<number> {
  const block = content();
  let total = 0;
  let n = 0;
  for (const [count, size] of MIX) {
    const bytes = Math.max(1, Math.round(size * scale));
    for (let i = 0; i < count; i++, n++) {
      // 100 files a folder, two levels deep.
      const folder = `${dir}/d${Math.floor(n / 10_000)}/e${
        Math.floor(n / 100) % 100
      }`;
      if (n % 100 === 0) await Deno.mkdir(folder, { recursive: true });
      using file = await Deno.open(`${folder}/f${n}.bin`, {
        write: true,
        create: true,
      });
      for (let left = bytes; left > 0; left -= block.length) {
        const part = block.subarray(0, Math.min(left, block.length));
        let at = 0;
        while (at < part.length) at += await file.write(part.subarray(at));
      }
      total += bytes;
    }
  }
  return total;
}

/** Starts a server of `dir` with `flags`; resolves once it accepts. */
function start(dir: string, flags: string[]): Promise<Deno.ChildProcess> {
  return startOurs(dir, PORT, ["--archive", ...flags]);
}

/** Downloads the folder's archive in `format` and prints the figures. */
async function measure(
  face: string,
  dir: string,
  flags: string[],
  format: string,
): Promise<void> {
  const server = await start(dir, flags);
  try {
    const { written, seconds, before, peak, hwm, after } = await curlWatched(
      server.pid,
      [
        "-w",
        "%{size_download}",
        `http://127.0.0.1:${PORT}/?download=${format}`,
      ],
    );
    const bytes = Number(written);
    console.log(
      `${face}, ${format}: ${(bytes / MIB).toFixed(0)} MiB in ${
        seconds.toFixed(1)
      } s (${(bytes / seconds / 1e6).toFixed(0)} MB/s); server RSS ${
        before.toFixed(1)
      } MiB before, ${peak.toFixed(1)} at its peak (VmHWM ${hwm.toFixed(1)}), ${
        after.toFixed(1)
      } after`,
    );
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
}

async function main(): Promise<void> {
  const scale = Number(Deno.args[0] ?? 2048) / 2048;
  const dir = await Deno.makeTempDir({ prefix: "httpserver-archive-rss-" });
  try {
    const started = performance.now();
    const total = await build(dir, scale);
    console.log(
      `folder: ${(total / MIB).toFixed(0)} MiB in ${
        MIX.reduce((sum, [count]) => sum + count, 0)
      } files, built in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    for (
      const [face, flags] of [
        ["Python face (-p HTTP/1.1)", ["-p", "HTTP/1.1"]],
        ["fetch face (--engine serve)", ["--engine", "serve"]],
      ] as const
    ) {
      for (const format of ["zip", "tar.gz"]) {
        await measure(face, dir, [...flags], format);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
