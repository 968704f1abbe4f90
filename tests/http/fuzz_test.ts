/**
 * Property-based fuzzing of the wire format with fast-check: valid requests
 * mutated byte by byte and line by line, generated valid heads, pipelined
 * requests with chunked bodies split at random points, and the same mutated
 * heads sent to a live server. `parser_test.ts` already feeds random bytes
 * and random line splits; these start from real requests, which reach far
 * deeper into the rules.
 *
 * Each property runs a bounded number of cases (a few seconds in all); set
 * `HTTPSERVER_FUZZ_RUNS=100000` to run that many each.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "../../mod.ts";
import { ChunkedDecoder } from "../../http/chunked.ts";
import { HttpError } from "../../util/errors.ts";
import { type RequestHead, RequestParser } from "../../http/parser.ts";
import {
  captureStderr,
  latin1,
  LOG_LINE,
  RawClient,
  serve,
} from "../support/helpers.ts";

/** Cases per property: `HTTPSERVER_FUZZ_RUNS`, or `ci` by default. */
function runs(ci: number): number {
  const wanted = Number(Deno.env.get("HTTPSERVER_FUZZ_RUNS"));
  return Number.isInteger(wanted) && wanted > 0 ? wanted : ci;
}

const text = (b: Uint8Array) => String.fromCharCode(...b);

/** Real requests the mutations start from. */
const SEEDS = [
  "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "GET /x?y=1#z HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "GET /index.html\r\n",
  "POST /upload HTTP/1.1\r\nHost: example.com:8080\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
  "Accept: text/html;q=0.9,*/*;q=0.8\r\nContent-Length: 11\r\n" +
  "Expect: 100-continue\r\nX-Latin: caf\xe9\r\n\r\nhello world",
  "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
];

/** Bytes and fragments that sit on the boundaries of the grammar. */
const FRAGMENTS = [
  "\r",
  "\n",
  "\r\n",
  " ",
  "\t",
  ":",
  ",",
  ";",
  "0",
  "f",
  "-",
  "+",
  '"',
  "\x00",
  "\x0b",
  "\x7f",
  "\x80",
  "\xff",
  " HTTP/1.1",
  "Host: b\r\n",
  "Content-Length: 5\r\n",
  "Content-Length: 0\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Transfer-Encoding: identity\r\n",
  "Connection: close\r\n",
  "Expect: 100-continue\r\n",
  "\r\n\r\n",
];

type Mutation =
  | { op: "insert"; at: number; bytes: string }
  | { op: "replace"; at: number; byte: number }
  | { op: "delete"; at: number; length: number }
  | { op: "repeat"; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.constantFrom(...FRAGMENTS),
      fc.string({ unit: "binary-ascii", maxLength: 4 }),
    ),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    op: fc.constant("delete" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    op: fc.constant("repeat" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
);

/** Applies `m` to `s` at a position taken modulo its length. */
function mutate(s: string, m: Mutation): string {
  const at = m.at % (s.length + 1);
  switch (m.op) {
    case "insert":
      return s.slice(0, at) + m.bytes + s.slice(at);
    case "replace":
      return s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at + 1);
    case "delete":
      return s.slice(0, at) + s.slice(at + m.length);
    case "repeat":
      return s.slice(0, at + m.length) + s.slice(at);
  }
}

/** A seed request with one to six mutations, as latin-1 text. */
const mutatedRequest: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom(...SEEDS),
  fc.array(mutation, { minLength: 1, maxLength: 6 }),
).map(([seed, mutations]) => mutations.reduce(mutate, seed));

/** Sorted cut points in `[0, length]`, always ending at `length`. */
function cutsOf(raw: number[], length: number): number[] {
  return [...raw.map((c) => c % (length + 1)), length].sort((a, b) => a - b);
}

/** What feeding `raw` in pieces ending at `cuts` gives: a head, null, or an error kind. */
function parse(
  raw: Uint8Array,
  cuts = [raw.length],
): { head: RequestHead | null; used: number } | string {
  const parser = new RequestParser();
  let used = 0;
  try {
    for (const cut of cuts) {
      used += parser.feed(raw, used, cut);
      if (parser.head) break;
    }
  } catch (error) {
    if (error instanceof HttpError) return error.kind;
    throw error;
  }
  return { head: parser.head, used };
}

/**
 * A head written back out: the request line, each field as `name: value`,
 * CRLF line endings; an HTTP/0.9 two-word request has no header section.
 */
function serialise(head: RequestHead): Uint8Array {
  let out = head.requestLine + "\r\n";
  if (head.requestLine.split(" ").length === 2) return latin1(out);
  for (let i = 0; i < head.rawHeaders.length; i += 2) {
    out += `${head.rawHeaders[i]}: ${head.rawHeaders[i + 1]}\r\n`;
  }
  return latin1(out + "\r\n");
}

