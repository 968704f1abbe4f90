/**
 * A running CGI script, from its start to its reaping: its stdin fed with
 * the request body, its stdout read up to and past its header block, its
 * stderr logged line by line, and the kills: when it makes no progress
 * (the watchdog), when the server's shutdown has waited long enough, at an
 * immediate exit, and, once it has exited and its answer is complete, what
 * it left running in its process group. The response to the client is the
 * handler's business; this is the script's.
 *
 * @example
 * ```ts ignore
 * import { RunningScript } from "./script.ts";
 *
 * // In a handler:
 * using script = RunningScript.start(
 *   { command: "/srv/cgi-bin/hello.sh", args: [] },
 *   { GATEWAY_INTERFACE: "CGI/1.1" },
 *   "/srv/cgi-bin",
 *   {
 *     name: "'/cgi-bin/hello.sh'",
 *     timeoutMs: 30_000,
 *     deadlines: this.server.deadlines,
 *     log: (format, ...args) => this.logError(format, ...args),
 *   },
 * );
 * const fed = script.feed(this.rfile);
 * const { head, rest } = await script.readHead();
 * for await (const bytes of script.output(rest)) console.log(bytes.length);
 * script.answered();
 * await fed;
 * console.log(head.status, await script.finish()); // 200 0
 * ```
 *
 * @module
 */

import type { RequestBody } from "../../http/body.ts";
import { Deadline, type DeadlineWatch } from "../../server/deadline.ts";
import { HttpError, outOfDescriptors } from "../../util/errors.ts";
import { type ExitCleanupEntry, exitCleanups } from "../../util/exitcleanup.ts";
import { PipeReader } from "./pipe.ts";
import { exitCode, killScript, spawnScript, Watchdog } from "./process.ts";
import type { ScriptCommand } from "./env.ts";
import { type ScriptHead, ScriptHeadParser } from "./response.ts";
import { BodySpool } from "./spool.ts";

/** The longest stderr line logged as one line; longer ones are split. */
const MAX_LOG_LINE = 8 * 1024;

/** What a {@link RunningScript} needs from its handler and server. */
export interface ScriptOptions {
  /** The script's name for log lines, quoted. */
  name: string;
  /** How long it may make no progress before it is killed, in ms (0: no limit). */
  timeoutMs: number;
  /** The server's deadlines: its shutdown kills the script through one. */
  deadlines: DeadlineWatch;
  /** Writes a log line, `format % args`. */
  log: (format: string, ...args: unknown[]) => void;
}

/**
 * A spawned script with piped stdin, stdout and stderr; dispose of it once
 * it has finished (`using`).
 */
export class RunningScript implements Disposable {
  /** Kills the script when it makes no progress; paused around waits on the client. */
  readonly watchdog: Watchdog;
  /** The script was killed: its output is cut short. */
  killed = false;
  /** It was killed for taking too long (no progress, or the server's shutdown). */
  timedOut = false;

  readonly #child: Deno.ChildProcess;
  readonly #stdout: PipeReader;
  readonly #stderr: PipeReader;
  readonly #options: ScriptOptions;
  readonly #shutdown: Deadline;
  readonly #cleanup: ExitCleanupEntry | null;
  readonly #exit: Promise<void>;
  readonly #logged: Promise<void>;
  #exited = false;
  #answered = false;

  /**
   * Starts a script (see `spawnScript`) with its stdin, stdout and stderr
   * piped, and takes charge of it.
   *
   * @param command the program and its arguments
   * @param env the variables added to the server's environment
   * @param cwd the folder it runs in
   * @param options its name for the log, its timeout, where to log
   * @throws {HttpError} 403 for a file that may not be executed, 500
   *   (logged) when it could not start, 503 for want of descriptors
   */
  static start(
    { command, args }: ScriptCommand,
    env: Record<string, string>,
    cwd: string,
    options: ScriptOptions,
  ): RunningScript {
    let child: Deno.ChildProcess;
    try {
      child = spawnScript(command, {
        args,
        env,
        cwd,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      });
    } catch (error) {
      if (error instanceof Deno.errors.PermissionDenied) {
        throw new HttpError(
          "forbidden",
          `CGI script is not executable (${options.name})`,
          { cause: error },
        );
      }
      options.log(
        "CGI script %s could not start: %s",
        options.name,
        String(error),
      );
      throw outOfDescriptors(error) ??
        new HttpError("internal", "CGI script could not start", {
          cause: error,
        });
    }
    return new RunningScript(child, options);
  }

