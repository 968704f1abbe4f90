/**
 * Repeated sign-in failures from one address: after {@link MAX_FAILURES}
 * failures with no success of the user they named between them, and none
 * more than
 * {@link FAILURE_WINDOW_MS} after the one before, the address's credentials
 * are refused without being checked (429 with `Retry-After`) for
 * {@link BLOCK_MS}; and no more than {@link MAX_CHECKING} checks from one
 * address run at once. Requests without credentials still go on: a blocked
 * address keeps what anyone may read.
 *
 * The failures live in a table of fixed size ({@link failureTable}), which
 * the workers of `--workers` share, so that N workers give a guesser no
 * more guesses than one: at most {@link MAX_ADDRESSES} addresses, found by a
 * hash under the table's own random seed, the least recently failing of a
 * neighbourhood replaced. The checks under way are counted by each
 * throttle alone.
 *
 * @example
 * ```ts
 * import { FailureThrottle } from "./throttle.ts";
 *
 * const throttle = new FailureThrottle();
 * for (let i = 0; i < 10; i++) throttle.failed("192.0.2.1", 0);
 * console.log(throttle.blockedFor("192.0.2.1", 1000)); // 59 (seconds left)
 * console.log(throttle.blockedFor("192.0.2.2", 1000)); // 0
 * ```
 *
 * @module
 */

/** Failures in a row that block an address. */
export const MAX_FAILURES = 10;
/** Failures further apart than this start the count again. */
export const FAILURE_WINDOW_MS = 60_000;
/** How long a blocked address's credentials are refused. */
export const BLOCK_MS = 60_000;
/** The most addresses whose failures are remembered (a power of two). */
export const MAX_ADDRESSES = 8_192;
/**
 * The most checks of credentials one address may have under way at once:
 * guesses sent together would otherwise all be checked (each costing a
 * bcrypt run) before the first failure counted.
 */
export const MAX_CHECKING = MAX_FAILURES;

/**
 * What failures are counted by for an address: an IPv4 address itself (an
 * IPv4-mapped IPv6 one as IPv4), an IPv6 address by its /64, which one host
 * usually holds whole, so that its 2^64 addresses are one guesser. Anything
 * else (a Unix socket's name, `-`) as it is.
 *
 * @example
 * ```ts
 * import { throttleKey } from "./throttle.ts";
 *
 * throttleKey("2001:db8:0:1::7"); // "2001:db8:0:1::/64"
 * throttleKey("::ffff:192.0.2.1"); // "192.0.2.1"
 * ```
 */
