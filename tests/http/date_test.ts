/**
 * Tests of HTTP and log dates: formatting against CPython's `formatdate` and
 * `log_date_time_string` (in several time zones), and `If-Modified-Since`
 * parsing against `email.utils.parsedate_to_datetime` as `send_head` uses it.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatHttpDate,
  formatLogDate,
  parseHttpDate,
} from "../../http/date.ts";
import { runPython } from "../support/python.ts";
import { requiring } from "../support/tools.ts";

/** The tests that compare with CPython. */
const cpython = requiring("python3");

/** Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example. */
const EXAMPLE = 784111777000;

/** Timestamps (ms) around DST changes, leap days and far years. */
const TIMES = [
  0,
  -1,
  EXAMPLE,
  EXAMPLE + 999,
  951782400000, // 2000-02-29
  1710054000000, // 2024-03-10 07:00 UTC, US DST starts
  1711846800000, // 2024-03-31 01:00 UTC, EU DST starts
  1712415600000, // 2024-04-06 15:00 UTC, Lord Howe DST ends
  1730613600000, // 2024-11-03 06:00 UTC, US DST ends
  1795000000000,
  253402300799000, // 9999-12-31 23:59:59
  -62135596800000, // 0001-01-01 00:00:00
  -30610224000000, // 1000-01-01
  ...fc.sample(fc.integer({ min: -2208988800000, max: 4102444800000 }), {
    numRuns: 50,
    seed: 7,
  }),
];

