/**
 * `--workers N`: the command line's server in N Web Workers of this
 * process, each listening on the same port with `SO_REUSEPORT`, so that
 * Linux spreads the connections among them and N cores serve. Workers are
 * threads with the process's permissions: no second process, so no
 * `--allow-run`.
 *
 * The main thread only supervises ({@link WorkerPool}): it starts the
 * workers, starts another in place of one that dies (with a log line), and
 * on SIGINT or SIGTERM stops them all, letting their requests in flight
 * finish; on a second signal each runs its exit clean-ups (uploads'
 * temporary files, CGI scripts) before the process ends. Each worker has
 * its own caches, buffer pools and limits, but failed sign-ins are counted
 * in one table of shared memory; their log lines share stderr
 * without mixing (see `util/logbuffer.ts`).
 * `cli/worker_entry.ts` is what each worker runs.
 *
 * @example
 * ```ts ignore
 * import { WorkerPool } from "./workers.ts";
 *
 * const pool = new WorkerPool(2, { options, hostname: "::", port: 8000 });
 * await pool.start(); // resolves once both listen
 * Deno.addSignalListener("SIGTERM", () => pool.shutdown());
 * await pool.serveForever(); // resolves once both have stopped
 * ```
 *
 * @module
 */

import type { CliOptions } from "./args.ts";
import type { TlsOptions } from "./serve.ts";
import { type ExitCleanupEntry, exitCleanups } from "../util/exitcleanup.ts";
import { printError } from "../util/logbuffer.ts";
import { failureTable } from "../files/accounts/throttle.ts";

/** What a worker serves, and where: cloned to it when it starts. */
export interface WorkerSetup {
  /** The command line's options. */
  options: CliOptions;
  /** The TLS files, when serving HTTPS. */
  tls?: TlsOptions;
  /** The address to listen on, as the main thread bound it. */
  hostname: string;
  /** The port, as the main thread bound it (never 0). */
  port: number;
}

/** A message from the main thread to a worker. */
export type ToWorker =
  /** Listen and serve. */
  | {
    type: "start";
    setup: WorkerSetup;
    /** Counts the workers that have run their exit clean-ups. */
    exitAcks: SharedArrayBuffer;
    /**
     * The failed sign-ins every worker counts in (`failureTable`); null
     * without accounts.
     */
    signInFailures: SharedArrayBuffer | null;
  }
  /** Shut down gracefully, then answer "stopped". */
  | { type: "stop" }
  | { type: "reopen-log" }
  /** Run the exit clean-ups now, then count one in `exitAcks`. */
  | { type: "exit" };

/** A message from a worker to the main thread. */
export type FromWorker =
  | { type: "listening" }
  /** It could not listen. */
  | { type: "failed"; error: string }
  /** An uncaught error ended it. */
  | { type: "died"; error: string }
  | { type: "stopped" };

/** What each worker runs. */
const ENTRY = new URL("./worker_entry.ts", import.meta.url);

/**
 * A worker that dies within this long of its start is replaced after this
 * long: a worker that cannot live costs a log line a second, not a loop.
 */
const RESTART_DELAY_MS = 1_000;

/** How long a second signal waits for the workers' exit clean-ups. */
const EXIT_WAIT_MS = 2_000;

/** One place in the pool, and the worker that holds it, if any. */
interface Slot {
  /** 1 to N, as log lines name it. */
  readonly id: number;
  worker: Worker | null;
  /** When its worker was started (ms since the epoch). */
  started: number;
  /** The timer that will start its next worker. */
  restart?: ReturnType<typeof setTimeout>;
}

/**
 * N workers serving one port, supervised: see the module documentation. It
 * has the server methods the command line calls (`serveForever`,
 * `shutdown`, `serverClose`).
 */
export class WorkerPool {
  /** How many workers serve. */
  readonly size: number;
  readonly #setup: WorkerSetup;
  readonly #module: URL;
  readonly #slots: Slot[];
  readonly #exitAcks = new SharedArrayBuffer(4);
  readonly #signInFailures: SharedArrayBuffer | null;
  readonly #stopped = Promise.withResolvers<void>();
  #stopping = false;
  #cleanup: ExitCleanupEntry | null = null;

