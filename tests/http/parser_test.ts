/**
 * Tests of the request-head parser: one table per topic, each row a raw
 * request and the head fields or the error it must give, then the streaming
 * cases (split points, pipelining, limits before a line ends).
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ERROR_STATUS,
  HttpError,
  type HttpErrorKind,
} from "../../util/errors.ts";
import {
  type ParserOptions,
  type RequestHead,
  RequestParser,
} from "../../http/parser.ts";

/** The bytes of `s`, one per char code (latin-1). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** One row: a raw request and either the head it gives or the error. */
interface Case {
  name: string;
  raw: string;
  options?: ParserOptions;
  /** Expected head fields (only those listed are compared). */
  head?: Partial<RequestHead>;
  /** Expected consumed bytes when not the whole input. */
  used?: number;
  /** Expected error kind; the status comes from ERROR_STATUS. */
  error?: HttpErrorKind;
  /** Expected error message (Python's wording where Python has one). */
  message?: string;
}

/** Feeds `raw` in one piece; returns the parser and the bytes consumed. */
function parseAll(raw: Uint8Array, options?: ParserOptions) {
  const parser = new RequestParser(options);
  const used = parser.feed(raw, 0, raw.length);
  return { parser, used };
}

function assertError(fn: () => unknown, kind: HttpErrorKind, message?: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError, `not an HttpError: ${e}`);
    assert.equal(e.kind, kind);
    assert.equal(e.status, ERROR_STATUS[kind]);
    if (message !== undefined) assert.equal(e.reason, message);
    return true;
  });
}

function runTable(topic: string, cases: Case[]) {
  for (const c of cases) {
    Deno.test(`${topic}: ${c.name}`, () => {
      const raw = bytes(c.raw);
      if (c.error) {
        assertError(() => parseAll(raw, c.options), c.error, c.message);
        return;
      }
      const { parser, used } = parseAll(raw, c.options);
      assert.ok(parser.head, "head is incomplete");
      assert.equal(used, c.used ?? raw.length);
      for (const [key, value] of Object.entries(c.head ?? {})) {
        assert.deepEqual(parser.head[key as keyof RequestHead], value, key);
      }
    });
  }
}

const H11 = "Host: example.com\r\n";

runTable("request line", [
  {
    name: "a simple GET is split into method, target and version",
    raw: `GET /index.html?q=1 HTTP/1.1\r\n${H11}\r\n`,
    head: {
      method: "GET",
      target: "/index.html?q=1",
      version: "HTTP/1.1",
      versionMajor: 1,
      versionMinor: 1,
      requestLine: "GET /index.html?q=1 HTTP/1.1",
      rawHeaders: ["Host", "example.com"],
      contentLength: -1,
      chunked: false,
      connectionClose: false,
      connectionKeepAlive: false,
      expectContinue: false,
    },
  },
  {
    name: "an absolute-form target is kept exactly as sent",
    raw: `GET http://example.com//a/../b?c HTTP/1.1\r\n${H11}\r\n`,
    head: { target: "http://example.com//a/../b?c" },
  },
  {
    name: "the asterisk-form target is accepted",
    raw: `OPTIONS * HTTP/1.1\r\n${H11}\r\n`,
    head: { method: "OPTIONS", target: "*" },
  },
  {
    name: "a method of any tchars is accepted",
    raw: `M-SEARCH! * HTTP/1.1\r\n${H11}\r\n`,
    head: { method: "M-SEARCH!" },
  },
  {
    name: "obs-text in the target is decoded as latin-1",
    raw: "GET /caf\xe9\x80 HTTP/1.0\r\n\r\n",
    head: { target: "/caf\xe9\x80", requestLine: "GET /caf\xe9\x80 HTTP/1.0" },
  },
  {
    name: "empty lines before the request line are skipped",
    raw: "\r\n\n\r\nGET / HTTP/1.0\r\n\r\n",
    head: { method: "GET", requestLine: "GET / HTTP/1.0" },
  },
  {
    name: "two spaces after the method are bad syntax",
    raw: "GET  / HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
    message: "Bad request syntax ('GET  / HTTP/1.1')",
  },
  {
    name: "two spaces before the version are bad syntax",
    raw: "GET /  HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
  },
  {
    name: "a leading space is bad syntax",
    raw: " GET / HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
  },
  {
    name: "a trailing space is bad syntax",
    raw: "GET / HTTP/1.1 \r\n\r\n",
    error: "bad-request-line",
  },
  {
    name: "a tab as separator is bad syntax, shown as Python's repr",
    raw: "GET\t/ HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
    message: "Bad request syntax ('GET\\t/ HTTP/1.1')",
  },
  {
    name: "a quote in the line makes the repr use double quotes",
    raw: "GET /it's HTTP/1.1 x\r\n\r\n",
    error: "bad-request-line",
    message: `Bad request syntax ("GET /it's HTTP/1.1 x")`,
  },
  {
    name: "four words are bad syntax",
    raw: "GET / HTTP/1.1 x\r\n\r\n",
    error: "bad-request-line",
  },
  {
    name: "a single word is bad syntax",
    raw: "GET\r\n\r\n",
    error: "bad-request-line",
    message: "Bad request syntax ('GET')",
  },
  {
    name: "a method with a non-tchar is bad syntax",
    raw: "GE(T / HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
  },
  {
    name: "a control byte in the target is bad syntax, shown as \\x01",
    raw: "GET /a\x01b HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
    message: "Bad request syntax ('GET /a\\x01b HTTP/1.1')",
  },
  {
    name: "DEL in the target is bad syntax",
    raw: "GET /a\x7f HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
  },
  {
    name: "NUL in the request line is bad syntax",
    raw: "GET /\x00 HTTP/1.1\r\n\r\n",
    error: "bad-request-line",
  },
]);

