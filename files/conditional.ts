/**
 * Conditional requests (RFC 9110 §13) for files: whether a file has
 * validators yet, its weak entity tag, whether `If-None-Match` /
 * `If-Modified-Since` let a GET or HEAD be answered 304, whether `If-Range`
 * lets a range be sent, and whether a PUT's preconditions hold. Pure
 * functions of header values and times; every rule cites its section, as
 * Go's `net/http/fs.go`.
 *
 * @example
 * ```ts
 * import {
 *   ifRangeHolds,
 *   notModified,
 *   validatable,
 *   weakETag,
 * } from "./conditional.ts";
 *
 * const mtime = Date.UTC(2023, 10, 14, 22, 13, 20, 500);
 * validatable(mtime, mtime + 1_000); // false: it may change again unseen
 * validatable(mtime, mtime + 2_000); // true
 * const etag = weakETag(30, mtime); // 'W/"1e-18bcfe569f4"'
 * notModified(etag, null, etag, mtime); // true: 304
 * notModified('"other", W/"1e-18bcfe569f4"', null, etag, mtime); // true
 * notModified(null, "Tue, 14 Nov 2023 22:13:20 GMT", etag, mtime); // true
 * // If-None-Match decides alone when present (§13.2.2).
 * notModified('"other"', "Tue, 14 Nov 2023 22:13:20 GMT", etag, mtime); // false
 * // A weak tag never passes If-Range (strong comparison); a date may.
 * ifRangeHolds(etag, etag, mtime); // false
 * ifRangeHolds("Tue, 14 Nov 2023 22:13:20 GMT", etag, mtime); // true
 * ```
 *
 * @module
 */

import { parseHttpDate } from "../http/date.ts";
import { RACY_MS } from "./statcache.ts";

/**
 * Whether a file's validators (`Last-Modified`, `ETag`) tell its version
 * from the next: only once its modification time lies {@link RACY_MS} before
 * the request began. Until then a second write may leave the same date (an
 * HTTP date has whole seconds) or the same time and size (the file system's
 * clock ticks), and a client given the first version's validators would be
 * answered 304 for the second: RFC 9110 §8.8.2.2 holds a date as a validator
 * only where the server knows that the file did not change twice within
 * its second. So such a file is sent without validators, and conditions on
 * them are not applied to it; nor to a file modified in the future, or of
 * no known time.
 *
 * @param mtimeMs the file's modification time in ms, if known
 * @param asked when the request began, before the file's `stat`, in ms
 */
export function validatable(
  mtimeMs: number | undefined,
  asked: number,
): boolean {
  return mtimeMs !== undefined && asked - mtimeMs >= RACY_MS;
}

/**
 * The weak entity tag (RFC 9110 §8.8.3) of a file: `W/"<size>-<mtime>"`, both
 * in hex, the modification time in milliseconds. Weak because size and time
 * do not prove the bytes the same (two writes within a millisecond), and
 * because the same tag then also serves the file gzipped on the fly (§8.8.1).
 *
 * @param size the file's length in bytes
 * @param mtimeMs its modification time in ms since the epoch, if known
 */
export function weakETag(size: number, mtimeMs: number | undefined): string {
  return `W/"${hex(size)}-${hex(mtimeMs ?? 0)}"`;
}

/**
 * `n.toString(16)`. V8 formats a number past its small integers (30 bits)
 * in a slow path (bench/README.md), so a whole number from 2^24
 * on, as a time in milliseconds is, goes in two halves: the high part, and
 * the low 24 bits as 6 hex digits.
 */
function hex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0x1000000) return n.toString(16);
  return Math.floor(n / 0x1000000).toString(16) +
    (n % 0x1000000).toString(16).padStart(6, "0");
}

/**
 * Whether a GET or HEAD is answered 304 Not Modified (RFC 9110 §13.2.2):
 *
 * - `If-None-Match` (§13.1.2), when present, decides alone: 304 when it is
 *   `*` or lists a tag that matches `etag` by the weak comparison (§8.8.3.2).
 *   `If-Modified-Since` is then not looked at (step 3 before step 4).
 * - Else `If-Modified-Since` (§13.1.3): 304 when it is a date, in any zone,
 *   at or after the modification time in whole seconds (what
 *   `Last-Modified` said). A value that is not a date is ignored.
 *
 * @param ifNoneMatch the `If-None-Match` value, or null
 * @param ifModifiedSince the `If-Modified-Since` value, or null
 * @param etag the file's tag, from {@link weakETag}
 * @param mtimeMs the file's modification time in ms, if known
 */
