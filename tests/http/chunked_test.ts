/**
 * Tests of the chunked decoder: a table of valid bodies, a table of broken
 * ones, then the streaming cases (every split point, one segment per call,
 * bytes after the body).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ChunkedDecoder,
  type ChunkedDecoderOptions,
} from "../../http/chunked.ts";
import { HttpError } from "../../util/errors.ts";

/** The bytes of `s`, one per char code (latin-1). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function text(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/**
 * Decodes `raw` the way a connection loop does: bytes arrive in pieces ending
 * at each of `cuts`; the decoder is called until it needs more bytes.
 */
function decodeInPieces(
  raw: Uint8Array,
  cuts: number[],
  options?: ChunkedDecoderOptions,
) {
  const decoder = new ChunkedDecoder(options);
  let pos = 0;
  let payload = "";
  let calls = 0;
  for (const cut of cuts) {
    while (!decoder.done) {
      const used = decoder.decode(raw, pos, cut);
      calls++;
      payload += text(raw.subarray(decoder.dataStart, decoder.dataEnd));
      pos += used;
      if (used === 0) break;
    }
  }
  return { payload, pos, done: decoder.done, calls };
}

interface Case {
  name: string;
  raw: string;
  options?: ChunkedDecoderOptions;
  /** The decoded payload of a valid body. */
  payload?: string;
  /** Bytes the body takes, when `raw` has more after it. */
  used?: number;
  /** The error message of a broken body (kind `bad-chunk`, status 400). */
  error?: string;
}

function assertBadChunk(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError, `not an HttpError: ${e}`);
    assert.equal(e.kind, "bad-chunk");
    assert.equal(e.status, 400);
    assert.equal(e.reason, message);
    return true;
  });
}

function runTable(topic: string, cases: Case[]) {
  for (const c of cases) {
    Deno.test(`${topic}: ${c.name}`, () => {
      const raw = bytes(c.raw);
      if (c.error !== undefined) {
        assertBadChunk(
          () => decodeInPieces(raw, [raw.length], c.options),
          c.error,
        );
        return;
      }
      const result = decodeInPieces(raw, [raw.length], c.options);
      assert.ok(result.done, "body is incomplete");
      assert.equal(result.payload, c.payload);
      assert.equal(result.pos, c.used ?? raw.length);
    });
  }
}

runTable("valid bodies", [
  {
    name: "one chunk is its payload",
    raw: "5\r\nhello\r\n0\r\n\r\n",
    payload: "hello",
  },
  {
    name: "many chunks are joined",
    raw: "1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n",
    payload: "abcdef",
  },
  {
    name: "an empty body is just the last chunk",
    raw: "0\r\n\r\n",
    payload: "",
  },
  {
    name: "uppercase hex sizes are read",
    raw: `A\r\n${"x".repeat(10)}\r\n1F\r\n${"y".repeat(31)}\r\n0\r\n\r\n`,
    payload: "x".repeat(10) + "y".repeat(31),
  },
  {
    name: "lowercase hex sizes are read",
    raw: `a\r\n${"x".repeat(10)}\r\n0\r\n\r\n`,
    payload: "x".repeat(10),
  },
  {
    name: "leading zeros in sizes are allowed, up to 16 digits",
    raw: "0005\r\nhello\r\n0000000000000000\r\n\r\n",
    payload: "hello",
  },
  {
    name: "the payload is opaque: CR, LF and NUL pass through",
    raw: "5\r\n\r\n\x00\n\r\r\n0\r\n\r\n",
    payload: "\r\n\x00\n\r",
  },
  {
    name: "extensions are skipped",
    raw: '5;name=value;flag\r\nhello\r\n0;last="yes; really"\r\n\r\n',
    payload: "hello",
  },
  {
    name: "whitespace before an extension is allowed (BWS)",
    raw: "5 \t;a = b\r\nhello\r\n0\r\n\r\n",
    payload: "hello",
  },
  {
    name: "obs-text in an extension is allowed",
    raw: '5;a="caf\xe9"\r\nhello\r\n0\r\n\r\n',
    payload: "hello",
  },
  {
    name: "trailers are checked and discarded",
    raw: "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:\t1 \r\n\r\n",
    payload: "abc",
  },
  {
    name: "100 trailers are accepted",
    raw: `0\r\n${"X: y\r\n".repeat(100)}\r\n`,
    payload: "",
  },
  {
    name: "bytes after the final CRLF are not consumed",
    raw: "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    payload: "hello",
    used: 15,
  },
]);