runTable("HTTP/0.9", [
  {
    name: "GET with a target and no version is HTTP/0.9, complete at once",
    raw: "GET /path\r\nHost: x\r\n\r\n",
    used: 11,
    head: {
      method: "GET",
      target: "/path",
      version: "HTTP/0.9",
      versionMajor: 0,
      versionMinor: 9,
      rawHeaders: [],
      requestLine: "GET /path",
    },
  },
  {
    name: "a bare LF ends an HTTP/0.9 request line",
    raw: "GET /path\n",
    head: { version: "HTTP/0.9" },
  },
  {
    name: "another method without a version is refused as Python does",
    raw: "POST /path\r\n",
    error: "http09-not-get",
    message: "Bad HTTP/0.9 request type ('POST')",
  },
  {
    name: "two words are bad syntax when HTTP/0.9 is off",
    raw: "GET /path\r\n",
    options: { allowHttp09: false },
    error: "bad-request-line",
    message: "Bad request syntax ('GET /path')",
  },
  {
    name: "the three-word HTTP/0.9 form reads headers",
    raw: "GET / HTTP/0.9\r\nX: y\r\n\r\n",
    head: { version: "HTTP/0.9", rawHeaders: ["X", "y"] },
  },
]);

runTable("version", [
  {
    name: "HTTP/1.0 needs no Host",
    raw: "GET / HTTP/1.0\r\n\r\n",
    head: { version: "HTTP/1.0", versionMajor: 1, versionMinor: 0 },
  },
  {
    name: "HTTP/1.2 is a 1.x request",
    raw: `GET / HTTP/1.2\r\n${H11}\r\n`,
    head: { version: "HTTP/1.2", versionMajor: 1, versionMinor: 2 },
  },
  {
    name: "HTTP/2.0 is not supported",
    raw: "GET / HTTP/2.0\r\n\r\n",
    error: "version-not-supported",
    message: "Invalid HTTP version (2.0)",
  },
  {
    name: "HTTP/9.9 is not supported",
    raw: "GET / HTTP/9.9\r\n\r\n",
    error: "version-not-supported",
    message: "Invalid HTTP version (9.9)",
  },
  {
    name: "a two-digit minor number is bad (RFC 9112 §2.3: one DIGIT)",
    raw: `GET / HTTP/1.01\r\n${H11}\r\n`,
    error: "bad-version",
    message: "Bad request version ('HTTP/1.01')",
  },
  {
    name: "a two-digit major number is bad",
    raw: `GET / HTTP/01.1\r\n${H11}\r\n`,
    error: "bad-version",
    message: "Bad request version ('HTTP/01.1')",
  },
  {
    name: "HTTP/10.0 is bad, not unsupported",
    raw: "GET / HTTP/10.0\r\n\r\n",
    error: "bad-version",
    message: "Bad request version ('HTTP/10.0')",
  },
  {
    name: "two-digit numbers on both sides are bad",
    raw: `GET / HTTP/01.01\r\n${H11}\r\n`,
    error: "bad-version",
  },
  {
    name: "a version without a minor number is bad",
    raw: "GET / HTTP/1\r\n\r\n",
    error: "bad-version",
    message: "Bad request version ('HTTP/1')",
  },
  {
    name: "letters as numbers are bad",
    raw: "GET / HTTP/a.b\r\n\r\n",
    error: "bad-version",
    message: "Bad request version ('HTTP/a.b')",
  },
  {
    name: "three numbers are bad",
    raw: "GET / HTTP/1.1.1\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "an 11-digit major number is bad",
    raw: "GET / HTTP/00000000001.1\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "an 11-digit minor number is bad",
    raw: "GET / HTTP/1.00000000001\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "an empty major number is bad",
    raw: "GET / HTTP/.1\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "an empty minor number is bad",
    raw: "GET / HTTP/1.\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "a sign in a number is bad",
    raw: "GET / HTTP/1.+1\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "a lowercase protocol name is bad",
    raw: "GET / http/1.1\r\n\r\n",
    error: "bad-version",
  },
  {
    name: "another protocol is bad",
    raw: "GET / FOO\r\n\r\n",
    error: "bad-version",
    message: "Bad request version ('FOO')",
  },
]);

