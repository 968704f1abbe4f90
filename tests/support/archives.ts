/**
 * Reading archives back with other programs, for the archive tests: Python's
 * `zipfile` (names, sizes, CRC-32s, each member's bytes checked) and
 * Debian's `unzip -t` and `tar`.
 *
 * @module
 */

import { tool } from "./tools.ts";

const decoder = new TextDecoder();

/** A member as Python's `zipfile` reads it from the central directory. */
export interface ZipInfo {
  name: string;
  size: number;
  crc: number;
  /** Its mode (the high half of the external attributes). */
  mode: number;
}

/** What Python's `zipfile` says of an archive. */
export interface ZipReading {
  members: ZipInfo[];
  /** The first member whose bytes fail their CRC (`testzip()`), or null. */
  bad: string | null;
  /** The bytes of the members asked for, by name, in hex (see {@link hex}). */
  read: Record<string, string>;
}

/** Runs `program` with `args`, `input` on stdin; throws unless it exits 0. */
export async function runTool(
  program: string,
  args: string[],
  input?: Uint8Array,
  cwd?: string,
): Promise<string> {
  const child = new Deno.Command(tool(program) ?? program, {
    args,
    cwd,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const out = decoder.decode(stdout);
  if (code !== 0) {
    throw new Error(
      `${program} ${args.join(" ")}: ${code}\n${out}${decoder.decode(stderr)}`,
    );
  }
  return out;
}

const READ_ZIP = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
members = [{"name": i.filename, "size": i.file_size, "crc": i.CRC,
            "mode": i.external_attr >> 16} for i in z.infolist()]
bad = z.testzip() if sys.argv[2] == "test" else None
read = {n: z.read(n).hex() for n in sys.argv[3:]}
print(json.dumps({"members": members, "bad": bad, "read": read}))
`;

/**
 * The archive at `path` read by Python's `zipfile`; `test` checks every
 * member's bytes against its CRC-32; `read` names members whose bytes to
 * return.
 */
export async function readZip(
  path: string,
  test: boolean,
  read: string[] = [],
): Promise<ZipReading> {
  return JSON.parse(
    await runTool("python3", [
      "-c",
      READ_ZIP,
      path,
      test ? "test" : "list",
      ...read,
    ]),
  );
}

/** CRC-32 of `bytes` as Python's `zlib.crc32` computes it. */
export async function pythonCrc(bytes: Uint8Array): Promise<number> {
  return Number(
    await runTool(
      "python3",
      ["-c", "import sys, zlib; print(zlib.crc32(sys.stdin.buffer.read()))"],
      bytes,
    ),
  );
}

/** Whether `unzip -t` finds the archive at `path` sound; throws otherwise. */
export async function unzipTest(path: string): Promise<string> {
  const out = await runTool("unzip", ["-tq", path]);
  if (!/No errors detected/.test(out)) throw new Error(out);
  return out;
}

/** The files under `dir`, by path relative to it, with their bytes. */
export async function filesUnder(
  dir: string,
  prefix = "",
): Promise<Record<string, Uint8Array>> {
  const found: Record<string, Uint8Array> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const name = prefix + entry.name;
    if (entry.isDirectory) {
      Object.assign(found, await filesUnder(path, `${name}/`));
    } else if (entry.isFile) found[name] = await Deno.readFile(path);
  }
  return found;
}

/** `bytes` in lower-case hex, as Python's `bytes.hex()` writes them. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