export function notModified(
  ifNoneMatch: string | null,
  ifModifiedSince: string | null,
  etag: string,
  mtimeMs: number | undefined,
): boolean {
  if (ifNoneMatch !== null) return matchesAny(ifNoneMatch, etag);
  if (ifModifiedSince === null || mtimeMs === undefined) return false;
  const since = parseHttpDate(ifModifiedSince);
  return since !== null && wholeSeconds(mtimeMs) <= since;
}

/**
 * Whether a range may be sent under `If-Range` (RFC 9110 §13.1.5); when not,
 * the whole file is sent with 200.
 *
 * - An entity tag holds only by the strong comparison (§8.8.3.2): both tags
 *   strong and equal. The tags of {@link weakETag} are weak, so a tag never
 *   holds and the client gets the whole file, as the RFC wants.
 * - A date holds when it is the `Last-Modified` sent, to the second.
 *
 * @param ifRange the `If-Range` value
 * @param etag the file's tag
 * @param mtimeMs the file's modification time in ms, if known
 */
export function ifRangeHolds(
  ifRange: string,
  etag: string,
  mtimeMs: number | undefined,
): boolean {
  // §13.1.5: a DQUOTE within the first three characters marks an entity tag.
  if (ifRange.startsWith('"') || ifRange.startsWith('W/"')) {
    return !etag.startsWith("W/") && ifRange === etag;
  }
  const date = parseHttpDate(ifRange);
  return date !== null && mtimeMs !== undefined &&
    wholeSeconds(mtimeMs) === date;
}

/**
 * Whether a request that changes the file (PUT) may go ahead under its
 * preconditions (RFC 9110 §13.2.2, steps 1 to 3); when not, 412.
 *
 * - `If-Match` (§13.1.1) holds for `*` when the file exists, or for a tag
 *   equal to its tag by the strong comparison; the tags of
 *   {@link weakETag} are weak, so only `*` can hold.
 * - Else `If-Unmodified-Since` (§13.1.4) fails when the file was modified
 *   after that date; it is ignored without a file or a valid date.
 * - `If-None-Match` (§13.1.2) fails when the file exists and the value is
 *   `*` or lists a tag matching its tag by the weak comparison.
 *
 * @param ifMatch the `If-Match` value, or null
 * @param ifUnmodifiedSince the `If-Unmodified-Since` value, or null
 * @param ifNoneMatch the `If-None-Match` value, or null
 * @param current the file's tag and modification time, or null when it
 *   does not exist
 */
export function preconditionsHold(
  ifMatch: string | null,
  ifUnmodifiedSince: string | null,
  ifNoneMatch: string | null,
  current: { etag: string; mtimeMs: number | undefined } | null,
): boolean {
  if (ifMatch !== null) {
    if (current === null || !matchesAny(ifMatch, current.etag, true)) {
      return false;
    }
  } else if (ifUnmodifiedSince !== null && current?.mtimeMs !== undefined) {
    const date = parseHttpDate(ifUnmodifiedSince);
    if (date !== null && wholeSeconds(current.mtimeMs) > date) return false;
  }
  return ifNoneMatch === null || current === null ||
    !matchesAny(ifNoneMatch, current.etag);
}

/**
 * Whether an `If-None-Match` value lists `*` (§13.1.2): a PUT that may only
 * create its file, whatever is there.
 *
 * @param ifNoneMatch the `If-None-Match` value, or null
 */
export function createsOnly(ifNoneMatch: string | null): boolean {
  // No listed tag can equal the empty tag, so only `*` matches it.
  return ifNoneMatch !== null && matchesAny(ifNoneMatch, "");
}

/** What an HTTP date keeps of a time: whole seconds, rounded down. */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * Whether an `If-None-Match` or `If-Match` value (`"*" / #entity-tag`,
 * §13.1.1-2) is `*` or lists a tag whose opaque part equals `etag`'s: the
 * weak comparison, or with `strong` the strong one, where neither tag may
 * be weak (§8.8.3.2). A value that stops parsing matches nothing after that
 * point, as in Go.
 */
function matchesAny(value: string, etag: string, strong = false): boolean {
  const weakTag = etag.startsWith("W/");
  const opaque = weakTag ? etag.slice(2) : etag;
  let i = 0;
  for (;;) {
    // §5.6.1: list elements are separated by OWS "," OWS; empty ones count
    // for nothing.
    while (i < value.length && " \t,".includes(value[i])) i++;
    if (i === value.length) return false;
    if (value[i] === "*") return true;
    // §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
    const weak = value.startsWith("W/", i);
    if (weak) i += 2;
    if (value[i] !== '"') return false;
    const close = value.indexOf('"', i + 1);
    if (close < 0) return false;
    if (
      value.slice(i, close + 1) === opaque && !(strong && (weak || weakTag))
    ) return true;
    i = close + 1;
  }
}
