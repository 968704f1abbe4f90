/**
 * Dates on the wire and in the log: the IMF-fixdate of `Date` and
 * `Last-Modified` (RFC 9110 §5.6.7), Python's log timestamp, and the parser
 * for `If-Modified-Since` that accepts what Python's
 * `email.utils.parsedate_to_datetime` accepts.
 *
 * @example
 * ```ts
 * import { formatHttpDate, parseHttpDate } from "./date.ts";
 *
 * formatHttpDate(784111777000); // "Sun, 06 Nov 1994 08:49:37 GMT"
 * parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sun Nov  6 08:49:37 1994"); // 784111777000
 * parseHttpDate("Sun, 06 Nov 1994 17:49:37 +0900"); // 784111777000
 * parseHttpDate("yesterday"); // null
 * ```
 *
 * @module
 */

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** The second that {@link cachedDate} formats; the Date header repeats it. */
let cachedSecond = NaN;
let cachedDate = "";
/** The second that {@link lastDate} formats: a file's Last-Modified repeats. */
let lastSecond = NaN;
let lastDate = "";
/** The second that {@link cachedLogDate} formats; every log line repeats it. */
let cachedLogSecond = NaN;
let cachedLogDate = "";
/** The second that {@link clfDate} formats, for the Common Log Format. */
let clfSecond = NaN;
let clfDate = "";

/**
 * Formats a time as an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, as
 * Python's `date_time_string` (milliseconds are dropped). The current time,
 * the `Date` header of every response, is formatted once per second, and the
 * last other time given is remembered (a file's `Last-Modified`).
 *
 * @param ms milliseconds since the epoch; now when left out
 * @returns the date in GMT
 */
export function formatHttpDate(ms?: number): string {
  // toUTCString drops the milliseconds, rounding down as Python's gmtime.
  if (ms !== undefined) {
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastDate = new Date(ms).toUTCString();
      lastSecond = second;
    }
    return lastDate;
  }
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) {
    cachedDate = new Date(second * 1000).toUTCString();
    cachedSecond = second;
  }
  return cachedDate;
}

/**
 * Formats a time for the log as Python's `log_date_time_string`,
 * `25/Nov/2026 03:17:08`, in local time. The current time is formatted once
 * per second.
 *
 * @param ms milliseconds since the epoch; now when left out
 * @returns the local date and time
 */
export function formatLogDate(ms?: number): string {
  if (ms !== undefined) return formatLocal(new Date(ms));
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedLogSecond) {
    cachedLogDate = formatLocal(new Date(second * 1000));
    cachedLogSecond = second;
  }
  return cachedLogDate;
}

/**
 * Formats a time as the Common Log Format does (Apache's `%t`), local time
 * with its offset from UTC: `25/Nov/2026:03:17:08 +0100`. The last second
 * formatted is remembered: the requests of a second share it.
 *
 * @param ms milliseconds since the epoch
 * @returns the local date, time and offset
 */
export function formatClfDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== clfSecond) {
    const d = new Date(second * 1000);
    const offset = -d.getTimezoneOffset();
    const hours = Math.floor(Math.abs(offset) / 60);
    clfDate = `${formatLocal(d).replace(" ", ":")} ${offset < 0 ? "-" : "+"}${
      pad(hours, 2)
    }${pad(Math.abs(offset) % 60, 2)}`;
    clfSecond = second;
  }
  return clfDate;
}

function formatLocal(d: Date): string {
  return `${pad(d.getDate(), 2)}/${MONTHS[d.getMonth()]}/${
    pad(d.getFullYear(), 4)
  } ${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${
    pad(d.getSeconds(), 2)
  }`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

// What email.utils accepts, from CPython's email/_parseaddr.py.
const MONTH_NAMES = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec",
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/** Zone names and their offsets as `±hhmm`. */
const ZONES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  AST: -400,
  ADT: -300,
  EST: -500,
  EDT: -400,
  CST: -600,
  CDT: -500,
  MST: -700,
  MDT: -600,
  PST: -800,
  PDT: -700,
};
/** Python's `str.split()` separators within latin-1 (header values are). */
// deno-lint-ignore no-control-regex -- Python's whitespace includes \x1c-\x1f
const WHITESPACE = /[\t-\r\x1c- \x85\xa0]+/;
/** Python's `int()` within latin-1: an optional sign, digits, `_` between. */
const PY_INT = /^[+-]?[0-9]+(?:_[0-9]+)*$/;
/** Python's `str.isdigit()` within latin-1: superscripts count. */
const PY_DIGIT = /^[0-9\xb2\xb3\xb9]/;

