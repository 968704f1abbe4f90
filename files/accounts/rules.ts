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

/** The rules of a folder, with the level each user has at each path. */
export class AccessRules {
  /** The rules, the longest paths first. */
  readonly rules: readonly AccessRule[];
  /** Whether paths are compared without regard to case. */
  readonly #fold: boolean;

  /**
   * @param rules the rules, one per path
   * @param caseInsensitive compare paths without regard to case, as the
   *   file system finds names (default: on Windows and macOS, whose usual
   *   file systems do, so that `/PRIVATE` meets `/private`'s rule)
   */
  constructor(
    rules: readonly AccessRule[],
    caseInsensitive: boolean = CASE_INSENSITIVE_FILES,
  ) {
    this.#fold = caseInsensitive;
    this.rules = rules
      .map((rule) =>
        caseInsensitive ? { ...rule, path: rule.path.toLowerCase() } : rule
      )
      .toSorted((a, b) => b.path.length - a.path.length);
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
    const folded = this.#fold ? path.toLowerCase() : path;
    const rule = this.rules.find((rule) => governs(rule.path, folded));
    if (rule === undefined) return user === null ? null : "rw";
    return levelOf(rule, user);
  }

  /**
   * Whether every rule of a path inside `path` (as `servedPath` gives it;
   * not `path` itself) grants `user` at least `level`: then every path
   * inside it is governed as `path` is, or better for `user`. Found from
   * the rules alone, without reading a folder.
   */
  grantsInside(
    user: string | null,
    path: string,
    level: AccessLevel,
  ): boolean {
    const folded = this.#fold ? path.toLowerCase() : path;
    const inside = folded === "/" ? "/" : folded + "/";
    return this.rules.every((rule) => {
      if (rule.path === folded || !rule.path.startsWith(inside)) return true;
      const granted = levelOf(rule, user);
      return granted === "rw" || granted === level;
    });
  }
}

/** What `rule` grants `user`: the better of their own entry and `*`'s. */
function levelOf(rule: AccessRule, user: string | null): AccessLevel | null {
  const own = user === null ? undefined : rule.grants.get(user);
  const anyone = rule.grants.get(ANYONE);
  return own === "rw" || anyone === "rw" ? "rw" : own ?? anyone ?? null;
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
    if (!text.startsWith("/") || colon < 0) {
      throw new SyntaxError(
        `'${text}': a rule is PATH:WHO=MODE,..., as /private:alice=rw,bob=ro`,
      );
    }
    const path = servedPath(text.slice(0, colon));
    const same = (other: string) =>
      caseInsensitive
        ? other.toLowerCase() === path.toLowerCase()
        : other === path;
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
