// files/live/inject.ts: where the live-reload tag goes in a page, as a
// table of pages; the bytes given are never changed.
import assert from "node:assert/strict";
import {
  injectScript,
  insertionPoint,
  scriptTag,
} from "../../../files/live/inject.ts";

/** A version as `reload.ts` makes them. */
const VERSION = "9f3a01bc.2";
const SCRIPT_TAG = scriptTag(VERSION);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** [page, the page with the tag where it belongs]; `@` marks the tag. */
const CASES: [string, string][] = [
  [
    "<html><body><p>hi</p></body></html>",
    "<html><body><p>hi</p>@</body></html>",
  ],
  // ASCII case folded; the last </body> counts (one in a comment before)
  ["<p>x</BODY >\n", "<p>x@</BODY >\n"],
  ["<!-- </body> --><p>x</Body>", "<!-- </body> --><p>x@</Body>"],
  // no </body>: at the end, where a browser would put it into the body
  [
    "<!doctype html><title>t</title><p>x",
    "<!doctype html><title>t</title><p>x@",
  ],
  ["", "@"],
  // almost a </body>: not one
  ["<p></bod", "<p></bod@"],
  ["</body", "@</body"],
  // a control byte is no letter: 0x0f folded would read as "/"
  ["<\x0fbody>", "<\x0fbody>@"],
  // UTF-8 around it stays as it is
  ["<p>café ☕</body>", "<p>café ☕@</body>"],
];

for (const [page, expected] of CASES) {
  Deno.test(`the tag goes into ${JSON.stringify(page)} where it belongs`, () => {
    const html = encoder.encode(page);
    const copy = html.slice();
    const out = injectScript(html, VERSION);
    assert.equal(decoder.decode(out), expected.replace("@", SCRIPT_TAG));
    assert.equal(out.length, html.length + encoder.encode(SCRIPT_TAG).length);
    assert.deepEqual(html, copy, "the page given is left as it was");
  });
}

Deno.test("the insertion point is an offset in the bytes given, a page's tail too", () => {
  const tail = encoder.encode("é</p></body>\n</html>\n");
  assert.equal(insertionPoint(tail), encoder.encode("é</p>").length);
});

Deno.test("a UTF-16 page, whose bytes are not ASCII's, is left as it is", () => {
  for (const bom of [[0xff, 0xfe], [0xfe, 0xff]]) {
    const page = new Uint8Array([...bom, 0x3c, 0, 0x70, 0]);
    assert.equal(injectScript(page, VERSION), page);
  }
});

Deno.test("the tag loads the client script from its reserved path, deferred, with the page's version", () => {
  assert.equal(
    SCRIPT_TAG,
    '<script src="/.well-known/httpserver/live-reload.js" data-version="9f3a01bc.2" defer></script>',
  );
});
