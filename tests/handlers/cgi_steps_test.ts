/**
 * The pure steps of running a CGI script, each alone: where on the path
 * the script is, its command line, the response made of its header block
 * (fields and framing), and which of its output is the body.
 *
 * @module
 */

import assert from "node:assert/strict";
import { locateScript, type ScriptPath } from "../../handlers/cgi/path.ts";
import { type ScriptCommand, scriptCommand } from "../../handlers/cgi/env.ts";
import {
  ScriptBody,
  type ScriptRequest,
  scriptResponse,
} from "../../handlers/cgi/output.ts";
import type { ScriptHead } from "../../handlers/cgi/response.ts";
import type { Framing } from "../../http/framing.ts";

Deno.test("the script is the name after the deepest folder; the rest is PATH_INFO, decoded", () => {
  const folders = new Set(["/cgi-bin/sub", "/cgi-bin/sub/deeper"]);
  const isDirectory = (path: string) => folders.has(path);
  // After /cgi-bin: SCRIPT_NAME, PATH_INFO, QUERY_STRING.
  const rows: [string, string, string, string][] = [
    ["s.py", "/cgi-bin/s.py", "", ""],
    ["s.py/extra/path?a=1&b", "/cgi-bin/s.py", "/extra/path", "a=1&b"],
    ["sub/s.py/a%20b?q", "/cgi-bin/sub/s.py", "/a b", "q"],
    ["sub/deeper/s.py", "/cgi-bin/sub/deeper/s.py", "", ""],
    // A name that is no folder is the script, whatever follows.
    ["s.py/sub/x", "/cgi-bin/s.py", "/sub/x", ""],
    // The query starts at the first `?`, even one that looks like a path's.
    ["s.py?x=/y?z", "/cgi-bin/s.py", "", "x=/y?z"],
    ["", "/cgi-bin/", "", ""],
  ];
  for (const [rest, scriptName, pathInfo, query] of rows) {
    const expected: ScriptPath = { scriptName, pathInfo, query };
    assert.deepEqual(
      locateScript(["/cgi-bin", rest], isDirectory),
      expected,
      rest,
    );
  }
});

Deno.test("a script runs as itself, or as python -u on Windows; an indexed query is its argument", () => {
  const sh = "/srv/cgi-bin/s.sh";
  const py = "C:\\srv\\s.py";
  const rows: [string, string, boolean, string, string[]][] = [
    [sh, "", false, sh, [""]],
    [sh, "a+b", false, sh, ["a b"]],
    [sh, "a=1", false, sh, []],
    [py, "x", true, "python", ["-u", py, "x"]],
    [py, "a=1", true, "python", ["-u", py]],
  ];
  for (const [file, query, python, command, args] of rows) {
    const expected: ScriptCommand = { command, args };
    assert.deepEqual(scriptCommand(file, query, python), expected, query);
  }
});

/** A script's header block with the usual defaults. */
function scriptHead(
  status: number,
  fields: [string, string][],
): ScriptHead {
  const length = fields.find(([name]) =>
    name.toLowerCase() === "content-length"
  );
  return {
    status,
    reason: undefined,
    fields,
    contentLength: length === undefined ? null : Number(length[1]),
  };
}

const GET11: ScriptRequest = {
  method: "GET",
  requestVersion: "HTTP/1.1",
  protocolVersion: "HTTP/1.1",
  keepAlive: true,
};

