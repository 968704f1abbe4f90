/**
 * `deno task compile` (and `compile:cgi`, which passes `--cgi`): builds
 * `dist/httpserver`, one executable, with `deno compile`, after checking that
 * `deno compile` can get the runtime it builds on, and leaves nothing behind
 * when the build fails.
 *
 * `deno compile` copies `denort`, the Deno runtime without the `deno`
 * command's tools, and appends the program to it. It takes `denort` from
 * `DENORT_BIN` when that is set, else from Deno's cache, else it downloads it
 * from Deno's release host. Given the full `deno` binary as `DENORT_BIN`, it
 * builds a program that runs as plain Deno, without a word: that is refused
 * here.
 *
 * Usage: `deno run --allow-env=DENORT_BIN --allow-read --allow-write
 * --allow-run compile.ts [--cgi]`.
 *
 * @module
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(fileURLToPath(import.meta.url));
const VERSION = Deno.version.deno;
const TARGET = Deno.build.target;
const RELEASE = `https://dl.deno.land/release/v${VERSION}/denort-${TARGET}.zip`;

/** What `denort` is and where it comes from, for every message that needs it. */
const DENORT_HELP =
  `denort is the Deno runtime without the deno command's tools; deno compile
copies it and appends the program. It must be version ${VERSION}, for ${TARGET}.
Deno publishes it beside each release: ${RELEASE}
(also on the v${VERSION} release page of github.com/denoland/deno). Unzip it and
set DENORT_BIN to the file:
  DENORT_BIN=/path/to/denort deno task compile`;

/** The permissions baked into the binary: the command line's, with `--cgi`'s. */
function permissionsFor(cgi: boolean): string[] {
  return ["--allow-net", "--allow-read", ...cgi ? ["--allow-run"] : []];
}

/**
 * Why `DENORT_BIN` cannot be used, or null when it is unset or looks like
 * `denort`. The full `deno` answers `--version` with `deno X.Y.Z`; `denort`
 * holds no program of its own and fails.
 */
async function denortProblem(
  bin: string | undefined,
): Promise<string | null> {
  if (bin === undefined || bin === "") return null;
  const info = await Deno.stat(bin).catch(() => null);
  if (!info?.isFile) return `DENORT_BIN=${bin} is not a file`;
  let output;
  try {
    output = await new Deno.Command(bin, {
      args: ["--version"],
      stdin: "null",
      signal: AbortSignal.timeout(10_000),
    }).output();
  } catch (error) {
    return `DENORT_BIN=${bin} cannot be run: ${(error as Error).message}`;
  }
  const version = new TextDecoder().decode(output.stdout).split("\n")[0];
  if (output.success && /^deno \d/.test(version)) {
    return `DENORT_BIN=${bin} is the deno command itself ('${version}'), not denort:\n` +
      "deno compile would build a program that runs as plain Deno";
  }
  return null;
}

/**
 * Removes the folders above `path` up to (not including) `keep` that are
 * empty: those a failed build made.
 */
async function removeFolders(path: string, keep: string): Promise<void> {
  for (let dir = dirname(path); dir !== keep; dir = dirname(dir)) {
    try {
      await Deno.remove(dir); // only when empty
    } catch {
      return;
    }
  }
}

/** The deepest folder of `path`'s ancestors that exists now. */
async function existingAncestor(path: string): Promise<string> {
  let dir = dirname(path);
  while (!(await Deno.stat(dir).catch(() => null))) dir = dirname(dir);
  return dir;
}

/** Builds the binary; resolves to the exit status. */
async function compile(args: string[]): Promise<number> {
  const cgi = args.includes("--cgi");
  const output = `${ROOT}/dist/httpserver${cgi ? "-cgi" : ""}`;
  const bin = Deno.env.get("DENORT_BIN");
  const problem = await denortProblem(bin);
  if (problem !== null) {
    console.error(`compile: error: ${problem}\n\n${DENORT_HELP}`);
    return 1;
  }
  // deno compile writes a temporary file and renames it: on failure an
  // earlier build stays as it was, and only the folders it made are left.
  const keep = await existingAncestor(output);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...permissionsFor(cgi),
      // For --workers: a port shared by the workers, whose module is loaded
      // at run time, so it is named here to be compiled in.
      "--unstable-net",
      "--include",
      `${ROOT}/cli/worker_entry.ts`,
      "--v8-flags=--max-semi-space-size=2,--memory-saver-mode",
      "--output",
      output,
      `${ROOT}/mod.ts`,
    ],
    stdin: "null",
  }).spawn().status;
  if (code === 0) return 0;
  await removeFolders(output, keep);
  if (!bin) {
    console.error(
      `\ncompile: deno compile failed; if it could not download denort:\n${DENORT_HELP}`,
    );
  }
  return code;
}

if (import.meta.main) Deno.exit(await compile(Deno.args));
