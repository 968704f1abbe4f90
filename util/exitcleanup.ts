/**
 * The clean-ups an immediate exit runs, synchronously, before the process
 * ends: a second Ctrl-C cannot wait for uploads and CGI scripts to finish,
 * yet must not leave their temporary files on disk or their processes
 * running. Each clean-up is added while what it cleans exists and deleted
 * once that is gone, so the list holds only what is live, up to a bound.
 *
 * @example
 * ```ts
 * import { ExitCleanup } from "./exitcleanup.ts";
 *
 * const cleanups = new ExitCleanup();
 * const path = Deno.makeTempFileSync();
 * const entry = cleanups.add(() => Deno.removeSync(path));
 * // An immediate exit: the file is removed.
 * cleanups.runSync();
 * cleanups.delete(entry); // harmless after the run
 * ```
 *
 * @module
 */

import { Roster, type RosterEntry } from "./roster.ts";

/**
 * The most clean-ups held at once. Past it a clean-up is not held: what it
 * would clean may outlive an immediate exit, as anything does when the
 * process is killed.
 */
export const MAX_EXIT_CLEANUPS = 16_384;

/** A clean-up's place in an {@link ExitCleanup}, to delete it by. */
export type ExitCleanupEntry = RosterEntry<() => void>;

/** Clean-ups to run before an immediate exit; see the module documentation. */
export class ExitCleanup {
  #cleanups = new Roster<() => void>();
  #limit: number;

  /** @param limit the most clean-ups held at once */
  constructor(limit: number = MAX_EXIT_CLEANUPS) {
    this.#limit = limit;
  }

  /** How many clean-ups are held. */
  get size(): number {
    return this.#cleanups.size;
  }

  /**
   * Holds `cleanup` until {@link delete}: it must be synchronous, and may
   * throw (a file removed meanwhile).
   *
   * @returns its entry, or null when {@link MAX_EXIT_CLEANUPS} are held
   */
  add(cleanup: () => void): ExitCleanupEntry | null {
    if (this.#cleanups.size >= this.#limit) return null;
    return this.#cleanups.add(cleanup);
  }

  /** Lets go of a clean-up: what it cleans is gone. Null is ignored. */
  delete(entry: ExitCleanupEntry | null): void {
    if (entry !== null) this.#cleanups.delete(entry);
  }

  /** Runs every clean-up held, each once, whatever the others throw. */
  runSync(): void {
    const cleanups = this.#cleanups;
    this.#cleanups = new Roster();
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // Already gone, or not ours to remove: the others still run.
      }
    }
  }
}

/** The process's clean-ups: the CLI runs them when a second signal exits at once. */
export const exitCleanups: ExitCleanup = new ExitCleanup();
