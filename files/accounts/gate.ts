/**
 * The door of a folder served with accounts: every request, on either face,
 * is let in or refused here once, before it is dispatched, and let in with
 * the {@link Access} that everything after it asks (listings, archives,
 * search, uploads, moves, CGI).
 *
 * - Credentials are HTTP Basic (RFC 7617), UTF-8; a request without them is
 *   anonymous. Wrong ones are 401, never taken as anonymous, and count
 *   towards the address's block (see `throttle.ts`), which refuses them
 *   with 429 for a while.
 * - The request's own path must allow the method's mode: reading for GET,
 *   HEAD, OPTIONS and PROPFIND, changing for every other method. The path
 *   is both the one the URL names and the one its real path names in the
 *   folder, so that a symlink into a protected folder does not lead round
 *   the rules. Refused: 401 with the challenge when not signed in, else 403.
 * - `?login` without credentials is 401 with the challenge wherever it is:
 *   a browser sends credentials only once challenged, so where anyone may
 *   read it would never sign in, and never show what its user may see.
 * - The auth file, where the served folder holds it, is no one's to read or
 *   change, by any path to it: its hashes are not listed, archived, served
 *   or overwritten. Wherever it is, a file about to be sent that is it (by
 *   a symlink out of the folder, a hard link) is refused (`isAuthFile`).
 * - Failed sign-ins count against every address the request may come from
 *   (`GateRequest.clients`).
 * - A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) never
 *   carries credentials (Fetch standard §4.8): it is let in anonymous; its
 *   answer names methods only, never data.
 *
 * @example
 * ```ts
 * import { AccountGate } from "./gate.ts";
 * import { parseAccounts } from "./htpasswd.ts";
 * import { parseAccessRules } from "./rules.ts";
 *
 * const accounts = parseAccounts("alice:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0");
 * const gate = new AccountGate(accounts, parseAccessRules(["/pub:*=ro"]), ".");
 * const access = await gate.admit({
 *   method: "GET",
 *   target: "/pub/a.txt",
 *   header: () => null,
 *   client: "127.0.0.1",
 * }, console.error);
 * console.log(access.user, access.allows("/pub/a.txt", "write")); // null false
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import {
  type Access,
  type AccessMode,
  EVERYONE,
  folderPath,
} from "../access.ts";
import { translatePath } from "../paths.ts";
import { isWithin, type LogFunction, realComponents } from "../sandbox.ts";
import { type Accounts, AccountsError } from "./htpasswd.ts";
import { type AccessRules, folded } from "./rules.ts";
import { FailureThrottle, throttleKey } from "./throttle.ts";
import { fileIdentity, markAuthFile, pathInFolder } from "./authfile.ts";
import { SEP } from "../../util/platform.ts";

/** The realm of the challenge: what a browser shows in its sign-in box. */
export const REALM = "httpserver";

/** The challenge of a 401 (RFC 7617 §2, §2.1). */
export const CHALLENGE = `Basic realm="${REALM}", charset="UTF-8"`;

/**
 * The methods that only read what they name (a `COPY` writes its
 * `Destination`, which the file operations check); every other one
 * changes something.
 */
const READING = new Set(["GET", "HEAD", "OPTIONS", "PROPFIND", "COPY"]);

/** What a method does to the path it names. */
export function methodMode(method: string): AccessMode {
  return READING.has(method) ? "read" : "write";
}

/** What the gate reads of a request. */
export interface GateRequest {
  /** The method. */
  readonly method: string;
  /** The request-target, relative to the served folder (no mount point). */
  readonly target: string;
  /** A header field's value, or null. */
  header(name: string): string | null;
  /** The client's address, as the log names it. */
  readonly client: string;
  /**
   * Every address the request may come from, whose failed sign-ins count
   * (a trusted proxy's two headers may name two): `client` alone when left
   * out.
   */
  readonly clients?: readonly string[];
  /**
   * The file system path a request-target names, as the face finds its
   * files (a handler's `translatePath`, which a subclass may override):
   * checked besides `translatePath` under the gate's folder when it is
   * another path under that folder.
   */
  translatePath?(target: string): string;
}

/** Failed sign-ins by address: this worker's, or every worker's. */
let throttle = new FailureThrottle();

/**
 * Counts failed sign-ins in `table` from now on, which the other workers of
 * `--workers` count in too (see `throttle.ts`): N workers give a guesser no
 * more guesses than one.
 */
export function shareFailedSignIns(table: SharedArrayBuffer): void {
  throttle = new FailureThrottle(table);
}

/**
 * The accounts and rules of one served folder, and the decision for each
 * request (see the module's documentation).
 */
export class AccountGate {
  readonly #accounts: Accounts;
  readonly #rules: AccessRules;
  readonly #directory: string;