runTable("header fields", [
  {
    name: "names are kept as sent and values lose surrounding SP and HTAB",
    raw: "GET / HTTP/1.0\r\nX-One:  a b \t\r\nx-two:\tc\r\nX-Empty:\r\n\r\n",
    head: { rawHeaders: ["X-One", "a b", "x-two", "c", "X-Empty", ""] },
  },
  {
    name: "HTAB and obs-text are allowed inside a value",
    raw: "GET / HTTP/1.0\r\nX: caf\xe9\tau\xff lait\r\n\r\n",
    head: { rawHeaders: ["X", "caf\xe9\tau\xff lait"] },
  },
  {
    name: "repeated fields are all kept, in order",
    raw: "GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nA: 3\r\n\r\n",
    head: { rawHeaders: ["A", "1", "B", "2", "A", "3"] },
  },
  {
    name: "a line starting with SP is obs-fold",
    raw: "GET / HTTP/1.0\r\nX: a\r\n b\r\n\r\n",
    error: "obs-fold",
  },
  {
    name: "a line starting with HTAB is obs-fold",
    raw: "GET / HTTP/1.0\r\nX: a\r\n\tb\r\n\r\n",
    error: "obs-fold",
  },
  {
    name: "whitespace before the first field is obs-fold",
    raw: "GET / HTTP/1.0\r\n X: a\r\n\r\n",
    error: "obs-fold",
  },
  {
    name: "a space between name and colon is refused",
    raw: "GET / HTTP/1.0\r\nHost : a\r\n\r\n",
    error: "space-before-colon",
  },
  {
    name: "a tab between name and colon is refused",
    raw: "GET / HTTP/1.0\r\nHost\t: a\r\n\r\n",
    error: "space-before-colon",
  },
  {
    name: "an empty name is refused",
    raw: "GET / HTTP/1.0\r\n: a\r\n\r\n",
    error: "bad-header-name",
  },
  {
    name: "a line without a colon is refused",
    raw: "GET / HTTP/1.0\r\nNoColon\r\n\r\n",
    error: "bad-header-name",
  },
  {
    name: "a space inside a name is refused",
    raw: "GET / HTTP/1.0\r\nFoo bar: x\r\n\r\n",
    error: "bad-header-name",
  },
  {
    name: "a separator in a name is refused",
    raw: "GET / HTTP/1.0\r\nX(Y): a\r\n\r\n",
    error: "bad-header-name",
  },
  {
    name: "obs-text in a name is refused",
    raw: "GET / HTTP/1.0\r\nX\xe9: a\r\n\r\n",
    error: "bad-header-name",
  },
  {
    name: "NUL in a value is refused",
    raw: "GET / HTTP/1.0\r\nX: a\x00b\r\n\r\n",
    error: "bad-header-value",
  },
  {
    name: "a control byte in a value is refused",
    raw: "GET / HTTP/1.0\r\nX: a\x01b\r\n\r\n",
    error: "bad-header-value",
  },
  {
    name: "a vertical tab in a value is refused",
    raw: "GET / HTTP/1.0\r\nX: a\x0bb\r\n\r\n",
    error: "bad-header-value",
  },
  {
    name: "ESC in a value is refused",
    raw: "GET / HTTP/1.0\r\nX: \x1b[31m\r\n\r\n",
    error: "bad-header-value",
  },
  {
    name: "DEL in a value is refused",
    raw: "GET / HTTP/1.0\r\nX: a\x7f\r\n\r\n",
    error: "bad-header-value",
  },
]);

