/**
 * Tests of the directory listing page: byte for byte against the page that
 * CPython's real `list_directory` builds for a folder of odd names, plus the
 * rules it follows, spelled out.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type ListingEntry,
  renderListing,
} from "../../files/listing/python.ts";
import {
  PY_LISTING_HANDLER,
  pythonListingLeaksPath,
  runPython,
} from "../support/python.ts";
import { requiring } from "../support/tools.ts";

/** The tests that compare with CPython. */
const cpython = requiring("python3");

const FILES = [
  "plain.txt",
  "with space.txt",
  "100%.txt",
  "a&b.txt",
  "<script>alert(1)&lt;.html",
  `"quoted" 'single'.txt`,
  "ünïcödé.txt",
  "日本語.txt",
  // U+FF21 sorts before U+1F600 by code point, after it by UTF-16 unit.
  "\u{1F600}-emoji.txt",
  "\uff21-fullwidth.txt",
  "B-upper.txt",
  "b-lower.txt",
  "İstanbul.txt",
  "Σίσυφος",
  "ß",
  "\u00a0nbsp",
  "#hash",
  "?q",
  "semi;colon",
  "plus+sign",
  "tilde~",
  "new\nline",
  "back\\slash",
  "tab\there",
  ".hidden",
  "-dash",
  "_under",
  // Equal when lower-cased: they keep the folder's order.
  "ZZZ",
  "zzz",
  "Zzz",
];
const DIRS = ["subfolder", "Folder With Space", "<dir>&"];
const LINKS = [
  ["link-to-file", "plain.txt"],
  ["link-to-dir", "subfolder"],
  ["broken-link", "nowhere"],
];
/** Not UTF-8: see {@link pythonListingLeaksPath}. */
const UNDECODABLE = "/dir/?x=%bb";

const PATHS = [
  "/",
  "/some%20dir/",
  "/dir/?x=123",
  UNDECODABLE,
  "/%3Cscript%3E&amp;/",
  "/caf%C3%A9/",
  "/a&b<c>/",
  "/\u00e9/",
  "/%F0%9F%98%80/",
];

const PY_LIST = `
import base64, json, os, shutil, sys, tempfile
${PY_LISTING_HANDLER}
spec = json.load(sys.stdin)
root = tempfile.mkdtemp()
for name in spec['files']:
    open(os.path.join(root, name), 'wb').close()
for name in spec['dirs']:
    os.mkdir(os.path.join(root, name))
for name, target in spec['links']:
    os.symlink(target, os.path.join(root, name))
entries = [{
    'name': name,
    'isDirectory': os.path.isdir(os.path.join(root, name)),
    'isSymlink': os.path.islink(os.path.join(root, name)),
} for name in os.listdir(root)]
handler = Handler()
pages = {}
for path in spec['paths']:
    handler.path = path
    pages[path] = base64.b64encode(handler.list_directory(root).read()).decode()
empty = tempfile.mkdtemp()
handler.path = '/empty/'
pages['empty'] = base64.b64encode(handler.list_directory(empty).read()).decode()
shutil.rmtree(root)
os.rmdir(empty)
json.dump({'entries': entries, 'pages': pages}, sys.stdout)
`;

function bytes(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, "base64"));
}

cpython.test("the listing is byte for byte CPython's list_directory", async () => {
  const { entries, pages } = await runPython(PY_LIST, {
    files: FILES,
    dirs: DIRS,
    links: LINKS,
    paths: PATHS,
  }) as { entries: ListingEntry[]; pages: Record<string, string> };
  assert.equal(entries.length, FILES.length + DIRS.length + LINKS.length);
  const leaky = await pythonListingLeaksPath();
  for (const path of PATHS) {
    if (leaky && path === UNDECODABLE) continue;
    const { body, charset } = renderListing(path, entries);
    assert.equal(charset, "utf-8");
    assert.deepEqual(body, bytes(pages[path]), path);
  }
  assert.deepEqual(
    renderListing("/empty/", []).body,
    bytes(pages.empty),
  );
});

Deno.test("folders link with /, symlinks show @, names are escaped", () => {
  const entries: ListingEntry[] = [
    { name: "file", isDirectory: false, isSymlink: false },
    { name: "dir", isDirectory: true, isSymlink: false },
    { name: "dirlink", isDirectory: true, isSymlink: true },
    { name: "filelink", isDirectory: false, isSymlink: true },
    { name: `<a b="c">&'%`, isDirectory: false, isSymlink: false },
  ];
  const html = new TextDecoder().decode(
    renderListing("/x%20y/?q=<1>", entries).body,
  );
  const expected = [
    "<!DOCTYPE HTML>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    "<title>Directory listing for /x y/?q=&lt;1&gt;</title>",
    "</head>",
    "<body>",
    "<h1>Directory listing for /x y/?q=&lt;1&gt;</h1>",
    "<hr>",
    "<ul>",
    `<li><a href="%3Ca%20b%3D%22c%22%3E%26%27%25">&lt;a b="c"&gt;&amp;'%</a></li>`,
    '<li><a href="dir/">dir/</a></li>',
    '<li><a href="dirlink/">dirlink@</a></li>',
    '<li><a href="file">file</a></li>',
    '<li><a href="filelink">filelink@</a></li>',
    "</ul>",
    "<hr>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
  assert.equal(html, expected);
});
