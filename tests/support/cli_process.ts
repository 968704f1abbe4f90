/**
 * The command line as a child process, for the tests that run it as people do:
 * `deno run --no-prompt <flags> mod.ts <args>` (or a compiled binary), read
 * line by line from stdout, stopped with a signal.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { processGone, RawClient, tempFolder, until } from "./helpers.ts";

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
   * The CLI serving `dir` on 127.0.0.1 at a port the system picks ({@link
   * loopback}, then `args`), with `--allow-net=127.0.0.1`,
   * `--allow-read=<dir>` and `permissions`.
   */
  static serving(
    dir: string,
    args: string[] = [],
    permissions: string[] = [],
  ): Cli {
    return new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`, ...permissions],
      loopback(dir, ...args),
    );
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

  /**
   * Waits for the banner and returns the port it names; throws, with what
   * was printed, when stdout ends without one.
   */
  async port(): Promise<number> {
    const banner = await this.waitFor(BANNER);
    if (banner === null) throw new Error(`no banner: ${this.out}`);
    return Number(banner[2]);
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

/**
 * The arguments that serve `dir` on 127.0.0.1 at a port the system picks,
 * followed by `more`.
 */
export function loopback(dir: string, ...more: string[]): string[] {
  return ["0", "-b", "127.0.0.1", "-d", dir, ...more];
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

/**
 * Runs `fn` with a fresh folder holding `hello.txt` ("hello\n", long
 * unchanged, so that it is sent with its validators), then removes it.
 */
export async function withFolder(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  await using dir = await tempFolder("httpserver-cli-", {
    "hello.txt": "hello\n",
  }, 1_700_000_000);
  await fn(dir.root);
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
    // Queued as the listener closed: asked again, it is refused.
    if (error instanceof Deno.errors.ConnectionReset) return undefined;
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

/**
 * With an upload into `dir` in flight, sends `signal` to the CLI serving it
 * on `port`: its listener must close, the upload still finish (201, the file
 * whole, no `.part` file left) and the CLI exit 0; resolves to what it
 * printed on stdout.
 */
export async function uploadFinishesAfter(
  cli: Cli,
  port: number,
  dir: string,
  signal: Deno.Signal,
): Promise<string> {
  using upload = await startUpload(port, dir);
  cli.kill(signal);
  await until(() => refused(port), "the listener closed");
  await upload.send("world");
  assert.equal((await upload.readResponse()).status, 201);
  const { code, stdout } = await cli.finish();
  assert.equal(code, 0);
  assert.equal(await Deno.readTextFile(`${dir}/up.txt`), "helloworld");
  assert.deepEqual(partFiles(dir), []);
  return stdout;
}

/**
 * Writes the executable script `cgi-bin/<name>` into `dir`, and lets anyone
 * into both folders: as root the script runs as nobody, who must reach it.
 */
export async function addCgiScript(
  dir: string,
  name: string,
  text: string,
): Promise<void> {
  await Deno.mkdir(`${dir}/cgi-bin`, { recursive: true });
  await Deno.writeTextFile(`${dir}/cgi-bin/${name}`, text);
  await Deno.chmod(`${dir}/cgi-bin/${name}`, 0o755);
  for (const folder of [dir, `${dir}/cgi-bin`]) {
    await Deno.chmod(folder, 0o755);
  }
}

/**
 * Writes `cgi-bin/hang.sh` into `dir`: a script that prints its process id
 * and its child's, then waits for the child (a `sleep 60`).
 */
export async function addHangingScript(dir: string): Promise<void> {
  await addCgiScript(
    dir,
    "hang.sh",
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\necho $$\nsleep 60 &\necho $!\nwait\n",
  );
}

/**
 * With an upload in flight and `hang.sh` (of {@link addHangingScript})
 * running, sends `signal` to the CLI serving `dir` on `port`, waits for its
 * listener to close, and sends `signal` again: it must exit with `status`,
 * leaving no upload's `.part` file and no process of the script.
 */
export async function secondSignalExits(
  cli: Cli,
  port: number,
  dir: string,
  signal: Deno.Signal,
  status: number,
): Promise<void> {
  using _upload = await startUpload(port, dir);
  using script = await RawClient.connect(port);
  await script.send("GET /cgi-bin/hang.sh HTTP/1.1\r\nHost: t\r\n\r\n");
  const [, ...pids] = await script.readUntil(/\r\n\r\n(\d+)\n(\d+)\n/);
  try {
    cli.kill(signal);
    await until(() => refused(port), "the listener closed");
    cli.kill(signal);
    const { code } = await cli.finish();
    assert.equal(code, status);
    assert.deepEqual(partFiles(dir), []);
    for (const pid of pids) {
      assert.ok(await processGone(Number(pid)), `process ${pid} lives on`);
    }
  } finally {
    for (const pid of pids) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // Gone, as it should be.
      }
    }
  }
}
