/**
 * Live reload for a served folder: its event streams, and the watcher that
 * feeds them. A folder is watched while a stream of it is open, by one
 * watcher however many streams and servers there are; the streams of the
 * process are at most {@link MAX_STREAMS}. Where a folder cannot be watched,
 * that is said once and the folder is served on without live reload: its
 * pages get no script and its stream is refused.
 *
 * @example
 * ```ts
 * import { LiveReload } from "./reload.ts";
 *
 * const folder = await Deno.makeTempDir();
 * const live = LiveReload.of(folder);
 * const stopping = new AbortController();
 * const stream = live.subscribe(stopping.signal, console.error);
 * console.log(live.streams); // 1
 * stopping.abort(); // the stream ends, and with the last one the watching
 * console.log(stream instanceof ReadableStream && live.streams); // 0
 * await Deno.remove(folder);
 * ```
 *
 * @module
 */

import { EventStreams } from "./streams.ts";
import { type Change, FolderWatcher, type Watch } from "./watcher.ts";

/**
 * The most live-reload streams open at once in the process. A browser
 * holds one for all its tabs on a server, so this is many browsers.
 */
export const MAX_STREAMS = 32;

/** The live reload of each folder, by the folder as the server names it. */
const FOLDERS = new Map<string, LiveReload>();

const STREAMS = new EventStreams(
  MAX_STREAMS,
  (folder) => FOLDERS.get(folder)?.unwatch(),
);

/** Why a stream was refused: the log's message. */
export interface Refusal {
  /** For the log line and the 503's explanation. */
  reason: string;
}

/** Live reload of one served folder; see the module's documentation. */
export class LiveReload {
  readonly #folder: string;
  readonly #watch: Watch | undefined;
  #watcher: FolderWatcher | null = null;
  /** Why the folder cannot be watched, once known. */
  #failure: string | null = null;

  private constructor(folder: string, watch?: Watch) {
    this.#folder = folder;
    this.#watch = watch;
  }

  /**
   * The live reload of `folder`, one per folder in the process. `watch`
   * stands in for `Deno.watchFs` (tests); it is taken by the first call for
   * a folder only.
   */
  static of(folder: string, watch?: Watch): LiveReload {
    let live = FOLDERS.get(folder);
    if (live === undefined) {
      live = new LiveReload(folder, watch);
      FOLDERS.set(folder, live);
    }
    return live;
  }

  /**
   * Whether pages of the folder get the script: false once watching it has
   * failed.
   */
  get available(): boolean {
    return this.#failure === null;
  }

  /** How many event streams of the folder are open. */
  get streams(): number {
    return STREAMS.count(this.#folder);
  }

  /**
   * Tries to watch the folder, and stops: when it cannot be watched, that
   * is said through `report`, and only there. Null when it can, else why.
   */
  probe(report: (message: string) => void): string | null {
    if (this.#failure !== null || this.#watcher !== null) return this.#failure;
    const watcher = new FolderWatcher(this.#folder, () => {}, this.#watch);
    const failure = watcher.start();
    watcher.close();
    if (failure !== null) this.#fail(failure, report);
    return failure;
  }

  /**
   * A new event stream of the folder's changes, which ends when `signal`
   * aborts; or why there is none: the folder cannot be watched (`report`
   * is told the reason, once per folder), or {@link MAX_STREAMS} are open.
   */
  subscribe(
    signal: AbortSignal,
    report: (message: string) => void,
  ): ReadableStream<Uint8Array> | Refusal {
    if (this.#failure === null && this.#watcher === null) {
      const watcher = new FolderWatcher(
        this.#folder,
        (change) => this.#tell(change),
        this.#watch,
      );
      const failure = watcher.start((reason) => this.#fail(reason, report));
      if (failure !== null) this.#fail(failure, report);
      else this.#watcher = watcher;
    }
    if (this.#failure !== null) {
      return { reason: `live reload is off: ${this.#failure}` };
    }
    const stream = STREAMS.open(this.#folder, signal);
    if (stream !== null) return stream;
    this.#stopIfUnused();
    return {
      reason: `live reload: ${MAX_STREAMS} event streams are open already`,
    };
  }

  /** Stops watching: the last stream has ended (internal). */
  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  #stopIfUnused(): void {
    if (STREAMS.count(this.#folder) === 0) this.unwatch();
  }

  #tell(change: Change): void {
    STREAMS.send(this.#folder, change.kind, JSON.stringify(change.paths));
  }

  /** Watching is impossible: said once, then the streams end. */
  #fail(reason: string, report: (message: string) => void): void {
    this.#failure = reason;
    this.unwatch();
    report(
      `cannot watch '${this.#folder}' for live reload (${reason}): serving without it`,
    );
    STREAMS.endAll(this.#folder);
  }
}
