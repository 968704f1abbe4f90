/**
 * `CGIHTTPRequestHandler`: serves files as `SimpleHTTPRequestHandler` does,
 * and runs the scripts under `/cgi-bin` and `/htbin` for GET, HEAD and POST,
 * as Python's `http.server.CGIHTTPRequestHandler` (`python3 -m http.server
 * --cgi`), following RFC 3875 where Python does not.
 *
 * Running scripts needs run permission (`--allow-run`, or
 * `--allow-run=<script>,...`); without it a script request is answered 403
 * and logged, and no process is spawned unless a request names a script.
 *
 * The steps are beside it, each tested alone: which requests name a script
 * and where it is (`path.ts`), its environment and command line (`env.ts`),
 * the running script (`script.ts`), its header block (`response.ts`), and
 * the response made of it (`output.ts`).
 *
 * @example
 * ```ts
 * import { CGIHTTPRequestHandler, ThreadingHTTPServer } from "../../mod.ts";
 *
 * class Handler extends CGIHTTPRequestHandler {
 *   override cgiDirectories = ["/cgi-bin", "/api"];
 *   override cgiTimeout = 10_000;
 * }
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   Handler,
 *   { directory: "." },
 * );
 * console.log(server.serverPort > 0); // true
 * ```
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { HttpError } from "../../util/errors.ts";
import { pyRepr } from "../../util/pyformat.ts";
import { WINDOWS } from "../../util/platform.ts";
import { writeChunk, writeLastChunk } from "../../http/chunked.ts";
import { cgiEnvironment, type ScriptCommand, scriptCommand } from "./env.ts";
import { ScriptBody, scriptResponse } from "./output.ts";
import { locateScript, type ScriptPath, splitCGIPath } from "./path.ts";
import { RunningScript } from "./script.ts";
import { BodySpool, SPOOL_MEMORY_LIMIT } from "./spool.ts";
import { statOrNull } from "../../files/coalesce.ts";
import { type HeadBody, SimpleHTTPRequestHandler } from "../simple.ts";

/** Where a request's script is, and its file as an absolute path. */
interface ScriptLocation extends ScriptPath {
  /** The script's file. */
  scriptFile: string;
}

/**
 * Serves files and folder listings as {@link SimpleHTTPRequestHandler}, and
 * runs CGI scripts (RFC 3875) for GET, HEAD and POST requests under
 * {@link cgiDirectories}, as Python's `CGIHTTPRequestHandler`. POST to
 * anything else is 501.
 *
 * The request path is decoded and its `..` resolved before the CGI folder
 * is looked for (a path that climbs above the root is 400). A script is the
 * first name after the deepest folder on the path; what follows is
 * `PATH_INFO`. A missing script is 404; a folder, or a file that is not
 * executable, 403.
 *
 * The script gets Python's environment (the server's own, plus the
 * variables of {@link cgiEnvironment}) and every request header as
 * `HTTP_*`, never `HTTP_PROXY`; it runs in its own folder (RFC 3875 §7.2),
 * as `nobody` when the server runs as root. The request body streams to its
 * stdin (a chunked body is first read to its end to learn its length); its
 * stdout streams to the client, after its header block is read (RFC 3875
 * §6): `Status:` sets the status line, `Location:` alone redirects with 302.
 * The response is delimited by the script's `Content-Length`, else chunked
 * for HTTP/1.1, else by closing the connection. Its stderr goes to the log,
 * line by line, and so does a non-zero exit code. A script that makes no
 * progress for {@link cgiTimeout} ms is killed.
 *
 * @example
 * ```ts
 * import { CGIHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";
 *
 * // `python -m http.server --cgi`: files from the current folder, and the
 * // scripts in ./cgi-bin and ./htbin run for GET, HEAD and POST. Needs
 * // --allow-run (or --allow-run=<script>,...) besides --allow-net and
 * // --allow-read.
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   CGIHTTPRequestHandler,
 * );
 * server.serveForever();
 * const response = await fetch(`http://127.0.0.1:${server.serverPort}/cgi-bin/hello.py`);
 * console.log(response.status); // 200, or 404 without the script
 * await response.body?.cancel();
 * ```
 */
export class CGIHTTPRequestHandler extends SimpleHTTPRequestHandler {
  /**
   * The URL folders whose files are scripts; a whole-segment prefix of the
   * collapsed path, so nested folders such as `/sub/dir/cgi-bin` work.
   */
  cgiDirectories: string[] = ["/cgi-bin", "/htbin"];
  /**
   * How long a script may make no progress (no output, not taking input)
   * before it and its process group are killed, in milliseconds; 0: no
   * limit. Waits on the client do not count. A field like
   * {@link cgiDirectories}, since it is CGI policy; the server's options are
   * about connections.
   */
  cgiTimeout = 30_000;
  /**
   * Python's `cgi_info`: the CGI folder and the rest of the path (script,
   * extra path, `?query`), set by {@link isCGI}.
   */
  cgiInfo: [string, string] | null = null;

