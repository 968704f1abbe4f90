/**
 * The programs besides Deno that some tests run: `python3` (differential
 * tests against CPython, CGI scripts), `openssl` (the TLS tests' PKI), `curl`,
 * `setsid`, `rclone` and `litmus` (WebDAV clients). Tests that need one are declared with the `test` of
 * {@link requiring}: where a program is not on PATH they are ignored, their
 * names saying which program is missing, instead of failing on a spawn error.
 * The POSIX shell and utilities (`sh`, `cat`, `sleep`) are taken as given, as
 * Unix is by the tests that spawn them.
 *
 * @example
 * ```ts
 * import { requiring, tool } from "./tools.ts";
 *
 * const curl = requiring("curl");
 * curl.test("curl fetches a file", async () => {
 *   // runs only where `curl` is on PATH
 * });
 * console.log(tool("curl")); // "/usr/bin/curl", or null
 * ```
 *
 * @module
 */

const WINDOWS = Deno.build.os === "windows";
const found = new Map<string, string | null>();

/**
 * Where `name` is on PATH: the first executable file of that name, or null.
 *
 * @param name a program's name, e.g. `python3`
 */
export function tool(name: string): string | null {
  let path = found.get(name);
  if (path === undefined) {
    path = search(name);
    found.set(name, path);
  }
  return path;
}

function search(name: string): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(WINDOWS ? ";" : ":");
  const suffixes = WINDOWS
    ? (Deno.env.get("PATHEXT") ?? ".EXE;.CMD;.BAT").split(";")
    : [""];
  for (const dir of dirs) {
    if (dir === "") continue;
    for (const suffix of suffixes) {
      const path = `${dir}/${name}${suffix}`;
      try {
        const info = Deno.statSync(path);
        if (info.isFile && (WINDOWS || ((info.mode ?? 0) & 0o111) !== 0)) {
          return path;
        }
      } catch {
        // Not in this folder.
      }
    }
  }
  return null;
}

/** A test body, as `Deno.test` takes it. */
type TestFn = (t: Deno.TestContext) => void | Promise<void>;

/** What `Deno.test` takes besides a name and a body. */
type TestOptions = Omit<Deno.TestDefinition, "name" | "fn">;

/** Tests that run some programs; see {@link requiring}. */
export interface Requiring {
  /** The programs, of those asked for, that are not on PATH. */
  readonly missing: readonly string[];
  /**
   * `Deno.test`, in any of its forms; where a program is missing the test is
   * ignored and its name ends with `(skipped: curl not on PATH)`.
   */
  test: {
    (name: string, fn: TestFn): void;
    (name: string, options: TestOptions, fn: TestFn): void;
    (definition: Deno.TestDefinition): void;
  };
}

/**
 * Tests that run each of `tools`: register them with the `test` of the
 * result, which skips them, by name, where one is not on PATH.
 *
 * @param tools the programs the tests run
 */
export function requiring(...tools: string[]): Requiring {
  const missing = tools.filter((name) => tool(name) === null);
  const test = (
    first: string | Deno.TestDefinition,
    second?: TestOptions | TestFn,
    third?: TestFn,
  ): void => {
    const definition: Deno.TestDefinition = typeof first !== "string"
      ? first
      : typeof second === "function"
      ? { name: first, fn: second }
      : { ...second, name: first, fn: third! };
    Deno.test(
      missing.length === 0 ? definition : {
        ...definition,
        name: `${definition.name} (skipped: ${missing.join(", ")} not on PATH)`,
        ignore: true,
      },
    );
  };
  return { missing, test };
}
