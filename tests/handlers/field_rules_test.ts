/**
 * One field grammar everywhere (RFC 9110 §5.5, §5.6.2): the same value is
 * taken or refused alike by the request parser, `sendHeader`, the command
 * line's `-H` and a CGI script's header block, and a value that is taken
 * arrives as it was given, trimmed of spaces and tabs only.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BaseHTTPRequestHandler, HTTPServer } from "../../mod.ts";
import { RequestParser } from "../../http/parser.ts";
import { parseHeaderArgument } from "../../http/fields.ts";
import { ScriptHeadParser } from "../../handlers/cgi/response.ts";
import { exchange, latin1, serve } from "../support/helpers.ts";

/** A field value (Latin-1 characters) and whether a field may hold it. */
const VALUES: [string, string, boolean][] = [
  ["plain text", "text/plain; charset=utf-8", true],
  ["a tab inside", "a\tb", true],
  ["obs-text (Latin-1 letters)", "Dängerous Mind", true],
  ["NBSP at the end, which is no whitespace to trim", "a\xa0", true],
  ["NUL", "a\x00b", false],
  ["SOH", "a\x01b", false],
  ["a vertical tab at the end", "a\x0b", false],
  ["a form feed", "a\x0cb", false],
  ["ESC, which would reach a terminal", "a\x1b[31m", false],
  ["DEL", "a\x7f", false],
  ["a CR inside", "a\rb", false],
];

/** What the request parser makes of `X: value`: the value, or null when refused. */
function viaParser(value: string): string | null {
  const parser = new RequestParser();
  const raw = latin1(`GET / HTTP/1.1\r\nHost: t\r\nX: ${value}\r\n\r\n`);
  try {
    parser.feed(raw, 0, raw.length);
  } catch {
    return null;
  }
  return parser.head!.rawHeaders[3];
}

/** What `-H "X: value"` gives, or null when refused. */
function viaHeaderArgument(value: string): string | null {
  try {
    return parseHeaderArgument(`X: ${value}`)[1];
  } catch (error) {
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /invalid header/);
    return null;
  }
}

/** What a CGI script's `X: value` line gives, or null when refused (502). */
function viaScript(value: string): string | null {
  const parser = new ScriptHeadParser();
  try {
    parser.feed(latin1(`X: ${value}\n\n`));
  } catch {
    return null;
  }
  return parser.head!.fields[0][1];
}

/**
 * A server whose `GET /<i>` answers 200 with the reason `reason(i)` and the
 * header `field(i)`, and the errors its refusals raised (a refusal is a 500).
 */
function sendingServer(
  field: (i: number) => [string, string],
  reason: (i: number) => string = () => "OK",
) {
  const errors: unknown[] = [];
  class Recording extends HTTPServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      errors.push(error);
    }
  }
  class Sending extends BaseHTTPRequestHandler {
    override logMessage(): void {}
    do_GET() {
      const i = Number(this.path.slice(1));
      this.sendResponse(200, reason(i));
      this.sendHeader(...field(i));
      this.sendHeader("Content-Length", "0");
      this.endHeaders();
    }
  }
  return { running: serve(Sending, {}, Recording), errors };
}

Deno.test("a field value is taken or refused alike by the parser, sendHeader, -H and a CGI script", async () => {
  const { running, errors } = sendingServer((i) => ["X", VALUES[i][1]]);
  await using s = running;
  for (const [i, [name, value, valid]] of VALUES.entries()) {
    const expected = valid ? value : null;
    assert.equal(viaParser(value), expected, `parser: ${name}`);
    assert.equal(viaHeaderArgument(value), expected, `-H: ${name}`);
    assert.equal(viaScript(value), expected, `CGI: ${name}`);
    const raw = await exchange(s.port, `GET /${i} HTTP/1.0\r\n\r\n`);
    if (valid) {
      assert.match(raw, /^HTTP\/1.0 200 /, `sendHeader: ${name}`);
      assert.ok(raw.includes(`\r\nX: ${value}\r\n`), `sendHeader: ${name}`);
    } else {
      assert.match(raw, /^HTTP\/1.0 500 /, `sendHeader: ${name}`);
      assert.match(String(errors.at(-1)), /invalid header value/, name);
    }
  }
  assert.equal(errors.length, VALUES.filter(([, , valid]) => !valid).length);
});

