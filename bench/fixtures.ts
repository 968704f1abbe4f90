/**
 * Builds the folder the benchmark serves, `bench/fixtures/` (gitignored), and
 * reuses whatever is already there with the right size:
 *
 * - `small.bin` (1 KiB), `medium.bin` (64 KiB), `large.bin` (100 MiB of real,
 *   non-sparse bytes, written in 1 MiB blocks);
 * - `many/`, a folder of 2,000 entries (1,900 files and 100 folders) for the
 *   directory listing;
 * - `cgi-bin/hello.sh`, an executable CGI script that answers `hello`;
 * - `huge/`, a folder of 50,000 empty files with 54-character names (a
 *   listing page of about 6.7 MB), built only by {@link ensureHugeFolder}
 *   for `bench/listing_flood.ts`.
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

/** How many files `huge/` holds. */
export const HUGE_ENTRIES = 50_000;

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

/**
 * Fills `dir` with `count` entries made by `make(path of entry i, i)`, unless
 * it already holds `count`.
 */
async function fillFolder(
  dir: string,
  count: number,
  make: (dir: string, i: number) => Promise<void>,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  let found = 0;
  for await (const _ of Deno.readDir(dir)) found++;
  if (found === count) return;
  await Deno.remove(dir, { recursive: true });
  await Deno.mkdir(dir);
  for (let i = 0; i < count; i++) await make(dir, i);
}

function fillMany(dir: string): Promise<void> {
  return fillFolder(dir, MANY_ENTRIES, async (dir, i) => {
    const name = `entry-${String(i).padStart(4, "0")}`;
    if (i % FOLDER_EVERY === 0) await Deno.mkdir(`${dir}/${name}`);
    else await Deno.writeTextFile(`${dir}/${name}.txt`, `${name}\n`);
  });
}

/**
 * Creates `huge/` under `dir` (see the module documentation) if it does not
 * hold {@link HUGE_ENTRIES} entries, and returns its path. Takes a few
 * seconds the first time.
 */
export async function ensureHugeFolder(
  dir: string = FIXTURES_DIR,
): Promise<string> {
  const huge = `${dir}/huge`;
  await fillFolder(huge, HUGE_ENTRIES, async (dir, i) => {
    const name = `listing-entry-${String(i).padStart(5, "0")}-`.padEnd(50, "x");
    (await Deno.create(`${dir}/${name}.txt`)).close();
  });
  return huge;
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
