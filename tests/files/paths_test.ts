/**
 * Tests of request-target to file path translation: Python's own
 * `translate_path` cases, a table of hostile targets that must stay under the
 * served folder, the folder redirect's `Location`, and a differential run of
 * generated targets against CPython's `translate_path`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { HttpError } from "../../util/errors.ts";
import {
  directoryLocation,
  isUtf8Path,
  translatePath,
  unquote,
} from "../../files/paths.ts";
import { runPython } from "../support/python.ts";
import { requiring } from "../support/tools.ts";

/** The tests that compare with CPython. */
const cpython = requiring("python3");

const DIR = "/srv/www";
const posix = { windows: false };
const windows = { windows: true };

/** Asserts that `result` is `dir` or under it, with only plain names. */
function assertUnder(result: string, dir: string, isWindows: boolean): void {
  assert.ok(
    result === dir || result.startsWith(dir + (isWindows ? "\\" : "/")) ||
      result === dir + "/",
    `${JSON.stringify(result)} is not under ${dir}`,
  );
  const rest = result.slice(dir.length).split(isWindows ? /[\\/]/ : "/");
  for (const word of rest) {
    assert.ok(word !== "." && word !== "..", `${JSON.stringify(result)}`);
    assert.ok(!word.includes("\0"), JSON.stringify(result));
    if (isWindows) assert.ok(!/[:]|[. ]$/.test(word), JSON.stringify(result));
  }
}

Deno.test("Python's translate_path cases: query, fragment, double slash", () => {
  // test_query_arguments and test_start_with_double_slash
  for (const dir of ["/home/user", "foo", "bar"]) {
    for (
      const target of [
        "/filename",
        "/filename?foo=bar",
        "/filename?a=b&spam=eggs#zot",
        "//filename",
        "//filename?foo=bar",
      ]
    ) {
      assert.equal(translatePath(dir, target, posix), `${dir}/filename`);
    }
  }
});

Deno.test("Python's translate_path cases: Windows drive letters are dropped", () => {
  // test_windows_colon, run with ntpath in Python
  for (const dir of ["C:\\Users\\me", "foo", "bar"]) {
    for (
      const target of [
        "c:c:c:foo/filename",
        "\\c:../filename",
        "c:\\c:..\\foo/filename",
        "c:c:foo\\c:c:bar/filename",
      ]
    ) {
      assert.equal(translatePath(dir, target, windows), `${dir}\\filename`);
    }
  }
});

Deno.test("an explicit trailing slash is kept (Python issue 17324)", () => {
  assert.equal(translatePath(DIR, "/filename/", posix), `${DIR}/filename/`);
  assert.equal(translatePath(DIR, "/", posix), `${DIR}/`);
  assert.equal(translatePath(DIR, "/%2e/", posix), `${DIR}/`);
  assert.equal(translatePath(DIR, "/a/?q=/", posix), `${DIR}/a/`);
  // The slash is looked for before decoding, as Python does.
  assert.equal(translatePath(DIR, "/dir%2f", posix), `${DIR}/dir`);
  assert.equal(translatePath(DIR, "/dir/", windows), `${DIR}\\dir/`);
});