  /**
   * @param accounts the users and their passwords
   * @param rules who may do what where
   * @param directory the served folder
   * @throws {AccountsError} when a rule names a user the accounts lack
   */
  constructor(accounts: Accounts, rules: AccessRules, directory: string) {
    checkRuleUsers(accounts, rules);
    this.#accounts = accounts;
    this.#rules = rules;
    this.#directory = directory;
  }

  /** The served folder. */
  get directory(): string {
    return this.#directory;
  }

  /**
   * Lets `request` in, with what its user may do, or refuses it.
   *
   * @param request the request
   * @param log where failed sign-ins and blocks are logged
   * @throws {HttpError} 401 with the challenge (no credentials where they
   *   are needed, or wrong ones), 403 (a user without the right), 429 (an
   *   address blocked after failed sign-ins)
   */
  async admit(request: GateRequest, log: LogFunction): Promise<Access> {
    const { method } = request;
    if (
      method === "OPTIONS" &&
      request.header("access-control-request-method") !== null
    ) {
      return this.#access(null);
    }
    const user = await this.#signIn(request, log);
    if (user === null && asksToSignIn(request.target)) throw unauthorized();
    const access = this.#access(user);
    // The path as the file is found: what the platform drops (Windows'
    // `c:`, `a\b`) is dropped here too. A handler's own translatePath may
    // find another file under the folder: both must be allowed.
    const directory = this.#directory;
    const mode = methodMode(method);
    const found = [translatePath(directory, request.target)];
    const own = request.translatePath?.(request.target);
    if (own !== undefined && own !== found[0] && isWithin(own, directory)) {
      found.push(own);
    }
    for (const path of found) {
      if (!access.allows(folderPath(directory, path), mode)) {
        throw refusal(access);
      }
    }
    return access;
  }

  /** The user the request's credentials name, checked; null without any. */
  async #signIn(
    request: GateRequest,
    log: LogFunction,
  ): Promise<string | null> {
    const authorization = request.header("authorization");
    if (authorization === null) return null;
    const { client } = request;
    // Counted by the address's /64 for IPv6: one host holds them all; and
    // by each address the request may come from.
    const keys = [...new Set((request.clients ?? [client]).map(throttleKey))];
    const blockedFor = () =>
      Math.max(...keys.map((k) => throttle.blockedFor(k)));
    const blocked = blockedFor();
    if (blocked > 0) throw tooManyFailures(blocked);
    const credentials = basicCredentials(authorization);
    // Remembered credentials cost no hashing: only the others count.
    const hashing = credentials !== null &&
      !this.#accounts.remembers(credentials.user, credentials.password);
    if (hashing && !startChecks(keys)) {
      log("refusing credentials from %s: too many checks under way", client);
      throw tooManyFailures(1);
    }
    let verified: boolean;
    try {
      verified = credentials !== null &&
        await this.#accounts.verify(credentials.user, credentials.password);
    } finally {
      if (hashing) { for (const key of keys) throttle.checked(key); }
    }
    // Checks begun before the address was blocked may end after it: their
    // answers wait with the rest, so that guesses sent at once learn no
    // more than guesses sent one by one.
    const blockedNow = blockedFor();
    if (blockedNow > 0) throw tooManyFailures(blockedNow);
    if (verified && credentials !== null) {
      for (const key of keys) throttle.succeeded(key, credentials.user);
      return credentials.user;
    }
    log(
      "sign-in failed: %s",
      credentials === null
        ? "credentials that are not Basic user:password"
        : `user ${JSON.stringify(credentials.user)}`,
    );
    const now = Date.now();
    const blocks = keys.map((key) =>
      throttle.failed(key, now, credentials?.user ?? null)
    );
    if (blocks.includes(true)) {
      log(
        "refusing credentials from %s for %d s: repeated failed sign-ins",
        client,
        blockedFor(),
      );
    }
    throw unauthorized();
  }

  /**
   * The auth file's path in the served folder, by its real path; null when
   * the folder does not hold it. Found with the first {@link Access}.
   */
  #authFile?: string | null;

  /**
   * The auth file's identity (see {@link fileIdentity}), found with the
   * first {@link Access}.
   */
  #authId?: string | null;

  /** Each user's {@link Access}, made once: one per user of the file at most. */
  readonly #made = new Map<string | null, Access>();

  /** What `user` may do: the rules, at the URL's path and at the real one. */
  #access(user: string | null): Access {
    let access = this.#made.get(user);
    if (access !== undefined) return access;
    const rules = this.#rules;
    const ruled = rules.rules.length > 0;
    const directory = this.#directory;
    const grants = (path: string, mode: AccessMode) => {
      if (!ruled) return user !== null;
      const level = rules.mode(user, path);
      return level === "rw" || (level === "ro" && mode === "read");
    };
    // The hashes are no one's to download, overwrite or delete.
    this.#authFile ??= this.#accounts.file === null
      ? null
      : pathInFolder(directory, this.#accounts.file);
    // By its folded form: a file system that ignores case finds the file
    // by /HTPASSWD too, and the real path keeps the case asked.
    const authFile = this.#authFile === null ? null : folded(this.#authFile);
    const isAuthFile = (path: string) =>
      authFile !== null && folded(path) === authFile;
    // The path's real one in the served folder, when it is another.
    const realOf = (path: string): string | null => {
      const real = realComponents(
        directory,
        path === "/" ? directory : directory + path.replaceAll("/", SEP),
      );
      const served = real === null ? null : "/" + real.join("/");
      return served === path ? null : served;
    };
    const inside = (path: string, mode: AccessMode) =>
      (authFile === null ||
        !authFile.startsWith(folded(path).replace(/\/?$/, "/"))) &&
      (!ruled ||
        rules.grantsInside(user, path, mode === "write" ? "rw" : "ro"));
    access = Object.freeze({
      user,
      // Else a user may do everything anywhere: no path to resolve.
      allows: !ruled && authFile === null
        ? () => user !== null
        : (path: string, mode: AccessMode): boolean => {
          if (isAuthFile(path) || !grants(path, mode)) return false;
          const real = realOf(path);
          return real === null || (!isAuthFile(real) && grants(real, mode));
        },
      allowsInside: !ruled && authFile === null
        ? () => true
        : (path: string, mode: AccessMode): boolean => {
          if (!inside(path, mode)) return false;
          const real = realOf(path);
          return real === null || inside(real, mode);
        },
    });
    this.#authId ??= this.#accounts.file === null
      ? null
      : fileIdentity(this.#accounts.file);
    if (this.#accounts.file !== null) {
      markAuthFile(access, this.#accounts.file, this.#authId);
    }
    this.#made.set(user, access);
    return access;
  }
}

/**
 * Checks that every user `rules` name is one of `accounts`': a name
 * misspelt would otherwise quietly grant nothing.
 *
 * @throws {AccountsError} naming the first user who is not
 */
export function checkRuleUsers(accounts: Accounts, rules: AccessRules): void {
  for (const user of rules.users) {
    if (!accounts.has(user)) {
      throw new AccountsError(
        `an access rule names '${user}', who is not in the auth file`,
      );
    }
  }
}

/**
 * Starts a check of credentials from each of `keys` ({@link throttleKey}s),
 * or none when one of them has too many under way already.
 */
function startChecks(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    if (throttle.checking(keys[i])) continue;
    for (const started of keys.slice(0, i)) throttle.checked(started);
    return false;
  }
  return true;
}

