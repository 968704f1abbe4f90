/**
 * Byte ranges (RFC 9110 §14): which parts of a file a `Range` header asks
 * for, their `Content-Range`, and the `multipart/byteranges` framing of
 * several parts. Pure but for {@link writeMultipart}, which copies the parts
 * of an open file.
 *
 * Every rule of the RFC that this server applies is here, next to its
 * section, as Go's `net/http/fs.go` keeps them:
 *
 * - a header this server does not take is ignored and the whole file is sent
 *   (200), as §14.2 allows: another unit, a syntax error, an empty file, or
 *   a request that could amplify (CVE-2011-3192: more than
 *   {@link MAX_RANGES} ranges, or ranges that add up to more than the file);
 * - a header whose ranges all start past the end is unsatisfiable: 416 with
 *   `Content-Range: bytes *\/size` (§15.5.17);
 * - one satisfiable range is a 206 with its `Content-Range` (§14.4); several
 *   are a 206 `multipart/byteranges` in the order asked (§14.6);
 * - an `If-Range` that does not hold gets the whole file (§13.1.5).
 *
 * @example
 * ```ts
 * import { contentRange, parseRange } from "./ranges.ts";
 *
 * parseRange("bytes=0-4", 10); // [{ start: 0, end: 4 }]
 * parseRange("bytes=-3", 10); // [{ start: 7, end: 9 }]
 * parseRange("bytes=20-", 10); // "unsatisfiable"
 * parseRange("lines=1-2", 10); // null: ignored, the whole file is sent
 * contentRange({ start: 7, end: 9 }, 10); // "bytes 7-9/10"
 * ```
 *
 * @module
 */

import { ifRangeHolds } from "./conditional.ts";
import { copyBytes } from "./filebody.ts";
import type { BufferedWriter } from "../http/writer.ts";

/** A satisfiable range of bytes, both ends included, as `Content-Range` writes it. */
export interface ByteRange {
  /** The first byte's offset. */
  readonly start: number;
  /** The last byte's offset (not one past it). */
  readonly end: number;
}

/**
 * The most ranges one request may ask for. Past it the header is ignored
 * (§14.2: "many small ranges" are a sign of a denial-of-service attack), so
 * a response never has more parts than this. Apache's `MaxRanges` is 200;
 * readers of PDFs by byte-serving ask for a few dozen at most.
 */
export const MAX_RANGES = 32;

/**
 * What a `Range` header asks of a file of `size` bytes (RFC 9110 §14.1.1,
 * §14.2): its satisfiable ranges in the order asked, `"unsatisfiable"` when
 * none is (answer 416), or null when the header is to be ignored (send the
 * whole file): another unit than `bytes`, a syntax error, an empty file, more
 * than `maxRanges` ranges, or ranges adding up to more bytes than the file
 * has (overlapping ranges that would amplify the response, CVE-2011-3192).
 *
 * @param header the `Range` field value
 * @param size the file's length in bytes
 * @param maxRanges the most ranges taken
 */
export function parseRange(
  header: string,
  size: number,
  maxRanges: number = MAX_RANGES,
): ByteRange[] | "unsatisfiable" | null {
  // §14.1: range-unit "=" range-set; units are case-insensitive.
  const eq = header.indexOf("=");
  if (eq !== 5 || header.slice(0, 5).toLowerCase() !== "bytes") return null;
  // §14.1.1: when the file is empty no int-range is satisfiable and a
  // suffix-range selects nothing: there is nothing to ask a part of.
  if (size === 0) return null;
  // §5.6.1: a list may hold empty elements, which do not count.
  const specs = header.slice(eq + 1).split(",").map((spec) => spec.trim())
    .filter((spec) => spec !== "");
  if (specs.length === 0 || specs.length > maxRanges) return null;
  const ranges: ByteRange[] = [];
  let total = 0;
  for (const spec of specs) {
    const match = RANGE_SPEC.exec(spec);
    if (match === null) return null;
    const [, first, last] = match;
    if (first === "" && last === "") return null;
    let range: ByteRange | null;
    if (first === "") {
      // suffix-range: the last N bytes; N = 0 is not satisfiable.
      const suffix = Number(last);
      range = suffix === 0
        ? null
        : { start: Math.max(0, size - suffix), end: size - 1 };
    } else {
      // int-range: satisfiable when it starts before the end; a last-pos
      // past the end means the end. A last-pos before the first-pos makes
      // the whole header invalid.
      const start = Number(first);
      const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
      if (last !== "" && Number(last) < start) return null;
      range = start < size ? { start, end } : null;
    }
    if (range === null) continue;
    total += range.end - range.start + 1;
    // More bytes than the file has: overlapping ranges (CVE-2011-3192).
    if (total > size) return null;
    ranges.push(range);
  }
  return ranges.length === 0 ? "unsatisfiable" : ranges;
}

