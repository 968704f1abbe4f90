/**
 * `Roster`: a changing group (open connections, armed deadlines) as a doubly
 * linked list, for constant-time joins and leaves and a walk over everyone.
 *
 * A `Set` does the same, but not for V8's garbage collector: under a new
 * connection per request its hash table is replaced every few dozen changes,
 * and a replaced table that had reached the old generation keeps everything
 * it still names alive through the next young-generation collections, which
 * then move whole connections (handler, buffers' wrappers, promises) to the
 * old generation: under `Connection: close` load, the server's sets of
 * connections promoted tens of megabytes that way, and rosters none
 * (bench/README.md).
 *
 * @example
 * ```ts
 * import { Roster } from "./roster.ts";
 *
 * const roster = new Roster<string>();
 * const a = roster.add("a");
 * roster.add("b");
 * roster.delete(a);
 * console.log([...roster], roster.size); // ["b"] 1
 * ```
 *
 * @module
 */

/** A member's place in a {@link Roster}, returned by {@link Roster.add}. */
export interface RosterEntry<T> {
  /** The member. */
  readonly value: T;
}

interface Link<T> extends RosterEntry<T> {
  prev: Link<T> | null;
  next: Link<T> | null;
  roster: Roster<T> | null;
}

/** An unordered group of members; see the module documentation. */
export class Roster<T> {
  #head: Link<T> | null = null;
  #size = 0;

  /** How many members there are. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value` (again, if it is in already) and returns its new entry. */
  add(value: T): RosterEntry<T> {
    const link: Link<T> = { value, prev: null, next: this.#head, roster: this };
    if (this.#head !== null) this.#head.prev = link;
    this.#head = link;
    this.#size++;
    return link;
  }

  /** Whether `entry` is in this roster (not yet deleted). */
  has(entry: RosterEntry<T> | null): boolean {
    return entry !== null && (entry as Link<T>).roster === this;
  }

  /** Removes `entry`; one not in this roster is ignored. */
  delete(entry: RosterEntry<T>): void {
    if (!this.has(entry)) return;
    const link = entry as Link<T>;
    const { prev, next } = link;
    if (prev !== null) prev.next = next;
    else this.#head = next;
    if (next !== null) next.prev = prev;
    // Unlinked entirely, so that it holds no other member alive.
    link.prev = link.next = link.roster = null;
    this.#size--;
  }

  /**
   * The members when the walk began, newest first, less any deleted during
   * the walk (a deleted link keeps no pointer on, so the walk starts from a
   * copy of the list).
   */
  *[Symbol.iterator](): IterableIterator<T> {
    const links: Link<T>[] = [];
    for (let link = this.#head; link !== null; link = link.next) {
      links.push(link);
    }
    for (const link of links) if (link.roster === this) yield link.value;
  }
}
