/**
 * Work on the file system that the requests asking for the same thing
 * together share, yet never older than any of them: the `stat` of a file a
 * request names, and a folder's listing page.
 *
 * A request is answered from a `stat` taken after it arrived, so a file changed
 * on disk is served fresh on the next request. Taking that `stat` for each
 * request is the largest cost of a small cached file. But under load the
 * requests of many connections are parsed in one turn of the event loop: a
 * {@link Coalescer} defers the work to a microtask, so every request that asks
 * for the same key before that microtask runs shares it, and one that asks
 * after it gets the next run. Each result is still made after every request it
 * serves arrived. (The body is read after the `stat`: a file replaced in
 * between goes out under the older headers, at their length.) Under keep-alive
 * load dozens of requests share each `stat`, which serves more requests a
 * second for less server CPU each (bench/README.md has the figures).
 *
 * @example
 * ```ts
 * import { sharedStat } from "./coalesce.ts";
 *
 * const [a, b] = await Promise.all([sharedStat("."), sharedStat(".")]);
 * console.log(a === b); // true: both asked before the stat was taken
 * console.log(a === await sharedStat(".")); // false: asked afterwards
 * ```
 *
 * @module
 */

/**
 * Runs the work for a key once for everyone who asks for it before the run:
 * in a microtask queued by the first to ask, so after all of them asked.
 */
export class Coalescer<T> {
  /** The runs not yet started, by key: each resolves all who asked so far. */
  #pending = new Map<string, Promise<T>>();

  /**
   * The result of `work`, run after this call in a microtask shared with
   * every other call for `key` made before it runs (their `work` is not
   * called). The result is shared: callers must not change it. `work` must
   * not throw: a failure is a result like any other.
   */
  run(key: string, work: () => T): Promise<T> {
    let result = this.#pending.get(key);
    if (result === undefined) {
      result = Promise.resolve().then(() => {
        // Whoever asks from now on asked after this run: a new one.
        this.#pending.delete(key);
        return work();
      });
      this.#pending.set(key, result);
    }
    return result;
  }
}

const STATS = new Coalescer<Deno.FileInfo | null>();

/**
 * `Deno.statSync(path)` (symlinks followed) taken after this call, in a
 * microtask shared with every other call for `path` made before it runs;
 * null when the path is missing or cannot be stat'ed. The caller checks the
 * read permission first; the result is shared, so callers must not change it.
 *
 * @param stat takes the `stat`: {@link statOrNull}, or one with the same
 *   answers (a sandbox's, which knows paths missing)
 */
export function sharedStat(
  path: string,
  stat: (path: string) => Deno.FileInfo | null = statOrNull,
): Promise<Deno.FileInfo | null> {
  return STATS.run(path, () => stat(path));
}

/**
 * `Deno.statSync(path)`, or null when it fails: Python's `isdir` and `open`
 * map every `OSError` to "not there".
 */
export function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}