runTable("line endings", [
  {
    name: "bare LF ends lines by default",
    raw: "GET / HTTP/1.1\nHost: a\nX: b\n\n",
    head: { rawHeaders: ["Host", "a", "X", "b"] },
  },
  {
    name: "CRLF and bare LF may be mixed by default",
    raw: "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\n",
    head: { rawHeaders: ["Host", "a", "X", "b"] },
  },
  {
    name: "a bare LF is refused when bare LF is off",
    raw: "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
    options: { allowBareLf: false },
    error: "bare-lf",
  },
  {
    name: "a bare LF in the final empty line is refused when bare LF is off",
    raw: "GET / HTTP/1.1\r\nHost: a\r\n\n",
    options: { allowBareLf: false },
    error: "bare-lf",
  },
  {
    name: "CRLF everywhere is accepted when bare LF is off",
    raw: `\r\nGET / HTTP/1.1\r\n${H11}\r\n`,
    options: { allowBareLf: false },
    head: { method: "GET" },
  },
  {
    name: "a bare CR inside a value is refused",
    raw: "GET / HTTP/1.0\r\nX: a\rb\r\n\r\n",
    error: "bare-cr",
  },
  {
    name: "a bare CR before CRLF is refused",
    raw: "GET / HTTP/1.0\r\nX: a\r\r\n\r\n",
    error: "bare-cr",
  },
  {
    name: "a bare CR in the request line is refused",
    raw: "GET /\r HTTP/1.0\r\n\r\n",
    error: "bare-cr",
  },
  {
    name: "a bare CR in an empty line before the request line is refused",
    raw: "\r\r\nGET / HTTP/1.0\r\n\r\n",
    error: "bare-cr",
  },
  {
    name: "a bare CR in a header name is refused",
    raw: "GET / HTTP/1.0\r\nX\r: a\r\n\r\n",
    error: "bare-cr",
  },
  {
    name: "a bare CR after a bare-LF line is still found",
    raw: "GET / HTTP/1.0\nA: b\nX: a\rb\n\n",
    error: "bare-cr",
  },
]);

runTable("Content-Length", [
  {
    name: "digits give the length",
    raw: "POST / HTTP/1.0\r\nContent-Length: 42\r\n\r\n",
    head: { contentLength: 42, chunked: false },
  },
  {
    name: "zero is a length",
    raw: "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    head: { contentLength: 0 },
  },
  {
    name: "the name matches in any case",
    raw: "POST / HTTP/1.0\r\ncontent-LENGTH: 7\r\n\r\n",
    head: { contentLength: 7 },
  },
  {
    name: "OWS around the value is not part of it",
    raw: "POST / HTTP/1.0\r\nContent-Length: \t 5 \t\r\n\r\n",
    head: { contentLength: 5 },
  },
  {
    name: "2^53-1 is the largest length",
    raw: "POST / HTTP/1.0\r\nContent-Length: 9007199254740991\r\n\r\n",
    head: { contentLength: 9007199254740991 },
  },
  {
    name: "identical repeats are fine",
    raw: "POST / HTTP/1.0\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
    head: { contentLength: 5 },
  },
  {
    name: "repeats that differ conflict",
    raw: "POST / HTTP/1.0\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    error: "conflicting-content-length",
  },
  {
    name: "2^53 is too large",
    raw: "POST / HTTP/1.0\r\nContent-Length: 9007199254740992\r\n\r\n",
    error: "bad-content-length",
  },
  ...[
    "+5",
    "-1",
    "5 5",
    "5,5",
    "5, 5",
    "0x5",
    "5.0",
    "1e3",
    "",
    "five",
    "05",
    "00",
  ].map(
    (value): Case => ({
      name: `${JSON.stringify(value)} is not a length`,
      raw: `POST / HTTP/1.0\r\nContent-Length: ${value}\r\n\r\n`,
      error: "bad-content-length",
    }),
  ),
]);