Deno.test("fuzz: mutated requests give a head, need more bytes, or an HttpError, split anywhere", () => {
  fc.assert(
    fc.property(
      mutatedRequest,
      fc.array(fc.nat(), { maxLength: 4 }),
      (request, rawCuts) => {
        const raw = latin1(request);
        const whole = parse(raw);
        assert.deepEqual(parse(raw, cutsOf(rawCuts, raw.length)), whole);
      },
    ),
    { numRuns: runs(3000) },
  );
});

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
// deno-lint-ignore no-control-regex
const CONTROL_OR_SPACE = /[\x00-\x20\x7f]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

Deno.test("fuzz: an accepted mutated head has token names, no CR, LF or NUL, and one framing", () => {
  fc.assert(
    fc.property(mutatedRequest, (request) => {
      const result = parse(latin1(request));
      if (typeof result === "string" || !result.head) return;
      const head = result.head;
      assert.ok(TOKEN.test(head.method), head.method);
      assert.ok(!CONTROL_OR_SPACE.test(head.target), head.target);
      for (let i = 0; i < head.rawHeaders.length; i += 2) {
        assert.ok(TOKEN.test(head.rawHeaders[i]), head.rawHeaders[i]);
        assert.ok(
          !CONTROL.test(head.rawHeaders[i + 1]),
          head.rawHeaders[i + 1],
        );
      }
      assert.ok(!(head.chunked && head.contentLength !== -1), "two framings");
      assert.ok(Number.isSafeInteger(head.contentLength));
      if (head.chunked) {
        assert.ok(head.versionMajor === 1 && head.versionMinor >= 1);
      }
    }),
    { numRuns: runs(3000) },
  );
});

/** tchar strings, for methods and field names. */
const token = fc.string({
  unit: fc.constantFrom(
    ..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ),
  minLength: 1,
  maxLength: 12,
});

/** A field value: visible ASCII, obs-text, and SP/HTAB anywhere. */
const fieldValue = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0x80, max: 0xff }),
    fc.constant(0x09),
  ).map((c) => String.fromCharCode(c)),
  maxLength: 30,
});

/** A request-target: visible ASCII and obs-text. */
const target = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x21, max: 0x7e }),
    fc.integer({ min: 0x80, max: 0xff }),
  ).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 40,
});

/** A generated head of any method, target, 1.x version and fields, with Host. */
const generatedHead = fc.record({
  method: token,
  target,
  version: fc.constantFrom("HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/1.9"),
  fields: fc.array(fc.tuple(token, fieldValue), { maxLength: 8 }),
  eol: fc.constantFrom("\r\n", "\n"),
}).map(({ method, target, version, fields, eol }) =>
  [
    `${method} ${target} ${version}`,
    "Host: h",
    ...fields.map(([name, value]) => `${name}:${value}`),
    "",
    "",
  ].join(eol)
);

Deno.test("fuzz: an accepted head, written back out, parses to the same head", () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(generatedHead, mutatedRequest), (request) => {
      const result = parse(latin1(request));
      if (typeof result === "string" || !result.head) return;
      accepted++;
      const again = parse(serialise(result.head));
      assert.ok(typeof again !== "string" && again.head, `${again}`);
      assert.deepEqual(again.head, result.head);
    }),
    { numRuns: runs(3000) },
  );
  assert.ok(accepted > runs(3000) / 4, `only ${accepted} accepted`);
});

/** One request of a pipeline: its target and its body, framed either way. */
interface Pipelined {
  target: string;
  /** The body, one byte per char. */
  body: string;
  /** Chunk sizes, the last one repeated; none: a Content-Length body. */
  chunkSizes: number[];
  extension: string;
  trailer: string;
}

const pipelined: fc.Arbitrary<Pipelined> = fc.record({
  target: fc.stringMatching(/^\/[a-z0-9]{0,8}$/),
  body: fc.uint8Array({ maxLength: 60 }).map(text),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 16 }), { maxLength: 8 }),
  extension: fc.constantFrom("", ";a=b", ' ; x="y"'),
  trailer: fc.constantFrom("", "T: v\r\n"),
});

/** Writes a request with a Content-Length body, or a chunked one cut at `chunkSizes`. */
function writeRequest(r: Pipelined): string {
  const head = `POST ${r.target} HTTP/1.1\r\nHost: h\r\n`;
  if (r.chunkSizes.length === 0) {
    return `${head}Content-Length: ${r.body.length}\r\n\r\n${r.body}`;
  }
  let body = "";
  let at = 0;
  for (const size of [...r.chunkSizes, Infinity]) {
    const chunk = r.body.slice(at, at + size);
    at += chunk.length;
    if (chunk.length === 0) break;
    body += `${chunk.length.toString(16)}${r.extension}\r\n${chunk}\r\n`;
  }
  return `${head}Transfer-Encoding: chunked\r\n\r\n${body}0\r\n${r.trailer}\r\n`;
}

/**
 * Reads requests the way the connection loop does, with bytes arriving in
 * pieces ending at `cuts`: a head, then its body by Content-Length or through
 * the chunked decoder, then the next head. Returns each target and body.
 */
