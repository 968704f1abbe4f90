/**
 * The log in a file, as the CLI's `--log-file` writes it: opened to append
 * (created if missing), so that several processes may share it and nothing
 * is overwritten, and reopened by {@link LogFile.reopen} when the file has
 * been moved away (logrotate renames it, then sends SIGHUP). The lines keep
 * their batching: one write per event-loop turn (`logbuffer.ts`).
 *
 * @example
 * ```ts ignore
 * import { LogFile, SimpleHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";
 *
 * using log = new LogFile("/var/log/httpserver/access.log");
 * Deno.addSignalListener("SIGHUP", () => log.reopen());
 * await using server = new ThreadingHTTPServer({ port: 8000 }, SimpleHTTPRequestHandler);
 * await server.serveForever();
 * ```
 *
 * @module
 */

import { flushLog, logSink, setLogSink } from "./logbuffer.ts";

/**
 * The process's log, written to a file instead of stderr while this is
 * open: every handler's log lines (Python's format), or the access lines
 * of the other formats, whose messages stay on stderr. One at a time: a
 * new one takes the log from the one before.
 *
 * @example
 * ```ts
 * import { LogFile } from "jsr:@x/httpserver";
 *
 * const path = await Deno.makeTempFile();
 * const log = new LogFile(path); // needs --allow-write=<path>
 * log.reopen(); // after logrotate moved the file away
 * log.close(); // back to stderr
 * await Deno.remove(path);
 * ```
 */
export class LogFile implements Disposable {
  /** The file's path, opened again by {@link reopen}. */
  readonly path: string;
  #file: Deno.FsFile;

  /**
   * Opens `path` to append, creating it, and sends the log there.
   *
   * @throws as `Deno.openSync` does: `NotFound` for a missing folder,
   *   `PermissionDenied`, `NotCapable` without `--allow-write` for it
   */
  constructor(path: string) {
    this.path = path;
    this.#file = openToAppend(path);
    setLogSink(this);
  }

  /** Writes some of `p` to the file; the log buffer calls it. */
  writeSync(p: Uint8Array): number {
    return this.#file.writeSync(p);
  }

  /**
   * Opens the path again, after the lines waiting are written to the file
   * that was open: a file moved away gets its last lines and is let go of,
   * and a new one is created at the path. When the path cannot be opened,
   * this throws and the log stays where it was.
   */
  reopen(): void {
    const next = openToAppend(this.path);
    flushLog();
    const previous = this.#file;
    this.#file = next;
    previous.close();
  }

  /** Writes the lines waiting, closes the file, and sends the log back to stderr. */
  close(): void {
    if (logSink() === this) setLogSink(null);
    this.#file.close();
  }

  /** Closes it; for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function openToAppend(path: string): Deno.FsFile {
  return Deno.openSync(path, { append: true, create: true });
}