runTable("Transfer-Encoding", [
  {
    name: "chunked makes the body chunked",
    raw: `POST / HTTP/1.1\r\n${H11}Transfer-Encoding: chunked\r\n\r\n`,
    head: { chunked: true, contentLength: -1 },
  },
  {
    name: "chunked matches in any case, name and value",
    raw: `POST / HTTP/1.1\r\n${H11}transfer-ENCODING:  CHUNKED \r\n\r\n`,
    head: { chunked: true },
  },
  ...[
    "chunked, identity",
    "identity, chunked",
    "chunked,",
    "xchunked",
    "chunkedx",
    "gzip",
    "identity",
    "",
  ].map((value): Case => ({
    name: `${JSON.stringify(value)} is refused`,
    raw: `POST / HTTP/1.1\r\n${H11}Transfer-Encoding: ${value}\r\n\r\n`,
    error: "bad-transfer-encoding",
  })),
  {
    name: "a repeated Transfer-Encoding is refused",
    raw: `POST / HTTP/1.1\r\n${H11}Transfer-Encoding: chunked\r\n` +
      "Transfer-Encoding: chunked\r\n\r\n",
    error: "bad-transfer-encoding",
  },
  {
    name: "Transfer-Encoding in HTTP/1.0 is refused",
    raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    error: "transfer-encoding-on-http10",
  },
  {
    name: "Transfer-Encoding in a three-word HTTP/0.9 request is refused",
    raw: "POST / HTTP/0.9\r\nTransfer-Encoding: chunked\r\n\r\n",
    error: "transfer-encoding-on-http10",
  },
  {
    name: "Content-Length before Transfer-Encoding is refused",
    raw: `POST / HTTP/1.1\r\n${H11}Content-Length: 5\r\n` +
      "Transfer-Encoding: chunked\r\n\r\n",
    error: "content-length-with-transfer-encoding",
  },
  {
    name: "Content-Length after Transfer-Encoding is refused",
    raw: `POST / HTTP/1.1\r\n${H11}Transfer-Encoding: chunked\r\n` +
      "Content-Length: 5\r\n\r\n",
    error: "content-length-with-transfer-encoding",
  },
]);

runTable("Host", [
  {
    name: "HTTP/1.1 with one Host is accepted",
    raw: "GET / HTTP/1.1\r\nhost: a\r\n\r\n",
    head: { rawHeaders: ["host", "a"] },
  },
  {
    name: "HTTP/1.1 without Host is refused",
    raw: "GET / HTTP/1.1\r\nX: a\r\n\r\n",
    error: "missing-host",
  },
  {
    name: "a field merely starting with Host is not Host",
    raw: "GET / HTTP/1.1\r\nHosts: a\r\n\r\n",
    error: "missing-host",
  },
  {
    name: "HTTP/1.2 without Host is refused",
    raw: "GET / HTTP/1.2\r\n\r\n",
    error: "missing-host",
  },
  {
    name: "HTTP/1.1 with two Host fields is refused",
    raw: "GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n",
    error: "multiple-host",
  },
  {
    name: "HTTP/1.0 with two Host fields is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    error: "multiple-host",
  },
  {
    name: "Host 'example.com' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    head: { rawHeaders: ["Host", "example.com"] },
  },
  {
    name: "Host 'example.com:8080' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
    head: { rawHeaders: ["Host", "example.com:8080"] },
  },
  {
    name: "Host '127.0.0.1:80' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n",
    head: { rawHeaders: ["Host", "127.0.0.1:80"] },
  },
  {
    name: "Host '[::1]:8000' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n",
    head: { rawHeaders: ["Host", "[::1]:8000"] },
  },
  {
    name: "Host '[::1]' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n",
    head: { rawHeaders: ["Host", "[::1]"] },
  },
  {
    name: "Host (empty) is accepted",
    raw: "GET / HTTP/1.1\r\nHost: \r\n\r\n",
    head: { rawHeaders: ["Host", ""] },
  },
  {
    name: "Host 'a_b.example' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: a_b.example\r\n\r\n",
    head: { rawHeaders: ["Host", "a_b.example"] },
  },
  {
    name: "Host 'xn--nxasmq6b.example' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: xn--nxasmq6b.example\r\n\r\n",
    head: { rawHeaders: ["Host", "xn--nxasmq6b.example"] },
  },
  {
    name: "Host 'localhost:' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: localhost:\r\n\r\n",
    head: { rawHeaders: ["Host", "localhost:"] },
  },
  {
    name: "Host '[v1.fe80::a+en1]' is accepted",
    raw: "GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n",
    head: { rawHeaders: ["Host", "[v1.fe80::a+en1]"] },
  },
  {
    name: "Host a b is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a b\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host a/b is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a/b\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host [::1 is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: [::1\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host a@b is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a@b\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host a:b:c is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a:b:c\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host a:8o is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a:8o\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host [::1]x is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: [::1]x\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host a\\b is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: a\\b\r\n\r\n",
    error: "bad-host",
  },
  {
    name: "Host \xe2\x82\xac.example is refused (RFC 9112 §3.2)",
    raw: "GET / HTTP/1.0\r\nHost: \xe2\x82\xac.example\r\n\r\n",
    error: "bad-host",
  },
]);

