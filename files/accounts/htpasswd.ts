/**
 * Accounts from an Apache htpasswd file (`user:hash`, one a line), so that
 * no password sits on the command line or in the process list. Two hash
 * formats are taken: bcrypt (`$2y$`, `$2a$`, `$2b$`: `htpasswd -B`) and
 * Apache's MD5-crypt (`$apr1$`: Debian's `htpasswd` default, fast to guess,
 * so the banner warns). Any other line (plain text, `{SHA}`, DES crypt) is
 * refused when the file is read, naming the line.
 *
 * Bcrypt takes tens of milliseconds on purpose: a browser sends the
 * credentials with every request, so successful checks are remembered in
 * {@link VERIFIED}, a bounded map keyed by a hash (keyed by a secret made
 * anew by each process) of the stored hash and the password: it holds nothing
 * that helps guess a password off-line, a changed file checks afresh, and a
 * failure is never remembered.
 *
 * @example
 * ```ts
 * import { parseAccounts } from "./htpasswd.ts";
 *
 * // Made by `htpasswd -nbm alice secret`.
 * const accounts = parseAccounts("alice:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\n");
 * console.log(accounts.users); // ["alice"]
 * console.log(await accounts.verify("alice", "secret")); // true
 * console.log(await accounts.verify("alice", "guess")); // false
 * ```
 *
 * @module
 */

import bcrypt from "bcryptjs";
import apacheMd5Module from "apache-md5";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Apache's MD5-crypt of a password with the salt of a hash. The package's
 * types declare an ES default export for what is CommonJS's
 * `module.exports`, which Deno gives as the default.
 */
const apacheMd5 = apacheMd5Module as unknown as (
  password: string,
  salt: string,
) => string;

/** A hash format the file may use. */
export type HashFormat = "bcrypt" | "apr1";

/**
 * An auth file that cannot be used: the message names the file and line.
 *
 * @example
 * ```ts
 * import { AccountsError, parseAccounts } from "jsr:@x/httpserver";
 *
 * try {
 *   parseAccounts("alice:plain-text-password\n", "users");
 * } catch (error) {
 *   if (error instanceof AccountsError) console.log(error.message);
 *   // users:1: user 'alice': not a bcrypt ($2y$, htpasswd -B) or $apr1$ (htpasswd -m) hash
 * }
 * ```
 */
export class AccountsError extends Error {
  /** `AccountsError`. */
  override name = "AccountsError";
}

/** bcrypt's modular crypt format: version, cost, 22 + 31 characters. */
/** The least bcrypt cost the banner does not warn of (OWASP's floor). */
export const SOUND_BCRYPT_COST = 10;

