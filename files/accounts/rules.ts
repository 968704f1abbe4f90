/**
 * Who may read and who may change which paths of the served folder: rules
 * as `PATH:WHO=MODE,WHO=MODE`, one per path (the CLI's `--access`, the
 * handler's `accessRules`, the fetch face's `access`).
 *
 * - `PATH` is a path of the served folder as URLs name it (`/private`,
 *   `/docs/drafts`), percent-decoded and normalised as requests are.
 * - `WHO` is a user of the auth file, or `*` for anyone, signed in or not.
 * - `MODE` is `ro` (read: files, listings, archives, search) or `rw` (read
 *   and change: uploads, deletes, moves, new folders, each still needing its
 *   own switch). A user gets the better of their own entry and `*`'s.
 *
 * A path is governed by the rule of the longest path that contains it,
 * compared by whole components (`/priv` does not govern `/private`); that
 * rule's list is complete: whoever it does not name may do nothing there.
 * Paths are compared as given and again without regard to case or Unicode
 * form (NFC), the lesser level of the two winning: a file system that
 * ignores them (Windows', macOS', and on Linux vfat, exFAT, SMB shares,
 * ext4's casefold folders) finds `/PRIVATE` or an NFD `/privé` by a rule's
 * `/private` or NFC `/privé`, and the real path keeps the case asked.
 * A path that no rule governs is open to every user of the file, read and
 * change, and to no one else. `PATH:` with an empty list closes a path to
 * everyone.
 *
 * @example
 * ```ts
 * import { parseAccessRules } from "./rules.ts";
 *
 * const rules = parseAccessRules([
 *   "/:*=ro",
 *   "/private:alice=rw,bob=ro",
 * ]);
 * rules.mode(null, "/docs/a.txt"); // "ro": anyone may read
 * rules.mode("bob", "/private/plan.txt"); // "ro"
 * rules.mode("carol", "/private/plan.txt"); // null
 * rules.mode("alice", "/privateer"); // "ro": the rule of "/"
 * ```
 *
 * @module
 */

import { servedPath } from "../access.ts";
import { CASE_INSENSITIVE_FILES } from "../../util/platform.ts";

/** What a rule grants: read only, or read and change. */
export type AccessLevel = "ro" | "rw";

/** Anyone, signed in or not. */
export const ANYONE = "*";

/** One rule: a path and who may do what under it. */
export interface AccessRule {
  /** The path it governs, as `servedPath` gives it. */
  readonly path: string;
  /** Each user's level, and {@link ANYONE}'s. */
  readonly grants: ReadonlyMap<string, AccessLevel>;
}

/**
 * A path as a file system that ignores case and Unicode form finds it:
 * two paths of one folded form may name one file.
 */
export function folded(path: string): string {
  // deno-lint-ignore no-control-regex -- ASCII has one form
  return (/^[\x00-\x7f]*$/.test(path) ? path : path.normalize("NFC"))
    .toLowerCase();
}

/** The rules of a folder, with the level each user has at each path. */
export class AccessRules {
  /** The rules, the longest paths first. */
  readonly rules: readonly AccessRule[];
  /** The rules with their paths {@link folded}, the longest first. */
  readonly #folded: readonly AccessRule[];
  /** Whether paths are compared only without regard to case. */
  readonly #fold: boolean;
  /** Whether each rule's path is its folded form: one comparison then. */
  readonly #foldedAlike: boolean;

  /**
   * @param rules the rules, one per path
   * @param caseInsensitive compare paths only without regard to case, as
   *   the file system finds names (default: on Windows and macOS, whose
   *   usual file systems do); otherwise both as given and without regard
   *   to case (see the module's documentation)
   */
  constructor(
    rules: readonly AccessRule[],
    caseInsensitive: boolean = CASE_INSENSITIVE_FILES,
  ) {
    this.#fold = caseInsensitive;
    const longestFirst = (a: AccessRule, b: AccessRule) =>
      b.path.length - a.path.length;
    this.#folded = rules
      .map((rule) => ({ ...rule, path: folded(rule.path) }))
      .toSorted(longestFirst);
    this.rules = caseInsensitive ? this.#folded : rules.toSorted(longestFirst);
    this.#foldedAlike = rules.every((rule) => folded(rule.path) === rule.path);
  }

  /** The users the rules name, {@link ANYONE} left out. */
  get users(): string[] {
    const users = new Set<string>();
    for (const { grants } of this.rules) {
      for (const who of grants.keys()) if (who !== ANYONE) users.add(who);
    }
    return [...users];
  }

  /** Whether some rule lets in people without signing in. */
  get anonymous(): boolean {
    return this.rules.some(({ grants }) => grants.has(ANYONE));
  }

