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
import { Deadline } from "../../server/deadline.ts";
import { HttpError } from "../../util/errors.ts";
import { exitCleanups } from "../../util/exitcleanup.ts";
import { pyRepr } from "../../util/pyformat.ts";
import { WINDOWS } from "../../util/platform.ts";
import { cgiArguments, cgiEnvironment } from "./env.ts";
import { splitCGIPath } from "./path.ts";
import { exitCode, killScript, spawnScript, Watchdog } from "./process.ts";
import { type ScriptHead, ScriptHeadParser } from "./response.ts";
import { PipeReader } from "./pipe.ts";
import { BodySpool, SPOOL_MEMORY_LIMIT } from "./spool.ts";
import { unquote } from "../../files/paths.ts";
import { type HeadBody, SimpleHTTPRequestHandler } from "../simple.ts";

const encoder = new TextEncoder();
const CHUNKED_END = encoder.encode("0\r\n\r\n");
const CRLF = encoder.encode("\r\n");
/** The longest stderr line logged as one line; longer ones are split. */
const MAX_LOG_LINE = 8 * 1024;

/** How the body of a script's response is delimited on the connection. */
type Framing = "none" | "length" | "chunked" | "close";

/** Why a script's output ended early, if it did. */
interface ScriptRun {
  /** The script was killed: its output is cut short. */
  killed: boolean;
  /** It was killed for taking too long (no progress, or the server's shutdown). */
  timedOut: boolean;
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
   * Runs the script that {@link cgiInfo} names and relays its response.
   *
   * @throws {HttpError} 404 no such script, 403 not a file or not
   *   executable or no run permission, 411 a large chunked body that cannot
   *   be held, 500 the script could not start, 502 a malformed header block,
   *   504 no header block in time
   */
  async runCGI(): Promise<void> {
    const { scriptName, scriptFile, pathInfo, query } = this.#locate();
    const repr = pyRepr(scriptName);
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(scriptFile);
    } catch {
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
    const command = python ? "python" : scriptFile;
    const args = [
      ...(python ? ["-u", scriptFile] : []),
      ...cgiArguments(query),
    ];
    // Query, never request: a prompt would stall the connection, and the
    // missing flag is for the operator to add.
    if (
      Deno.permissions.querySync({ name: "run", command }).state !== "granted"
    ) {
      this.logError(
        "CGI script %s not run: no run permission; start the server with --allow-run",
        repr,
      );
      throw new HttpError("forbidden", `CGI script may not run (${repr})`);
    }

    // Send a buffered `100 Continue` now: after this the response is written
    // only by the task that relays the script's output.
    await this.wfile.flush();
    await using spool = this.headers.has("transfer-encoding")
      ? await this.#spoolBody()
      : null;
    const env = cgiEnvironment({
      serverSoftware: this.versionString(),
      serverName: this.server.serverName,
      serverPort: this.server.serverPort,
      serverProtocol: this.protocolVersion,
      method: this.command,
      pathInfo,
      pathTranslated: absolute(this.translatePath(pathInfo)),
      scriptName,
      query,
      remoteAddr: this.addressString(),
      headers: this.headers,
      headerValues: (name) => this.headerValues(name),
      contentLength: spool?.size ?? null,
    });
    let child: Deno.ChildProcess;
    try {
      child = spawnScript(command, {
        args,
        env,
        // RFC 3875 §7.2: the script's own folder. Python leaves the server's.
        cwd: dirname(scriptFile),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      });
    } catch (error) {
      if (error instanceof Deno.errors.PermissionDenied) {
        throw new HttpError(
          "forbidden",
          `CGI script is not executable (${repr})`,
          { cause: error },
        );
      }
      this.logError("CGI script %s could not start: %s", repr, String(error));
      throw new HttpError("internal", "CGI script could not start", {
        cause: error,
      });
    }
    await this.#relay(child, repr, spool);
  }

