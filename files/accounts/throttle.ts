/**
 * Repeated sign-in failures from one address: after {@link MAX_FAILURES}
 * failures with no success of the user they named between them, and none
 * more than
 * {@link FAILURE_WINDOW_MS} after the one before, the address's credentials
 * are refused without being checked (429 with `Retry-After`) for
 * {@link BLOCK_MS}; and no more than {@link MAX_CHECKING} checks from one
 * address run at once. Requests without credentials still go on: a blocked
 * address keeps what anyone may read. The state is bounded: at most
 * {@link MAX_ADDRESSES} addresses, the least recently failing dropped.
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
/** The most addresses whose failures are remembered. */
export const MAX_ADDRESSES = 10_000;
/**
 * The most checks of credentials one address may have under way at once:
 * guesses sent together would otherwise all be checked (each costing a
 * bcrypt run) before the first failure counted.
 */
export const MAX_CHECKING = MAX_FAILURES;

interface Failures {
  count: number;
  last: number;
  blockedUntil: number;
  /**
   * The user every failure counted named (null: credentials naming none),
   * or {@link SEVERAL}: only that user's success starts the count again.
   */
  user: string | null | typeof SEVERAL | undefined;
}

/** Failures that named more than one user. */
const SEVERAL = Symbol("several users");

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

/** The failures of each address, and which are blocked. */
export class FailureThrottle {
  readonly #addresses = new Map<string, Failures>();
  /** The checks under way, by address: gone when none is. */
  readonly #checking = new Map<string, number>();

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
    const failures = this.#addresses.get(address);
    if (failures === undefined || failures.blockedUntil <= now) return 0;
    return Math.ceil((failures.blockedUntil - now) / 1000);
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
    const known = this.#addresses.get(address);
    const failures: Failures =
      known !== undefined && now - known.last <= FAILURE_WINDOW_MS
        ? known
        : { count: 0, last: now, blockedUntil: 0, user: undefined };
    failures.user = failures.user === undefined || failures.user === user
      ? user
      : SEVERAL;
    // The most recent last: the first of the map is dropped first.
    this.#addresses.delete(address);
    this.#addresses.set(address, failures);
    if (this.#addresses.size > MAX_ADDRESSES) {
      this.#addresses.delete(this.#addresses.keys().next().value!);
    }
    failures.count++;
    failures.last = now;
    if (failures.count < MAX_FAILURES) return false;
    failures.count = 0;
    failures.user = undefined;
    failures.blockedUntil = now + BLOCK_MS;
    return true;
  }

  /**
   * A success of `user` from `address`: its count starts again when every
   * failure counted named that user (a typo of their own), never when
   * another was guessed at, so that signing in to one's own account does
   * not buy guesses at others'; nor while the address is blocked.
   */
  succeeded(address: string, user: string, now: number = Date.now()): void {
    const failures = this.#addresses.get(address);
    if (failures === undefined || failures.blockedUntil > now) return;
    if (failures.user === user) this.#addresses.delete(address);
  }
}
