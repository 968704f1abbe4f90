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

import { type EntryInfos, FolderEntries } from "./folder.ts";
import { pageBytes, type PageText, utf8Length } from "./page.ts";
import { unquote } from "../paths.ts";
import { escapeText } from "../../util/html.ts";
import { FIXED } from "../ops/page.ts";

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

/** The encoding of the HTML listings: see {@link Listing.charset}. */
export const CHARSET = "utf-8";
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
  const page = pythonListing(requestPath, new FolderEntries(entries), {
    footer,
    showHidden: true,
    links: null,
  });
  return { body: pageBytes(page), charset: CHARSET };
}

/** What Python's page of a folder shows besides its entries. */
export interface PythonListingOptions {
  /** HTML added after the list's closing `<hr>` (the upload form), or "". */
  footer: string;
  /** Whether dotfiles are listed. */
  showHidden: boolean;
  /**
   * Whether each symlink leads to a folder (a `stat` that follows it);
   * null to take the folder's entries as they say.
   */
  links: EntryInfos | null;
  /**
   * The entries marked {@link FIXED} (1 each), which the user may not
   * change; null, or left out, for none.
   */
  fixed?: Uint8Array | null;
}

/**
 * Python's page (see {@link renderListing}) for the entries of `folder`, as
 * text to send in pieces. Its length comes from the rows' lengths, measured
 * once per version of the folder.
 */
export function pythonListing(
  requestPath: string,
  folder: FolderEntries,
  { footer, showHidden, links, fixed = null }: PythonListingOptions,
): PageText {
  const head = pythonPageHead(
    `Directory listing for ${escapeText(unquote(requestPath))}`,
  );
  const tail = `</ul>\n<hr>\n${footer}</body>\n</html>\n`;
  const isDirectory = (i: number) =>
    links !== null && folder.isSymlink(i)
      ? links.isDirectory(i)
      : folder.isDirectory(i);
  const sizes = pythonSizes(folder);
  let length = utf8Length(head) + utf8Length(tail) +
    (showHidden ? sizes.all : sizes.visible);
  // A symlink's row is measured as a file's: one more byte, the link's `/`,
  // for one that leads to a folder.
  for (let i = 0; folder.symlinks > 0 && i < folder.count; i++) {
    if (
      folder.isSymlink(i) && folder.isListed(i, showHidden) && isDirectory(i)
    ) {
      length++;
    }
  }
  for (let i = 0; fixed !== null && i < folder.count; i++) {
    if (fixed[i] === 1 && folder.isListed(i, showHidden)) {
      length += FIXED_MARK.length;
    }
  }
  return {
    length,
    *pieces() {
      yield head;
      for (const i of folder.order) {
        if (!folder.isListed(i, showHidden)) continue;
        yield pythonRow(
          folder.names[i],
          isDirectory(i),
          folder.isSymlink(i),
          fixed !== null && fixed[i] === 1,
        );
      }
      yield tail;
    },
  };
}

/** What a link marked {@link FIXED} carries after its `href`. */
const FIXED_MARK = ` ${FIXED}`;

/** One line of Python's list, with its newline; `fixed`, marked. */
function pythonRow(
  name: string,
  isDirectory: boolean,
  isSymlink: boolean,
  fixed = false,
): string {
  const linkName = isDirectory ? name + "/" : name;
  const displayName = isSymlink ? name + "@" : linkName;
  return `<li><a href="${quote(linkName)}"${fixed ? FIXED_MARK : ""}>${
    escapeText(displayName)
  }</a></li>\n`;
}

/** The bytes of a folder's rows on Python's page. */
interface PythonSizes {
  /** Of every row. */
  all: number;
  /** Of the rows of names that are not dotfiles. */
  visible: number;
}

/** Python's rows of each folder measured, while its entries are kept. */
const PYTHON_SIZES = new WeakMap<FolderEntries, PythonSizes>();

/** The bytes of the rows of `folder`, symlinks' measured as files'. */
function pythonSizes(folder: FolderEntries): PythonSizes {
  let sizes = PYTHON_SIZES.get(folder);
  if (sizes === undefined) {
    sizes = { all: 0, visible: 0 };
    for (let i = 0; i < folder.count; i++) {
      const isSymlink = folder.isSymlink(i);
      const bytes = utf8Length(
        pythonRow(
          folder.names[i],
          !isSymlink && folder.isDirectory(i),
          isSymlink,
        ),
      );
      sizes.all += bytes;
      if (folder.isListed(i, false)) sizes.visible += bytes;
    }
    PYTHON_SIZES.set(folder, sizes);
  }
  return sizes;
}

/** Names that `quote` leaves as they are. */
const PLAIN_NAME = /^[A-Za-z0-9_.\-~/]*$/;

/** `urllib.parse.quote(s)`: UTF-8 bytes, each unsafe byte as `%XX`. */
export function quote(s: string): string {
  if (PLAIN_NAME.test(s)) return s;
  let out = "";
  for (const b of encoder.encode(s)) out += QUOTED_BYTE[b];
  return out;
}

/**
 * The head of a page in Python's listing markup, up to its list's `<ul>`:
 * `title` (HTML already) as its title and heading.
 */
export function pythonPageHead(title: string): string {
  return [
    "<!DOCTYPE HTML>",
    '<html lang="en">',
    "<head>",
    `<meta charset="${CHARSET}">`,
    `<title>${title}</title>\n</head>`,
    `<body>\n<h1>${title}</h1>`,
    "<hr>\n<ul>\n",
  ].join("\n");
}