  /**
   * Takes charge of `child`, spawned with its stdin, stdout and stderr
   * piped: starts the watchdog and the logging of its stderr, and registers
   * the kills at shutdown and at an immediate exit.
   */
  constructor(child: Deno.ChildProcess, options: ScriptOptions) {
    this.#child = child;
    this.#options = options;
    this.#stdout = new PipeReader(child.stdout);
    this.#stderr = new PipeReader(child.stderr);
    this.watchdog = new Watchdog(options.timeoutMs, () => {
      options.log(
        "CGI script %s made no progress for %d ms: killed",
        options.name,
        options.timeoutMs,
      );
      this.timedOut = true;
      this.stop();
    });
    // Shutdown gives a script in flight its shutdownTimeout, as it gives
    // the connections, then stops waiting: a hung script is killed then.
    this.#shutdown = new Deadline(() => {
      options.log(
        "CGI script %s still running at shutdown: killed",
        options.name,
      );
      this.timedOut = true;
      this.stop();
    });
    this.#shutdown.arm("script", 0);
    options.deadlines.add(this.#shutdown);
    // A second Ctrl-C exits at once: the group must not live on.
    this.#cleanup = exitCleanups.add(() => killScript(child));
    this.#exit = child.status.then(() => {
      this.#exited = true;
      this.#reap();
    });
    this.#logged = this.#logStderr();
  }

  /** Kills the script and its process group, and stops reading its output. */
  stop(): void {
    this.killed = true;
    killScript(this.#child);
    // A child that left the group may still hold the pipes open.
    this.#stdout.cancel().catch(() => {});
    this.#stderr.cancel().catch(() => {});
  }

  /**
   * Says that no more of the output is to be sent. A child the script left
   * running that holds its output would keep the pipes open, and the
   * connection waiting, for as long as it runs: once the script has exited
   * too, its group goes.
   */
  answered(): void {
    if (this.#answered) return;
    this.#answered = true;
    this.#reap();
  }

  /**
   * Writes the request body (as it arrives, or as it was spooled) to the
   * script's stdin, then closes it. A script that exits or closes stdin
   * before the end is not an error: the rest of the body is left for the
   * connection loop to drop. Rejects with what reading the body threw.
   */
  async feed(body: RequestBody | BodySpool): Promise<void> {
    const writer = this.#child.stdin.getWriter();
    const chunks = body instanceof BodySpool
      ? body.chunks()
      : this.#bodyChunks(body);
    try {
      for await (const chunk of chunks) {
        try {
          await writer.write(chunk);
        } catch {
          return;
        }
        this.watchdog.touch();
      }
      await writer.close().catch(() => {});
    } finally {
      writer.abort().catch(() => {});
    }
  }

  /**
   * Reads the output up to the end of its header block (RFC 3875 §6).
   *
   * @returns the block, and the output that followed it in the same read
   * @throws {HttpError} 502 for a malformed block or output that ended
   *   before it did, 504 when the script was killed for time before it
   */
  async readHead(): Promise<{ head: ScriptHead; rest: Uint8Array }> {
    const parser = new ScriptHeadParser();
    for (;;) {
      const value = await this.#stdout.read();
      if (value === null) {
        if (this.timedOut) {
          throw new HttpError("gateway-timeout", "CGI script timed out");
        }
        return { head: parser.finish(), rest: new Uint8Array(0) };
      }
      this.watchdog.touch();
      const rest = parser.feed(value);
      if (rest !== null) return { head: parser.head!, rest };
    }
  }

  /**
   * The rest of the output, `first` and then each read, until it ends. Each
   * piece is a view of the read buffer: use it before asking for the next.
   */
  async *output(first: Uint8Array): AsyncGenerator<Uint8Array> {
    yield first;
    for (;;) {
      const value = await this.#stdout.read();
      if (value === null) return;
      this.watchdog.touch();
      yield value;
    }
  }

  /**
   * Waits for the script to exit and its stderr to end, then gives the read
   * buffers back and stops the watchdog. The watchdog runs until then: a
   * script that closed stdout but does not exit, or a child that keeps
   * stderr open, is killed in time too.
   *
   * @returns the exit code, as `exitCode` gives it
   */
  async finish(): Promise<number> {
    await this.#exit;
    const status = await this.#child.status;
    await this.#logged;
    this.#stdout.release();
    this.#stderr.release();
    this.watchdog.stop();
    return exitCode(status);
  }

  /** Unregisters the kills at shutdown and at an immediate exit. */
  [Symbol.dispose](): void {
    this.#options.deadlines.delete(this.#shutdown);
    exitCleanups.delete(this.#cleanup);
  }

  /** The request body's chunks; the watchdog is paused while the client sends. */
  async *#bodyChunks(body: RequestBody): AsyncGenerator<Uint8Array> {
    for (;;) {
      this.watchdog.pause();
      let chunk: Uint8Array;
      try {
        chunk = await body.readChunk();
      } finally {
        this.watchdog.resume();
      }
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  #reap(): void {
    if (this.#exited && this.#answered) killScript(this.#child);
  }

  /** Logs the script's stderr, one log line per line it writes. */
  async #logStderr(): Promise<void> {
    const decoder = new TextDecoder();
    const log = this.#options.log;
    let line = "";
    try {
      for (;;) {
        const value = await this.#stderr.read();
        if (value === null) break;
        this.watchdog.touch();
        const lines = (line + decoder.decode(value, { stream: true }))
          .split("\n");
        line = lines.pop()!;
        if (line.length > MAX_LOG_LINE) {
          lines.push(line);
          line = "";
        }
        for (const text of lines) log("%s", text.replace(/\r$/, ""));
      }
    } catch {
      // Cancelled: the script was killed.
    }
    line += decoder.decode();
    if (line !== "") log("%s", line);
  }
}