runTable("Connection", [
  {
    name: "close is found",
    raw: "GET / HTTP/1.0\r\nConnection: close\r\n\r\n",
    head: { connectionClose: true, connectionKeepAlive: false },
  },
  {
    name: "keep-alive is found in any case",
    raw: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
    head: { connectionClose: false, connectionKeepAlive: true },
  },
  {
    name: "tokens are found anywhere in a list, with OWS",
    raw: "GET / HTTP/1.0\r\nConnection: upgrade ,\tCLOSE , ,keep-alive\r\n\r\n",
    head: { connectionClose: true, connectionKeepAlive: true },
  },
  {
    name: "tokens are found across repeated fields",
    raw: "GET / HTTP/1.0\r\nConnection: te\r\nConnection: close\r\n\r\n",
    head: { connectionClose: true },
  },
  {
    name: "a longer token is not close",
    raw: "GET / HTTP/1.0\r\nConnection: closed, x-close, keep-alive2\r\n\r\n",
    head: { connectionClose: false, connectionKeepAlive: false },
  },
]);

runTable("Expect", [
  {
    name: "100-continue on HTTP/1.1 is noted",
    raw: `POST / HTTP/1.1\r\n${H11}Expect: 100-continue\r\n\r\n`,
    head: { expectContinue: true },
  },
  {
    name: "100-continue matches in any case",
    raw: `POST / HTTP/1.1\r\n${H11}expect: 100-Continue\r\n\r\n`,
    head: { expectContinue: true },
  },
  {
    name: "another expectation on HTTP/1.1 fails",
    raw: `POST / HTTP/1.1\r\n${H11}Expect: 100-continue-please\r\n\r\n`,
    error: "expectation-failed",
  },
  {
    name: "an empty expectation on HTTP/1.1 fails",
    raw: `POST / HTTP/1.1\r\n${H11}Expect:\r\n\r\n`,
    error: "expectation-failed",
  },
  {
    name: "100-continue on HTTP/1.0 is ignored",
    raw: "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
    head: { expectContinue: false },
  },
  {
    name: "another expectation on HTTP/1.0 is ignored",
    raw: "POST / HTTP/1.0\r\nExpect: teapot\r\n\r\n",
    head: { expectContinue: false },
  },
]);

/** `GET /aaa… HTTP/1.0` plus CRLF, `length` bytes in all. */
function requestLineOf(length: number): string {
  return `GET /${"a".repeat(length - 16)} HTTP/1.0\r\n`;
}

/** `X: vvv…` plus CRLF, `length` bytes in all. */
function headerLineOf(length: number): string {
  return `X: ${"v".repeat(length - 5)}\r\n`;
}

const headers = (n: number) => "X: y\r\n".repeat(n);

runTable("limits", [
  {
    name: "a request line of 65536 bytes with its CRLF is accepted",
    raw: `${requestLineOf(65536)}\r\n`,
    head: { method: "GET" },
  },
  {
    name: "a request line of 65537 bytes with its CRLF is too long",
    raw: `${requestLineOf(65537)}\r\n`,
    error: "request-line-too-long",
  },
  {
    name: "empty lines count toward the request line limit",
    raw: `\r\n${requestLineOf(65535)}\r\n`,
    error: "request-line-too-long",
  },
  {
    name: "a header line of 65536 bytes with its CRLF is accepted",
    raw: `GET / HTTP/1.0\r\n${headerLineOf(65536)}\r\n`,
    head: { method: "GET" },
  },
  {
    name: "a header line of 65537 bytes with its CRLF is too long",
    raw: `GET / HTTP/1.0\r\n${headerLineOf(65537)}\r\n`,
    error: "header-line-too-long",
    message: "Line too long",
  },
  {
    name: "100 header fields are accepted",
    raw: `GET / HTTP/1.0\r\n${headers(100)}\r\n`,
    head: { method: "GET" },
  },
  {
    name: "101 header fields are too many",
    raw: `GET / HTTP/1.0\r\n${headers(101)}\r\n`,
    error: "too-many-headers",
    message: "Too many headers",
  },
  {
    name: "maxHeaders sets the field limit",
    raw: `GET / HTTP/1.0\r\n${headers(3)}\r\n`,
    options: { maxHeaders: 2 },
    error: "too-many-headers",
  },
  {
    name: "maxLineLength sets the request line limit",
    raw: `${requestLineOf(33)}\r\n`,
    options: { maxLineLength: 32 },
    error: "request-line-too-long",
  },
  {
    name: "maxLineLength sets the header line limit",
    raw: `GET / HTTP/1.0\r\n${headerLineOf(33)}\r\n`,
    options: { maxLineLength: 32 },
    error: "header-line-too-long",
  },
]);

Deno.test("limits: a request line is refused with 414 before its LF arrives", () => {
  const parser = new RequestParser();
  const raw = bytes(`GET /${"a".repeat(70000)}`);
  assert.equal(parser.feed(raw, 0, 65536), 0);
  assertError(() => parser.feed(raw, 0, 65537), "request-line-too-long");
});