Deno.test("spaces and tabs around a value are trimmed alike by the parser, -H and a CGI script", () => {
  for (const padded of [" a ", "\ta\t", " \t a b \t "]) {
    const trimmed = padded.replace(/^[ \t]+|[ \t]+$/g, "");
    assert.equal(viaParser(padded), trimmed);
    assert.equal(viaHeaderArgument(padded), trimmed);
    assert.equal(viaScript(padded), trimmed);
  }
});

/** Whether `fn` returns rather than throws. */
function taken(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

Deno.test("a field name is a token alike for the parser, sendHeader, -H and a CGI script", async () => {
  const names: [string, boolean][] = [
    ["X-Request-Id", true],
    ["x_y.z~1!#$%&'*+^`|", true],
    ["X Id", false],
    ["X\x01", false],
    ["Ä", false],
    ["X/Y", false],
    ["(X)", false],
  ];
  const { running, errors } = sendingServer((i) => [names[i][0], "v"]);
  await using s = running;
  for (const [i, [name, valid]] of names.entries()) {
    const request = latin1(`GET / HTTP/1.1\r\nHost: t\r\n${name}: v\r\n\r\n`);
    assert.equal(
      taken(() => new RequestParser().feed(request, 0, request.length)),
      valid,
      `parser: ${name}`,
    );
    assert.equal(
      taken(() => parseHeaderArgument(`${name}: v`)),
      valid,
      `-H: ${name}`,
    );
    assert.equal(
      taken(() => new ScriptHeadParser().feed(latin1(`${name}: v\n\n`))),
      valid,
      `CGI: ${name}`,
    );
    const response = await exchange(s.port, `GET /${i} HTTP/1.0\r\n\r\n`);
    assert.match(
      response,
      valid ? /^HTTP\/1.0 200 / : /^HTTP\/1.0 500 /,
      `sendHeader: ${name}`,
    );
  }
  assert.equal(errors.length, names.filter(([, valid]) => !valid).length);
});

Deno.test("a Content-Length is read alike from a request and from a CGI script", () => {
  const lengths: [string, number | null][] = [
    ["0", 0],
    ["5", 5],
    [" 42\t", 42],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
    ["9007199254740992", null],
    ["05", null],
    ["00", null],
    ["-1", null],
    ["+1", null],
    ["1,1", null],
    ["1 1", null],
    ["0x10", null],
  ];
  for (const [value, length] of lengths) {
    const request = latin1(
      `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${value}\r\n\r\n`,
    );
    const parser = new RequestParser();
    assert.equal(
      taken(() => parser.feed(request, 0, request.length)) &&
        parser.head!.contentLength,
      length ?? false,
      `request: ${JSON.stringify(value)}`,
    );
    const script = new ScriptHeadParser();
    assert.equal(
      taken(() => script.feed(latin1(`Content-Length: ${value}\n\n`))) &&
        script.head!.contentLength,
      length ?? false,
      `CGI: ${JSON.stringify(value)}`,
    );
  }
});

Deno.test("sendResponse holds a reason phrase to the same rule as a field value", async () => {
  const reasons: [string, boolean][] = [
    ["Fine\tthanks", true],
    ["Tr\xe8s bien", true],
    ["Bad\x01", false],
    ["Bad\x7f", false],
    ["Bad\r\nX-Injected: 1", false],
  ];
  const { running, errors } = sendingServer(
    () => ["X", "x"],
    (i) => reasons[i][0],
  );
  await using s = running;
  for (const [i, [reason, valid]] of reasons.entries()) {
    const raw = await exchange(s.port, `GET /${i} HTTP/1.0\r\n\r\n`);
    const statusLine = raw.slice(0, raw.indexOf("\r\n"));
    if (valid) assert.equal(statusLine, `HTTP/1.0 200 ${reason}`);
    else assert.match(statusLine, /^HTTP\/1.0 500 /, JSON.stringify(reason));
    assert.doesNotMatch(raw, /^X-Injected/m);
  }
  assert.equal(errors.length, reasons.filter(([, valid]) => !valid).length);
});
