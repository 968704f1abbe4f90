/**
 * Tests of the response framing decisions (RFC 9112 §6, RFC 9110 §15): one
 * table per decision, then the chunk writer read back by the chunked
 * decoder.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  chunkedAllowed,
  endsAtHead,
  type Framing,
  framingField,
  type ResponseFacts,
  responseFraming,
  statusHasContent,
} from "../../http/framing.ts";
import {
  ChunkedDecoder,
  type ChunkSink,
  writeChunk,
  writeLastChunk,
} from "../../http/chunked.ts";

Deno.test("statuses 1xx, 204, 205 and 304 carry no content; the others may", () => {
  const rows: [number, boolean][] = [
    [100, false],
    [101, false],
    [103, false],
    [199, false],
    [200, true],
    [201, true],
    [204, false],
    [205, false],
    [206, true],
    [301, true],
    [304, false],
    [404, true],
    [500, true],
    [999, true],
  ];
  for (const [status, content] of rows) {
    assert.equal(statusHasContent(status), content, String(status));
  }
});

Deno.test("a response ends at its head for HEAD, 1xx, 204 and 304, not for 205", () => {
  const rows: [string, number, boolean][] = [
    ["GET", 200, false],
    ["POST", 201, false],
    ["HEAD", 200, true],
    ["HEAD", 404, true],
    ["GET", 100, true],
    ["GET", 101, true],
    ["GET", 204, true],
    ["GET", 304, true],
    // RFC 9110 §15.3.6: no content, but delimited as any response.
    ["GET", 205, false],
    ["GET", 206, false],
    ["head", 200, false],
  ];
  for (const [method, status, ends] of rows) {
    assert.equal(endsAtHead(method, status), ends, `${method} ${status}`);
  }
});

Deno.test("chunked needs HTTP/1.1 on both sides", () => {
  const rows: [string, string, boolean][] = [
    ["HTTP/1.1", "HTTP/1.1", true],
    ["HTTP/1.0", "HTTP/1.1", false],
    ["HTTP/1.1", "HTTP/1.0", false],
    ["HTTP/1.0", "HTTP/1.0", false],
    ["HTTP/0.9", "HTTP/1.1", false],
    ["HTTP/1.9", "HTTP/1.1", true],
  ];
  for (const [request, protocol, allowed] of rows) {
    assert.equal(
      chunkedAllowed(request, protocol),
      allowed,
      `${request} to ${protocol}`,
    );
  }
});

Deno.test("a response is framed by none, its length, chunked or the close, as RFC 9112 §6.3 orders", () => {
  const v11 = { requestVersion: "HTTP/1.1", protocolVersion: "HTTP/1.1" };
  const v10 = { requestVersion: "HTTP/1.0", protocolVersion: "HTTP/1.1" };
  const old = { requestVersion: "HTTP/1.1", protocolVersion: "HTTP/1.0" };
  const rows: [
    string,
    ResponseFacts,
    Framing,
    number | null,
  ][] = [
    [
      "a length known up front",
      { ...v11, method: "GET", status: 200, contentLength: 5 },
      "length",
      5,
    ],
    [
      "a length on HTTP/1.0",
      { ...v10, method: "GET", status: 200, contentLength: 0 },
      "length",
      0,
    ],
    [
      "no length, both HTTP/1.1",
      { ...v11, method: "GET", status: 200, contentLength: null },
      "chunked",
      null,
    ],
    [
      "no length, an HTTP/1.0 request",
      { ...v10, method: "POST", status: 201, contentLength: null },
      "close",
      null,
    ],
    [
      "no length, an HTTP/1.0 handler",
      { ...old, method: "GET", status: 200, contentLength: null },
      "close",
      null,
    ],
    [
      "HEAD keeps the length a GET would get",
      { ...v11, method: "HEAD", status: 200, contentLength: 5 },
      "none",
      5,
    ],
    [
      "HEAD without a length",
      { ...v11, method: "HEAD", status: 200, contentLength: null },
      "none",
      null,
    ],
    [
      "304 keeps the length a GET would get",
      { ...v11, method: "GET", status: 304, contentLength: 5 },
      "none",
      5,
    ],
    [
      "204 carries no Content-Length (RFC 9110 §8.6)",
      { ...v11, method: "GET", status: 204, contentLength: 5 },
      "none",
      null,
    ],
    [
      "a 1xx carries no Content-Length",
      { ...v11, method: "GET", status: 103, contentLength: 5 },
      "none",
      null,
    ],
    [
      "205 says its empty content with Content-Length: 0",
      { ...v11, method: "GET", status: 205, contentLength: null },
      "none",
      0,
    ],
    [
      "205 over a length given",
      { ...v10, method: "POST", status: 205, contentLength: 12 },
      "none",
      0,
    ],
    [
      "205 to HEAD",
      { ...v11, method: "HEAD", status: 205, contentLength: 12 },
      "none",
      0,
    ],
  ];
  for (const [name, facts, framing, contentLength] of rows) {
    assert.deepEqual(
      responseFraming(facts),
      { framing, contentLength },
      name,
    );
  }
});

Deno.test("the framing field: chunked says so, a close says so only on a connection that was to stay open", () => {
  const rows: [Framing, boolean, readonly [string, string] | null][] = [
    ["chunked", true, ["Transfer-Encoding", "chunked"]],
    ["chunked", false, ["Transfer-Encoding", "chunked"]],
    ["close", true, ["Connection", "close"]],
    ["close", false, null],
    ["length", true, null],
    ["none", true, null],
  ];
  for (const [framing, keepAlive, field] of rows) {
    assert.deepEqual(
      framingField(framing, keepAlive),
      field,
      `${framing}, keep-alive ${keepAlive}`,
    );
  }
});

/** A sink that collects what is written, as Latin-1. */
function collector(): ChunkSink & { wire: string } {
  const sink = {
    wire: "",
    write(data: Uint8Array | string) {
      sink.wire += typeof data === "string"
        ? data
        : String.fromCharCode(...data);
      return Promise.resolve();
    },
  };
  return sink;
}

Deno.test("chunks are written as size in hex, CRLF, bytes, CRLF; an empty one is skipped", async () => {
  const out = collector();
  const encoder = new TextEncoder();
  await writeChunk(out, encoder.encode("hello"));
  await writeChunk(out, new Uint8Array(0));
  await writeChunk(out, new Uint8Array(26).fill(0x61));
  await writeLastChunk(out);
  assert.equal(
    out.wire,
    "5\r\nhello\r\n" + "1a\r\n" + "a".repeat(26) + "\r\n" + "0\r\n\r\n",
  );
});

Deno.test("what the chunk writer writes, the chunked decoder reads back", async () => {
  const out = collector();
  const sizes = [1, 15, 16, 255, 256, 4096, 65537];
  const payloads = sizes.map((size, i) =>
    Uint8Array.from({ length: size }, (_, j) => (i * 31 + j) & 0xff)
  );
  for (const payload of payloads) await writeChunk(out, payload);
  await writeLastChunk(out);
  const wire = Uint8Array.from(out.wire, (c) => c.charCodeAt(0));
  const decoder = new ChunkedDecoder();
  const decoded: number[] = [];
  for (let pos = 0; !decoder.done;) {
    const used = decoder.decode(wire, pos, wire.length);
    decoded.push(...wire.subarray(decoder.dataStart, decoder.dataEnd));
    pos += used;
    if (decoder.done) assert.equal(pos, wire.length);
  }
  assert.deepEqual(
    decoded,
    payloads.flatMap((payload) => [...payload]),
  );
});