  /**
   * Python's walk from {@link cgiInfo} to the script: the deepest existing
   * folder on the path, then the next name is the script and the rest is
   * `PATH_INFO` (decoded); the query is what follows the first `?`.
   */
  #locate(): {
    scriptName: string;
    scriptFile: string;
    pathInfo: string;
    query: string;
  } {
    let [dir, rest] = this.cgiInfo!;
    const path = dir + "/" + rest;
    for (
      let i = path.indexOf("/", dir.length + 1);
      i >= 0;
      i = path.indexOf("/", dir.length + 1)
    ) {
      if (!isDirectory(this.translatePath(path.slice(0, i)))) break;
      dir = path.slice(0, i);
      rest = path.slice(i + 1);
    }
    const mark = rest.indexOf("?");
    const query = mark >= 0 ? rest.slice(mark + 1) : "";
    if (mark >= 0) rest = rest.slice(0, mark);
    const slash = rest.indexOf("/");
    const script = slash >= 0 ? rest.slice(0, slash) : rest;
    const scriptName = dir + "/" + script;
    return {
      scriptName,
      scriptFile: absolute(this.translatePath(scriptName)),
      // Decoded once more, as Python does (cgi_info was decoded already).
      pathInfo: slash >= 0 ? unquote(rest.slice(slash)) : "",
      query,
    };
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

  /**
   * Feeds the body to the script, relays its output, logs its stderr, and
   * waits for it to exit; kills it (and its process group) when it hangs,
   * the client goes away, or the server's shutdown has waited long enough.
   * Once it has exited and its answer is complete, what it left running in
   * its process group is killed.
   */
  async #relay(
    child: Deno.ChildProcess,
    repr: string,
    spool: BodySpool | null,
  ): Promise<void> {
    const stdout = new PipeReader(child.stdout);
    const stderr = new PipeReader(child.stderr);
    const run: ScriptRun = { killed: false, timedOut: false };
    const stop = () => {
      run.killed = true;
      killScript(child);
      // A child that left the group may still hold the pipes open.
      stdout.cancel().catch(() => {});
      stderr.cancel().catch(() => {});
    };
    const watchdog = new Watchdog(this.cgiTimeout, () => {
      this.logError(
        "CGI script %s made no progress for %d ms: killed",
        repr,
        this.cgiTimeout,
      );
      run.timedOut = true;
      stop();
    });
    // Shutdown gives a script in flight its shutdownTimeout, as it gives
    // the connections, then stops waiting: a hung script is killed then.
    const shutdown = new Deadline(() => {
      this.logError("CGI script %s still running at shutdown: killed", repr);
      run.timedOut = true;
      stop();
    });
    shutdown.arm("script", 0);
    this.server.deadlines.add(shutdown);
    // A second Ctrl-C exits at once: the group must not live on.
    const cleanup = exitCleanups.add(() => killScript(child));
    // A child the script left running that holds its output would keep the
    // pipes open, and the connection waiting, for as long as it runs: once
    // the script has exited and its answer is complete, its group goes.
    let exited = false;
    let answered = false;
    const reap = () => {
      if (exited && answered) killScript(child);
    };
    const exit = child.status.then(() => {
      exited = true;
      reap();
    });
    const answer = () => {
      if (answered) return;
      answered = true;
      reap();
    };
    try {
      let bodyError: unknown = null;
      const fed = this.#feed(child.stdin, spool, watchdog).catch((error) => {
        bodyError = error;
        stop();
      });
      const logged = this.#logStderr(stderr, watchdog);
      let failure: unknown = null;
      try {
        await this.#sendOutput(stdout, watchdog, run, answer);
      } catch (error) {
        failure = error;
        stop();
      }
      // Its output has ended: nothing more of it is to be sent.
      answer();
      // The watchdog still runs: a script that closed stdout but does not
      // exit, or a child that keeps stderr open, is killed in time too.
      await fed;
      await exit;
      const status = await child.status;
      await logged;
      // Both reads have ended: the buffers can serve other scripts.
      stdout.release();
      stderr.release();
      watchdog.stop();
      const code = exitCode(status);
      if (code !== 0) this.logError("CGI script exit code %d", code);
      // A body cut short by the client explains whatever the script did then.
      if (bodyError !== null) throw bodyError;
      if (failure !== null) throw failure;
    } finally {
      this.server.deadlines.delete(shutdown);
      exitCleanups.delete(cleanup);
    }
  }

  /**
   * Writes the request body to the script's stdin, then closes it. A
   * script that exits or closes stdin before the end is not an error: the
   * rest of the body is left for the connection loop to drop. Rejects with
   * what reading the body threw.
   */
  async #feed(
    stdin: WritableStream<Uint8Array>,
    spool: BodySpool | null,
    watchdog: Watchdog,
  ): Promise<void> {
    const writer = stdin.getWriter();
    const chunks = spool?.chunks() ?? this.#bodyChunks(watchdog);
    try {
      for await (const chunk of chunks) {
        try {
          await writer.write(chunk);
        } catch {
          return;
        }
        watchdog.touch();
      }
      await writer.close().catch(() => {});
    } finally {
      writer.abort().catch(() => {});
    }
  }

  /** The request body's chunks; the watchdog is paused while the client sends. */
  async *#bodyChunks(watchdog: Watchdog): AsyncGenerator<Uint8Array> {
    for (;;) {
      watchdog.pause();
      let chunk: Uint8Array;
      try {
        chunk = await this.rfile.readChunk();
      } finally {
        watchdog.resume();
      }
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** Logs the script's stderr, one log line per line it writes. */
  async #logStderr(
    stderr: PipeReader,
    watchdog: Watchdog,
  ): Promise<void> {
    const decoder = new TextDecoder();
    let line = "";
    try {
      for (;;) {
        const value = await stderr.read();
        if (value === null) break;
        watchdog.touch();
        const lines = (line + decoder.decode(value, { stream: true }))
          .split("\n");
        line = lines.pop()!;
        if (line.length > MAX_LOG_LINE) {
          lines.push(line);
          line = "";
        }
        for (const text of lines) this.logError("%s", text.replace(/\r$/, ""));
      }
    } catch {
      // Cancelled: the script was killed.
    }
    line += decoder.decode();
    if (line !== "") this.logError("%s", line);
  }

  /**
   * Reads the script's header block, sends the status line and headers,
   * then relays the rest of its output as the body, delimited as the
   * connection needs; calls `answered` once the rest is not to be sent
   * (the script's Content-Length is in, or the response has no body).
   * Output that ends because the script was killed is not ended as a
   * complete body.
   */
  async #sendOutput(
    stdout: PipeReader,
    watchdog: Watchdog,
    run: ScriptRun,
    answered: () => void,
  ): Promise<void> {
    const parser = new ScriptHeadParser();
    let framing: Framing | null = null;
    let remaining = 0;
    let excess = 0;
    for (;;) {
      // The rest of the output is read only to be dropped.
      if (framing === "none" || (framing === "length" && remaining === 0)) {
        answered();
      }
      const value = await stdout.read();
      if (value === null) break;
      watchdog.touch();
      let bytes: Uint8Array = value;
      if (framing === null) {
        const rest = parser.feed(value);
        if (rest === null) continue;
        framing = this.#sendScriptHead(parser.head!);
        remaining = parser.head!.contentLength ?? 0;
        bytes = rest;
      }
      if (framing === "none" || bytes.length === 0) continue;
      if (framing === "length") {
        excess += Math.max(0, bytes.length - remaining);
        bytes = bytes.subarray(0, remaining);
        remaining -= bytes.length;
        if (bytes.length === 0) continue;
      }
      watchdog.pause();
      try {
        if (framing === "chunked") {
          await this.wfile.write(bytes.length.toString(16) + "\r\n");
          await this.wfile.write(bytes);
          await this.wfile.write(CRLF);
        } else {
          await this.wfile.write(bytes);
        }
        // Stream: a script's output reaches the client as it is written.
        await this.wfile.flush();
      } finally {
        watchdog.resume();
      }
    }
    if (framing === null) {
      if (run.timedOut) {
        throw new HttpError("gateway-timeout", "CGI script timed out");
      }
      parser.finish();
      return;
    }
    if (excess > 0) {
      this.logError(
        "CGI script wrote %d bytes past its Content-Length",
        excess,
      );
    }
    if (run.killed || (framing === "length" && remaining > 0)) {
      // Cut short: only closing the connection tells the client so.
      if (!run.killed) {
        this.logError(
          "CGI script ended %d bytes short of its Content-Length",
          remaining,
        );
      }
      this.closeConnection = true;
    } else if (framing === "chunked") {
      await this.wfile.write(CHUNKED_END);
    }
  }

  /** Sends the status line and headers of a script's response; returns its framing. */
  #sendScriptHead(head: ScriptHead): Framing {
    this.sendResponse(head.status, head.reason);
    for (const [name, value] of head.fields) this.sendHeader(name, value);
    let framing: Framing;
    if (
      this.command === "HEAD" || head.status === 204 || head.status === 304
    ) {
      // No body (RFC 9110 §6.4.1); the script's is read and dropped so it
      // can finish as it would for GET.
      framing = "none";
    } else if (head.contentLength !== null) {
      framing = "length";
    } else if (!this.closeConnection && this.requestVersion >= "HTTP/1.1") {
      this.sendHeader("Transfer-Encoding", "chunked");
      framing = "chunked";
    } else {
      // An HTTP/1.0 client that asked for keep-alive: the close ends the body.
      if (!this.closeConnection) this.sendHeader("Connection", "close");
      framing = "close";
    }
    this.endHeaders();
    return framing;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
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