/**
 * What refuses a path to the user of `access`: 401 with the challenge when
 * no one signed in (credentials may open it), else 403.
 */
export function refusal(access: Access): HttpError {
  return access.user === null ? unauthorized() : new HttpError("forbidden");
}

/**
 * Refuses (see {@link refusal}) what `access` (left out: everything
 * allowed) does not allow in `mode` at `path`, a file system path under the
 * served folder `directory`, named as `folderPath` names it.
 */
export function checkAccess(
  access: Access | undefined,
  directory: string,
  path: string,
  mode: AccessMode,
): void {
  if (!mayAccess(access, directory, path, mode)) throw refusal(access!);
}

/**
 * Whether `access` (left out: everything allowed) allows `mode` at `path`,
 * a file system path under the served folder `directory` (see
 * {@link checkAccess}), for what is left out rather than refused.
 */
export function mayAccess(
  access: Access | undefined,
  directory: string,
  path: string,
  mode: AccessMode,
): boolean {
  return access === undefined || access === EVERYONE ||
    access.allows(folderPath(directory, path), mode);
}

/** The 429 of an address blocked for `seconds` more. */
function tooManyFailures(seconds: number): HttpError {
  return new HttpError("too-many-failures", "Too many failed sign-ins", {
    headers: [["Retry-After", String(seconds)]],
  });
}

/** Whether a request-target's query has `login`, which asks to sign in. */
function asksToSignIn(target: string): boolean {
  const query = target.split("#", 1)[0];
  const mark = query.indexOf("?");
  return mark >= 0 && new URLSearchParams(query.slice(mark + 1)).has("login");
}

/** The 401 that asks for credentials. */
function unauthorized(): HttpError {
  return new HttpError("unauthorized", undefined, {
    headers: [["WWW-Authenticate", CHALLENGE]],
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The user and password of a Basic `Authorization` value (RFC 7617 §2:
 * base64 of UTF-8 `user:password`), or null when it is not one.
 */
export function basicCredentials(
  value: string,
): { user: string; password: string } | null {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(value);
  if (match === null) return null;
  let text: string;
  try {
    text = utf8.decode(Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
