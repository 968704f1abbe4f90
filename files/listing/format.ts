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
import { listingPolicy } from "./csp.ts";

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
  /** Whether dotfiles are listed. */
  showHidden: boolean;
  /**
   * The `stat` of a name in the folder, symlinks followed, or null when it
   * cannot be read: of every listed entry for JSON and the pretty page, of
   * symlinks only for Python's.
   */
  stat: (name: string) => Deno.FileInfo | null;
  /**
   * The entries the HTML pages mark as the user's to leave as they are
   * (see `FIXED` in `ops/page.ts`), 1 each; null, or left out, for none.
   */
  fixed?: Uint8Array | null;
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
 * not its bytes, and its header fields ({@link listingHeaders}).
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
  const { footer, showHidden, stat, fixed = null } = options;
  const pace = folder.count > LARGE_FOLDER ? workUnit : atOnce;
  if (format === "python") {
    const links = folder.symlinks === 0 ? null : await statEntries(folder, {
      showHidden,
      stat,
      sizes: false,
      pace,
      which: (i) => folder.isSymlink(i),
    });
    return {
      text: pythonListing(requestPath, folder, {
        footer,
        showHidden,
        links,
        fixed,
      }),
      headers: listingHeaders(format, footer),
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
      : prettyListing(requestPath, folder, infos, {
        footer,
        showHidden,
        fixed,
      }),
    pace,
  );
  return { text, headers: listingHeaders(format, footer) };
}

/**
 * The header fields of a page in `format`, after its status line: JSON and
 * the pretty page say `Vary: Accept` (the same URL can be the other page);
 * the pretty page forbids scripts but `footer`'s with its
 * `Content-Security-Policy`. Python's page has Python's header alone, unless
 * `footer` has a script: then a policy that allows that script alone (see
 * `csp.ts`).
 */
export function listingHeaders(
  format: ListingFormat,
  footer = "",
): [string, string][] {
  switch (format) {
    case "python": {
      const html: [string, string] = [
        "Content-type",
        `text/html; charset=${CHARSET}`,
      ];
      const policy = listingPolicy(null, footer);
      return policy === null
        ? [html]
        : [html, ["Content-Security-Policy", policy]];
    }
    case "json":
      return [["Content-type", "application/json"], ["Vary", "Accept"]];
    case "pretty":
      return [
        ["Content-type", `text/html; charset=${CHARSET}`],
        ["Vary", "Accept"],
        ["Content-Security-Policy", listingPolicy(PRETTY_CSP, footer)!],
      ];
  }
}

/**
 * The pretty page's own styles and forms (to this origin: the upload form,
 * the search box), nothing else: no script runs.
 */
const PRETTY_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