const BCRYPT = /^\$2[aby]\$(?:0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
/** Apache's MD5-crypt: a salt of up to 8 characters, 22 of digest. */
const APR1 = /^\$apr1\$[^$:]{1,8}\$[./A-Za-z0-9]{22}$/;

/**
 * The users of an htpasswd file and the check of their passwords. Make one
 * with {@link loadAccounts} or {@link parseAccounts}, and give it to a
 * handler's `accounts` field or the fetch face's `accounts` option.
 *
 * @example
 * ```ts
 * import {
 *   loadAccounts,
 *   SimpleHTTPRequestHandler,
 *   ThreadingHTTPServer,
 * } from "jsr:@x/httpserver";
 *
 * // Made with `htpasswd -cB users alice`: read once, at start.
 * const accounts = loadAccounts("users");
 * class Shared extends SimpleHTTPRequestHandler {
 *   override accounts = accounts;
 *   override accessRules = ["/pub:*=ro", "/private:alice=rw"];
 * }
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 8000 },
 *   Shared,
 *   { directory: "share" },
 * );
 * await server.serveForever();
 * ```
 */
export class Accounts {
  readonly #hashes: ReadonlyMap<string, string>;
  /** Checked for unknown users: see {@link decoyHash}. */
  readonly #decoy: string;

  /**
   * The file the accounts were read from ({@link loadAccounts}), which is
   * never served even inside the served folder; null when made from text.
   */
  readonly file: string | null;

  /**
   * Accounts of checked hashes: {@link parseAccounts} makes them.
   *
   * @param hashes each user's hash, checked already; at least one
   * @param file the file they were read from, if any
   */
  constructor(hashes: ReadonlyMap<string, string>, file: string | null = null) {
    this.#hashes = hashes;
    this.#decoy = decoyHash(hashes.values());
    this.file = file;
  }

  /** The user names, in the file's order. */
  get users(): string[] {
    return [...this.#hashes.keys()];
  }

  /** The users whose hash is `$apr1$`, quick to guess from a stolen file. */
  get weakUsers(): string[] {
    return this.users.filter((user) =>
      formatOf(this.#hashes.get(user)!) === "apr1"
    );
  }

  /**
   * The users whose bcrypt hash costs less than {@link SOUND_BCRYPT_COST}
   * (`htpasswd -B` makes cost 5 unless told `-C`): each guess at a stolen
   * hash is then cheap.
   */
  get cheapUsers(): string[] {
    return this.users.filter((user) => {
      const hash = this.#hashes.get(user)!;
      return formatOf(hash) === "bcrypt" &&
        Number(hash.slice(4, 6)) < SOUND_BCRYPT_COST;
    });
  }

  /** Whether `user` is one of the file's. */
  has(user: string): boolean {
    return this.#hashes.has(user);
  }

  /**
   * Whether `password` is `user`'s by a successful check that is
   * remembered: answered without hashing.
   */
  remembers(user: string, password: string): boolean {
    const known = this.#hashes.get(user);
    return known !== undefined && password.length <= MAX_PASSWORD_BYTES &&
      VERIFIED.has(verifiedKey(known, password));
  }

  /**
   * Whether `password` is `user`'s. Every answer compares in constant time;
   * an unknown user costs the check of a hash like the costliest user's
   * ({@link decoyHash}), and a wrong password of a user whose hash is
   * cheaper costs that check besides its own, so that timing does not tell
   * which names exist. Bcrypt runs in slices that let other requests go on.
   */
  verify(user: string, password: string): Promise<boolean> {
    // Each of MD5-crypt's thousand rounds hashes the whole password: a
    // request must not buy seconds of CPU with a long one.
    if (
      password.length > MAX_PASSWORD_BYTES ||
      new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES
    ) {
      return Promise.resolve(false);
    }
    const known = this.#hashes.get(user);
    const hash = known ?? this.#decoy;
    const key = verifiedKey(hash, password);
    if (VERIFIED.has(key)) {
      // Kept as the most recent: the map drops the least recent first.
      VERIFIED.delete(key);
      VERIFIED.add(key);
      return Promise.resolve(true);
    }
    // A browser's first requests after signing in come together: one check.
    let check = CHECKING.get(key);
    if (check === undefined) {
      check = compare(password, hash).then(async (ok) => {
        if (ok && known !== undefined) remember(key);
        // A user whose hash is cheaper than the decoy: a failure costs
        // the decoy's check too, or it would answer sooner than a name
        // that is not in the file, and tell that the name is.
        if (!ok && known !== undefined && cheaper(known, this.#decoy)) {
          await compare(password, this.#decoy);
        }
        return ok && known !== undefined;
      }).finally(() => CHECKING.delete(key));
      CHECKING.set(key, check);
    }
    return check;
  }
}

/**
 * The longest password, in UTF-8 bytes, that `htpasswd` takes: a longer one
 * is wrong without being checked.
 */
export const MAX_PASSWORD_BYTES = 255;

/**
 * The hash an unknown user's password is checked against, of no password:
 * as costly as the costliest of `hashes` (bcrypt of the highest cost, else
 * `$apr1$`), so that no user of the file answers slower than a name that
 * is not in it.
 */
export function decoyHash(hashes: Iterable<string>): string {
  let costliest: string | null = null;
  for (const hash of hashes) {
    if (formatOf(hash) !== "bcrypt") continue;
    // `$2y$NN$`: the cost is two digits.
    if (costliest === null || hash.slice(4, 6) > costliest.slice(4, 6)) {
      costliest = hash;
    }
  }
  return costliest === null
    ? "$apr1$decoy$" + "A".repeat(22)
    : costliest.slice(0, 7) + "A".repeat(53);
}

/** Whether `hash` is quicker to check than `decoy` (see {@link decoyHash}). */
function cheaper(hash: string, decoy: string): boolean {
  if (formatOf(decoy) === "apr1") return false;
  return formatOf(hash) === "apr1" || hash.slice(4, 6) < decoy.slice(4, 6);
}

/** Whether `password` is the one `hash` was made of. */
async function compare(password: string, hash: string): Promise<boolean> {
  if (formatOf(hash) === "bcrypt") return await bcrypt.compare(password, hash);
  // htpasswd hashes the password's UTF-8 bytes; apache-md5 hashes its text
  // as Node's "ascii", one byte per character: give it those bytes so.
  const bytes = String.fromCharCode(...new TextEncoder().encode(password));
  return sameText(apacheMd5(bytes, hash), hash);
}

/** The checks under way, by the key of {@link VERIFIED}: gone when done. */
const CHECKING = new Map<string, Promise<boolean>>();

/** The format of a hash that {@link parseAccounts} took. */
function formatOf(hash: string): HashFormat {
  return hash.startsWith("$apr1$") ? "apr1" : "bcrypt";
}

/** Whether two strings are equal, in time that depends on their length only. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The successful checks of this process: keyed hashes of (hash, password)
 * under {@link SECRET}, the least recently used dropped past
 * {@link MAX_VERIFIED}.
 */
const VERIFIED = new Set<string>();

/** How many successful checks {@link VERIFIED} keeps. */
export const MAX_VERIFIED = 1024;

/** Made anew by each process: the keys of {@link VERIFIED} mean nothing elsewhere. */
const SECRET = randomBytes(32);

/**
 * SHA-256 of the secret, the hash and the password. The digests never leave
 * the process, so a secret prefix keys them as well as an HMAC would, at a
 * fraction of its cost, which every request with credentials pays.
 */
function verifiedKey(hash: string, password: string): string {
  return createHash("sha256").update(SECRET).update(hash).update("\0")
    .update(password).digest("base64");
}

function remember(key: string): void {
  VERIFIED.add(key);
  if (VERIFIED.size > MAX_VERIFIED) {
    VERIFIED.delete(VERIFIED.values().next().value!);
  }
}

/**
 * The accounts of an htpasswd file's text: `user:hash` lines; blank lines
 * and lines that begin with `#` are skipped. A line that is not `user:hash`
 * with a bcrypt or `$apr1$` hash, or a user named twice, is refused.
 *
 * @example
 * ```ts
 * import { parseAccounts } from "jsr:@x/httpserver";
 *
 * const accounts = parseAccounts(
 *   "# made by htpasswd -nbm alice secret\n" +
 *     "alice:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\n",
 * );
 * console.log(await accounts.verify("alice", "secret")); // true
 * ```
 *
 * @param text the file's text
 * @param source the file's name, for the messages
 * @throws {AccountsError} naming `source:line` and what is wrong
 */
export function parseAccounts(text: string, source = "<accounts>"): Accounts {
  return new Accounts(checkedHashes(text, source));
}

/** Each user's hash in htpasswd `text`, checked (see {@link parseAccounts}). */
function checkedHashes(text: string, source: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const at = `${source}:${i + 1}`;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new AccountsError(`${at}: not a user:hash line`);
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1).trim();
    if (hashes.has(user)) {
      throw new AccountsError(`${at}: user '${user}' is named twice`);
    }
    if (!BCRYPT.test(hash) && !APR1.test(hash)) {
      throw new AccountsError(
        `${at}: user '${user}': not a bcrypt ($2y$, htpasswd -B) or $apr1$ (htpasswd -m) hash`,
      );
    }
    hashes.set(user, hash);
  }
  if (hashes.size === 0) {
    throw new AccountsError(
      `${source}: no user (htpasswd -B -C 10 FILE NAME adds one)`,
    );
  }
  return hashes;
}

/**
 * The accounts of the htpasswd file at `path` (see {@link parseAccounts}),
 * read once. Where it lies inside a served folder, no one may read or
 * change it there (see `gate.ts`).
 *
 * @example
 * ```ts
 * import { createFileHandler, loadAccounts } from "jsr:@x/httpserver";
 *
 * Deno.serve(createFileHandler({
 *   fsRoot: "share",
 *   showDirListing: true,
 *   accounts: loadAccounts("/etc/httpserver/users"),
 *   access: ["/pub:*=ro"],
 * }));
 * ```
 *
 * @throws {AccountsError} when the file cannot be read, or a line is not
 *   one that {@link parseAccounts} takes
 */
export function loadAccounts(path: string): Accounts {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AccountsError(
      `cannot read the auth file '${path}': ${
        message.replace(/ \(os error \d+\).*$/, "")
      }`,
    );
  }
  return new Accounts(checkedHashes(text, path), path);
}
