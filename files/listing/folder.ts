/**
 * What the listings know of a folder: its entries ({@link FolderEntries}),
 * made once per version of the folder and shared by every listing of it
 * (names, what each is, Python's order), and, per request, what a `stat` of
 * each entry says ({@link EntryInfos}), kept in typed arrays rather than an
 * object per entry.
 *
 * @example
 * ```ts
 * import { FolderEntries } from "./folder.ts";
 *
 * const folder = new FolderEntries([
 *   { name: "b.txt", isDirectory: false, isSymlink: false },
 *   { name: "A", isDirectory: true, isSymlink: false },
 * ]);
 * console.log([...folder.order].map((i) => folder.names[i])); // ["A", "b.txt"]
 * ```
 *
 * @module
 */

import { isHiddenName } from "../hidden.ts";
import { type Pace, STATS_PER_UNIT } from "./page.ts";

/** One name in a folder and what it is: a `Deno.DirEntry` is one. */
export interface FolderEntry {
  /** The name in the folder. */
  readonly name: string;
  /** Whether it is a folder (a symlink's own entry says false). */
  readonly isDirectory: boolean;
  /** Whether it is a symlink. */
  readonly isSymlink: boolean;
}

const DIRECTORY = 1;
const SYMLINK = 2;

/** About what an entry costs besides its name's characters, arrays included. */
const ENTRY_BYTES = 48;

/** Code units at which code unit and code point order part. */
const HIGH_UNITS = /[\ud800-\uffff]/;

/**
 * A folder's entries, in the folder's order, and Python's order of them:
 * by lower-cased name, compared by code point, ties in the folder's order.
 */
export class FolderEntries {
  /** The names, in the folder's order; an entry is its index here. */
  readonly names: readonly string[];
  /** The entries in Python's order. */
  readonly order: Uint32Array;
  /**
   * Each entry's place in Python's order, shared by names that are equal
   * once lower-cased: the other listings' tie-breaker.
   */
  readonly rank: Uint32Array;
  /** How many entries are symlinks. */
  readonly symlinks: number;
  /** About the bytes this holds, for a cache's bound. */
  readonly bytes: number;
  #kinds: Uint8Array;
  /** {@link withoutSymlinks}, once made. */
  #plain?: FolderEntries;

  /** @param entries the folder's entries, in the order it lists them */
  constructor(entries: readonly FolderEntry[]) {
    const count = entries.length;
    const names = new Array<string>(count);
    const kinds = new Uint8Array(count);
    let symlinks = 0;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const { name, isDirectory, isSymlink } = entries[i];
      names[i] = name;
      kinds[i] = (isDirectory ? DIRECTORY : 0) | (isSymlink ? SYMLINK : 0);
      if (isSymlink) symlinks++;
      bytes += ENTRY_BYTES + 2 * name.length;
    }
    const keys = names.map((name) => name.toLowerCase());
    const indices = Array.from({ length: count }, (_, i) => i);
    // Without surrogates or U+E000-U+FFFF, code unit order (the native string
    // comparison) is code point order. Equal keys keep the folder's order.
    if (keys.every((key) => !HIGH_UNITS.test(key))) {
      indices.sort((a, b) =>
        keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b
      );
    } else {
      indices.sort((a, b) => compareCodePoints(keys[a], keys[b]) || a - b);
    }
    const order = Uint32Array.from(indices);
    const rank = new Uint32Array(count);
    for (let k = 1; k < count; k++) {
      const same = keys[order[k]] === keys[order[k - 1]];
      rank[order[k]] = same ? rank[order[k - 1]] : k;
    }
    this.names = names;
    this.order = order;
    this.rank = rank;
    this.symlinks = symlinks;
    this.bytes = bytes;
    this.#kinds = kinds;
  }

  /** How many entries. */
  get count(): number {
    return this.names.length;
  }

  /** Whether entry `i` is a folder, as its entry says (false for symlinks read from disk). */
  isDirectory(i: number): boolean {
    return (this.#kinds[i] & DIRECTORY) !== 0;
  }

  /** Whether entry `i` is a symlink. */
  isSymlink(i: number): boolean {
    return (this.#kinds[i] & SYMLINK) !== 0;
  }

  /**
   * The entries that are not symlinks, for a listing that follows none;
   * this one when there is none.
   */
  withoutSymlinks(): FolderEntries {
    if (this.symlinks === 0) return this;
    // Kept with these entries, as long as a cache keeps them.
    return this.#plain ??= this.#kept((i) => !this.isSymlink(i));
  }

  /** The entries whose names `keep` keeps: this one when it keeps them all. */
  only(keep: (name: string) => boolean): FolderEntries {
    return this.#kept((i) => keep(this.names[i]));
  }

  /** The entries `keep` keeps: this one when it keeps them all. */
  #kept(keep: (i: number) => boolean): FolderEntries {
    const kept: FolderEntry[] = [];
    for (let i = 0; i < this.count; i++) {
      if (!keep(i)) continue;
      kept.push({
        name: this.names[i],
        isDirectory: this.isDirectory(i),
        isSymlink: this.isSymlink(i),
      });
    }
    return kept.length === this.count ? this : new FolderEntries(kept);
  }

  /** Whether entry `i` is listed: dotfiles only when `showHidden`. */
  isListed(i: number, showHidden: boolean): boolean {
    return showHidden || !isHiddenName(this.names[i]);
  }
}

