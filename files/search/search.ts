/**
 * Search (`search` on, the CLI's `--search`): `GET /folder/?q=text` answers,
 * in place of the folder's listing, the names below it that contain the
 * text, in the listing's format (Python's page, the pretty page, or JSON
 * for a client that asks as JSON listings are asked for). The walk is
 * `walk.ts`'s, the answer's text `page.ts`'s; this decides whether the
 * request may search at all and wraps the answer as a listing, which both
 * faces write out.
 *
 * @example
 * ```ts
 * import { searchFolder } from "./search.ts";
 * import { Sandbox } from "../sandbox.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${folder}/Report.txt`, "x");
 * const options = {
 *   directory: folder,
 *   listing: true,
 *   jsonListing: true,
 *   prettyListing: false,
 *   showHidden: true,
 *   upload: false,
 *   search: true,
 * };
 * const request = { method: "GET", target: "/?q=report&format=json", header: () => null };
 * const answer = await searchFolder(folder, request, "report", options, new Sandbox(folder, console.error));
 * console.log(answer.format); // "json"
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { EVERYONE, folderPath } from "../access.ts";
import { listingFormat, listingHeaders } from "../listing/format.ts";
import type { ListingOptions, ListingResult } from "../listing/service.ts";
import type { FileRequest } from "../result.ts";
import { fileNotFound, type Sandbox } from "../sandbox.ts";
import { HttpError, outOfDescriptors } from "../../util/errors.ts";
import { searchPage } from "./page.ts";
import { accountLine } from "../accounts/page.ts";
import {
  findNames,
  foldName,
  SEARCH_LIMITS,
  type SearchHits,
  type SearchLimits,
} from "./walk.ts";

export { searchQuery } from "./page.ts";
export { SEARCH_LIMITS, type SearchLimits } from "./walk.ts";

const encoder = new TextEncoder();

/**
 * Searches that may walk at once in a process (each worker of `--workers`
 * its own): each is bounded in time, but not how many clients start them;
 * past this, a search is refused with 503 until one ends.
 */
export const MAX_SEARCHES = 8;

/** Seconds a refused search is asked to wait: about one search's time. */
const RETRY_AFTER_SECONDS = Math.ceil(SEARCH_LIMITS.ms / 1000);

/** Searches walking now. */
let walking = 0;

/**
 * The answer to a search for `query` below the folder at `path`, which a
 * request for its listing names: the names whose folded form (see
 * `foldName`) contains the query's, dotfiles only with
 * {@link ListingOptions.showHidden}, each path the request's access allows
 * (`request.access`, else everyone), symlinks followed as `sandbox`
 * allows, within `limits`; stopped when `request.signal` is aborted; at
 * most {@link MAX_SEARCHES} at once in the process.
 *
 * @param path the folder, as `translatePath` names it
 * @param request the request, whose target names the folder
 * @param query the text searched for (see `searchQuery`)
 * @param options the handler's listing settings
 * @param sandbox the served folder's reads
 * @param limits the bounds of the walk; default `SEARCH_LIMITS`
 * @throws {HttpError} 404 "File not found" with listings off, 404 "No
 *   permission to list directory" for a folder that cannot be read or
 *   that the request's user may not read, 503 when out of descriptors or
 *   when {@link MAX_SEARCHES} searches are walking already
 */
export async function searchFolder(
  path: string,
  request: FileRequest,
  query: string,
  options: ListingOptions,
  sandbox: Sandbox,
  limits?: SearchLimits,
): Promise<ListingResult> {
  if (!options.listing) throw fileNotFound();
  const access = request.access ?? EVERYONE;
  const served = folderPath(options.directory, path);
  if (!access.allows(served, "read")) throw cannotList();
  if (walking >= MAX_SEARCHES) {
    throw new HttpError("too-many-searches", "Too many searches at once", {
      explain: "The server is busy searching: try again in a moment",
      headers: [["Retry-After", String(RETRY_AFTER_SECONDS)]],
    });
  }
  walking++;
  let found: SearchHits;
  try {
    found = await findNames(path, served, foldName(query), {
      showHidden: options.showHidden,
      sandbox,
      access,
      limits,
      // Looked at only once the walk is long (see `findNames`).
      get signal() {
        return request.signal;
      },
    });
  } catch (error) {
    throw outOfDescriptors(error) ?? cannotList(error);
  } finally {
    walking--;
  }
  const format = listingFormat(
    request.target,
    request.header("accept"),
    options,
  );
  return {
    kind: "listing",
    status: 200,
    format,
    headers: listingHeaders(format),
    body: encoder.encode(
      searchPage(format, request.target, query, found, accountLine(access)),
    ),
  };
}

/** Python's answer for a folder it may not list. */
function cannotList(cause?: unknown): HttpError {
  return new HttpError("not-found", "No permission to list directory", {
    cause,
  });
}
