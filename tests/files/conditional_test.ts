// files/conditional.ts: tables of validators and the answer each gets.
import assert from "node:assert/strict";
import {
  createsOnly,
  ifRangeHolds,
  notModified,
  preconditionsHold,
  validatable,
  weakETag,
} from "../../files/conditional.ts";
import { RACY_MS } from "../../files/statcache.ts";

/** 2023-11-14 22:13:20.5 UTC: a time with a fraction of a second. */
const MTIME = 1_700_000_000_500;
const LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT";
const ETAG = weakETag(30, MTIME);

Deno.test("the weak ETag is size and mtime in ms, in hex", () => {
  assert.equal(ETAG, 'W/"1e-18bcfe569f4"');
  assert.equal(weakETag(0, undefined), 'W/"0-0"');
  // Another size, or another millisecond, is another tag.
  assert.notEqual(weakETag(31, MTIME), ETAG);
  assert.notEqual(weakETag(30, MTIME + 1), ETAG);
});

Deno.test("the ETag's hex is toString(16) on each side of 24 and 31 bits", () => {
  const values = [
    0,
    0xffffff,
    0x1000000,
    0x1000001,
    2 ** 31,
    0x1000000 * 0xabc, // a low half of zeros
    MTIME,
    Number.MAX_SAFE_INTEGER,
    2 ** 60, // past the safe integers
    -1,
    -MTIME, // before 1970
    1.5,
  ];
  for (const n of values) {
    assert.equal(weakETag(n, n), `W/"${n.toString(16)}-${n.toString(16)}"`);
  }
});

/** [If-None-Match, If-Modified-Since, 304?, why] for the file above. */
const NOT_MODIFIED: [string | null, string | null, boolean, string][] = [
  [null, null, false, "no validators"],
  // If-None-Match (RFC 9110 §13.1.2), weak comparison (§8.8.3.2)
  [ETAG, null, true, "its own tag"],
  ['"1e-18bcfe569f4"', null, true, "its tag sent as strong"],
  ["*", null, true, "any current representation"],
  [' "a" , W/"1e-18bcfe569f4" ', null, true, "in a list, with OWS"],
  ['"a",,W/"1e-18bcfe569f4"', null, true, "after an empty element"],
  ['"a", "b"', null, false, "a list without it"],
  ['W/"1e-18bcfe569f5"', null, false, "another millisecond"],
  ['w/"1e-18bcfe569f4"', null, false, "lower-case w/ is no weak prefix"],
  ['"a, b", W/"1e-18bcfe569f4"', null, true, "a comma inside a tag"],
  ["1e-18bcfe569f4", null, false, "unquoted"],
  ['"unterminated', null, false, "unterminated"],
  ['junk, W/"1e-18bcfe569f4"', null, false, "stops at what does not parse"],
  ["", null, false, "empty"],
  // If-None-Match decides alone (§13.2.2): If-Modified-Since is not read
  ['"a"', LAST_MODIFIED, false, "a mismatch beats a fresh date"],
  [ETAG, "Mon, 01 Jan 1990 00:00:00 GMT", true, "a match beats a stale date"],
  // If-Modified-Since (§13.1.3), whole seconds
  [null, LAST_MODIFIED, true, "the Last-Modified sent"],
  [null, "Wed, 15 Nov 2023 00:00:00 GMT", true, "a later date"],
  [null, "Tue, 14 Nov 2023 22:13:19 GMT", false, "a second earlier"],
  [null, "Tuesday, 14-Nov-23 22:13:20 GMT", true, "RFC 850 form"],
  [null, "Tue Nov 14 22:13:20 2023", true, "asctime form"],
  [null, "Wed, 15 Nov 2023 07:13:20 +0900", true, "a numeric zone"],
  [null, "Wed, 15 Nov 2023 07:13:19 +0900", false, "a numeric zone, earlier"],
  [null, "Tue, 14 Nov 2023 17:13:20 EST", true, "a US zone name"],
  [null, "yesterday", false, "not a date"],
];

for (const [inm, ims, expected, why] of NOT_MODIFIED) {
  Deno.test(`304 ${expected ? "yes" : "no"}: ${why}`, () => {
    assert.equal(notModified(inm, ims, ETAG, MTIME), expected);
  });
}

