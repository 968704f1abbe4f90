/**
 * The command line as a child process, for the tests that run it as people do:
 * `deno run --no-prompt <flags> mod.ts <args>` (or a compiled binary), read
 * line by line from stdout, stopped with a signal.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { RawClient, until } from "./helpers.ts";

/** The absolute path of the repository's `mod.ts`. */
export const MOD: string = fileURLToPath(
  new URL("../../mod.ts", import.meta.url),
);

/**
 * Python's banner (HTTP or HTTPS), with the workers when there are several;
 * groups: host, port, URL host, URL port.
 */
export const BANNER: RegExp =
  /Serving HTTPS? on (\S+) port (\d+) \(https?:\/\/(\S+):(\d+)\/\)(?: with \d+ workers)? \.\.\.\n/;

/** Where and how to start the child. */
export interface SpawnOptions {
  /** The child's working folder; default the test's. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * An executable to run instead of `deno run ... mod.ts` (a compiled
   * `httpserver`, whose permissions are baked in: pass no permission flags).
   */
  program?: string;
  /** A module to run instead of `mod.ts` (a test's own command line). */
  module?: string;
}

/** A running CLI child; `await using` kills it if the test did not stop it. */
export class Cli implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #stdout: ReadableStreamDefaultReader<string>;
  #stderr: Promise<string>;
  /** Everything read from stdout so far. */
  out = "";

  /**
   * Runs `deno run --no-prompt ...permissions mod.ts ...args`: exactly the
   * given permission flags, and never a prompt.
   */
  constructor(
    permissions: string[],
    args: string[],
    options: SpawnOptions = {},
  ) {
    this.#child = options.program === undefined
      ? spawn(
        Deno.execPath(),
        ["run", "--no-prompt", ...permissions, options.module ?? MOD, ...args],
        options,
      )
      : spawn(options.program, [...permissions, ...args], options);
    this.#stdout = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** Runs an executable (a compiled `httpserver`) instead of `deno run mod.ts`. */
  static binary(
    program: string,
    args: string[],
    options: SpawnOptions = {},
  ): Cli {
    return new Cli([], args, { ...options, program });
  }

  /**
   * Reads stdout until `pattern` matches; null when stdout ends first. A
   * child that prints nothing for 20 s is killed, so a broken CLI fails the
   * test instead of hanging it.
   */
  async waitFor(pattern: RegExp): Promise<RegExpMatchArray | null> {
    const watchdog = setTimeout(() => this.#child.kill("SIGKILL"), 20_000);
    try {
      for (;;) {
        const match = this.out.match(pattern);
        if (match) return match;
        const { value, done } = await this.#stdout.read();
        if (done) return null;
        this.out += value;
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends `signal` to the child. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Waits for exit; returns the status code, all stdout and stderr. */
  async finish(): Promise<{ code: number; stdout: string; stderr: string }> {
    for (;;) {
      const { value, done } = await this.#stdout.read();
      if (done) break;
      this.out += value;
    }
    const status = await this.#child.status;
    return { code: status.code, stdout: this.out, stderr: await this.#stderr };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.finish();
  }
}

function spawn(
  program: string,
  args: string[],
  options: SpawnOptions,
): Deno.ChildProcess {
  return new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs the CLI to completion (for arguments that make it exit). */
export async function run(
  permissions: string[],
  args: string[],
  options: SpawnOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  await using cli = new Cli(permissions, args, options);
  return await cli.finish();
}

/** Runs `fn` with a fresh folder holding `hello.txt` ("hello\n"), then removes it. */
export async function withFolder(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "httpserver-cli-" }),
  );
  try {
    await Deno.writeTextFile(`${dir}/hello.txt`, "hello\n");
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The CLI's missing-permissions message, read back. */
export interface MissingPermissions {
  /** The flags it names, one a line, as printed: `--allow-read=site`. */
  flags: string[];
  /** The command it says would work, as printed (quoted for a shell). */
  command: string;
}

/**
 * Reads the CLI's message for missing permissions from its stderr; throws
 * when stderr is anything else, so a test sees the message it got.
 */
export function missingPermissions(stderr: string): MissingPermissions {
  const match = stderr.match(
    /^httpserver: error: missing permissions:\n((?: {2}--allow-.* {2}to .*\n)+)(?:run it with all it needs|this program was compiled without them; in a clone, build it with all it needs):\n {2}(.*)\n$/,
  );
  if (match === null) {
    throw new Error(`not the missing-permissions message:\n${stderr}`);
  }
  return {
    flags: match[1].trimEnd().split("\n").map((line) =>
      line.match(/^ {2}(\S.*?) {2,}to /)![1]
    ),
    command: match[2],
  };
}

/** The upload temporary files in `dir`. */
export function partFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name)
    .filter((name) => /^\.upload-.*\.part$/.test(name));
}

/** Whether nothing listens on `port` any more: the server is shutting down. */
export async function refused(port: number): Promise<true | undefined> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return undefined;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return true;
    throw error;
  }
}

/** Starts a PUT of 10 bytes, sends 5, and waits for its `.part` file. */
export async function startUpload(
  port: number,
  dir: string,
): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.send(
    "PUT /up.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello",
  );
  await until(() => partFiles(dir)[0], "the upload's .part file");
  return client;
}