Deno.test("formatHttpDate gives the IMF-fixdate", () => {
  assert.equal(formatHttpDate(EXAMPLE), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(formatHttpDate(EXAMPLE + 999), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(formatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  assert.equal(
    formatHttpDate(-62135596800000),
    "Mon, 01 Jan 0001 00:00:00 GMT",
  );
});

cpython.test("formatHttpDate matches Python's date_time_string", async () => {
  const python = await runPython(
    `
import json, sys
from http.server import BaseHTTPRequestHandler as H
h = H.__new__(H)
json.dump([h.date_time_string(ms // 1000) for ms in json.load(sys.stdin)], sys.stdout)
`,
    TIMES,
  ) as string[];
  TIMES.forEach((ms, i) =>
    assert.equal(formatHttpDate(ms), python[i], String(ms))
  );
});

Deno.test("formatHttpDate() formats now, once per second", () => {
  const before = formatHttpDate(Date.now());
  const now = formatHttpDate();
  const after = formatHttpDate(Date.now());
  assert.ok(now === before || now === after, now);
  assert.equal(formatHttpDate(), formatHttpDate());
});

const PY_LOG_DATE = `
import json, sys
from http import server
h = server.BaseHTTPRequestHandler.__new__(server.BaseHTTPRequestHandler)
out = []
for ms in json.load(sys.stdin):
    server.time.time = lambda: ms / 1000
    out.append(h.log_date_time_string())
json.dump(out, sys.stdout)
`;

cpython.test("formatLogDate matches Python's log_date_time_string in each zone", async () => {
  const script = `import { formatLogDate } from ${
    JSON.stringify(import.meta.resolve("../../http/date.ts"))
  };
console.log(JSON.stringify(${JSON.stringify(TIMES)}.map(formatLogDate)));`;
  for (
    const TZ of [
      "UTC",
      "America/New_York",
      "Europe/Berlin",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
      "Pacific/Chatham",
    ]
  ) {
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: { TZ },
      stderr: "inherit",
    }).output();
    const ours = JSON.parse(new TextDecoder().decode(child.stdout));
    const python = await runPython(PY_LOG_DATE, TIMES, { TZ });
    assert.deepEqual(ours, python, TZ);
  }
  assert.match(formatLogDate(), /^\d\d\/[A-Z][a-z]{2}\/\d{4} \d\d:\d\d:\d\d$/);
});

/** `[value, ms or null]`: what Python's send_head makes of If-Modified-Since. */
const DATES: [string, number | null][] = [
  // The three formats of RFC 9110 §5.6.7.
  ["Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE],
  ["Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE],
  ["Sun Nov  6 08:49:37 1994", EXAMPLE],
  // Zones: names, numbers, none (taken as UTC), -0000 (UTC too).
  ["Sun, 06 Nov 1994 17:49:37 +0900", EXAMPLE],
  ["Sun, 06 Nov 1994 03:49:37 -0500", EXAMPLE],
  ["Sun, 06 Nov 1994 03:49:37 EST", EXAMPLE],
  ["Sun, 06 Nov 1994 00:49:37 PST", EXAMPLE],
  ["Sun, 06 Nov 1994 08:49:37 UT", EXAMPLE],
  ["Sun, 06 Nov 1994 08:49:37 Z", EXAMPLE],
  ["Sun, 06 Nov 1994 08:49:37 -0000", EXAMPLE],
  ["Sun, 06 Nov 1994 08:49:37", EXAMPLE],
  ["Sun, 06 Nov 1994 08:49:37 XYZ", EXAMPLE],
  ["Sun, 06 Nov 1994 17:49:37+0900", EXAMPLE],
  // Leniencies of email.utils.
  ["06 Nov 1994 08:49:37 GMT", EXAMPLE],
  ["Sun,06 Nov 1994 08:49:37 GMT", EXAMPLE],
  ["sun, 6 november 94 8:49:37 gmt", EXAMPLE],
  ["Sun, Nov 06 1994 08:49:37 GMT", EXAMPLE],
  ["Sun, 06 Nov 1994 08.49.37 GMT", EXAMPLE],
  ["Sun, 06 Nov 1994 08:49 GMT", EXAMPLE - 37000],
  ["Sun, 06 Nov 1_994 08:49:37 GMT", EXAMPLE],
  ["Sun,\xa006\tNov 1994 08:49:37 GMT", EXAMPLE],
  ["Thu, 01 Jan 70 00:00:00 GMT", 0],
  ["Mon, 01 Jan 68 00:00:00 GMT", Date.UTC(2068, 0, 1)],
  // Any year below 100 is a two-digit year, even written with four digits.
  ["Mon, 01 Jan 0001 00:00:00 GMT", Date.UTC(2001, 0, 1)],
  // Not dates, or out of range for Python's datetime.
  ["", null],
  ["   ", null],
  ["yesterday", null],
  ["Sun, 06 Nov 1994", null],
  ["Sun, 06 Foo 1994 08:49:37 GMT", null],
  ["Sun, 31 Feb 1994 08:49:37 GMT", null],
  ["Sun, 06 Nov 1994 24:00:00 GMT", null],
  ["Sun, 06 Nov 1994 23:59:60 GMT", null],
  ["Sun, 06 Nov 10000 08:49:37 GMT", null],
  ["Sun, 06 Nov 1994 08:49:37 +2400", null],
  ["Sun, 06 Nov 1994 08:49:37:00 GMT", null],
  ["Sun, 06 Nov 1994 8h49 GMT", null],
];

/** Python's send_head view of If-Modified-Since: ms, or None when ignored. */
const PY_PARSE = `
import datetime, email.utils, json, sys
out = []
for value in json.load(sys.stdin):
    try:
        ims = email.utils.parsedate_to_datetime(value)
    except (TypeError, IndexError, OverflowError, ValueError):
        out.append(None)
        continue
    if ims.tzinfo is None:
        ims = ims.replace(tzinfo=datetime.timezone.utc)
    out.append(int(ims.timestamp()) * 1000)
json.dump(out, sys.stdout)
`;

cpython.test("parseHttpDate reads what email.utils reads", async () => {
  const python = await runPython(PY_PARSE, DATES.map(([value]) => value));
  DATES.forEach(([value, expected], i) => {
    assert.equal(parseHttpDate(value), expected, JSON.stringify(value));
    assert.equal(
      (python as (number | null)[])[i],
      expected,
      `Python: ${value}`,
    );
  });
});

/**
 * Variants of each field of a date: `[good, odd or bad]`, drawn nine to one
 * so that about a fifth of the generated dates parse.
 */
function field(good: string[], bad: string[]) {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...good), weight: 9 },
    { arbitrary: fc.constantFrom(...bad), weight: 1 },
  );
}
const DAY = field(["Sun, ", "Sunday, ", "sun ", "Sun,", ""], ["Foo, ", ","]);
const DD = field(["06", "6", "31", "29", "1_6"], ["0", "32", "-1", "x"]);
const MON = field(["Nov", "november", "NOV", "Feb"], ["Foo", ""]);
const YY = field(
  ["1994", "94", "2000", "1900", "68", "69", "-5", "0001", "1994,"],
  ["10000", "", ",", "\u00b2"],
);
const TIME = field(
  ["08:49:37", "8:49", "08.49.37", "23:59:59"],
  ["24:00:00", "23:59:60", "12:00:", "8h49", ":"],
);
const ZONE = field(
  ["", " GMT", " UTC", " Z", " EST", " pdt", " +0900", "+0900", " -0000"],
  [" -0500", " +99999", " XYZ", " -", "-", " +"],
);
const SEP = field([" ", "  ", "\t", "\xa0"], ["", ","]);

/** Dates in the three HTTP formats and orders, and fields at random. */
const generatedDate = fc.oneof(
  fc.tuple(DAY, DD, SEP, MON, SEP, YY, SEP, TIME, ZONE)
    .map((parts) => parts.join("")),
  fc.tuple(DAY, DD, MON, YY, SEP, TIME, ZONE)
    .map(([day, dd, mon, yy, sep, time, zone]) =>
      `${day}${dd}-${mon}-${yy}${sep}${time}${zone}`
    ),
  fc.tuple(DAY, MON, SEP, DD, SEP, TIME, SEP, YY, ZONE)
    .map((parts) => parts.join("")),
  fc.array(fc.oneof(DAY, DD, MON, YY, TIME, ZONE, SEP), { maxLength: 8 })
    .map((parts) => parts.join(" ")),
);

cpython.test("generated dates parse as Python parses them", async () => {
  const values = fc.sample(generatedDate, { numRuns: 4000, seed: 11 });
  const python = await runPython(PY_PARSE, values) as (number | null)[];
  let parsed = 0;
  values.forEach((value, i) => {
    assert.equal(parseHttpDate(value), python[i], JSON.stringify(value));
    if (python[i] !== null) parsed++;
  });
  assert.ok(parsed > 600, `only ${parsed} of the generated dates parse`);
});