runTable("broken bodies", [
  { name: "an empty size line", raw: "\r\nhello", error: "Invalid chunk size" },
  {
    name: "a space before the size",
    raw: " 5\r\nhello",
    error: "Invalid chunk size",
  },
  { name: "a plus sign", raw: "+5\r\nhello", error: "Invalid chunk size" },
  { name: "a minus sign", raw: "-5\r\nhello", error: "Invalid chunk size" },
  { name: "a 0x prefix", raw: "0x5\r\nhello", error: "Invalid chunk size" },
  { name: "a non-hex digit", raw: "g\r\nhello", error: "Invalid chunk size" },
  {
    name: "junk after the size",
    raw: "5x\r\nhello",
    error: "Invalid chunk size",
  },
  {
    name: "whitespace after the size without an extension",
    raw: "5 \r\nhello",
    error: "Invalid chunk size",
  },
  {
    name: "17 hex digits",
    raw: "00000000000000005\r\nhello",
    error: "Invalid chunk size",
  },
  {
    name: "a size of 2^53",
    raw: "20000000000000\r\n",
    error: "Chunk size too large",
  },
  {
    name: "a size of 2^64-1",
    raw: "ffffffffffffffff\r\n",
    error: "Chunk size too large",
  },
  {
    name: "a bare LF after the size",
    raw: "5\nhello\r\n",
    error: "Bare LF in chunk",
  },
  {
    name: "a bare LF after the last chunk",
    raw: "0\n\r\n",
    error: "Bare LF in chunk",
  },
  {
    name: "a bare CR in the size line",
    raw: "5\r;a\r\nhello",
    error: "Bare CR in chunk",
  },
  {
    name: "a bare LF after the data",
    raw: "5\r\nhello\n0\r\n\r\n",
    error: "Bare LF after chunk data",
  },
  {
    name: "a bare CR after the data",
    raw: "5\r\nhello\r0\r\n\r\n",
    error: "Bare CR after chunk data",
  },
  {
    name: "data longer than its size",
    raw: "3\r\nhello\r\n0\r\n\r\n",
    error: "Missing CRLF after chunk data",
  },
  {
    name: "a NUL in an extension",
    raw: "5;a\x00\r\nhello",
    error: "Invalid chunk extension",
  },
  {
    name: "a control byte in an extension",
    raw: "5;a=\x01\r\nhello",
    error: "Invalid chunk extension",
  },
  {
    name: "DEL in an extension",
    raw: "5;a\x7f\r\nhello",
    error: "Invalid chunk extension",
  },
  {
    name: "a chunk line over the limit",
    raw: `5;${"a".repeat(14)}\r\nhello`,
    options: { maxLineLength: 17 },
    error: "Chunk line too long",
  },
  {
    name: "a trailer line over the limit",
    raw: `0\r\nX: ${"a".repeat(13)}\r\n\r\n`,
    options: { maxLineLength: 17 },
    error: "Chunk line too long",
  },
  {
    name: "101 trailers",
    raw: `0\r\n${"X: y\r\n".repeat(101)}\r\n`,
    error: "Too many trailers",
  },
  {
    name: "more trailers than maxTrailers",
    raw: "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
    options: { maxTrailers: 2 },
    error: "Too many trailers",
  },
  {
    name: "an obs-fold trailer",
    raw: "0\r\nX: a\r\n b\r\n\r\n",
    error: "Invalid trailer: Obsolete line folding in header",
  },
  {
    name: "a trailer with a space before the colon",
    raw: "0\r\nX : a\r\n\r\n",
    error: "Invalid trailer: Whitespace before colon",
  },
  {
    name: "a trailer without a colon",
    raw: "0\r\nX\r\n\r\n",
    error: "Invalid trailer: Invalid header name",
  },
  {
    name: "a trailer with an empty name",
    raw: "0\r\n: a\r\n\r\n",
    error: "Invalid trailer: Invalid header name",
  },
  {
    name: "a trailer with a NUL in its value",
    raw: "0\r\nX: a\x00\r\n\r\n",
    error: "Invalid trailer: Invalid header value",
  },
  {
    name: "a trailer ending in a bare LF",
    raw: "0\r\nX: a\n\r\n",
    error: "Bare LF in chunk",
  },
  {
    name: "a trailer section ending in a bare LF",
    raw: "0\r\n\n",
    error: "Bare LF in chunk",
  },
]);

