/**
 * The directory listing page, byte for byte as Python's
 * `SimpleHTTPRequestHandler.list_directory` builds it. Pure: the caller reads
 * the folder and passes its entries.
 *
 * @example
 * ```ts
 * import { renderListing } from "./python.ts";
 *
 * const { body, charset } = renderListing("/docs/", [
 *   { name: "b.txt", isDirectory: false, isSymlink: false },
 *   { name: "A dir", isDirectory: true, isSymlink: false },
 * ]);
 * console.log(charset); // "utf-8"
 * console.log(new TextDecoder().decode(body).includes('<a href="A%20dir/">A dir/</a>')); // true
 * ```
 *
 * @module
 */

import { unquote } from "../paths.ts";

/** One name in a folder, as the listing needs it. */
export interface ListingEntry {
  /** The name in the folder. */
  name: string;
  /**
   * Whether it is a folder, following a symlink (Python's `os.path.isdir`):
   * a symlink to a folder links with `/`. Deno's `DirEntry.isDirectory` does
   * not follow symlinks, so stat those.
   */
  isDirectory: boolean;
  /** Whether it is a symlink (Python's `os.path.islink`): shown with `@`. */
  isSymlink: boolean;
  /**
   * Its `stat`, symlinks followed, for the listings that show sizes and
   * dates (JSON, pretty); null when it cannot be read. Python's page needs
   * none.
   */
  info?: Deno.FileInfo | null;
}

/** An encoded listing page. */
export interface Listing {
  /** The page, encoded in {@link Listing.charset}. */
  body: Uint8Array;
  /**
   * The page's encoding, for `Content-type: text/html; charset=...`: Python
   * uses the file system encoding, which is UTF-8 on every platform Deno runs
   * on (PEP 529 on Windows).
   */
  charset: string;
}

const CHARSET = "utf-8";
const encoder = new TextEncoder();

/**
 * `%XX` or the character itself for each byte, as `urllib.parse.quote` with
 * its default `safe="/"`: letters, digits, `_.-~` and `/` stay.
 */
const QUOTED_BYTE = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9_.\-~/]/.test(c)
    ? c
    : "%" + b.toString(16).toUpperCase().padStart(2, "0");
});

/**
 * Renders the listing page of a folder, as Python's `list_directory`: the
 * title and heading `Directory listing for <path>` with the request path
 * percent-decoded and HTML-escaped, then a `<ul>` with a link per entry,
 * sorted by lower-cased name (stable, in code point order), folders with a
 * trailing `/`, symlinks shown with `@`.
 *
 * @param requestPath the request-target as received (Python's `self.path`),
 *   shown percent-decoded, query included, as Python does
 * @param entries the folder's entries, in the order the folder lists them
 *   (ties in the case-insensitive sort keep it)
 * @param footer HTML added after the list's closing `<hr>` (the upload
 *   form); none in Python's page
 * @returns the encoded page and its charset
 */
export function renderListing(
  requestPath: string,
  entries: readonly ListingEntry[],
  footer = "",
): Listing {
  const sorted = entries
    .map((entry) => ({ entry, key: entry.name.toLowerCase() }));
  // Without surrogates or U+E000-U+FFFF, code unit order (the native string
  // comparison) is code point order.
  if (sorted.every(({ key }) => !HIGH_UNITS.test(key))) {
    sorted.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  } else sorted.sort((a, b) => compareCodePoints(a.key, b.key));
  const title = `Directory listing for ${escapeHtml(unquote(requestPath))}`;
  const lines = [
    "<!DOCTYPE HTML>",
    '<html lang="en">',
    "<head>",
    `<meta charset="${CHARSET}">`,
    `<title>${title}</title>\n</head>`,
    `<body>\n<h1>${title}</h1>`,
    "<hr>\n<ul>",
  ];
  for (const { entry } of sorted) {
    const linkName = entry.isDirectory ? entry.name + "/" : entry.name;
    const displayName = entry.isSymlink ? entry.name + "@" : linkName;
    lines.push(
      `<li><a href="${quote(linkName)}">${escapeHtml(displayName)}</a></li>`,
    );
  }
  lines.push(`</ul>\n<hr>\n${footer}</body>\n</html>\n`);
  return { body: encoder.encode(lines.join("\n")), charset: CHARSET };
}

/**
 * The order of this page's names, for the other listings: lower-cased, then
 * by code point. A stable sort with it keeps the folder's order for ties.
 */
export function compareNames(a: string, b: string): number {
  return compareCodePoints(a.toLowerCase(), b.toLowerCase());
}

/**
 * Compares as Python compares `str`: by code point. Plain `<` compares UTF-16
 * code units, which puts astral characters (surrogate pairs) before
 * U+E000-U+FFFF; shifting the units as below restores code point order.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Names that `quote` and `escapeHtml` leave as they are. */
const PLAIN_NAME = /^[A-Za-z0-9_.\-~/]*$/;

/** Code units at which code unit and code point order part. */
const HIGH_UNITS = /[\ud800-\uffff]/;

/** `urllib.parse.quote(s)`: UTF-8 bytes, each unsafe byte as `%XX`. */
function quote(s: string): string {
  if (PLAIN_NAME.test(s)) return s;
  let out = "";
  for (const b of encoder.encode(s)) out += QUOTED_BYTE[b];
  return out;
}

/** `html.escape(s, quote=False)`. */
function escapeHtml(s: string): string {
  if (PLAIN_NAME.test(s)) return s;
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(
    ">",
    "&gt;",
  );
}
