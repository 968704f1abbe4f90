/**
 * What each worker of `--workers` runs (`cli/workers.ts` starts them): the
 * command line's server on the port the main thread chose, shared with the
 * other workers. An uncaught error ends the worker as it would end a
 * process: its exit clean-ups run, the main thread is told (and starts
 * another), and the worker closes.
 *
 * @example
 * ```ts ignore
 * // A worker module of a test's own, whose handler differs:
 * import { handlerFor } from "./serve.ts";
 * import { runWorker } from "./worker_entry.ts";
 *
 * runWorker((options) => class extends handlerFor(options) {});
 * ```
 *
 * @module
 */

import type { RequestHandlerClass } from "../handlers/base.ts";
import type { CliOptions } from "./args.ts";
import { handlerFor, newServer } from "./serve.ts";
import { exitCleanups } from "../util/exitcleanup.ts";
import { flushLog, printError } from "../util/logbuffer.ts";
import { LogFile } from "../util/logfile.ts";
import { shareFailedSignIns } from "../files/accounts/gate.ts";
import { withoutLocks } from "../files/ops/site.ts";
import type { ThreadingHTTPServer } from "../server.ts";
import type { FromWorker, ToWorker } from "./workers.ts";

/** The parts of a worker's global scope used here. */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  close(): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

/**
 * Serves as one worker of the pool: listens when the main thread says
 * "start", shuts down on "stop", runs the exit clean-ups on "exit".
 *
 * @param makeHandler the handler class for the command line's options
 */
export function runWorker(
  makeHandler: (options: CliOptions) => RequestHandlerClass = handlerFor,
): void {
  const scope = self as unknown as WorkerScope;
  let server: ThreadingHTTPServer | null = null;
  // Each worker writes its own lines to the log file, opened to append.
  let log: LogFile | null = null;
  let exitAcks: Int32Array | null = null;
  const die = (error: unknown) => {
    exitCleanups.runSync();
    flushLog();
    scope.postMessage({ type: "died", error: describe(error) });
    scope.close();
  };
  // Handled here, not by Deno's report: the main thread logs it whole.
  addEventListener("error", (event) => {
    event.preventDefault();
    die(event.error ?? event.message);
  });
  addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    die(event.reason);
  });
  scope.onmessage = async ({ data }) => {
    switch (data.type) {
      case "start": {
        const { options, tls, hostname, port } = data.setup;
        try {
          if (data.signInFailures !== null) {
            shareFailedSignIns(data.signInFailures);
          }
          withoutLocks();
          if (options.logFile !== undefined) log = new LogFile(options.logFile);
          server = newServer(
            options,
            { hostname, port },
            tls,
            makeHandler(options),
            true,
          );
        } catch (error) {
          log?.close();
          const message = error instanceof Error ? error.message : `${error}`;
          scope.postMessage({ type: "failed", error: message });
          scope.close();
          return;
        }
        exitAcks = new Int32Array(data.exitAcks);
        scope.postMessage({ type: "listening" });
        await server.serveForever();
        break;
      }
      case "stop":
        if (server !== null) {
          await server.shutdown();
          server.serverClose();
        }
        flushLog();
        log?.close();
        scope.postMessage({ type: "stopped" });
        scope.close();
        break;
      case "reopen-log":
        try {
          log?.reopen();
        } catch (error) {
          printError(
            `httpserver: error: cannot reopen the log file '${log?.path}': ${
              error instanceof Error ? error.message : error
            }`,
          );
        }
        break;
      case "exit":
        exitCleanups.runSync();
        if (exitAcks !== null) {
          Atomics.add(exitAcks, 0, 1);
          Atomics.notify(exitAcks, 0);
        }
        break;
    }
  };
}

/** An error as the log shows it (see `printError`): with its stack. */
function describe(error: unknown): string {
  return typeof error === "string" ? error : Deno.inspect(error);
}

if (import.meta.main) runWorker();