export function throttleKey(address: string): string {
  const hextets = ipv6Hextets(address.replace(/^\[|%.*$|\]$/g, ""));
  if (hextets === null) return address;
  if (hextets.slice(0, 6).join(":") === "0:0:0:0:0:65535") {
    const [a, b] = hextets.slice(6);
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return hextets.slice(0, 4).map((h) => h.toString(16)).join(":") + "::/64";
}

/** The eight 16-bit groups of an IPv6 address, or null when it is none. */
function ipv6Hextets(text: string): number[] | null {
  if (!text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    for (const part of half.split(":")) {
      const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(part);
      if (v4 !== null) {
        const [a, b, c, d] = v4.slice(1).map(Number);
        if ([a, b, c, d].some((n) => n > 255)) return null;
        out.push(a << 8 | b, c << 8 | d);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...Array(missing).fill(0), ...tail];
}

/**
 * One address's failures, a row of the table. `USER` is the user every
 * failure counted named, as {@link NO_USER}, {@link NULL_USER} (credentials
 * naming none), {@link SEVERAL_USERS}, or a hash of the name: only that
 * user's success starts the count again.
 */
const USED = 0, KEY_A = 1, KEY_B = 2, COUNT = 3, LAST = 4, UNTIL = 5, USER = 6;
const FIELDS = 7;
const NO_USER = 0, NULL_USER = 1, SEVERAL_USERS = 2;
/** The rows an address may be in: from its hash's row on, this many. */
const NEIGHBOURHOOD = 32;
/** The table's head: a lock word and the two hash seeds, as 32-bit words. */
const LOCK = 0, SEED_A = 1, SEED_B = 2;
const HEAD_BYTES = 16;
/** Turns spent waiting for the lock before taking it (a few ms). */
const MAX_SPINS = 1_000_000;

/**
 * A table of failed sign-ins for {@link FailureThrottle}: shared memory, so
 * that throttles in several workers of one process count together (pass it
 * to each). About 450 KiB.
 */
export function failureTable(): SharedArrayBuffer {
  const table = new SharedArrayBuffer(
    HEAD_BYTES + MAX_ADDRESSES * FIELDS * Float64Array.BYTES_PER_ELEMENT,
  );
  crypto.getRandomValues(new Uint32Array(table, 4, 2));
  return table;
}

/** FNV-1a over `text`'s UTF-16 code units, from `seed`: 32 bits. */
function fnv1a(text: string, seed: number): number {
  let hash = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The failures of each address, and which are blocked: in its own table,
 * or in one shared with other workers' throttles ({@link failureTable}).
 */
export class FailureThrottle {
  #table: SharedArrayBuffer | null;
  #rows: Float64Array | null = null;
  #head: Int32Array | null = null;
  /** The checks under way, by address: gone when none is. */
  readonly #checking = new Map<string, number>();

  /**
   * @param table the failures' table, shared with other throttles; left
   *   out, one of its own, made at the first failure
   */
  constructor(table?: SharedArrayBuffer) {
    this.#table = table ?? null;
  }

  /**
   * Starts a check of credentials from `address`; false, counting nothing,
   * when it has {@link MAX_CHECKING} under way already. Each true is
   * followed by one {@link checked}.
   */
  checking(address: string): boolean {
    const under = this.#checking.get(address) ?? 0;
    if (under >= MAX_CHECKING) return false;
    this.#checking.set(address, under + 1);
    return true;
  }

  /** Ends a check that {@link checking} started. */
  checked(address: string): void {
    const under = this.#checking.get(address) ?? 1;
    if (under <= 1) this.#checking.delete(address);
    else this.#checking.set(address, under - 1);
  }

  /** The whole seconds `address` is still blocked for at `now`; 0 if it is not. */
  blockedFor(address: string, now: number = Date.now()): number {
    if (this.#table === null) return 0;
    return this.#locked((rows, keys) => {
      const row = this.#find(rows, keys);
      if (row < 0 || rows[row + UNTIL] <= now) return 0;
      return Math.ceil((rows[row + UNTIL] - now) / 1000);
    }, address);
  }

  /**
   * Counts a failure of `address` at `now`; true when it blocks the
   * address (the moment to log it).
   */
  failed(
    address: string,
    now: number = Date.now(),
    user: string | null = null,
  ): boolean {
    this.#table ??= failureTable();
    return this.#locked((rows, keys) => {
      let row = this.#find(rows, keys);
      if (row < 0 || now - rows[row + LAST] > FAILURE_WINDOW_MS) {
        if (row < 0) row = this.#free(rows, keys);
        rows.set([1, keys[0], keys[1], 0, now, 0, NO_USER], row);
      }
      const named = this.#user(user);
      const counted = rows[row + USER];
      rows[row + USER] = counted === NO_USER || counted === named
        ? named
        : SEVERAL_USERS;
      rows[row + COUNT]++;
      rows[row + LAST] = now;
      if (rows[row + COUNT] < MAX_FAILURES) return false;
      rows[row + COUNT] = 0;
      rows[row + USER] = NO_USER;
      rows[row + UNTIL] = now + BLOCK_MS;
      return true;
    }, address);
  }

  /**
   * A success of `user` from `address`: its count starts again when every
   * failure counted named that user (a typo of their own), never when
   * another was guessed at, so that signing in to one's own account does
   * not buy guesses at others'; nor while the address is blocked.
   */
  succeeded(address: string, user: string, now: number = Date.now()): void {
    if (this.#table === null) return;
    this.#locked((rows, keys) => {
      const row = this.#find(rows, keys);
      if (row < 0 || rows[row + UNTIL] > now) return;
      if (rows[row + USER] === this.#user(user)) rows[row + USED] = 0;
    }, address);
  }

  /**
   * Runs `work` on the rows with `address`'s two hashes, holding the
   * table's lock: `work` never waits for anything, so another worker spins
   * a few microseconds at most.
   */
  #locked<T>(
    work: (rows: Float64Array, keys: [number, number]) => T,
    address: string,
  ): T {
    const table = this.#table!;
    this.#rows ??= new Float64Array(table, HEAD_BYTES);
    this.#head ??= new Int32Array(table, 0, HEAD_BYTES / 4);
    const head = this.#head;
    const keys: [number, number] = [
      fnv1a(address, head[SEED_A]),
      fnv1a(address, head[SEED_B]),
    ];
    // Held by another worker for a few reads and writes; past the bound,
    // by a worker ended inside them, whose lock would stop every other.
    for (
      let spins = 0;
      Atomics.compareExchange(head, LOCK, 0, 1) !== 0 && spins < MAX_SPINS;
      spins++
    );
    try {
      return work(this.#rows, keys);
    } finally {
      Atomics.store(head, LOCK, 0);
    }
  }

  /** The row of the address with `keys`, or -1. */
  #find(rows: Float64Array, [a, b]: [number, number]): number {
    for (let i = 0; i < NEIGHBOURHOOD; i++) {
      const row = ((a + i) & (MAX_ADDRESSES - 1)) * FIELDS;
      if (
        rows[row + USED] && rows[row + KEY_A] === a && rows[row + KEY_B] === b
      ) {
        return row;
      }
    }
    return -1;
  }

  /** A row for a new address: a free one, else the least recently failing. */
  #free(rows: Float64Array, [a]: [number, number]): number {
    let oldest = -1;
    for (let i = 0; i < NEIGHBOURHOOD; i++) {
      const row = ((a + i) & (MAX_ADDRESSES - 1)) * FIELDS;
      if (!rows[row + USED]) return row;
      if (oldest < 0 || rows[row + LAST] < rows[oldest + LAST]) oldest = row;
    }
    return oldest;
  }

  /** A user as the table holds it: a hash of 52 bits for a name. */
  #user(user: string | null): number {
    if (user === null) return NULL_USER;
    const head = this.#head!;
    return SEVERAL_USERS + 1 + fnv1a(user, head[SEED_A]) * 2 ** 20 +
      (fnv1a(user, head[SEED_B]) >>> 12);
  }
}
