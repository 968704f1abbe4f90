/**
 * File bodies for `SimpleHTTPRequestHandler`: a bounded in-memory cache of
 * small files, revalidated against a `stat` on every request, and the copy
 * loop that streams large files through a bounded pool of big buffers.
 *
 * Why both: an awaited file-system call costs about as much as a whole HTTP
 * exchange, so a small file is best served from memory after one
 * `Deno.statSync`; a large file is best streamed with a large reusable buffer
 * (see PERF-NOTES.md), and must never be read whole.
 *
 * @example
 * ```ts
 * import { FileCache } from "./filebody.ts";
 *
 * const cache = new FileCache({
 *   maxEntryBytes: 1024,
 *   maxTotalBytes: 4096,
 *   racyMs: 0,
 * });
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * const info = Deno.statSync(path);
 * cache.lookup(path, info); // null: not read yet
 * // Kept at once here; by default a file changed in the last 2 s is not kept.
 * const entry = cache.load(path, info); // reads the file
 * console.log(entry?.body.length); // 5
 * console.log(cache.lookup(path, Deno.statSync(path)) === entry); // true
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import { BufferPool } from "../http/pool.ts";
import type { BufferedWriter } from "../http/writer.ts";

/** A small file's contents and what identifies the version they are of. */
export interface CachedFile {
  /** The file's bytes. */
  readonly body: Uint8Array;
  /** The `stat` taken before reading: what a later `stat` must match. */
  readonly info: Deno.FileInfo;
}

/** Limits of a {@link FileCache}. */
export interface FileCacheOptions {
  /** Largest file kept, in bytes. */
  maxEntryBytes: number;
  /** Most bytes kept in all, counting a small overhead per entry. */
  maxTotalBytes: number;
  /**
   * How long ago a file must have changed (`mtime` and `ctime`) to be kept,
   * in ms; default 2,000. Two writes within one tick of the file system's
   * clock can leave the same times and size (and Deno reports `ctime` in
   * whole seconds), so a file changed that recently is read again on every
   * request until the tick has surely passed, as Git treats "racy" entries.
   * 2 s also covers FAT's clock.
   */
  racyMs?: number;
}

/** What an entry costs beyond its body, so that empty files are bounded too. */
const ENTRY_OVERHEAD = 256;

/** A cached file and whether it was served since eviction last passed it. */
interface Entry extends CachedFile {
  used: boolean;
}

/**
 * A bounded cache of small files, keyed by path, that evicts the least
 * recently used as the CLOCK algorithm approximates it (a file served since
 * it was last passed over gets a second chance). It never serves a stale
 * file: every lookup passes the caller's fresh `stat`, and an entry whose
 * size, modification or change time, inode or device differ is dropped.
 */
export class FileCache {
  /** Limits given at construction. */
  readonly options: FileCacheOptions;
  /** In insertion order, the order eviction passes them in. */
  #entries = new Map<string, Entry>();
  #bytes = 0;

  /** @param options the size limits */
  constructor(options: FileCacheOptions) {
    this.options = options;
  }

  /** Bytes held, overhead included. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The cached contents of `path` if they are of the version `info`
   * describes, else null (and a stale entry is dropped).
   */
  lookup(path: string, info: Deno.FileInfo): CachedFile | null {
    const entry = this.#entries.get(path);
    if (entry === undefined) return null;
    if (!sameVersion(entry.info, info)) {
      this.#entries.delete(path);
      this.#bytes -= cost(entry);
      return null;
    }
    // Marked, not moved to the end of the Map: a delete and set per hit
    // reallocated its table, most of what outlived young-generation GCs.
    entry.used = true;
    return entry;
  }