const BODY = "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n" +
  "0\r\nX-Trailer: yes\r\n\r\nNEXT";
const BODY_PAYLOAD = "Wikipedia in\r\n\r\nchunks.";
const BODY_LENGTH = BODY.length - "NEXT".length;

Deno.test("streaming: a body split at every byte decodes the same", () => {
  const raw = bytes(BODY);
  for (let cut = 0; cut <= raw.length; cut++) {
    const { payload, pos, done } = decodeInPieces(raw, [cut, raw.length]);
    assert.deepEqual([payload, pos, done], [BODY_PAYLOAD, BODY_LENGTH, true]);
  }
});

Deno.test("streaming: a body sent one byte at a time decodes the same", () => {
  const raw = bytes(BODY);
  const cuts = Array.from({ length: raw.length }, (_, i) => i + 1);
  const { payload, pos, done } = decodeInPieces(raw, cuts);
  assert.deepEqual([payload, pos, done], [BODY_PAYLOAD, BODY_LENGTH, true]);
});

Deno.test("streaming: a tail moved to the front of a new buffer decodes the same", () => {
  const raw = bytes(BODY);
  const decoder = new ChunkedDecoder();
  let tail = new Uint8Array(0);
  let payload = "";
  for (let i = 0; i < raw.length && !decoder.done; i += 3) {
    const buf = new Uint8Array(tail.length + 3);
    buf.set(tail);
    buf.set(raw.subarray(i, i + 3), tail.length);
    const end = tail.length + Math.min(3, raw.length - i);
    let pos = 0;
    for (let used = 1; used > 0 && !decoder.done; pos += used) {
      used = decoder.decode(buf, pos, end);
      payload += text(buf.subarray(decoder.dataStart, decoder.dataEnd));
    }
    tail = buf.slice(pos, end);
  }
  assert.equal(payload, BODY_PAYLOAD);
});

Deno.test("streaming: each call returns at most one payload segment", () => {
  const raw = bytes("1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n");
  const decoder = new ChunkedDecoder();
  const segments = [];
  let pos = 0;
  while (!decoder.done) {
    pos += decoder.decode(raw, pos, raw.length);
    segments.push(text(raw.subarray(decoder.dataStart, decoder.dataEnd)));
  }
  assert.deepEqual(segments, ["a", "b", "c"]);
  assert.equal(pos, raw.length);
});

Deno.test("streaming: the call with the last payload also finishes the body", () => {
  const raw = bytes("5\r\nhello\r\n0\r\n\r\n");
  const decoder = new ChunkedDecoder();
  assert.equal(decoder.decode(raw, 0, raw.length), raw.length);
  assert.equal(text(raw.subarray(decoder.dataStart, decoder.dataEnd)), "hello");
  assert.ok(decoder.done);
  assert.equal(decoder.decode(raw, raw.length, raw.length), 0);
});

Deno.test("streaming: a partial chunk is delivered as it arrives", () => {
  const raw = bytes("1fffffffffffff\r\nab");
  const decoder = new ChunkedDecoder();
  assert.equal(decoder.decode(raw, 0, raw.length), raw.length);
  assert.equal(text(raw.subarray(decoder.dataStart, decoder.dataEnd)), "ab");
  assert.ok(!decoder.done);
});

Deno.test("streaming: a chunk line is refused before its LF arrives", () => {
  const raw = bytes(`5;${"a".repeat(5000)}`);
  const decoder = new ChunkedDecoder();
  assert.equal(decoder.decode(raw, 0, 4096), 0);
  assertBadChunk(() => decoder.decode(raw, 0, 4097), "Chunk line too long");
});

Deno.test("streaming: reset decodes the next body", () => {
  const raw = bytes("1\r\na\r\n0\r\n\r\n2\r\nbc\r\n0\r\n\r\n");
  const decoder = new ChunkedDecoder();
  let pos = 0;
  const bodies = [];
  for (let i = 0; i < 2; i++) {
    decoder.reset();
    let payload = "";
    while (!decoder.done) {
      pos += decoder.decode(raw, pos, raw.length);
      payload += text(raw.subarray(decoder.dataStart, decoder.dataEnd));
    }
    bodies.push(payload);
  }
  assert.deepEqual(bodies, ["a", "bc"]);
  assert.equal(pos, raw.length);
});