  /**
   * What `user` (null: not signed in) may do at `path` (as `servedPath`
   * gives it): `rw`, `ro`, or null for nothing. Without a rule for the
   * path, every signed-in user gets `rw`.
   */
  mode(user: string | null, path: string): AccessLevel | null {
    const asFolded = folded(path);
    const loose = levelOf(this.#folded, user, asFolded);
    // The same rules and path as given: the same level.
    if (this.#fold || (this.#foldedAlike && asFolded === path)) return loose;
    return lesser(levelOf(this.rules, user, path), loose);
  }

  /**
   * Whether every rule of a path inside `path` (as `servedPath` gives it;
   * not `path` itself) grants `user` at least `level`, compared as
   * {@link mode} compares: then every path inside it is governed as `path`
   * is, or better for `user`. Found from the rules alone, without reading a
   * folder.
   */
  grantsInside(
    user: string | null,
    path: string,
    level: AccessLevel,
  ): boolean {
    const all = (rules: readonly AccessRule[], at: string) => {
      const inside = at === "/" ? "/" : at + "/";
      return rules.every((rule) => {
        if (rule.path === at || !rule.path.startsWith(inside)) return true;
        const granted = grantOf(rule, user);
        return granted === "rw" || granted === level;
      });
    };
    return all(this.#folded, folded(path)) &&
      (this.#fold || all(this.rules, path));
  }
}

/**
 * What `user` may do at `path` by `rules` (the longest paths first): the
 * lesser level of the longest rules that govern it (only folded paths tie).
 */
function levelOf(
  rules: readonly AccessRule[],
  user: string | null,
  path: string,
): AccessLevel | null {
  let level: AccessLevel | null | undefined;
  let length = -1;
  for (const rule of rules) {
    if (rule.path.length < length) break;
    if (!governs(rule.path, path)) continue;
    length = rule.path.length;
    const granted = grantOf(rule, user);
    level = level === undefined ? granted : lesser(level, granted);
  }
  if (level !== undefined) return level;
  return user === null ? null : "rw";
}

/** What `rule` grants `user`: the better of their own entry and `*`'s. */
function grantOf(rule: AccessRule, user: string | null): AccessLevel | null {
  const own = user === null ? undefined : rule.grants.get(user);
  const anyone = rule.grants.get(ANYONE);
  return own === "rw" || anyone === "rw" ? "rw" : own ?? anyone ?? null;
}

/** The lesser of two levels: null below `ro` below `rw`. */
function lesser(
  a: AccessLevel | null,
  b: AccessLevel | null,
): AccessLevel | null {
  return a === null || b === null
    ? null
    : a === "ro" || b === "ro"
    ? "ro"
    : "rw";
}

/** Whether the rule of `rulePath` governs `path`: the same, or a component prefix. */
function governs(rulePath: string, path: string): boolean {
  return rulePath === "/" || path === rulePath ||
    path.startsWith(rulePath + "/");
}

/** No rule: every user of the file may read and change everything. */
export const NO_RULES: AccessRules = new AccessRules([]);

/**
 * Parses rules written as `PATH:WHO=MODE,WHO=MODE` (see the module's
 * documentation).
 *
 * @param texts the rules
 * @param caseInsensitive see {@link AccessRules}
 * @throws {SyntaxError} for a rule that is not of that form, a level that
 *   is not `ro` or `rw`, a user named twice in a rule, or a path given two
 *   rules
 */
export function parseAccessRules(
  texts: readonly string[],
  caseInsensitive: boolean = CASE_INSENSITIVE_FILES,
): AccessRules {
  const rules: AccessRule[] = [];
  for (const text of texts) {
    const colon = text.lastIndexOf(":");
    if (colon < 0) {
      throw new SyntaxError(
        `'${text}': a rule is PATH:WHO=MODE,..., as /private:alice=rw,bob=ro`,
      );
    }
    if (!text.startsWith("/")) {
      throw new SyntaxError(
        `'${text}': PATH is the path in URLs, from /: /${text}`,
      );
    }
    const path = servedPath(text.slice(0, colon));
    const same = (other: string) =>
      caseInsensitive ? folded(other) === folded(path) : other === path;
    if (rules.some((rule) => same(rule.path))) {
      throw new SyntaxError(`'${text}': ${path} has a rule already`);
    }
    const grants = new Map<string, AccessLevel>();
    const list = text.slice(colon + 1).trim();
    for (const entry of list === "" ? [] : list.split(",")) {
      const match = /^\s*([^=\s]+)\s*=\s*(ro|rw)\s*$/.exec(entry);
      if (match === null) {
        throw new SyntaxError(
          `'${text}': '${entry}' is not WHO=ro or WHO=rw (WHO a user, or * for anyone)`,
        );
      }
      if (grants.has(match[1])) {
        throw new SyntaxError(`'${text}': ${match[1]} is named twice`);
      }
      grants.set(match[1], match[2] as AccessLevel);
    }
    rules.push({ path, grants });
  }
  return new AccessRules(rules, caseInsensitive);
}
