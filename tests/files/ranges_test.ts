// files/ranges.ts: one table of Range headers and what each asks of a
// file, then the multipart framing, built and parsed back.
import assert from "node:assert/strict";
import {
  type ByteRange,
  chooseRange,
  contentRange,
  MAX_RANGES,
  multipartByteranges,
  multipartBytes,
  parseRange,
  unsatisfiedRange,
} from "../../files/ranges.ts";

type Outcome = ByteRange[] | "unsatisfiable" | null;

/** [Range header, file size, outcome]: null means "ignored, send it all". */
const CASES: [string, number, Outcome][] = [
  // §14.1.2 examples on a 10,000-byte file
  ["bytes=0-499", 10000, [{ start: 0, end: 499 }]],
  ["bytes=500-999", 10000, [{ start: 500, end: 999 }]],
  ["bytes=-500", 10000, [{ start: 9500, end: 9999 }]],
  ["bytes=9500-", 10000, [{ start: 9500, end: 9999 }]],
  ["bytes=0-0,-1", 10000, [{ start: 0, end: 0 }, { start: 9999, end: 9999 }]],
  [
    "bytes=500-600,601-999",
    10000,
    [{ start: 500, end: 600 }, { start: 601, end: 999 }],
  ],
  // the three single forms
  ["bytes=0-4", 30, [{ start: 0, end: 4 }]],
  ["bytes=-7", 30, [{ start: 23, end: 29 }]],
  ["bytes=5-", 30, [{ start: 5, end: 29 }]],
  // a video seek, and the whole file as a range
  ["bytes=0-", 30, [{ start: 0, end: 29 }]],
  ["bytes=29-", 30, [{ start: 29, end: 29 }]],
  // a last-pos or suffix past the end means the end (§14.1.1)
  ["bytes=10-1000", 30, [{ start: 10, end: 29 }]],
  ["bytes=-1000", 30, [{ start: 0, end: 29 }]],
  ["bytes=0-99999999999999999999999", 30, [{ start: 0, end: 29 }]],
  // the unit is case-insensitive; list elements may be empty, with OWS
  ["Bytes=0-1", 30, [{ start: 0, end: 1 }]],
  ["BYTES=0-1", 30, [{ start: 0, end: 1 }]],
  [
    "bytes=0-1 , ,2-3,",
    30,
    [{ start: 0, end: 1 }, { start: 2, end: 3 }],
  ],
  // unsatisfiable: nothing starts before the end; a zero suffix (§14.1.1)
  ["bytes=30-", 30, "unsatisfiable"],
  ["bytes=30-40", 30, "unsatisfiable"],
  ["bytes=-0", 30, "unsatisfiable"],
  ["bytes=99999999999999999999999-", 30, "unsatisfiable"],
  ["bytes=40-50,60-", 30, "unsatisfiable"],
  // an unsatisfiable range among satisfiable ones is dropped
  ["bytes=40-50,0-1", 30, [{ start: 0, end: 1 }]],
  // ignored (§14.2): another unit, syntax errors, an empty file
  ["items=0-4", 30, null],
  ["bytes 0-4", 30, null],
  ["bytes=", 30, null],
  ["bytes=,", 30, null],
  ["bytes=-", 30, null],
  ["bytes=4-0", 30, null],
  ["bytes=0-1,4-0", 30, null],
  ["bytes=a-b", 30, null],
  ["bytes=0x10-", 30, null],
  ["bytes=+1-2", 30, null],
  ["bytes=1.5-2", 30, null],
  ["bytes=0 - 4", 30, null],
  ["bytes=--5", 30, null],
  ["bytes =0-4", 30, null],
  ["bytes=0-4", 0, null],
  ["bytes=-5", 0, null],
  // amplification (CVE-2011-3192): overlaps adding up to more than the file
  ["bytes=0-,0-", 30, null],
  ["bytes=0-19,10-29", 30, null],
  ["bytes=0-9,5-14", 30, [{ start: 0, end: 9 }, { start: 5, end: 14 }]],
  [`bytes=${Array(5).fill("0-9").join(",")}`, 30, null],
  // too many ranges, even small and apart
  [
    `bytes=${Array.from({ length: MAX_RANGES }, (_, i) => `${i}-${i}`)}`,
    1000,
    Array.from({ length: MAX_RANGES }, (_, i) => ({ start: i, end: i })),
  ],
  [
    `bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`)}`,
    1000,
    null,
  ],
  // the Apache killer itself (its "5-0" is invalid as well), and its ranges
  // made valid: caught by the cap on their number
  [
    `bytes=0-,${Array.from({ length: 1300 }, (_, i) => `5-${i}`).join(",")}`,
    100_000,
    null,
  ],
  [
    `bytes=0-,${
      Array.from({ length: 1300 }, (_, i) => `5-${i + 5}`).join(",")
    }`,
    100_000,
    null,
  ],
  [`bytes=${Array(1300).fill("0-0").join(",")}`, 100_000, null],
];

for (const [header, size, outcome] of CASES) {
  Deno.test(`Range ${JSON.stringify(header.slice(0, 40))} of ${size} bytes -> ${JSON.stringify(outcome)?.slice(0, 60)}`, () => {
    assert.deepEqual(parseRange(header, size), outcome);
  });
}

Deno.test("a smaller cap on ranges is honoured", () => {
  assert.equal(parseRange("bytes=0-0,2-2,4-4", 10, 2), null);
  assert.equal(parseRange("bytes=0-0,2-2", 10, 2)?.length, 2);
});

Deno.test("Content-Range of a part and of a 416 (RFC 9110 §14.4)", () => {
  assert.equal(contentRange({ start: 0, end: 4 }, 30), "bytes 0-4/30");
  assert.equal(contentRange({ start: 29, end: 29 }, 30), "bytes 29-29/30");
  assert.equal(unsatisfiedRange(30), "bytes */30");
});

const decoder = new TextDecoder();

/**
 * Parses a multipart/byteranges body as a client would (RFC 2046 §5.1.1):
 * each part's fields and bytes.
 */
function parseMultipart(body: string, boundary: string) {
  assert.ok(body.startsWith(`--${boundary}\r\n`), "opens with a delimiter");
  assert.ok(body.endsWith(`\r\n--${boundary}--\r\n`), "ends with the close");
  const inner = body.slice(0, -`\r\n--${boundary}--\r\n`.length);
  return inner.split(`--${boundary}\r\n`).slice(1).map((part) => {
    const cut = part.endsWith("\r\n") ? part.slice(0, -2) : part;
    const [head, ...rest] = cut.split("\r\n\r\n");
    const fields = Object.fromEntries(
      head.split("\r\n").map((line) => line.split(": ")),
    );
    return { fields, data: rest.join("\r\n\r\n") };
  });
}

Deno.test("multipart/byteranges: parts in the order asked, with their own fields, length known up front", () => {
  const file = new TextEncoder().encode("0123456789abcdefghij");
  const ranges = [{ start: 10, end: 12 }, { start: 0, end: 1 }, {
    start: 19,
    end: 19,
  }];
  const plan = multipartByteranges(ranges, file.length, "text/plain", "XYZ");
  assert.equal(plan.contentType, "multipart/byteranges; boundary=XYZ");
  const body = multipartBytes(plan, file);
  assert.equal(body.length, plan.length);
  assert.deepEqual(parseMultipart(decoder.decode(body), "XYZ"), [
    {
      fields: {
        "Content-Type": "text/plain",
        "Content-Range": "bytes 10-12/20",
      },
      data: "abc",
    },
    {
      fields: { "Content-Type": "text/plain", "Content-Range": "bytes 0-1/20" },
      data: "01",
    },
    {
      fields: {
        "Content-Type": "text/plain",
        "Content-Range": "bytes 19-19/20",
      },
      data: "j",
    },
  ]);
});

Deno.test("multipart boundaries are random, 32 hex digits", () => {
  const ranges = [{ start: 0, end: 0 }, { start: 1, end: 1 }];
  const a = multipartByteranges(ranges, 2, "text/plain").contentType;
  const b = multipartByteranges(ranges, 2, "text/plain").contentType;
  assert.match(a, /^multipart\/byteranges; boundary=[0-9a-f]{32}$/);
  assert.notEqual(a, b);
});

Deno.test("chooseRange: the whole file, a 416 or the ranges, and a failed If-Range sends the whole file", () => {
  const mtime = Date.UTC(2023, 10, 14, 22, 13, 20, 500);
  const etag = 'W/"1e-18bcfe569f4"';
  const date = "Tue, 14 Nov 2023 22:13:20 GMT";
  assert.deepEqual(chooseRange("bytes=0-4", null, 30, etag, mtime), {
    kind: "ranges",
    ranges: [{ start: 0, end: 4 }],
  });
  assert.deepEqual(chooseRange("bytes=40-", null, 30, etag, mtime), {
    kind: "unsatisfiable",
  });
  assert.deepEqual(chooseRange("lines=1-2", null, 30, etag, mtime), {
    kind: "whole",
  });
  // §13.1.5: the Last-Modified date holds; a weak tag never does.
  assert.equal(chooseRange("bytes=0-4", date, 30, etag, mtime).kind, "ranges");
  assert.equal(chooseRange("bytes=0-4", etag, 30, etag, mtime).kind, "whole");
  // A stale If-Range sends the whole file even where no range is satisfiable.
  assert.equal(chooseRange("bytes=40-", etag, 30, etag, mtime).kind, "whole");
  // A file without validators (changed too recently): no If-Range holds.
  assert.equal(
    chooseRange("bytes=0-4", date, 30, null, undefined).kind,
    "whole",
  );
  assert.equal(
    chooseRange("bytes=0-4", null, 30, null, undefined).kind,
    "ranges",
  );
});
