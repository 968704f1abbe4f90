/**
 * `StatCache`: what was read from a path (a small file's bytes, a folder's
 * entries), kept for as long as the path's `stat` says it has not changed.
 * Every lookup passes the caller's fresh `stat`, so nothing stale is ever
 * served, and the cache is bounded in bytes, evicting the least recently
 * used as the CLOCK algorithm approximates it (an entry used since it was
 * last passed over gets a second chance).
 *
 * @example
 * ```ts
 * import { StatCache } from "./statcache.ts";
 *
 * const cache = new StatCache<string[]>({ maxTotalBytes: 4096, racyMs: 0 });
 * const path = await Deno.makeTempDir();
 * const info = Deno.statSync(path);
 * cache.keep(path, info, ["a", "b"], 2);
 * console.log(cache.lookup(path, Deno.statSync(path))); // ["a", "b"]
 * await Deno.writeTextFile(`${path}/c`, "");
 * console.log(cache.lookup(path, Deno.statSync(path))); // null: changed
 * await Deno.remove(path, { recursive: true });
 * ```
 *
 * @module
 */

/**
 * How long ago a path must have changed for its versions to be told apart
 * by their `stat` (ms): two writes within one tick of the file system's
 * clock can leave the same times and size, and 2 s covers FAT's clock and
 * an HTTP date's whole second.
 */
export const RACY_MS = 2_000;

/** Limits of a {@link StatCache}. */
export interface StatCacheOptions {
  /** Most bytes kept in all, counting a small overhead per entry. */
  maxTotalBytes: number;
  /**
   * How long ago a path must have changed (`mtime` and `ctime`) to be kept,
   * in ms; default {@link RACY_MS}. Two writes within one tick of the file
   * system's clock can leave the same times and size (and Deno reports
   * `ctime` in whole seconds), so a path changed that recently is read again
   * on every request until the tick has surely passed, as Git treats "racy"
   * entries.
   */
  racyMs?: number;
}

/** What an entry costs beyond its own bytes, so that empty ones are bounded too. */
const ENTRY_OVERHEAD = 256;

/** A kept value, the version it is of, and whether it was used since eviction last passed it. */
interface Entry<T> {
  value: T;
  info: Deno.FileInfo;
  cost: number;
  used: boolean;
}

/** Values read from paths, by path; see the module documentation. */
export class StatCache<T> {
  /** Limits given at construction. */
  readonly options: StatCacheOptions;
  /** In insertion order, the order eviction passes them in. */
  #entries = new Map<string, Entry<T>>();
  #bytes = 0;
  /** Reads in progress, by path, with the version each reads: see {@link share}. */
  #reading = new Map<string, { info: Deno.FileInfo; value: Promise<T> }>();

  /** @param options the size limits */
  constructor(options: StatCacheOptions) {
    this.options = options;
  }

  /** Bytes held, overhead included. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The value kept for `path` if it is of the version `info` describes, else
   * null (and a stale entry is dropped).
   */
  lookup(path: string, info: Deno.FileInfo): T | null {
    const entry = this.#entries.get(path);
    if (entry === undefined) return null;
    if (!sameVersion(entry.info, info)) {
      this.#entries.delete(path);
      this.#bytes -= entry.cost;
      return null;
    }
    // Marked, not moved to the end of the Map: a delete and set per hit
    // reallocated its table, most of what outlived young-generation GCs.
    entry.used = true;
    return entry.value;
  }

  /**
   * The value for `path` at the version `info` describes: the one kept, else
   * the one an earlier call is reading for the same version when that
   * version is {@link settled} (a read started before this call then reads
   * what this call would), else the one `read` makes, which is kept. So
   * requests that arrive while a large folder is being read share one read.
   *
   * @param read reads the value; a rejection goes to every caller sharing it
   * @param bytes what a value holds, in bytes
   */
  async share(
    path: string,
    info: Deno.FileInfo,
    read: () => Promise<T>,
    bytes: (value: T) => number,
  ): Promise<T> {
    const kept = this.lookup(path, info);
    if (kept !== null) return kept;
    const settled = this.settled(info);
    const reading = this.#reading.get(path);
    if (settled && reading !== undefined && sameVersion(reading.info, info)) {
      return await reading.value;
    }
    const value = read();
    if (settled) this.#reading.set(path, { info, value });
    try {
      const result = await value;
      this.keep(path, info, result, bytes(result));
      return result;
    } finally {
      if (this.#reading.get(path)?.value === value) this.#reading.delete(path);
    }
  }

  /**
   * Whether a value read after the `stat` `info` may be kept: the path last
   * changed long enough ago to tell its versions apart (see `racyMs`).
   */
  settled(info: Deno.FileInfo): boolean {
    return settled(info, this.options.racyMs ?? RACY_MS);
  }

  /**
   * Keeps `value`, read from `path` after the `stat` `info`, unless the path
   * changed too recently to tell versions apart or `bytes` alone exceed the
   * bound.
   *
   * @param bytes what `value` holds, in bytes
   */
  keep(path: string, info: Deno.FileInfo, value: T, bytes: number): void {
    if (!this.settled(info)) return;
    const old = this.#entries.get(path);
    if (old !== undefined) {
      this.#entries.delete(path);
      this.#bytes -= old.cost;
    }
    const cost = bytes + ENTRY_OVERHEAD;
    if (cost > this.options.maxTotalBytes) return;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes + cost <= this.options.maxTotalBytes) break;
      this.#entries.delete(oldest);
      if (entry.used) {
        // Its second chance: to the back, where this loop passes it again.
        entry.used = false;
        this.#entries.set(oldest, entry);
      } else this.#bytes -= entry.cost;
    }
    this.#entries.set(path, { value, info, cost, used: false });
    this.#bytes += cost;
  }
}

/**
 * Whether the path whose `stat` is `info` last changed (`mtime` and `ctime`)
 * at least `racyMs` ago: long enough for its versions to be told apart (see
 * {@link StatCacheOptions.racyMs}).
 */
export function settled(info: Deno.FileInfo, racyMs: number): boolean {
  const { mtime, ctime } = info;
  const changed = Math.max(mtime?.getTime() ?? NaN, ctime?.getTime() ?? 0);
  return Date.now() - changed >= racyMs;
}

/**
 * Whether two `stat`s describe the same version of a path. `ctime` catches a
 * rewrite that restored the old `mtime` (`cp -p`, `touch -d`); inode and
 * device catch a file replaced by rename.
 */
export function sameVersion(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.size === b.size && a.ino === b.ino && a.dev === b.dev &&
    a.mtime?.getTime() === b.mtime?.getTime() &&
    a.ctime?.getTime() === b.ctime?.getTime();
}