/**
 * Parses an HTTP date as Python's `email.utils.parsedate_to_datetime`:
 * IMF-fixdate, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`), asctime
 * (`Sun Nov  6 08:49:37 1994`) and RFC 2822 variants, with a zone name
 * (`GMT`, `UT`, `Z`, `EST`...) or a numeric zone (`+0900`) applied. A date
 * without a zone, or with `-0000`, is taken as UTC, as Python's `send_head`
 * takes it. Out-of-range fields (`31 Feb`, `24:00:00`, a leap second) do not
 * parse, as Python's `datetime` refuses them.
 *
 * @param s the header value
 * @returns milliseconds since the epoch, or `null` when it does not parse
 */
export function parseHttpDate(s: string): number | null {
  const fields = parseDateFields(s);
  if (fields === null) return null;
  const [year, month, day, hour, minute, second, offset] = fields;
  const valid = year >= 1 && year <= 9999 && month >= 1 && month <= 12 &&
    day >= 1 && day <= daysInMonth(year, month) && hour >= 0 && hour <= 23 &&
    minute >= 0 && minute <= 59 && second >= 0 && second <= 59 &&
    Math.abs(offset) < 86400;
  if (!valid) return null;
  // Years are 100 or more here (below is a two-digit year), which Date.UTC
  // takes as they are.
  return Date.UTC(year, month - 1, day, hour, minute, second) - offset * 1000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A port of CPython's `_parsedate_tz`, step by step: `[year, month, day,
 * hour, minute, second, offset in seconds]` (offset 0 for no zone or
 * `-0000`), or `null`.
 */
function parseDateFields(s: string): number[] | null {
  let data = s.split(WHITESPACE).filter((word) => word !== "");
  if (data.length === 0) return null;
  // The day name, with or without the space after its comma.
  if (data[0].endsWith(",") || DAY_NAMES.includes(data[0].toLowerCase())) {
    data.shift();
  } else {
    data[0] = data[0].slice(data[0].lastIndexOf(",") + 1);
  }
  if (data.length === 3) { // RFC 850: 06-Nov-94
    const stuff = data[0].split("-");
    if (stuff.length === 3) data = [...stuff, ...data.slice(1)];
  }
  if (data.length === 4) { // the zone glued to the time: 08:49:37+0900
    const last = data[3];
    let i = last.indexOf("+");
    if (i === -1) i = last.indexOf("-");
    if (i > 0) data.splice(3, 1, last.slice(0, i), last.slice(i));
    else data.push("");
  }
  if (data.length < 5) return null;
  let [dd, mm, yy, tm, tz] = data;
  if (!(dd && mm && yy)) return null;
  mm = mm.toLowerCase();
  if (!MONTH_NAMES.includes(mm)) {
    [dd, mm] = [mm, dd.toLowerCase()]; // asctime: the month comes first
    if (!MONTH_NAMES.includes(mm)) return null;
  }
  const month = MONTH_NAMES.indexOf(mm) % 12 + 1;
  if (dd.endsWith(",")) dd = dd.slice(0, -1);
  if (yy.indexOf(":") > 0) [yy, tm] = [tm, yy]; // asctime: time before year
  if (yy.endsWith(",")) {
    yy = yy.slice(0, -1);
    if (!yy) return null;
  }
  if (!PY_DIGIT.test(yy)) [yy, tz] = [tz, yy];
  if (tm.endsWith(",")) tm = tm.slice(0, -1);
  let time = tm.split(":");
  if (time.length === 2) time.push("0");
  else if (time.length === 1 && tm.includes(".")) { // 08.49.37
    time = tm.split(".");
    if (time.length === 2) time.push("0");
  }
  if (time.length !== 3) return null;
  const numbers = [yy, dd, ...time].map(pyInt);
  if (numbers.includes(null)) return null;
  let [year, day, hour, minute, second] = numbers as number[];
  if (year < 100) year += year > 68 ? 1900 : 2000; // POSIX two-digit years
  tz = tz.toUpperCase();
  let zone = (Object.hasOwn(ZONES, tz) ? ZONES[tz] : pyInt(tz)) ?? 0;
  const sign = zone < 0 ? -1 : 1;
  zone = Math.abs(zone);
  const offset = sign * (Math.trunc(zone / 100) * 3600 + (zone % 100) * 60);
  return [year, month, day, hour, minute, second, offset];
}

/** Python's `int(s)` for latin-1 text, or `null` where it raises. */
function pyInt(s: string): number | null {
  return PY_INT.test(s) ? Number(s.replaceAll("_", "")) : null;
}