/** Hostile targets: [target, POSIX result, Windows result], under DIR. */
const HOSTILE: [string, string, string][] = [
  ["/../etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["/../../../../etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["/a/../../b", "/b", "\\b"],
  ["/a/./b/.", "/a/b", "\\a\\b"],
  // A backslash is a plain character on POSIX and a separator on Windows.
  ["/..\\..\\etc\\passwd", "/..\\..\\etc\\passwd", ""],
  ["/%5c..%5c..%5cetc", "/\\..\\..\\etc", ""],
  ["/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/etc/passwd", "\\etc\\passwd"],
  ["/..%2f..%2fetc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["/.%2e/.%2E/x", "/x", "\\x"],
  // Decoded once only.
  ["/%252e%252e/x", "/%2e%2e/x", "\\%2e%2e\\x"],
  ["/%252e%252e%252fx", "/%2e%2e%2fx", "\\%2e%2e%2fx"],
  // Overlong UTF-8 for "." is invalid UTF-8: U+FFFD per byte, as Python.
  [
    "/%c0%ae%c0%ae/x",
    "/\uFFFD\uFFFD\uFFFD\uFFFD/x",
    "\\\uFFFD\uFFFD\uFFFD\uFFFD\\x",
  ],
  [
    "/%e0%80%ae%e0%80%ae%2f",
    "/\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD",
    "\\\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD",
  ],
  // Look-alikes stay what they are: one dot leader, fullwidth dot and solidus.
  ["/%e2%80%a4%e2%80%a4/x", "/\u2024\u2024/x", "\\\u2024\u2024\\x"],
  [
    "/%ef%bc%8e%ef%bc%8e%ef%bc%8fx",
    "/\uff0e\uff0e\uff0fx",
    "\\\uff0e\uff0e\uff0fx",
  ],
  ["/%e2%88%95etc", "/\u2215etc", "\\\u2215etc"],
  // Absolute paths and network paths stay under DIR.
  ["/etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["//etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["///etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["//evil.example/x", "/evil.example/x", "\\evil.example\\x"],
  ["%2f%2fetc", "/etc", "\\etc"],
  ["etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  // Absolute-form (RFC 9112 §3.2.2): only the path counts.
  ["http://host:8000/x?q=1", "/x", "\\x"],
  ["HTTPS://host/../../etc/passwd", "/etc/passwd", "\\etc\\passwd"],
  ["http://host", "", ""],
  ["http://host?x", "", ""],
  // Drive letters, UNC paths, NTFS streams, Windows device names.
  ["/C:/Windows/win.ini", "/C:/Windows/win.ini", "\\Windows\\win.ini"],
  ["/C:%5cWindows%5cwin.ini", "/C:\\Windows\\win.ini", ""],
  ["/c:..%5c..%5cx", "/c:..\\..\\x", ""],
  ["/%5c%5cserver%5cshare%5cx", "/\\\\server\\share\\x", ""],
  ["/index.html::$DATA", "/index.html::$DATA", ""],
  ["/CON", "/CON", ""],
  ["/nul.txt", "/nul.txt", ""],
  ["/lpt1/x", "/lpt1/x", "\\x"],
  ["/.../x", "/.../x", "\\x"],
  ["/a./x", "/a./x", "\\x"],
  ["/a%20/x", "/a /x", "\\x"],
];

Deno.test("hostile targets stay under the served folder", () => {
  for (const [target, posixResult, windowsResult] of HOSTILE) {
    const onPosix = translatePath(DIR, target, posix);
    assert.equal(onPosix, DIR + posixResult, target);
    assertUnder(onPosix, DIR, false);
    const onWindows = translatePath(DIR, target, windows);
    assert.equal(onWindows, DIR + windowsResult, target);
    assertUnder(onWindows, DIR, true);
  }
});

Deno.test("a decoded NUL is a 400 bad-path, in a query it is ignored", () => {
  for (const target of ["/%00", "/a%00.txt", "/%00/..", "/x/%00.html?y"]) {
    for (const options of [posix, windows]) {
      assert.throws(
        () => translatePath(DIR, target, options),
        (e) =>
          e instanceof HttpError && e.kind === "bad-path" && e.status === 400,
        target,
      );
    }
  }
  assert.equal(translatePath(DIR, "/x?%00", posix), `${DIR}/x`);
  assert.equal(translatePath(DIR, "/x#%00", posix), `${DIR}/x`);
});

Deno.test("unquote decodes UTF-8 runs and falls back to U+FFFD as Python", () => {
  const cases: [string, string][] = [
    ["/plain", "/plain"],
    ["/a%20b%2Fc", "/a b/c"],
    ["/caf%C3%A9", "/caf\u00e9"],
    ["/%F0%9F%98%80", "/\u{1F600}"],
    ["/%", "/%"],
    ["/%4", "/%4"],
    ["/%zz%41", "/%zzA"],
    ["/%bb", "/\uFFFD"],
    // One invalid run sends every run to the fallback.
    ["/%C3%A9/%ff", "/\u00e9/\uFFFD"],
    // A BOM is kept, not eaten.
    ["/%EF%BB%BFx", "/\uFEFFx"],
    // Latin-1 characters of the raw target split the runs and stay as is.
    ["/%C3\u00a9", "/\uFFFD\u00a9"],
    ["/\u00e9%41", "/\u00e9A"],
    // UTF-8-encoded surrogates: Python gives lone surrogates, we U+FFFD.
    ["/%ED%A0%80", "/\uFFFD\uFFFD\uFFFD"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(unquote(input), expected, input);
  }
});

Deno.test("isUtf8Path: whether a target's path decodes without U+FFFD", () => {
  const cases: [string, boolean][] = [
    ["/plain.txt", true],
    ["/caf%C3%A9.txt", true],
    ["/%EF%BF%BD.txt", true], // U+FFFD itself, sent as UTF-8
    ["/%zz", true], // not an escape: a name of its own
    ["/caf%E9.txt", false],
    ["/%C3", false],
    ["/%ED%A0%80", false], // a surrogate
    ["/a/%ff/b", false],
    ["/ok?%ff", true],
    ["/ok#%ff", true],
    ["http://host/%ff", false],
  ];
  for (const [target, utf8] of cases) {
    assert.equal(isUtf8Path(target), utf8, target);
  }
});

Deno.test("the folder redirect keeps query and fragment as Python", () => {
  const cases: [string, string | null][] = [
    ["/dir", "/dir/"],
    ["/dir/", null],
    ["/dir/?x", null],
    ["/dir?hi=1", "/dir/?hi=1"],
    ["/dir?", "/dir/"],
    ["/dir#frag", "/dir/#frag"],
    ["/dir?a=1#b", "/dir/?a=1#b"],
    ["/dir#a?b", "/dir/#a?b"],
    ["/a%20b", "/a%20b/"],
    ["http://host", "http://host/"],
    ["http://host?x", "http://host/?x"],
    ["HTTP://Host:80/a", "HTTP://Host:80/a/"],
    // Python answers "dir/?hi=1", a relative reference; we make it absolute.
    ["dir?hi=1", "/dir/?hi=1"],
    ["c:dir", "/c:dir/"],
  ];
  for (const [target, location] of cases) {
    assert.equal(directoryLocation(target), location, target);
  }
});

Deno.test("the folder redirect never names another host (gh-87389)", () => {
  // test_get_dir_redirect_location_domain_injection_bug
  const url = "/python.org/..%2f..%2f..%2f..%2f..%2f../%0a%0d/../tmp/existing";
  assert.equal(directoryLocation(url), `${url}/`);
  assert.equal(directoryLocation(`/${url}`), `${url}/`);
  assert.equal(directoryLocation(`//${url}`), `${url}/`);
  assert.ok(
    directoryLocation(`https://pypi.org/${url}`)!.startsWith(
      "https://pypi.org/",
    ),
  );
  // Browsers read "\" as "/" in a Location: "/\evil.com" is another host too.
  for (
    const target of [
      "/\\evil.com",
      "\\\\evil.com",
      "/\\/evil.com",
      "//\\evil.com",
    ]
  ) {
    assert.equal(directoryLocation(target), "/evil.com/", target);
  }
  assert.equal(
    directoryLocation("http:\\\\evil.com\\x"),
    "/http:\\\\evil.com\\x/",
  );
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("/", "\\", "a", ":", "?", "#", ".") }),
      (target) => {
        const location = directoryLocation(target);
        assert.ok(
          location === null || /^\/(?![/\\])/.test(location),
          location ?? "",
        );
      },
    ),
  );
});

/** Pieces of generated targets: separators, dots, escapes, odd bytes. */
const PIECES = [
  "/",
  "//",
  "\\",
  ".",
  "..",
  "%2e",
  "%2E",
  "%2f",
  "%2F",
  "%5c",
  "%25",
  "%",
  "%2",
  "%zz",
  "%c0%ae",
  "%ff",
  "%bb",
  "%e2%80%a4",
  "%ef%bb%bf",
  "%ed%a0%80",
  "%ed%b3%bf",
  "%f0%9f%98%80",
  "%c3%a9",
  "%c3",
  "\u00e9",
  "\u00ff",
  "\u0080",
  "a",
  "b.txt",
  "?",
  "#",
  "=",
  "&",
  "c:",
  "%00",
  "~",
  ";",
  "+",
  "%20",
];

const PY_TRANSLATE = `
import json, sys, urllib.parse
from http.server import SimpleHTTPRequestHandler as H
h = H.__new__(H)
h.directory = ${JSON.stringify(DIR)}
def unquote(p):
    try:
        return urllib.parse.unquote(p, errors='surrogatepass')
    except UnicodeDecodeError:
        return urllib.parse.unquote(p)
def location(t):
    if t.startswith('//'):  # BaseHTTPRequestHandler.parse_request, gh-87389
        t = '/' + t.lstrip('/')
    parts = urllib.parse.urlsplit(t)
    if parts.path.endswith('/'):
        return None
    return urllib.parse.urlunsplit(parts[:2] + (parts.path + '/',) + parts[3:])
out = []
for t in json.load(sys.stdin):
    decoded = unquote(t.split('?', 1)[0].split('#', 1)[0])
    out.append({
        'path': h.translate_path(t),
        'decoded': decoded,
        'surrogates': any(0xd800 <= ord(c) <= 0xdfff for c in decoded),
        'location': location(t) if t.startswith('/') else None,
    })
json.dump(out, sys.stdout)
`;

interface PyResult {
  path: string;
  decoded: string;
  surrogates: boolean;
  location: string | null;
}

cpython.test("generated targets translate as CPython's translate_path", async () => {
  const targets = fc.sample(
    fc.oneof(
      fc.tuple(
        fc.constantFrom("/", "", "//"),
        fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }),
      ).map(([head, pieces]) => head + pieces.join("")),
      fc.string({ unit: fc.constantFrom(..."/\\.%25aef0?#:\u00e9") }),
    ),
    { numRuns: 3000, seed: 4 },
  );
  const results = await runPython(PY_TRANSLATE, targets) as PyResult[];
  let compared = 0;
  targets.forEach((target, i) => {
    const py = results[i];
    const pathPart = target.split("?", 1)[0].split("#", 1)[0];
    if (py.decoded.includes("\0")) {
      assert.throws(() => translatePath(DIR, target, posix), HttpError, target);
    } else if (py.surrogates) {
      // Python's lone surrogates name no file; ours are U+FFFD.
      const ours = translatePath(DIR, target, posix);
      assert.ok(ours.isWellFormed(), target);
      assertUnder(ours, DIR, false);
    } else {
      assert.equal(unquote(pathPart), py.decoded, target);
      assert.equal(translatePath(DIR, target, posix), py.path, target);
      compared++;
    }
    // Python collapses only "/"s; "/\\" is ours to collapse (tested above).
    if (target.startsWith("/") && !/^\/+\\/.test(target)) {
      assert.equal(directoryLocation(target), py.location, target);
    }
  });
  assert.ok(compared > 2000, `only ${compared} compared exactly`);
});
