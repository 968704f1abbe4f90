/**
 * Live reload for a served folder: its event streams, and the watcher that
 * feeds them. A folder is watched while a stream of it is open, and for
 * {@link LINGER_MS} after a page of it was stamped or its last stream ended
 * (a reloading tab's stream closes before its new one opens): one watcher
 * however many streams and servers there are; the streams of the process
 * are at most {@link MAX_STREAMS}. Where a folder cannot be watched, that is
 * said once and the folder is served on without live reload: its pages get
 * no script and its stream is refused.
 *
 * The changes of a watch are counted: its version, `<watch>.<count>`, is
 * stamped on each page and sent first on each stream, and each change is
 * sent with the version it makes. A page whose stamp is of the stream's
 * watch and lower missed a change between its load and its stream's
 * opening, and reloads.
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
 * stopping.abort(); // the stream ends, and with the server's end the watching
 * console.log(stream instanceof ReadableStream && live.streams); // 0
 * await Deno.remove(folder);
 * ```
 *
 * @module
 */

import { type Access, EVERYONE } from "../access.ts";
import { EventStreams, type Tailor } from "./streams.ts";
import { type Change, FolderWatcher, type Watch } from "./watcher.ts";

/**
 * The most live-reload streams open at once in the process. A browser
 * holds one for all its tabs on a server, so this is many browsers.
 */
export const MAX_STREAMS = 32;

/**
 * How long a folder stays watched after a page of it was stamped or its
 * last stream ended (ms): a page's stream opens well within it (a reload
 * takes a fraction of a second), so a change made meanwhile is counted.
 */
export const LINGER_MS = 5_000;

/**
 * What a change tells the user of `access`: the paths of it they may read,
 * or nothing when it names none of them. A change of no path (more than a
 * change names) is told as it is.
 */
function readableChange(access: Access): Tailor {
  return (data) => {
    const paths: string[] = JSON.parse(data);
    const readable = paths.filter((path) => access.allows(path, "read"));
    if (readable.length === paths.length) return data;
    return readable.length === 0 ? null : JSON.stringify(readable);
  };
}

/** The live reload of each folder, by the folder as the server names it. */
const FOLDERS = new Map<string, LiveReload>();

const STREAMS = new EventStreams(
  MAX_STREAMS,
  (folder) => FOLDERS.get(folder)?.lastStreamEnded(),
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
  /** The current watch's name in versions: random, so never another's. */
  #watchId = "";
  /** The changes the current watch has told. */
  #count = 0;
  /** Ends the watching {@link LINGER_MS} after it was last asked for. */
  #linger: ReturnType<typeof setTimeout> | undefined;
  /** The shutdown signals heeded: each stops the lingering. */
  readonly #signals = new WeakSet<AbortSignal>();
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
   * The version of the folder's changes that a page served now shows, its
   * folder watched for {@link LINGER_MS} at least (or while `signal` has not
   * aborted); null when the folder cannot be watched (`report` is told the
   * reason, once per folder).
   */
  stamp(
    signal: AbortSignal,
    report: (message: string) => void,
  ): string | null {
    if (!this.#watching(report)) return null;
    this.#lingerUntil(signal);
    return this.#version();
  }

  /**
   * A new event stream of the folder's changes, which ends when `signal`
   * aborts; or why there is none: the folder cannot be watched (`report`
   * is told the reason, once per folder), or {@link MAX_STREAMS} are open.
   * Its first event, `version`, is the version of the changes told so far.
   * With `access`, a change names only the paths its user may read, and a
   * change of none of them is not told (the next one is a version ahead:
   * the page reloads).
   */
  subscribe(
    signal: AbortSignal,
    report: (message: string) => void,
    access: Access = EVERYONE,
  ): ReadableStream<Uint8Array> | Refusal {
    if (!this.#watching(report)) {
      return { reason: `live reload is off: ${this.#failure}` };
    }
    this.#heed(signal);
    const stream = STREAMS.open(this.#folder, signal, {
      event: "version",
      data: this.#version(),
    }, access === EVERYONE ? undefined : readableChange(access));
    if (stream !== null) return stream;
    if (STREAMS.count(this.#folder) === 0 && this.#linger === undefined) {
      this.#unwatch();
    }
    return {
      reason: `live reload: ${MAX_STREAMS} event streams are open already`,
    };
  }

  /** The last stream has ended (internal): the watching lingers. */
  lastStreamEnded(): void {
    if (this.#watcher !== null) this.#lingerUntil();
  }

  /** Whether the folder is watched, its watch started if need be. */
  #watching(report: (message: string) => void): boolean {
    if (this.#failure === null && this.#watcher === null) {
      const watcher = new FolderWatcher(
        this.#folder,
        (change) => this.#tell(change),
        this.#watch,
      );
      const failure = watcher.start((reason) => this.#fail(reason, report));
      if (failure !== null) this.#fail(failure, report);
      else {
        this.#watcher = watcher;
        this.#watchId = crypto.randomUUID().slice(0, 8);
        this.#count = 0;
      }
    }
    return this.#failure === null;
  }

  #version(): string {
    return `${this.#watchId}.${this.#count}`;
  }

  /**
   * Keeps the watch {@link LINGER_MS} from now, then ends it unless a
   * stream is open; `signal`'s abort (a server's shutdown) ends it sooner.
   */
  #lingerUntil(signal?: AbortSignal): void {
    if (signal !== undefined) this.#heed(signal);
    clearTimeout(this.#linger);
    const linger = setTimeout(() => this.#stopLingering(), LINGER_MS);
    // A process with nothing else to do exits: no page is waiting then.
    Deno.unrefTimer(linger);
    this.#linger = linger;
  }

  /**
   * Stops lingering when `signal` aborts, once per signal: after the abort's
   * other listeners, which end the streams (whose end would linger again).
   */
  #heed(signal: AbortSignal): void {
    const stop = () => queueMicrotask(() => this.#stopLingering());
    if (signal.aborted) return stop();
    if (this.#signals.has(signal)) return;
    this.#signals.add(signal);
    signal.addEventListener("abort", stop, { once: true });
  }

  #stopLingering(): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    if (STREAMS.count(this.#folder) === 0) this.#unwatch();
  }

  #unwatch(): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    this.#watcher?.close();
    this.#watcher = null;
  }

  #tell(change: Change): void {
    this.#count++;
    STREAMS.send(
      this.#folder,
      change.kind,
      JSON.stringify(change.paths),
      this.#version(),
    );
  }

  /** Watching is impossible: said once, then the streams end. */
  #fail(reason: string, report: (message: string) => void): void {
    this.#failure = reason;
    this.#unwatch();
    report(
      `cannot watch '${this.#folder}' for live reload (${reason}): serving without it`,
    );
    STREAMS.endAll(this.#folder);
  }
}