function readPipeline(raw: Uint8Array, cuts: number[]): string[] {
  const parser = new RequestParser();
  const decoder = new ChunkedDecoder();
  const seen: string[] = [];
  let pos = 0;
  let cut = 0;
  let end = cuts[0];
  const more = () => {
    if (++cut >= cuts.length) return false;
    end = cuts[cut];
    return true;
  };
  while (pos < raw.length) {
    parser.reset();
    while (!parser.head) {
      pos += parser.feed(raw, pos, end);
      if (!parser.head && !more()) return seen;
    }
    const head = parser.head;
    let body = "";
    if (head.chunked) {
      decoder.reset();
      while (!decoder.done) {
        const used = decoder.decode(raw, pos, end);
        body += text(raw.subarray(decoder.dataStart, decoder.dataEnd));
        pos += used;
        if (used === 0 && !more()) return seen;
      }
    } else {
      while (end - pos < Math.max(head.contentLength, 0)) {
        if (!more()) return seen;
      }
      body = text(raw.subarray(pos, pos + Math.max(head.contentLength, 0)));
      pos += body.length;
    }
    seen.push(`${head.target} ${body}`);
  }
  return seen;
}

Deno.test("fuzz: pipelined requests with chunked bodies read the same split at random points", () => {
  fc.assert(
    fc.property(
      fc.array(pipelined, { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (requests, rawCuts) => {
        const raw = latin1(requests.map(writeRequest).join(""));
        const expected = requests.map((r) => `${r.target} ${r.body}`);
        assert.deepEqual(readPipeline(raw, [raw.length]), expected);
        assert.deepEqual(
          readPipeline(raw, cutsOf(rawCuts, raw.length)),
          expected,
        );
      },
    ),
    { numRuns: runs(2000) },
  );
});

/** A chunked body with one to four mutations. */
const mutatedBody = fc.tuple(
  fc.constantFrom(
    "5\r\nhello\r\n0\r\n\r\n",
    "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nA: b\r\n\r\n",
    "0000a\r\n0123456789\r\n0\r\n\r\n",
  ),
  fc.array(mutation, { minLength: 1, maxLength: 4 }),
).map(([seed, mutations]) => mutations.reduce(mutate, seed));

Deno.test("fuzz: a mutated chunked body decodes, needs more bytes, or fails as bad-chunk, split anywhere", () => {
  const decode = (raw: Uint8Array, cuts: number[]) => {
    const decoder = new ChunkedDecoder();
    let pos = 0;
    let payload = "";
    try {
      for (const cut of cuts) {
        for (let used = 1; used > 0 && !decoder.done;) {
          used = decoder.decode(raw, pos, cut);
          payload += text(raw.subarray(decoder.dataStart, decoder.dataEnd));
          pos += used;
        }
      }
    } catch (error) {
      if (error instanceof HttpError && error.kind === "bad-chunk") {
        return "bad-chunk";
      }
      throw error;
    }
    return { payload, pos, done: decoder.done };
  };
  fc.assert(
    fc.property(
      mutatedBody,
      fc.array(fc.nat(), { maxLength: 4 }),
      (body, rawCuts) => {
        const raw = latin1(body);
        const whole = decode(raw, [raw.length]);
        if (typeof whole !== "string") assert.ok(whole.pos <= raw.length);
        assert.deepEqual(decode(raw, cutsOf(rawCuts, raw.length)), whole);
      },
    ),
    { numRuns: runs(3000) },
  );
});

/** Answers every method with a short body, keeping HTTP/1.1 connections open. */
class Answer extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";

  /** Any `do_<METHOD>` lookup finds the same answer. */
  static {
    const handler = this.prototype as unknown as Record<string, unknown>;
    for (const method of ["GET", "POST", "OPTIONS", "HEAD"]) {
      handler[`do_${method}`] = this.prototype.answer;
    }
  }

  async answer() {
    this.sendResponse(200);
    this.sendHeader("Content-Length", "3");
    this.endHeaders();
    await this.wfile.write("ok\n");
  }
}

Deno.test("fuzz: a live server answers mutated requests with a status or a clean close, logs one line each, and keeps serving", async () => {
  const faults: unknown[] = [];
  class Server extends ThreadingHTTPServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      faults.push(error);
    }
  }
  const logged = await captureStderr(async () => {
    await using s = serve(Answer, {}, Server);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutatedRequest, generatedHead),
        async (request) => {
          using client = await RawClient.connect(s.port);
          await client.send(request);
          await client.closeWrite();
          const answer = await client.readAll();
          assert.match(answer, /^(|HTTP\/1\.1 \d{3} [^]*|ok\n[^]*)$/);
        },
      ),
      { numRuns: runs(300) },
    );
    const res = await fetch(s.url + "/after");
    assert.equal(await res.text(), "ok\n");
  });
  assert.deepEqual(faults, [], "no request is a server fault");
  for (const line of logged) {
    assert.ok(line.endsWith("\n") && LOG_LINE.test(line.slice(0, -1)), line);
  }
});
