/**
 * Tests of `guessType`: the override and extension rules against CPython's
 * `guess_type`, and the table of types where mime-db (ours) and Python's
 * built-in table differ.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../../files/mime.ts";
import { runPython } from "../support/python.ts";
import { requiring } from "../support/tools.ts";

/** The tests that compare with CPython. */
const cpython = requiring("python3");

const OCTET = "application/octet-stream";

/**
 * `[extension, ours (the `mime` package 4.1, built from mime-db), Python
 * 3.11's built-in table]`. Python also reads the system's `/etc/mime.types`,
 * so `python3 -m http.server` may send yet another type on a given machine
 * (e.g. `text/javascript` for `.js` on Debian); Python 3.12 moved `.js` to
 * `text/javascript` too.
 */
const TYPES: [string, string, string][] = [
  // The same in both.
  [".html", "text/html", "text/html"],
  [".htm", "text/html", "text/html"],
  [".txt", "text/plain", "text/plain"],
  [".json", "application/json", "application/json"],
  [".css", "text/css", "text/css"],
  [".svg", "image/svg+xml", "image/svg+xml"],
  [".svgz", "image/svg+xml", "image/svg+xml"],
  [".wasm", "application/wasm", "application/wasm"],
  // mime's scoring picks octet-stream among mime-db's types for .exe.
  [".exe", OCTET, OCTET],
  [".csv", "text/csv", "text/csv"],
  [".png", "image/png", "image/png"],
  [".jpg", "image/jpeg", "image/jpeg"],
  [".ico", "image/vnd.microsoft.icon", "image/vnd.microsoft.icon"],
  [".pdf", "application/pdf", "application/pdf"],
  [".zip", "application/zip", "application/zip"],
  [".tar", "application/x-tar", "application/x-tar"],
  [".mp4", "video/mp4", "video/mp4"],
  [".webmanifest", "application/manifest+json", "application/manifest+json"],
  // Python's extensions_map overrides, the same by construction.
  [".gz", "application/gzip", "application/gzip"],
  [".Z", OCTET, OCTET],
  [".bz2", "application/x-bzip2", "application/x-bzip2"],
  [".xz", "application/x-xz", "application/x-xz"],
  // Different: JavaScript is text/javascript since RFC 9239.
  [".js", "text/javascript", "application/javascript"],
  [".mjs", "text/javascript", "application/javascript"],
  [".xml", "application/xml", "text/xml"],
  [".wav", "audio/wav", "audio/x-wav"],
  [".opus", "audio/ogg", "audio/opus"],
  [".c", "text/x-c", "text/plain"],
  [".bat", "application/x-msdownload", "text/plain"],
  // Different: unknown to Python's built-in table.
  [".md", "text/markdown", OCTET],
  [".webp", "image/webp", OCTET],
  [".woff2", "font/woff2", OCTET],
  [".ttf", "font/ttf", OCTET],
  [".ogg", "audio/ogg", OCTET],
  [".map", "application/json", OCTET],
  [".yaml", "text/yaml", OCTET],
  [".toml", "application/toml", OCTET],
  [".jsonld", "application/ld+json", OCTET],
  [".xhtml", "application/xhtml+xml", OCTET],
  // mime-db's .ts is an MPEG transport stream; Python knows none (the
  // Debian table says text/vnd.trolltech.linguist).
  [".ts", "video/mp2t", OCTET],
  // Different: unknown to mime-db. Python maps .tgz through its suffix map.
  [".py", OCTET, "text/x-python"],
  [".tgz", OCTET, "application/x-tar"],
];

/** Names whose extension parsing and overrides we share with Python. */
const NAMES = [
  "/srv/index.html",
  "/srv/INDEX.HTML",
  "/srv/Index.Html",
  "/srv/archive.tar.gz",
  "/srv/ARCHIVE.TAR.GZ",
  "/srv/data.Z",
  "/srv/data.z",
  "/srv/.bashrc",
  "/srv/..html",
  "/srv/a..html",
  "/srv/.a.html",
  "/srv/file.",
  "/srv/README",
  "/srv/dir.html/README",
  "/srv/dir.d/",
  "index.html",
  "html",
  ".html",
  "",
];

/** Runs Python's real guess_type on `names` with its built-in table. */
async function pythonGuessType(
  names: string[],
  extensionsMap?: Record<string, string>,
): Promise<string[]> {
  return await runPython(
    `
import json, mimetypes, sys
from http.server import SimpleHTTPRequestHandler as H
mimetypes._db = mimetypes.MimeTypes()  # the built-in table, no system files
spec = json.load(sys.stdin)
h = H.__new__(H)
if spec['map'] is not None:
    h.extensions_map = spec['map']
json.dump([h.guess_type(name) for name in spec['names']], sys.stdout)
`,
    { names, map: extensionsMap ?? null },
  ) as string[];
}

Deno.test("each extension gets its mime-db type", () => {
  for (const [ext, ours] of TYPES) {
    assert.equal(guessType(`/srv/file${ext}`), ours, ext);
  }
});

cpython.test("the Python column is what Python 3.11's guess_type gives", async () => {
  const python = await pythonGuessType(TYPES.map(([ext]) => `/srv/file${ext}`));
  TYPES.forEach(([ext, , expected], i) =>
    assert.equal(python[i], expected, ext)
  );
});

cpython.test("extensions, case and default overrides follow Python", async () => {
  const python = await pythonGuessType(NAMES);
  NAMES.forEach((name, i) => assert.equal(guessType(name), python[i], name));
  assert.equal(guessType("/srv/file.GZ"), "application/gzip");
  assert.equal(guessType("/srv/file.unknown-ext"), OCTET);
  assert.equal(guessType("C:\\srv\\dir.d\\README"), OCTET);
  assert.equal(guessType("C:\\srv\\index.html"), "text/html");
});

cpython.test("a handler's extensionsMap: exact suffix first, then lower-cased", async () => {
  const map = {
    ...DEFAULT_EXTENSIONS_MAP,
    ".md": "text/plain",
    ".TXT": "text/x-upper",
  };
  const names = ["a.md", "a.MD", "a.TXT", "a.txt", "a.Txt", "a.gz", "a.Z"];
  const python = await pythonGuessType(names, map);
  names.forEach((name, i) =>
    assert.equal(guessType(name, map), python[i], name)
  );
  assert.deepEqual(names.map((name) => guessType(name, map)), [
    "text/plain",
    "text/plain",
    "text/x-upper",
    "text/plain",
    "text/plain",
    "application/gzip",
    OCTET,
  ]);
});
