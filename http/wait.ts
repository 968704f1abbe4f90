/**
 * What the reader and writer need of a deadline: armed around each wait on
 * the peer, disarmed when it ends. The servers' `Deadline` is one; the wire
 * layer names only this shape.
 *
 * @module
 */

/** What a connection waits on the peer for. */
export type PeerWait = "idle" | "head" | "body" | "write";

/** A deadline armed around each wait on the peer. */
export interface WaitDeadline {
  /** Starts a wait of at most `timeoutMs` (0: no limit) for `phase`. */
  arm(phase: PeerWait, timeoutMs: number): void;
  /** Ends the wait. */
  disarm(): void;
}