/** §14.1.1: `first-pos "-" [ last-pos ]` or `"-" suffix-length`, digits only. */
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/**
 * What a GET with a `Range` gets: the whole file (200), a 416, or the
 * ranges to send (206, one range or a `multipart/byteranges` body).
 */
export type RangeChoice =
  | { readonly kind: "whole" }
  | { readonly kind: "unsatisfiable" }
  | { readonly kind: "ranges"; readonly ranges: readonly ByteRange[] };

const WHOLE: RangeChoice = { kind: "whole" };
const UNSATISFIABLE: RangeChoice = { kind: "unsatisfiable" };

/**
 * The answer to a `Range` on a file of `size` bytes: the whole file when
 * `If-Range`, if sent, does not hold (§13.1.5) or {@link parseRange} ignores
 * the header; else its ranges, or 416 when none is satisfiable.
 *
 * @param range the `Range` field value
 * @param ifRange the `If-Range` field value, or null
 * @param size the file's length in bytes
 * @param etag the file's tag, or null when it has no validators (then no
 *   `If-Range` holds)
 * @param mtimeMs its modification time in ms, if known
 */
export function chooseRange(
  range: string,
  ifRange: string | null,
  size: number,
  etag: string | null,
  mtimeMs: number | undefined,
): RangeChoice {
  if (
    ifRange !== null && (etag === null || !ifRangeHolds(ifRange, etag, mtimeMs))
  ) return WHOLE;
  const ranges = parseRange(range, size);
  if (ranges === null) return WHOLE;
  if (ranges === "unsatisfiable") return UNSATISFIABLE;
  return { kind: "ranges", ranges };
}

/** The `Content-Range` of one part (§14.4): `bytes 0-4/10`. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** The `Content-Range` of a 416 (§14.4, §15.5.17): `bytes *\/10`. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}

/** The bytes a range covers. */
export function rangeLength(range: ByteRange): number {
  return range.end - range.start + 1;
}

/** A `multipart/byteranges` body laid out, with its length known up front. */
export interface MultipartPlan {
  /** The response's `Content-Type`: `multipart/byteranges; boundary=...`. */
  readonly contentType: string;
  /** The whole body's length in bytes: the `Content-Length`. */
  readonly length: number;
  /** Each part's head (delimiter and fields) and the range that follows it. */
  readonly parts: readonly { head: Uint8Array; range: ByteRange }[];
  /** The closing delimiter. */
  readonly tail: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * Lays out the `multipart/byteranges` body of `ranges` of a file of `size`
 * bytes and type `type` (RFC 9110 §14.6, RFC 2046 §5.1.1): each part a
 * delimiter, its `Content-Type` and `Content-Range`, then its bytes; then the
 * close delimiter. The boundary is random, so that no file can hold it by
 * design.
 *
 * @param ranges two or more satisfiable ranges, from {@link parseRange}
 * @param size the file's length
 * @param type the file's `Content-Type`
 * @param boundary the boundary; random when left out
 */
export function multipartByteranges(
  ranges: readonly ByteRange[],
  size: number,
  type: string,
  boundary: string = randomBoundary(),
): MultipartPlan {
  let length = 0;
  const parts = ranges.map((range, i) => {
    const head = encoder.encode(
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${type}\r\n` +
        `Content-Range: ${contentRange(range, size)}\r\n\r\n`,
    );
    length += head.length + rangeLength(range);
    return { head, range };
  });
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    length: length + tail.length,
    parts,
    tail,
  };
}

/** 32 random hex digits: a boundary no file holds but by a 2^-128 chance. */
function randomBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The whole multipart body of `plan` cut from a file held in memory. */
export function multipartBytes(
  plan: MultipartPlan,
  file: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(plan.length);
  let offset = 0;
  for (const { head, range } of plan.parts) {
    out.set(head, offset);
    offset += head.length;
    out.set(file.subarray(range.start, range.end + 1), offset);
    offset += rangeLength(range);
  }
  out.set(plan.tail, offset);
  return out;
}

/**
 * Writes the multipart body of `plan`, copying each range from `file`.
 * Resolves to the file bytes copied: fewer than the ranges cover when the
 * file shrank, and then the body stops short (the caller closes the
 * connection: the `Content-Length` sent cannot be met).
 */
export async function writeMultipart(
  plan: MultipartPlan,
  file: Deno.FsFile,
  out: BufferedWriter,
): Promise<number> {
  let copied = 0;
  for (const { head, range } of plan.parts) {
    await out.write(head);
    await file.seek(range.start, Deno.SeekMode.Start);
    const n = await copyBytes(file, out, rangeLength(range));
    copied += n;
    if (n < rangeLength(range)) return copied;
  }
  await out.write(plan.tail);
  return copied;
}
