/**
 * Which page a folder listing request gets, and that page with its header
 * fields: Python's page (the default, byte for byte), the pretty page
 * (`--pretty-listing`), or JSON for a client that asks for it (see
 * `listing_json.ts`). The page is text to send in pieces, its length known
 * beforehand (see `listing_page.ts`).
 *
 * @example
 * ```ts
 * import { listingFormat, prepareListing } from "./format.ts";
 * import { FolderEntries } from "./folder.ts";
 * import { pageBytes } from "./page.ts";
 *
 * const options = { jsonListing: true, prettyListing: false };
 * const format = listingFormat("/docs/", "application/json", options);
 * console.log(format); // "json"
 * const page = await prepareListing(format, "/docs/", new FolderEntries([]), {
 *   footer: "",
 *   showHidden: true,
 *   stat: () => null,
 * });
 * console.log(page.headers); // [["Content-type", "application/json"], ["Vary", "Accept"]]
 * console.log(new TextDecoder().decode(pageBytes(page.text))); // "[]\n"
 * ```
 *
 * @module
 */

import { CHARSET, pythonListing } from "./python.ts";
import { type FolderEntries, statEntries } from "./folder.ts";
import { jsonListing, wantsJson } from "./json.ts";
import { atOnce, measureText, type PageText, workUnit } from "./page.ts";
import { prettyListing } from "./pretty.ts";

/** The listing pages. */
export type ListingFormat = "python" | "pretty" | "json";

/** The handler's listing settings that choose a page. */
export interface ListingFormatOptions {
  /** Answer a client that asks for JSON with JSON. */
  jsonListing: boolean;
  /** The pretty page in place of Python's. */
  prettyListing: boolean;
}

/** A listing and the header fields that describe it, in order. */
export interface ListingPage {
  /** The body, to send in pieces. */
  text: PageText;
  /** `Content-type`, then any others; `Content-Length` is the caller's. */
  headers: [string, string][];
}

/** What a listing needs besides the folder's entries. */
export interface PrepareOptions {
  /** HTML after the list (the upload form), for the HTML pages; or "". */
  footer: string;
  /**
   * The `script-src` sources (hashes) that allow the footer's scripts, or
   * "" when it has none: the HTML pages then forbid every other script.
   */
  scripts?: string;
  /** Whether dotfiles are listed. */
  showHidden: boolean;
  /**
   * The `stat` of a name in the folder, symlinks followed, or null when it
   * cannot be read: of every listed entry for JSON and the pretty page, of
   * symlinks only for Python's.
   */
  stat: (name: string) => Deno.FileInfo | null;
}

/**
 * The page a request gets: JSON when allowed and asked for, else the pretty
 * page when on, else Python's.
 *
 * @param requestPath the request-target, with its query
 * @param accept the request's `Accept` header, or null
 * @param options the handler's settings
 */
export function listingFormat(
  requestPath: string,
  accept: string | null,
  options: ListingFormatOptions,
): ListingFormat {
  if (options.jsonListing && wantsJson(requestPath, accept)) return "json";
  return options.prettyListing ? "pretty" : "python";
}

/**
 * Folders of more entries than this are made ready a unit of listing work
 * at a time (see `workUnit`); smaller ones at once, as any request's work.
 */
const LARGE_FOLDER = 4096;

/**
 * Makes ready a listing in `format`: the `stat`s it needs and its length,
 * not its bytes. JSON and the pretty page say `Vary: Accept` (the same URL
 * can be the other page); the pretty page forbids scripts with its
 * `Content-Security-Policy`. Python's page has Python's header alone.
 *
 * @param format the page
 * @param requestPath the request-target (Python's `self.path`)
 * @param folder the folder's entries
 */
export async function prepareListing(
  format: ListingFormat,
  requestPath: string,
  folder: FolderEntries,
  options: PrepareOptions,
): Promise<ListingPage> {
  const { footer, showHidden, stat, scripts = "" } = options;
  const pace = folder.count > LARGE_FOLDER ? workUnit : atOnce;
  if (format === "python") {
    const links = folder.symlinks === 0 ? null : await statEntries(folder, {
      showHidden,
      stat,
      sizes: false,
      pace,
      which: (i) => folder.isSymlink(i),
    });
    const headers: [string, string][] = [
      ["Content-type", `text/html; charset=${CHARSET}`],
    ];
    // Python's page has no policy of its own: only with a script of ours.
    if (scripts !== "") {
      headers.push([
        "Content-Security-Policy",
        `script-src ${scripts}; object-src 'none'; base-uri 'none'`,
      ]);
    }
    return {
      text: pythonListing(requestPath, folder, { footer, showHidden, links }),
      headers,
    };
  }
  const infos = await statEntries(folder, {
    showHidden,
    stat,
    sizes: true,
    pace,
  });
  const text = await measureText(
    format === "json"
      ? jsonListing(folder, infos, showHidden)
      : prettyListing(requestPath, folder, infos, { footer, showHidden }),
    pace,
  );
  if (format === "json") {
    return {
      text,
      headers: [["Content-type", "application/json"], ["Vary", "Accept"]],
    };
  }
  return {
    text,
    headers: [
      ["Content-type", `text/html; charset=${CHARSET}`],
      ["Vary", "Accept"],
      [
        "Content-Security-Policy",
        scripts === ""
          ? PRETTY_CSP
          : `${PRETTY_CSP}; script-src ${scripts}; connect-src 'self'`,
      ],
    ],
  };
}

/** The pretty page's own styles and form, nothing else: no script runs but ours. */
const PRETTY_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
