/**
 * Builds the folder the benchmark serves, `bench/fixtures/` (gitignored), and
 * reuses whatever is already there with the right size:
 *
 * - `small.bin` (1 KiB), `medium.bin` (64 KiB), `large.bin` (100 MiB of real,
 *   non-sparse bytes, written in 1 MiB blocks);
 * - `many/`, a folder of 2,000 entries (1,900 files and 100 folders) for the
 *   directory listing;
 * - `cgi-bin/hello.sh`, an executable CGI script that answers `hello`.
 *
 * ```sh
 * deno run --allow-read --allow-write bench/fixtures.ts
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The folder that {@link ensureFixtures} fills by default. */
export const FIXTURES_DIR: string = fileURLToPath(
  new URL("./fixtures", import.meta.url),
);

/** The size in bytes of each file fixture, by name. */
export const FILE_SIZES: Readonly<Record<string, number>> = {
  "small.bin": 1024,
  "medium.bin": 64 * 1024,
  "large.bin": 100 * 1024 * 1024,
};

/** How many entries `many/` holds, and how often one of them is a folder. */
export const MANY_ENTRIES = 2000;
const FOLDER_EVERY = 20;

const CGI_SCRIPT = "#!/bin/sh\n" +
  "printf 'Content-Type: text/plain\\r\\n\\r\\nhello\\n'\n";

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function writeFileOfSize(path: string, size: number): Promise<void> {
  // Bytes that vary, so nothing on the way can compress or dedupe them.
  const block = new Uint8Array(Math.min(size, 1024 * 1024));
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  for (let left = size; left > 0; left -= block.length) {
    const chunk = block.subarray(0, Math.min(left, block.length));
    for (let done = 0; done < chunk.length;) {
      done += await file.write(chunk.subarray(done));
    }
  }
}

async function fillMany(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  let count = 0;
  for await (const _ of Deno.readDir(dir)) count++;
  if (count === MANY_ENTRIES) return;
  await Deno.remove(dir, { recursive: true });
  await Deno.mkdir(dir);
  for (let i = 0; i < MANY_ENTRIES; i++) {
    const name = `entry-${String(i).padStart(4, "0")}`;
    if (i % FOLDER_EVERY === 0) await Deno.mkdir(`${dir}/${name}`);
    else await Deno.writeTextFile(`${dir}/${name}.txt`, `${name}\n`);
  }
}

/**
 * Creates every fixture under `dir` that is missing or has the wrong size,
 * and returns `dir`.
 */
export async function ensureFixtures(
  dir: string = FIXTURES_DIR,
): Promise<string> {
  await Deno.mkdir(`${dir}/cgi-bin`, { recursive: true });
  for (const [name, size] of Object.entries(FILE_SIZES)) {
    const path = `${dir}/${name}`;
    if (await sizeOf(path) !== size) await writeFileOfSize(path, size);
  }
  await fillMany(`${dir}/many`);
  const script = `${dir}/cgi-bin/hello.sh`;
  await Deno.writeTextFile(script, CGI_SCRIPT);
  await Deno.chmod(script, 0o755);
  return dir;
}

if (import.meta.main) {
  console.log(`fixtures ready in ${await ensureFixtures()}`);
}