  /**
   * Serves a POST request: runs the script; any other path takes the upload
   * form when {@link upload} is on, else 501.
   */
  override async do_POST(): Promise<void> {
    if (!this.isCGI()) {
      if (this.upload) return await super.do_POST();
      throw new HttpError("not-implemented", "Can only POST to CGI scripts");
    }
    await this.runCGI();
  }

  /**
   * Runs the script for a CGI path (and returns null: the response is
   * complete); otherwise serves the file as {@link SimpleHTTPRequestHandler}.
   */
  override async sendHead(): Promise<HeadBody> {
    if (!this.isCGI()) return await super.sendHead();
    await this.runCGI();
    return null;
  }

  /**
   * Whether {@link path} names something under one of
   * {@link cgiDirectories}; if so, sets {@link cgiInfo}. See `splitCGIPath`.
   *
   * @throws {HttpError} `bad-path` (400) when the path climbs above the root
   */
  isCGI(): boolean {
    this.cgiInfo = splitCGIPath(this.path, this.cgiDirectories);
    return this.cgiInfo !== null;
  }

  /**
   * Whether `path` may be executed, as Python's `os.access(path, X_OK)`
   * answers for root: any execute bit (every file on Windows, which has
   * none). The exec itself has the last word.
   */
  isExecutable(path: string): boolean {
    try {
      const mode = Deno.statSync(path).mode;
      return mode === null || (mode & 0o111) !== 0;
    } catch {
      return false;
    }
  }

  /** Whether `path` is a Python script (`.py`, `.pyw`): run by `python` on Windows. */
  isPython(path: string): boolean {
    return /\.pyw?$/i.test(path);
  }

  /**
   * Runs the script that {@link cgiInfo} names and relays its response:
   * finds it, checks that it may run, reads a chunked body to its end,
   * starts it with its environment, then relays.
   *
   * @throws {HttpError} 404 no such script, 403 not a file or not
   *   executable or no run permission, 411 a large chunked body that cannot
   *   be held, 500 the script could not start (503 for want of descriptors),
   *   502 a malformed header block, 504 no header block in time
   */
  async runCGI(): Promise<void> {
    const script = this.#locate();
    const command = this.#commandLine(script);
    // Send a buffered `100 Continue` now: after this the response is written
    // only by the task that relays the script's output.
    await this.wfile.flush();
    await using spool = this.headers.has("transfer-encoding")
      ? await this.#spoolBody()
      : null;
    // RFC 3875 §7.2: the script runs in its own folder; Python's in the
    // server's.
    using running = RunningScript.start(
      command,
      this.#environment(script, spool),
      dirname(script.scriptFile),
      {
        name: pyRepr(script.scriptName),
        timeoutMs: this.cgiTimeout,
        deadlines: this.server.deadlines,
        log: (format, ...args) => this.logError(format, ...args),
      },
    );
    await this.#relay(running, spool);
  }