/**
 * Reads the folder at `path` (symlinks not followed) into its entries. The
 * folder is read a batch of entries at a time, letting other work run in
 * between; a large one is read far faster at once, but that holds up every
 * other connection, and every entry that `Deno.readDirSync` returns at once
 * outlives young collections.
 *
 * @throws what `Deno.readDir` throws
 */
export async function readFolderEntries(path: string): Promise<FolderEntries> {
  const entries: FolderEntry[] = [];
  for await (const { name, isDirectory, isSymlink } of Deno.readDir(path)) {
    entries.push({ name, isDirectory, isSymlink });
  }
  return new FolderEntries(entries);
}

/**
 * Compares as Python compares `str`: by code point. Plain `<` compares UTF-16
 * code units, which puts astral characters (surrogate pairs) before
 * U+E000-U+FFFF; shifting the units as below restores code point order.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

const FILE = 1;
const FOLDER = 2;

/**
 * What a `stat` of each entry of a folder said (symlinks followed), for one
 * request: a file or a folder, and with `sizes`, its size and modification
 * time. An entry not stat'ed, or whose `stat` failed, is neither.
 */
export class EntryInfos {
  #kind: Uint8Array;
  #size: Float64Array | null;
  #mtime: Float64Array | null;

  /**
   * @param count the folder's entries
   * @param sizes whether sizes and times are kept too
   */
  constructor(count: number, sizes: boolean) {
    this.#kind = new Uint8Array(count);
    this.#size = sizes ? new Float64Array(count) : null;
    this.#mtime = sizes ? new Float64Array(count).fill(NaN) : null;
  }

  /** Records what the `stat` of entry `i` said; null when it failed. */
  set(i: number, info: Deno.FileInfo | null | undefined): void {
    if (info == null) return;
    this.#kind[i] = info.isDirectory ? FOLDER : info.isFile ? FILE : 0;
    if (this.#size !== null && this.#mtime !== null) {
      this.#size[i] = info.size;
      this.#mtime[i] = info.mtime?.getTime() ?? NaN;
    }
  }

  /** Whether entry `i` is a file. */
  isFile(i: number): boolean {
    return this.#kind[i] === FILE;
  }

  /** Whether entry `i` is a folder. */
  isDirectory(i: number): boolean {
    return this.#kind[i] === FOLDER;
  }

  /** A file's size; 0 for anything else or without `sizes`. */
  size(i: number): number {
    return this.#size?.[i] ?? 0;
  }

  /** The modification time, in ms since the epoch; NaN when unknown. */
  mtime(i: number): number {
    return this.#mtime?.[i] ?? NaN;
  }
}

/**
 * Stats the listed entries of `folder` that `which` picks, a unit of
 * listing work at a time, at `pace`, through `stat` (a name in the folder
 * to its `stat`, symlinks followed, or null). `sizes` says whether sizes and
 * times are kept too (see {@link EntryInfos}).
 */
export async function statEntries(
  folder: FolderEntries,
  options: {
    showHidden: boolean;
    stat: (name: string) => Deno.FileInfo | null;
    sizes: boolean;
    pace: Pace;
    which?: (i: number) => boolean;
  },
): Promise<EntryInfos> {
  const { showHidden, stat, sizes, pace, which } = options;
  const infos = new EntryInfos(folder.count, sizes);
  let stats = 0;
  for (let i = 0; i < folder.count; i++) {
    if (!folder.isListed(i, showHidden) || (which && !which(i))) continue;
    if (stats++ % STATS_PER_UNIT === 0) await pace();
    infos.set(i, stat(folder.names[i]));
  }
  return infos;
}
