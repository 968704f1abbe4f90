// The two HTML escapes write what Python's html.escape writes, without and
// with quote=True, for text that needs nothing and text that needs all.

import assert from "node:assert/strict";
import { escapeAttribute, escapeText } from "../../util/html.ts";
import { runPython } from "../support/python.ts";

const SAMPLES = [
  "",
  "plain name.txt",
  "a&b",
  "<script>alert(1)</script>",
  `"quoted" and 'single'`,
  "&amp; already",
  "é ü 日本 🎉 <&>",
  "'\"<>&'\"<>&",
];

Deno.test("escapeText and escapeAttribute write Python's html.escape, without and with quotes", async () => {
  const python = await runPython(
    `import html, json, sys
samples = json.load(sys.stdin)
json.dump([[html.escape(s, quote=False), html.escape(s)] for s in samples], sys.stdout)`,
    SAMPLES,
  ) as [string, string][];
  assert.deepEqual(
    SAMPLES.map((s) => [escapeText(s), escapeAttribute(s)]),
    python,
  );
});

Deno.test("text with nothing to escape comes back as it is", () => {
  const name = "index.html";
  assert.equal(escapeText(name), name);
  assert.equal(escapeAttribute(name), name);
});
