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
  const versions = {
    "both 1.1": { requestVersion: "HTTP/1.1", protocolVersion: "HTTP/1.1" },
    "1.0 request": { requestVersion: "HTTP/1.0", protocolVersion: "HTTP/1.1" },
    "1.0 handler": { requestVersion: "HTTP/1.1", protocolVersion: "HTTP/1.0" },
  };
  // method, status, the Content-Length known, versions; the framing and the
  // Content-Length sent.
  const rows: [
    string,
    number,
    number | null,
    keyof typeof versions,
    Framing,
    number | null,
  ][] = [
    ["GET", 200, 5, "both 1.1", "length", 5],
    ["GET", 200, 0, "1.0 request", "length", 0],
    ["GET", 200, null, "both 1.1", "chunked", null],
    ["POST", 201, null, "1.0 request", "close", null],
    ["GET", 200, null, "1.0 handler", "close", null],
    // HEAD and 304: no body, and the length a GET would get.
    ["HEAD", 200, 5, "both 1.1", "none", 5],
    ["HEAD", 200, null, "both 1.1", "none", null],
    ["GET", 304, 5, "both 1.1", "none", 5],
    // 1xx and 204 carry no Content-Length (RFC 9110 §8.6).
    ["GET", 204, 5, "both 1.1", "none", null],
    ["GET", 103, 5, "both 1.1", "none", null],
    // 205 says its empty content with Content-Length: 0 (§15.3.6).
    ["GET", 205, null, "both 1.1", "none", 0],
    ["POST", 205, 12, "1.0 request", "none", 0],
    ["HEAD", 205, 12, "both 1.1", "none", 0],
  ];
  for (const [method, status, known, version, framing, sent] of rows) {
    const facts: ResponseFacts = {
      method,
      status,
      contentLength: known,
      ...versions[version],
    };
    assert.deepEqual(
      responseFraming(facts),
      { framing, contentLength: sent },
      `${method} ${status} ${known} ${version}`,
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
