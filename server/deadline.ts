/**
 * Connection deadlines without a timer per request: each connection owns one
 * {@link Deadline} it arms before it waits on the peer, and one
 * {@link DeadlineWatch} per server checks them all on a coarse interval.
 * Arming is a field write, so the per-request cost is two `Date.now()` calls.
 *
 * @module
 */

import type { PeerWait } from "../http/wait.ts";
import { Roster, type RosterEntry } from "../util/roster.ts";

/**
 * What a connection was waiting for when its deadline passed: its peer, or
 * a CGI script (which only the server's shutdown times out this way).
 */
export type WaitPhase = PeerWait | "script";

/**
 * One connection's deadline. `onExpire` runs once, from the watch, when the
 * armed time has passed; it typically answers 408 and closes the socket, which
 * makes the pending read or write reject.
 */
export class Deadline {
  /** Epoch milliseconds after which the connection has timed out; 0: no limit. */
  at = 0;
  /** True while the connection waits on the peer. */
  armed = false;
  /** What the connection is waiting for while armed. */
  phase: WaitPhase = "idle";
  /** Set once the deadline has fired. */
  expired = false;
  /** Its place in the watch that checks it, or null. */
  entry: RosterEntry<Deadline> | null = null;

  /** @param onExpire called once when the armed deadline passes */
  constructor(readonly onExpire: (phase: WaitPhase) => void) {}

  /** Arms the deadline `ms` from now (no deadline when `ms` is 0 or less). */
  arm(phase: WaitPhase, ms: number): void {
    this.phase = phase;
    this.at = ms > 0 ? Date.now() + ms : 0;
    this.armed = true;
  }

  /** Disarms the deadline. */
  disarm(): void {
    this.armed = false;
  }

  /** Fires the deadline now (once). */
  expire(): void {
    if (this.expired) return;
    this.expired = true;
    this.armed = false;
    this.onExpire(this.phase);
  }
}

/**
 * Checks a set of deadlines every `tickMs` milliseconds. The interval does not
 * keep the process alive and runs only while deadlines are registered.
 * The deadlines are in a {@link Roster}, not a `Set`: see there why.
 */
export class DeadlineWatch {
  #deadlines = new Roster<Deadline>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param tickMs how often deadlines are checked (their resolution) */
  constructor(readonly tickMs: number) {}

  /** Starts watching `deadline`. */
  add(deadline: Deadline): void {
    if (deadline.entry !== null) return;
    deadline.entry = this.#deadlines.add(deadline);
    if (this.#timer === undefined) {
      const timer = setInterval(() => this.#check(), this.tickMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Stops watching `deadline`. */
  delete(deadline: Deadline): void {
    const entry = deadline.entry;
    if (entry === null || !this.#deadlines.has(entry)) return;
    this.#deadlines.delete(entry);
    deadline.entry = null;
    if (this.#deadlines.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Fires every deadline that waits in `phase` now, whatever its time. */
  expireWaiting(phase: WaitPhase): void {
    this.#expire((deadline) => deadline.armed && deadline.phase === phase);
  }

  #check(): void {
    const now = Date.now();
    this.#expire((deadline) =>
      deadline.armed && deadline.at !== 0 && deadline.at <= now
    );
  }

  /**
   * Fires the deadlines that `due` picks, all picked before any fires (a
   * deadline that fires may add or remove others); one removed meanwhile is
   * skipped.
   */
  #expire(due: (deadline: Deadline) => boolean): void {
    const picked: Deadline[] = [];
    for (const deadline of this.#deadlines) {
      if (due(deadline)) picked.push(deadline);
    }
    for (const deadline of picked) {
      if (this.#deadlines.has(deadline.entry)) deadline.expire();
    }
  }
}