Deno.test("a script's response is framed by its length, chunked, or the close, and says so in its fields", () => {
  const type: [string, string] = ["Content-Type", "text/plain"];
  const rows: [
    string,
    ScriptHead,
    ScriptRequest,
    [string, string][],
    Framing,
  ][] = [
    [
      "its Content-Length, kept where it put it",
      scriptHead(200, [["content-length", "5"], type]),
      GET11,
      [["content-length", "5"], type],
      "length",
    ],
    [
      "no length on HTTP/1.1: chunked",
      scriptHead(200, [type]),
      GET11,
      [type, ["Transfer-Encoding", "chunked"]],
      "chunked",
    ],
    [
      "no length on HTTP/1.1 with Connection: close: chunked all the same",
      scriptHead(200, [type]),
      { ...GET11, keepAlive: false },
      [type, ["Transfer-Encoding", "chunked"]],
      "chunked",
    ],
    [
      "no length to an HTTP/1.0 request kept alive: the close, said",
      scriptHead(200, [type]),
      { ...GET11, requestVersion: "HTTP/1.0" },
      [type, ["Connection", "close"]],
      "close",
    ],
    [
      "no length to an HTTP/1.0 request: the close",
      scriptHead(200, [type]),
      { ...GET11, requestVersion: "HTTP/1.0", keepAlive: false },
      [type],
      "close",
    ],
    [
      "no length from an HTTP/1.0 handler: the close",
      scriptHead(200, [type]),
      { ...GET11, protocolVersion: "HTTP/1.0", keepAlive: false },
      [type],
      "close",
    ],
    [
      "HEAD: no body, and the length a GET would get",
      scriptHead(200, [type, ["Content-Length", "5"]]),
      { ...GET11, method: "HEAD" },
      [type, ["Content-Length", "5"]],
      "none",
    ],
    [
      "HEAD without a length: no framing field",
      scriptHead(200, [type]),
      { ...GET11, method: "HEAD" },
      [type],
      "none",
    ],
    [
      "304 keeps its length",
      scriptHead(304, [["Content-Length", "5"]]),
      GET11,
      [["Content-Length", "5"]],
      "none",
    ],
    [
      "204 loses its Content-Length",
      scriptHead(204, [["Content-Length", "0"], type]),
      GET11,
      [type],
      "none",
    ],
    [
      "205 with a length: it becomes 0, in place",
      scriptHead(205, [["Content-Length", "7"], type]),
      GET11,
      [["Content-Length", "0"], type],
      "none",
    ],
    [
      "205 without one: Content-Length: 0 added",
      scriptHead(205, [type]),
      { ...GET11, requestVersion: "HTTP/1.0" },
      [type, ["Content-Length", "0"]],
      "none",
    ],
  ];
  for (const [name, head, request, fields, framing] of rows) {
    const response = scriptResponse(head, request);
    assert.deepEqual(response.fields, fields, name);
    assert.equal(response.framing, framing, name);
    assert.equal(response.status, head.status, name);
  }
});

Deno.test("the body is all of the output, none of it, or as much as the Content-Length says", () => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const rows: [
    string,
    Framing,
    number | null,
    string[],
    { sent: string; excess: number; remaining: number; complete: boolean },
  ][] = [
    ["chunked: all", "chunked", null, ["ab", "", "cd"], {
      sent: "abcd",
      excess: 0,
      remaining: 0,
      complete: false,
    }],
    ["close: all", "close", null, ["ab", "cd"], {
      sent: "abcd",
      excess: 0,
      remaining: 0,
      complete: false,
    }],
    ["none: nothing, and complete from the start", "none", 5, ["hello"], {
      sent: "",
      excess: 0,
      remaining: 0,
      complete: true,
    }],
    ["length: exactly", "length", 5, ["he", "llo"], {
      sent: "hello",
      excess: 0,
      remaining: 0,
      complete: true,
    }],
    ["length: more than said, dropped", "length", 3, ["he", "llo", "!"], {
      sent: "hel",
      excess: 3,
      remaining: 0,
      complete: true,
    }],
    ["length: less than said", "length", 10, ["hello"], {
      sent: "hello",
      excess: 0,
      remaining: 5,
      complete: false,
    }],
    ["length 0", "length", 0, ["x"], {
      sent: "",
      excess: 1,
      remaining: 0,
      complete: true,
    }],
  ];
  for (const [name, framing, contentLength, pieces, expected] of rows) {
    const body = new ScriptBody({ framing, contentLength });
    let sent = "";
    for (const piece of pieces) {
      sent += decoder.decode(body.take(encoder.encode(piece)));
    }
    assert.deepEqual(
      {
        sent,
        excess: body.excess,
        remaining: body.remaining,
        complete: body.complete,
      },
      expected,
      name,
    );
  }
});

Deno.test("a body ends whole, with its last chunk, or cut short when the script was killed or fell short", () => {
  const rows: [Framing, number | null, string, boolean, string][] = [
    ["chunked", null, "abc", false, "last-chunk"],
    ["chunked", null, "abc", true, "cut-short"],
    ["close", null, "abc", false, "complete"],
    ["close", null, "abc", true, "cut-short"],
    ["length", 3, "abc", false, "complete"],
    ["length", 3, "ab", false, "cut-short"],
    ["length", 3, "abc", true, "cut-short"],
    ["none", 3, "", false, "complete"],
    ["none", null, "", true, "cut-short"],
  ];
  for (const [framing, contentLength, output, killed, end] of rows) {
    const body = new ScriptBody({ framing, contentLength });
    body.take(new TextEncoder().encode(output));
    assert.equal(
      body.end(killed),
      end,
      `${framing} ${contentLength} ${output} killed ${killed}`,
    );
  }
});
