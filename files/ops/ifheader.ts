/**
 * The grammar of WebDAV's `If` header (RFC 4918 §10.4): lists of
 * conditions, each a state token (a lock token) or an entity tag, maybe
 * negated, each list maybe tagged with the resource it is about. Read in
 * one pass, without patterns that could backtrack. What the lists mean is
 * `locks.ts`'s.
 *
 * @example
 * ```ts
 * import { ifLists } from "./ifheader.ts";
 *
 * ifLists('<http://h/a.txt> (<urn:uuid:1> ["x"]) (Not <urn:uuid:2>)');
 * // [{ tag: "http://h/a.txt", conditions: [{ not: false, token: "urn:uuid:1", etag: null },
 * //   { not: false, token: null, etag: '"x"' }] },
 * //  { tag: "http://h/a.txt", conditions: [{ not: true, token: "urn:uuid:2", etag: null }] }]
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";

/** One condition of an `If` header's list (§10.4). */
export interface Condition {
  readonly not: boolean;
  /** A state token (a lock token), or null for an entity tag. */
  readonly token: string | null;
  /** The entity tag, for a condition on it. */
  readonly etag: string | null;
}

/** A list of an `If` header: its resource (null: the request's), its conditions. */
export interface List {
  readonly tag: string | null;
  readonly conditions: readonly Condition[];
}

/**
 * The lists of an `If` header (§10.4.2), read in one pass.
 *
 * @throws {HttpError} 400 for a header that is not one
 */
export function ifLists(value: string): List[] {
  const lists: List[] = [];
  let tag: string | null = null;
  let at = 0;
  const bad = () =>
    new HttpError("bad-path", "Bad If header", {
      explain: "If holds lists of lock tokens and entity tags (RFC 4918 §10.4)",
    });
  const until = (end: string) => {
    const close = value.indexOf(end, at);
    if (close < 0) throw bad();
    const text = value.slice(at, close);
    at = close + 1;
    return text;
  };
  for (;;) {
    while (value[at] === " " || value[at] === "\t") at++;
    if (at >= value.length) break;
    if (value[at] === "<") {
      at++;
      tag = until(">");
      continue;
    }
    if (value[at] !== "(") throw bad();
    at++;
    const conditions: Condition[] = [];
    for (;;) {
      while (value[at] === " " || value[at] === "\t") at++;
      if (value[at] === ")") {
        at++;
        break;
      }
      // ABNF's strings are case-insensitive (RFC 5234 §2.3).
      const not = value.slice(at, at + 3).toLowerCase() === "not";
      if (not) {
        at += 3;
        while (value[at] === " " || value[at] === "\t") at++;
      }
      const open = value[at++];
      if (open === "<") {
        conditions.push({ not, token: until(">"), etag: null });
      } else if (open === "[") {
        conditions.push({ not, token: null, etag: until("]") });
      } else {
        throw bad();
      }
    }
    if (conditions.length === 0) throw bad();
    lists.push({ tag, conditions });
  }
  if (lists.length === 0) throw bad();
  return lists;
}