  /**
   * @param size how many workers
   * @param setup what they serve, and where
   * @param module what each runs: `cli/worker_entry.ts`, or a test's own
   */
  constructor(size: number, setup: WorkerSetup, module: URL = ENTRY) {
    this.size = size;
    this.#setup = setup;
    this.#signInFailures = setup.options.authFile === undefined
      ? null
      : failureTable();
    this.#module = module;
    this.#slots = Array.from({ length: size }, (_, i) => ({
      id: i + 1,
      worker: null,
      started: 0,
    }));
  }

  /** Has every worker open its `--log-file` again (SIGHUP, after logrotate). */
  reopenLogs(): void {
    for (const slot of this.#slots) {
      slot.worker?.postMessage({ type: "reopen-log" } satisfies ToWorker);
    }
  }
  /**
   * Starts every worker; resolves once all listen. When one cannot, stops
   * them all and rejects with its error.
   */
  async start(): Promise<void> {
    this.#cleanup = exitCleanups.add(() => this.#exitNow());
    try {
      await Promise.all(this.#slots.map((slot) => this.#spawn(slot)));
    } catch (error) {
      this.serverClose();
      throw error;
    }
  }

  /** Resolves once every worker has stopped, after {@link shutdown}. */
  serveForever(): Promise<void> {
    return this.#stopped.promise;
  }

  /**
   * Tells every worker to shut down as a server does (in-flight requests
   * finish within its `shutdownTimeout`); resolves once all have stopped.
   */
  shutdown(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      for (const slot of this.#slots) {
        clearTimeout(slot.restart);
        slot.worker?.postMessage({ type: "stop" } satisfies ToWorker);
      }
      this.#checkStopped();
    }
    return this.#stopped.promise;
  }

  /** Ends every worker at once. */
  serverClose(): void {
    this.#stopping = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.restart);
      slot.worker?.terminate();
      slot.worker = null;
    }
    this.#checkStopped();
  }

  /**
   * Starts the slot's worker; resolves once it listens, rejects with its
   * error when it cannot. Afterwards, a death replaces it.
   */
  #spawn(slot: Slot): Promise<void> {
    const worker = new Worker(this.#module, {
      type: "module",
      name: `httpserver worker ${slot.id}`,
    });
    slot.worker = worker;
    slot.started = Date.now();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    let listening = false;
    const ended = () => {
      worker.terminate();
      if (slot.worker !== worker) return false;
      slot.worker = null;
      return true;
    };
    const lost = (error: string) => {
      if (!ended()) return;
      if (!listening) {
        reject(new Error(`worker ${slot.id} could not start: ${error}`));
      } else if (!this.#stopping) {
        this.#replace(
          slot,
          `worker ${slot.id} died; starting another in its place:\n${error}`,
        );
      }
      this.#checkStopped();
    };
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
      if (data.type === "listening") {
        listening = true;
        resolve();
      } else if (data.type === "stopped") {
        ended();
        this.#checkStopped();
      } else lost(data.error);
    };
    // Fired when the worker's module cannot even load (its own handlers
    // report everything else as "died").
    worker.onerror = (event) => {
      event.preventDefault();
      lost(event.message);
    };
    worker.postMessage(
      {
        type: "start",
        setup: this.#setup,
        exitAcks: this.#exitAcks,
        signInFailures: this.#signInFailures,
      } satisfies ToWorker,
    );
    return promise;
  }

  /** Logs `message` and starts another worker in the slot. */
  #replace(slot: Slot, message: string): void {
    printError(message);
    const early = Date.now() - slot.started < RESTART_DELAY_MS;
    slot.restart = setTimeout(() => {
      slot.restart = undefined;
      this.#spawn(slot).catch((error: Error) => {
        if (!this.#stopping) this.#replace(slot, error.message);
      });
    }, early ? RESTART_DELAY_MS : 0);
  }

  /** Resolves {@link serveForever} once stopping and no worker is left. */
  #checkStopped(): void {
    if (!this.#stopping) return;
    if (this.#slots.some((slot) => slot.worker !== null)) return;
    exitCleanups.delete(this.#cleanup);
    this.#cleanup = null;
    this.#stopped.resolve();
  }

  /**
   * The exit clean-up of a second signal: each worker runs its own, and
   * this waits (a bounded while) until all have, for the process ends next.
   */
  #exitNow(): void {
    const workers = this.#slots.flatMap((slot) => slot.worker ?? []);
    for (const worker of workers) {
      worker.postMessage({ type: "exit" } satisfies ToWorker);
    }
    const acks = new Int32Array(this.#exitAcks);
    const deadline = performance.now() + EXIT_WAIT_MS;
    for (
      let done = Atomics.load(acks, 0);
      done < workers.length;
      done = Atomics.load(acks, 0)
    ) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(acks, 0, done, left);
    }
  }
}