Deno.test("a file has validators once its mtime is RACY_MS old when the request began, not before, nor in the future", () => {
  const cases: [number | undefined, number, boolean][] = [
    [MTIME, MTIME + RACY_MS, true],
    [MTIME, MTIME + RACY_MS + 60_000, true],
    [MTIME, MTIME + RACY_MS - 1, false],
    // Within the second of its Last-Modified date.
    [MTIME, MTIME + 499, false],
    [MTIME, MTIME, false],
    [MTIME + 60_000, MTIME, false],
    [undefined, MTIME, false],
  ];
  for (const [mtime, asked, expected] of cases) {
    assert.equal(validatable(mtime, asked), expected, `${mtime} ${asked}`);
  }
});

Deno.test("If-Modified-Since without a known mtime is never 304", () => {
  assert.equal(notModified(null, LAST_MODIFIED, ETAG, undefined), false);
});

/** [If-Range, etag, holds?, why] (RFC 9110 §13.1.5). */
const IF_RANGE: [string, string, boolean, string][] = [
  [LAST_MODIFIED, ETAG, true, "the Last-Modified date"],
  ["Tuesday, 14-Nov-23 22:13:20 GMT", ETAG, true, "the same date, RFC 850"],
  ["Tue, 14 Nov 2023 22:13:21 GMT", ETAG, false, "a later date"],
  ["Tue, 14 Nov 2023 22:13:19 GMT", ETAG, false, "an earlier date"],
  ["not a date", ETAG, false, "neither date nor tag"],
  // Strong comparison (§8.8.3.2): a weak tag never holds.
  [ETAG, ETAG, false, "our own weak tag"],
  ['"1e-18bcfe569f4"', ETAG, false, "its opaque part, against a weak tag"],
  ['"abc"', '"abc"', true, "equal strong tags"],
  ['"abc"', '"abd"', false, "different strong tags"],
  ['W/"abc"', '"abc"', false, "a weak tag sent"],
];

for (const [ifRange, etag, expected, why] of IF_RANGE) {
  Deno.test(`If-Range ${expected ? "holds" : "fails"}: ${why}`, () => {
    assert.equal(ifRangeHolds(ifRange, etag, MTIME), expected);
  });
}

Deno.test("a PUT's preconditions, RFC 9110 §13.2.2 steps 1 to 3", () => {
  const FILE = { etag: ETAG, mtimeMs: MTIME };
  const STRONG = { etag: '"1e-18bcfe569f4"', mtimeMs: MTIME };
  const OPAQUE = ETAG.slice(2);
  // [If-Match, If-Unmodified-Since, If-None-Match, current, holds]
  const table: [
    string | null,
    string | null,
    string | null,
    typeof FILE | null,
    boolean,
  ][] = [
    [null, null, null, FILE, true],
    [null, null, null, null, true],
    // If-Match: * needs a file; a tag needs the strong comparison.
    ["*", null, null, FILE, true],
    ["*", null, null, null, false],
    [ETAG, null, null, FILE, false],
    [OPAQUE, null, null, FILE, false],
    [OPAQUE, null, null, STRONG, true],
    [`"x", ${OPAQUE}`, null, null, STRONG, true],
    [`W/${OPAQUE}`, null, null, STRONG, false],
    // If-Unmodified-Since: whole seconds; ignored without a file, a date, or
    // when If-Match is there.
    [null, LAST_MODIFIED, null, FILE, true],
    [null, "Tue, 14 Nov 2023 22:13:19 GMT", null, FILE, false],
    [null, "Thu, 01 Jan 1970 00:00:00 GMT", null, null, true],
    [null, "not a date", null, FILE, true],
    ["*", "Thu, 01 Jan 1970 00:00:00 GMT", null, FILE, true],
    // If-None-Match: * or a weakly matching tag fails on an existing file.
    [null, null, "*", FILE, false],
    [null, null, "*", null, true],
    [null, null, OPAQUE, FILE, false],
    [null, null, '"other"', FILE, true],
    ["*", null, "*", FILE, false],
  ];
  for (
    const [ifMatch, ifUnmodifiedSince, ifNoneMatch, current, holds] of table
  ) {
    assert.equal(
      preconditionsHold(ifMatch, ifUnmodifiedSince, ifNoneMatch, current),
      holds,
      JSON.stringify([ifMatch, ifUnmodifiedSince, ifNoneMatch, current]),
    );
  }
});

Deno.test("createsOnly: If-None-Match lists *, as preconditionsHold reads it", () => {
  const table: [string | null, boolean][] = [
    [null, false],
    ["*", true],
    [' "x" , *', true],
    ['W/"x", *', true],
    ['"x"', false],
    ['""', false],
    ["", false],
    // Parsing stops at what is not a tag, in both.
    ["x, *", false],
  ];
  for (const [value, expected] of table) {
    assert.equal(createsOnly(value), expected, JSON.stringify(value));
  }
});