Deno.test("limits: endless empty lines are refused with 414", () => {
  const raw = bytes("\r\n".repeat(40000));
  assertError(
    () => new RequestParser().feed(raw, 0, raw.length),
    "request-line-too-long",
  );
});

Deno.test("limits: a header line is refused with 431 before its LF arrives", () => {
  const parser = new RequestParser();
  const raw = bytes(`GET / HTTP/1.0\r\n${"X: " + "v".repeat(70000)}`);
  const head = parser.feed(raw, 0, 16 + 65536);
  assert.equal(head, 16);
  assertError(
    () => parser.feed(raw, 16, 16 + 65537),
    "header-line-too-long",
    "Line too long",
  );
});

const REALISTIC = "POST /upload?id=7 HTTP/1.1\r\n" +
  "Host: example.com:8080\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n" +
  "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n" +
  "Connection: keep-alive\r\n" +
  "Content-Length: 11\r\n" +
  "Expect: 100-continue\r\n" +
  "X-Latin: caf\xe9\r\n" +
  "\r\n" +
  "hello world";
const REALISTIC_HEAD_LENGTH = REALISTIC.length - "hello world".length;

/**
 * Feeds `raw` the way a connection loop does: bytes arrive in pieces ending
 * at each of `cuts`, the unconsumed tail stays at the front.
 */
function feedInPieces(raw: Uint8Array, cuts: number[]) {
  const parser = new RequestParser();
  let pos = 0;
  for (const cut of cuts) {
    pos += parser.feed(raw, pos, cut);
    if (parser.head) break;
  }
  return { head: parser.head, pos };
}

Deno.test("streaming: a head split at every byte parses the same", () => {
  const raw = bytes(REALISTIC);
  const whole = feedInPieces(raw, [raw.length]);
  assert.ok(whole.head);
  assert.equal(whole.pos, REALISTIC_HEAD_LENGTH);
  assert.deepEqual(whole.head.rawHeaders.at(-1), "caf\xe9");
  assert.ok(whole.head.expectContinue && whole.head.connectionKeepAlive);
  for (let cut = 0; cut <= raw.length; cut++) {
    assert.deepEqual(feedInPieces(raw, [cut, raw.length]), whole, `cut ${cut}`);
  }
});

Deno.test("streaming: a head sent one byte at a time parses the same", () => {
  const raw = bytes(REALISTIC);
  const cuts = Array.from({ length: raw.length }, (_, i) => i + 1);
  assert.deepEqual(feedInPieces(raw, cuts), feedInPieces(raw, [raw.length]));
});

Deno.test("streaming: a tail moved to the front of a new buffer parses the same", () => {
  const raw = bytes(REALISTIC);
  const parser = new RequestParser();
  let tail = new Uint8Array(0);
  for (let i = 0; i < raw.length && !parser.head; i += 7) {
    const buf = new Uint8Array(tail.length + 7);
    buf.set(tail);
    buf.set(raw.subarray(i, i + 7), tail.length);
    const end = tail.length + Math.min(7, raw.length - i);
    tail = buf.slice(parser.feed(buf, 0, end), end);
  }
  assert.deepEqual(parser.head, feedInPieces(raw, [raw.length]).head);
});

Deno.test("streaming: bytes after the head are not consumed", () => {
  const raw = bytes(REALISTIC);
  const { parser, used } = parseAll(raw);
  assert.equal(used, REALISTIC_HEAD_LENGTH);
  assert.equal(parser.head?.contentLength, 11);
  assert.equal(parser.feed(raw, used, raw.length), 0, "done until reset");
});

Deno.test("streaming: bytes past `end` are never looked at", () => {
  const raw = bytes("GET / HTTP/1.0\r\n\r\n");
  const parser = new RequestParser();
  assert.equal(parser.feed(raw, 0, 16), 16);
  assert.equal(parser.head, null);
});

Deno.test("streaming: three pipelined requests parse one after another", () => {
  const requests = [
    `GET /a HTTP/1.1\r\n${H11}\r\n`,
    `POST /b HTTP/1.1\r\n${H11}Content-Length: 0\r\n\r\n`,
    "GET /c HTTP/1.0\nConnection: close\n\n",
  ];
  const raw = bytes(requests.join(""));
  const parser = new RequestParser();
  let pos = 0;
  const seen = [];
  for (const request of requests) {
    parser.reset();
    const used = parser.feed(raw, pos, raw.length);
    assert.equal(used, request.length);
    seen.push(parser.head?.target);
    pos += used;
  }
  assert.deepEqual(seen, ["/a", "/b", "/c"]);
  assert.equal(pos, raw.length);
});

