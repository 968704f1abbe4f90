/**
 * The walk behind a search (`?q=` with `search` on): the names under a
 * folder that contain the query, case-insensitive, found breadth first so
 * that the nearest come first. It reads each folder as the listings do
 * (their cache of entries, their sandbox checks) and asks what they ask:
 * dotfiles only with `showHidden`, a symlink followed only where the
 * sandbox allows it, a path shown or descended into only when the request's
 * {@link Access} allows reading it. It is bounded in depth, hits and time,
 * says when a bound cut it short, shares the event loop with the other
 * connections a unit of work at a time (see `listing/page.ts`), and stops
 * when its signal is aborted (the client left, the server shuts down).
 *
 * @example
 * ```ts
 * import { findNames, foldName } from "./walk.ts";
 * import { EVERYONE } from "../access.ts";
 * import { Sandbox } from "../sandbox.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.mkdir(`${folder}/Notes`);
 * await Deno.writeTextFile(`${folder}/Notes/todo.txt`, "x");
 * const found = await findNames(folder, "/", foldName("TODO"), {
 *   showHidden: true,
 *   sandbox: new Sandbox(folder, console.error),
 *   access: EVERYONE,
 * });
 * console.log(found.hits.map((hit) => hit.path), found.truncated); // ["Notes/todo.txt"] false
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { type Access, childPath } from "../access.ts";
import type { FolderEntries } from "../listing/folder.ts";
import { STATS_PER_UNIT, workUnit } from "../listing/page.ts";
import { readFolder } from "../listing/service.ts";
import { folderIdentity, type Sandbox } from "../sandbox.ts";
import { SEP } from "../../util/platform.ts";

/** How far a search may go. */
export interface SearchLimits {
  /** Levels of folders below the searched one that are read. */
  readonly depth: number;
  /** Names found, at most. */
  readonly hits: number;
  /** Milliseconds of walking, at most. */
  readonly ms: number;
}

/** The bounds of every search: 16 levels down, 1,000 names, 2 seconds. */
export const SEARCH_LIMITS: SearchLimits = Object.freeze({
  depth: 16,
  hits: 1000,
  ms: 2000,
});

/** One name found. */
export interface SearchHit {
  /**
   * Its path below the searched folder, components joined by `/`, without
   * a trailing slash.
   */
  readonly path: string;
  /** Its `stat`, symlinks followed as the sandbox allows. */
  readonly info: Deno.FileInfo;
}

/** What a search found, and whether a bound cut it short. */
export interface SearchHits {
  /** The names found, nearest first, each folder's in Python's order. */
  readonly hits: readonly SearchHit[];
  /**
   * Whether more may match: the hits, the time or the depth ran out, or the
   * signal was aborted, before every folder below was read.
   */
  readonly truncated: boolean;
}

/** What a search needs besides the folder and the query. */
export interface FindOptions {
  /** Whether dotfiles are found (and descended into). */
  readonly showHidden: boolean;
  /** The served folder's reads. */
  readonly sandbox: Sandbox;
  /** What the request's user may read. */
  readonly access: Access;
  /** Aborted when the answer is no longer wanted. */
  readonly signal?: AbortSignal;
  /** The bounds; default {@link SEARCH_LIMITS}. */
  readonly limits?: SearchLimits;
}

/**
 * A name as searches compare it: NFC-normalised and lower-cased without
 * the locale's rules, so that `É` typed or stored decomposed still meets
 * `é`, and the server's locale changes nothing.
 */
