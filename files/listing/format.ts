/**
 * Which page a folder listing request gets, and that page with its header
 * fields: Python's page (the default, byte for byte), the pretty page
 * (`--pretty-listing`), or JSON for a client that asks for it (see
 * `listing_json.ts`). Pure.
 *
 * @example
 * ```ts
 * import { listingFormat, renderListingPage } from "./format.ts";
 *
 * const options = { jsonListing: true, prettyListing: false };
 * const format = listingFormat("/docs/", "application/json", options);
 * console.log(format); // "json"
 * const page = renderListingPage(format, "/docs/", []);
 * console.log(page.headers); // [["Content-type", "application/json"], ["Vary", "Accept"]]
 * ```
 *
 * @module
 */

import { type ListingEntry, renderListing } from "./python.ts";
import { renderJsonListing, wantsJson } from "./json.ts";
import { renderPrettyListing } from "./pretty.ts";

/** The listing pages. */
export type ListingFormat = "python" | "pretty" | "json";

/** The handler's listing settings that choose a page. */
export interface ListingFormatOptions {
  /** Answer a client that asks for JSON with JSON. */
  jsonListing: boolean;
  /** The pretty page in place of Python's. */
  prettyListing: boolean;
}

/** A rendered listing and the header fields that describe it, in order. */
export interface ListingPage {
  /** The body. */
  body: Uint8Array;
  /** `Content-type`, then any others; `Content-Length` is the caller's. */
  headers: [string, string][];
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
 * Renders a listing in `format`. JSON and the pretty page say `Vary: Accept`
 * (the same URL can be the other page); the pretty page forbids scripts with
 * its `Content-Security-Policy`. Python's page has Python's header alone.
 *
 * @param format the page
 * @param requestPath the request-target (Python's `self.path`)
 * @param entries the folder's entries; with `info` for JSON and pretty
 * @param footer HTML after the list (the upload form), for the HTML pages
 */
export function renderListingPage(
  format: ListingFormat,
  requestPath: string,
  entries: readonly ListingEntry[],
  footer = "",
): ListingPage {
  if (format === "json") {
    return {
      body: renderJsonListing(entries),
      headers: [["Content-type", "application/json"], ["Vary", "Accept"]],
    };
  }
  if (format === "pretty") {
    return {
      body: renderPrettyListing(requestPath, entries, footer),
      headers: [
        ["Content-type", "text/html; charset=utf-8"],
        ["Vary", "Accept"],
        ["Content-Security-Policy", PRETTY_CSP],
      ],
    };
  }
  const { body, charset } = renderListing(requestPath, entries, footer);
  return { body, headers: [["Content-type", `text/html; charset=${charset}`]] };
}

/** The pretty page's own styles and form, nothing else: no script runs. */
const PRETTY_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