  /** Where the script that {@link cgiInfo} names is (see `locateScript`). */
  #locate(): ScriptLocation {
    const found = locateScript(
      this.cgiInfo!,
      (path) => statOrNull(this.translatePath(path))?.isDirectory === true,
    );
    return {
      ...found,
      scriptFile: absolute(this.translatePath(found.scriptName)),
    };
  }

  /** The command that runs the script, once it is known to be one that may run. */
  #commandLine(script: ScriptLocation): ScriptCommand {
    const { scriptName, scriptFile } = script;
    const repr = pyRepr(scriptName);
    const info = statOrNull(scriptFile);
    if (info === null) {
      throw new HttpError("not-found", `No such CGI script (${repr})`);
    }
    if (!info.isFile) {
      throw new HttpError(
        "forbidden",
        `CGI script is not a plain file (${repr})`,
      );
    }
    const python = WINDOWS && this.isPython(scriptName);
    // Python checks only what it execs itself: not a script it hands to
    // the interpreter.
    if (!python && !this.isExecutable(scriptFile)) {
      throw new HttpError(
        "forbidden",
        `CGI script is not executable (${repr})`,
      );
    }
    const command = scriptCommand(scriptFile, script.query, python);
    // Query, never request: a prompt would stall the connection, and the
    // missing flag is for the operator to add.
    const run = { name: "run", command: command.command } as const;
    if (Deno.permissions.querySync(run).state !== "granted") {
      this.logError(
        "CGI script %s not run: no run permission; start the server with --allow-run",
        repr,
      );
      throw new HttpError("forbidden", `CGI script may not run (${repr})`);
    }
    return command;
  }

  /** Reads a chunked body to its end, for its length (RFC 3875 §4.1.2). */
  async #spoolBody(): Promise<BodySpool> {
    try {
      return await BodySpool.fill(this.rfile, this.maxUploadBytes);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotCapable)) throw error;
      this.logError(
        "chunked request body over %d bytes not run: a temporary file needs --allow-write and --allow-read",
        SPOOL_MEMORY_LIMIT,
      );
      throw new HttpError("length-required", undefined, {
        explain: "Send a Content-Length with a body of this size.",
      });
    }
  }

  /** The script's meta-variables (see `cgiEnvironment`). */
  #environment(
    script: ScriptLocation,
    spool: BodySpool | null,
  ): Record<string, string> {
    return cgiEnvironment({
      serverSoftware: this.versionString(),
      serverName: this.server.serverName,
      serverPort: this.server.serverPort,
      serverProtocol: this.protocolVersion,
      method: this.command,
      pathInfo: script.pathInfo,
      pathTranslated: absolute(this.translatePath(script.pathInfo)),
      scriptName: script.scriptName,
      query: script.query,
      remoteAddr: this.addressString(),
      headers: this.headers,
      headerValues: (name) => this.headerValues(name),
      contentLength: spool?.size ?? null,
      user: this.accounts === null ? undefined : this.access.user,
    });
  }

  /**
   * Feeds the body to the script, relays its output, logs its stderr, and
   * waits for it to exit; kills it (and its process group) when it hangs,
   * the client goes away, or the server's shutdown has waited long enough
   * (see `RunningScript`).
   */
  async #relay(
    script: RunningScript,
    spool: BodySpool | null,
  ): Promise<void> {
    let bodyError: unknown = null;
    const fed = script.feed(spool ?? this.rfile).catch((error) => {
      bodyError = error;
      script.stop();
    });
    let failure: unknown = null;
    try {
      await this.#sendOutput(script);
    } catch (error) {
      failure = error;
      script.stop();
    }
    // Its output has ended: nothing more of it is to be sent.
    script.answered();
    await fed;
    const code = await script.finish();
    if (code !== 0) this.logError("CGI script exit code %d", code);
    // A body cut short by the client explains whatever the script did then.
    if (bodyError !== null) throw bodyError;
    if (failure !== null) throw failure;
  }

  /**
   * Reads the script's header block, sends the response's head as
   * `scriptResponse` decides it, then the rest of the output as the body,
   * as `ScriptBody` cuts it, each piece as it comes; says when the rest is
   * not to be sent (its Content-Length is in, or there is no body).
   */
  async #sendOutput(script: RunningScript): Promise<void> {
    const { head, rest } = await script.readHead();
    const response = scriptResponse(head, {
      method: this.command,
      requestVersion: this.requestVersion,
      protocolVersion: this.protocolVersion,
      keepAlive: !this.closeConnection,
    });
    this.sendResponse(response.status, response.reason);
    for (const [name, value] of response.fields) this.sendHeader(name, value);
    this.endHeaders();
    const body = new ScriptBody(response);
    const chunked = response.framing === "chunked";
    for await (const bytes of script.output(rest)) {
      const part = body.take(bytes);
      if (part.length > 0) {
        // The wait on the client is not the script's.
        script.watchdog.pause();
        try {
          if (chunked) await writeChunk(this.wfile, part);
          else await this.wfile.write(part);
          await this.wfile.flush();
        } finally {
          script.watchdog.resume();
        }
      }
      if (body.complete) script.answered();
    }
    await this.#endBody(body, script.killed);
  }

  /** Ends the body as `body` says once the output has; logs what the script got wrong. */
  async #endBody(body: ScriptBody, killed: boolean): Promise<void> {
    if (body.excess > 0) {
      this.logError(
        "CGI script wrote %d bytes past its Content-Length",
        body.excess,
      );
    }
    const end = body.end(killed);
    if (end === "last-chunk") await writeLastChunk(this.wfile);
    if (end !== "cut-short") return;
    if (!killed) {
      this.logError(
        "CGI script ended %d bytes short of its Content-Length",
        body.remaining,
      );
    }
    // Only closing the connection tells the client the body was cut short.
    this.closeConnection = true;
  }
}

/**
 * An absolute path, as Python's are (its `directory` defaults to
 * `os.getcwd()`): the script runs in another folder, where a relative
 * `PATH_TRANSLATED` or command would name something else.
 */
function absolute(path: string): string {
  return isAbsolute(path) ? path : join(Deno.cwd(), path);
}