Deno.test("streaming: reset leaves the previous head intact", () => {
  const parser = new RequestParser();
  const first = bytes("GET /a HTTP/1.0\r\nA: 1\r\n\r\n");
  parser.feed(first, 0, first.length);
  const head = parser.head;
  parser.reset();
  assert.deepEqual([parser.head, parser.requestLine], [null, ""]);
  const second = bytes("GET /b HTTP/1.0\r\nB: 2\r\n\r\n");
  parser.feed(second, 0, second.length);
  assert.deepEqual(head?.rawHeaders, ["A", "1"]);
  assert.deepEqual(parser.head?.rawHeaders, ["B", "2"]);
});

/** A Uint8Array that counts how many bytes `indexOf` looked at. */
class CountingBytes extends Uint8Array {
  static looked = 0;
  override indexOf(value: number, from = 0): number {
    const found = super.indexOf(value, from);
    CountingBytes.looked += (found === -1 ? this.length : found + 1) - from;
    return found;
  }
}

Deno.test("streaming: a 60,000-byte line sent one byte at a time is scanned once", () => {
  const raw = bytes(
    `GET / HTTP/1.0\r\n${headerLineOf(60000)}\r\n`,
  );
  const buf = new CountingBytes(raw.length);
  buf.set(raw);
  CountingBytes.looked = 0;
  const parser = new RequestParser();
  let pos = 0;
  for (let end = 1; end <= buf.length; end++) {
    pos += parser.feed(buf, pos, end);
  }
  assert.equal(pos, raw.length);
  assert.equal(parser.head?.rawHeaders[1].length, 59995);
  // A parser that searched the pending line again on every call would look
  // at about 60,000² / 2 bytes.
  assert.ok(CountingBytes.looked < 4 * raw.length, `${CountingBytes.looked}`);
});

Deno.test("errors: the request line is known for the log after a header error", () => {
  const parser = new RequestParser();
  const raw = bytes("GET /x HTTP/1.1\r\nBad Name: 1\r\n\r\n");
  assertError(() => parser.feed(raw, 0, raw.length), "bad-header-name");
  assert.equal(parser.requestLine, "GET /x HTTP/1.1");
  assert.equal(parser.method, "GET");
  assert.equal(parser.version, "HTTP/1.1");
});

Deno.test("errors: a bad request line is kept for the log, method and version are not", () => {
  const parser = new RequestParser();
  const raw = bytes("GET / HTTP/2.0\r\n\r\n");
  assertError(() => parser.feed(raw, 0, raw.length), "version-not-supported");
  assert.equal(parser.requestLine, "GET / HTTP/2.0");
  assert.equal(parser.method, "");
  assert.equal(parser.version, "");
});

Deno.test("fuzz: any bytes give a head, need more bytes, or an HttpError", () => {
  const prefix = fc.constantFrom(
    "",
    "GET / HTTP/1.1\r\n",
    "POST /x HTTP/1.0\r\n",
  );
  const byte = fc.oneof(
    fc.constantFrom(0x0d, 0x0a, 0x20, 0x3a, 0x09, 0x00, 0x80),
    fc.integer({ min: 0, max: 255 }),
  );
  fc.assert(
    fc.property(prefix, fc.array(byte, { maxLength: 200 }), (p, rest) => {
      const raw = new Uint8Array([...bytes(p), ...rest]);
      try {
        const { parser, used } = parseAll(raw, { maxLineLength: 64 });
        assert.ok(used >= 0 && used <= raw.length);
        if (parser.head) assert.equal(raw[used - 1], 0x0a);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("fuzz: any split of any input gives the same outcome as one feed", () => {
  const outcome = (raw: Uint8Array, cuts: number[]) => {
    try {
      return feedInPieces(raw, cuts);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      return e.kind;
    }
  };
  const line = fc.oneof(
    fc.constantFrom(
      "Host: a",
      "X: y",
      "Content-Length: 3",
      "Expect: 100-continue",
      "",
    ),
    fc.string({ unit: "binary-ascii", maxLength: 20 }),
  );
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 6 }),
      fc.constantFrom("\r\n", "\n"),
      fc.array(fc.nat(), { maxLength: 4 }),
      (lines, eol, rawCuts) => {
        const raw = bytes(["GET / HTTP/1.1", ...lines, "", ""].join(eol));
        const cuts = [...rawCuts.map((c) => c % (raw.length + 1)), raw.length]
          .sort((a, b) => a - b);
        assert.deepEqual(outcome(raw, cuts), outcome(raw, [raw.length]));
      },
    ),
    { numRuns: 1000 },
  );
});