  /**
   * Reads `path`, whose fresh `stat` is `info`, and keeps it unless it was
   * changed too recently to tell versions apart. Null when the file holds
   * more than `maxEntryBytes` (it grew since `info`): stream it instead.
   * Throws what `Deno.openSync` throws.
   *
   * The size comes from `info`, not from the open file: Deno checks an open
   * file's `stat` against its real path, which a read grant given through a
   * symlinked folder does not cover.
   */
  load(path: string, info: Deno.FileInfo): CachedFile | null {
    if (info.size > this.options.maxEntryBytes) return null;
    // One byte more than expected tells that the file grew.
    const body = new Uint8Array(info.size + 1);
    let n = 0;
    const file = Deno.openSync(path);
    try {
      while (n < body.length) {
        const read = file.readSync(body.subarray(n));
        if (read === null) break;
        n += read;
      }
    } finally {
      file.close();
    }
    if (n > info.size) return null;
    const entry = { body: body.subarray(0, n), info, used: false };
    const { mtime, ctime } = info;
    const changed = Math.max(mtime?.getTime() ?? NaN, ctime?.getTime() ?? 0);
    // A file that shrank meanwhile is served as read, but not kept. A file
    // rewritten meanwhile at the same size is kept under its older `info`:
    // the next lookup sees the newer times and reads it again.
    if (
      n === info.size && Date.now() - changed >= (this.options.racyMs ?? 2_000)
    ) {
      this.#insert(path, entry);
    }
    return entry;
  }

  #insert(path: string, entry: Entry): void {
    const old = this.#entries.get(path);
    if (old !== undefined) {
      this.#entries.delete(path);
      this.#bytes -= cost(old);
    }
    const size = cost(entry);
    if (size > this.options.maxTotalBytes) return;
    for (const [oldest, value] of this.#entries) {
      if (this.#bytes + size <= this.options.maxTotalBytes) break;
      this.#entries.delete(oldest);
      if (value.used) {
        // Its second chance: to the back, where this loop passes it again.
        value.used = false;
        this.#entries.set(oldest, value);
      } else this.#bytes -= cost(value);
    }
    this.#entries.set(path, entry);
    this.#bytes += size;
  }
}

function cost(entry: CachedFile): number {
  return entry.body.length + ENTRY_OVERHEAD;
}

/**
 * Whether two `stat`s describe the same version of a file. `ctime` catches a
 * rewrite that restored the old `mtime` (`cp -p`, `touch -d`); inode and
 * device catch a file replaced by rename.
 */
function sameVersion(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.size === b.size && a.ino === b.ino && a.dev === b.dev &&
    a.mtime?.getTime() === b.mtime?.getTime() &&
    a.ctime?.getTime() === b.ctime?.getTime();
}

/**
 * The copy buffers of all handlers: 1 MiB each, at most 16 (16 MiB); a copy
 * longer than one takes two.
 */
export const COPY_BUFFERS = new BufferPool(1 << 20, 16, 64 * 1024);

/**
 * Copies up to `length` bytes of `source` to `output` through pooled
 * buffers, reading the next chunk into a second one while the last is sent
 * (100 MiB download, 15 alternating runs: median 2,157-2,360 MB/s against
 * 1,715-1,763 one chunk at a time). Resolves to the number of bytes copied,
 * which is less than `length` only when the file ended early. The caller
 * closes `source`.
 */
export async function copyBytes(
  source: Deno.FsFile,
  output: BufferedWriter,
  length: number,
  pool: BufferPool = COPY_BUFFERS,
): Promise<number> {
  if (length <= 0) return 0;
  let chunk = pool.acquire();
  // Taken once there is a next chunk to read ahead, not for a short copy.
  let spare: Uint8Array | null = null;
  let copied = 0;
  let ahead: Promise<number | null> | null = null;
  try {
    let n = await source.read(
      chunk.subarray(0, Math.min(chunk.length, length)),
    );
    while (n !== null) {
      const sent = copied + n;
      let next: Uint8Array | null = null;
      if (sent < length) {
        next = spare ??= pool.acquire();
        ahead = readAhead(
          source,
          next.subarray(0, Math.min(next.length, length - sent)),
        );
      }
      // BufferedWriter sends a chunk this large straight from `chunk`,
      // without keeping it, so `chunk` may be reused once this resolves.
      await output.write(chunk.subarray(0, n));
      copied = sent;
      if (next === null || ahead === null) break;
      n = await ahead;
      ahead = null;
      spare = chunk;
      chunk = next;
    }
  } finally {
    // A read still in flight writes into `spare`: it goes back afterwards.
    if (ahead !== null) await ahead.catch(() => null);
    pool.release(chunk);
    if (spare !== null) pool.release(spare);
  }
  return copied;
}

/**
 * `source.read(into)`, marked as handled at once: it may fail while the
 * caller still awaits a write, and is awaited (and throws) after that.
 */
function readAhead(
  source: Deno.FsFile,
  into: Uint8Array,
): Promise<number | null> {
  const read = source.read(into);
  read.catch(() => {});
  return read;
}