export function foldName(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/**
 * Work units are counted as the listings count them, a unit being
 * {@link STATS_PER_UNIT} `stat`s: an entry looked at is one step, a `stat`
 * eight, the reading of a folder (a few system calls) sixty-four.
 */
const STAT_STEPS = 8;
const FOLDER_STEPS = 64;
const STEPS_PER_UNIT = STATS_PER_UNIT * STAT_STEPS;

/** A folder waiting to be read. */
interface Pending {
  /** Its file system path. */
  readonly path: string;
  /** Its path in the served folder, for {@link Access}. */
  readonly served: string;
  /** Its path below the searched folder ("" for that folder). */
  readonly relative: string;
  /** Levels below the searched folder. */
  readonly depth: number;
  /** Its `stat`, the version its entries are read at. */
  readonly info: Deno.FileInfo;
}

/**
 * The names under the folder at `path` (its `stat` taken now) whose
 * {@link foldName} contains `needle` (already folded), breadth first. A
 * folder already read (a symlink loop, a folder linked twice) is not read
 * again; a folder that cannot be read is skipped, logged through the
 * sandbox.
 *
 * @param path the folder, as `translatePath` names it
 * @param served its path in the served folder (see `access.ts`)
 * @param needle the query, folded
 * @throws what `Deno.statSync(path)` throws
 */
export async function findNames(
  path: string,
  served: string,
  needle: string,
  options: FindOptions,
): Promise<SearchHits> {
  const { showHidden, sandbox, access } = options;
  const limits = options.limits ?? SEARCH_LIMITS;
  const deadline = performance.now() + limits.ms;
  const info = Deno.statSync(path);
  const queue: Pending[] = [{ path, served, relative: "", depth: 0, info }];
  const seen = new Set([folderIdentity(path, info)]);
  const hits: SearchHit[] = [];
  let steps = 0;
  let truncated = false;
  /**
   * Counts `n` steps; at a unit's end, waits for the next unit and says
   * whether to stop. The signal is looked at there only: a walk shorter
   * than a unit is done before it could matter (and `Deno.serve` warns of
   * a request's signal once it is taken).
   */
  const step = async (n: number): Promise<boolean> => {
    steps += n;
    if (steps < STEPS_PER_UNIT) return false;
    steps = 0;
    await workUnit();
    return options.signal?.aborted === true || performance.now() >= deadline;
  };
  walk: for (let next = 0; next < queue.length; next++) {
    const folder = queue[next];
    if (await step(FOLDER_STEPS)) {
      truncated = true;
      break;
    }
    let entries: FolderEntries;
    try {
      entries = await readFolder(
        folder.path,
        folder.info,
        sandbox.checkRead(folder.path, folder.info),
      );
    } catch (error) {
      sandbox.log("search: cannot read %s: %s", folder.path, String(error));
      continue;
    }
    for (const i of entries.order) {
      if (await step(1)) {
        truncated = true;
        break walk;
      }
      const name = entries.names[i];
      if (!entries.isListed(i, showHidden)) continue;
      const found = foldName(name).includes(needle);
      // Plain files that do not match need no `stat`.
      if (!found && !entries.isDirectory(i) && !entries.isSymlink(i)) continue;
      const childServed = childPath(folder.served, name);
      if (!access.allows(childServed, "read")) continue;
      // A folder named with its trailing slash (as `translatePath` leaves
      // it), or a drive's root, ends with its separator already.
      const childPathOnDisk = /[/\\]$/.test(folder.path)
        ? folder.path + name
        : folder.path + SEP + name;
      const child = sandbox.stat(childPathOnDisk, false);
      if (await step(STAT_STEPS)) {
        truncated = true;
        break walk;
      }
      // Missing, broken, or a symlink the sandbox does not follow.
      if (child === null) continue;
      const relative = folder.relative === ""
        ? name
        : `${folder.relative}/${name}`;
      if (found) {
        if (hits.length >= limits.hits) {
          truncated = true;
          break walk;
        }
        hits.push({ path: relative, info: child });
      }
      if (!child.isDirectory) continue;
      if (folder.depth >= limits.depth) {
        truncated = true;
        continue;
      }
      const id = folderIdentity(childPathOnDisk, child);
      if (seen.has(id)) continue;
      seen.add(id);
      queue.push({
        path: childPathOnDisk,
        served: childServed,
        relative,
        depth: folder.depth + 1,
        info: child,
      });
    }
  }
  return { hits, truncated };
}
