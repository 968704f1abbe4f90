/**
 * The faces of a search: the search box that listings end with (a plain
 * GET form, so it works without script and within the pretty page's
 * `form-action 'self'`), the query it sends (`?q=`), and the answer in the
 * listing's own formats: a page like Python's listing, a page like the
 * pretty one, or JSON. Links are percent-encoded as each listing encodes
 * its links, relative to the searched folder; names are HTML-escaped. Pure:
 * the walk is `walk.ts`'s.
 *
 * @example
 * ```ts
 * import { searchPage, searchQuery } from "./page.ts";
 *
 * searchQuery("/docs/?q=read+me"); // "read me"
 * searchQuery("/docs/?q=%20"); // null: nothing to search
 * const info = Deno.statSync(".");
 * const page = searchPage("json", "/docs/?q=me", "me", {
 *   hits: [{ path: "a/read me", info }],
 *   truncated: false,
 * });
 * console.log(page);
 * // {"query":"me","results":[{"path":"a/read me","type":"directory",...}],"truncated":false}
 * ```
 *
 * @module
 */

import { escapeAttribute, escapeText } from "../../util/html.ts";
import type { ListingFormat } from "../listing/format.ts";
import { formatDate, formatSize, prettyPageHead } from "../listing/pretty.ts";
import { pythonPageHead, quote } from "../listing/python.ts";
import { targetPath, unquote } from "../paths.ts";
import type { SearchHit, SearchHits } from "./walk.ts";

/** What the search box asks for; the box is as wide, so none of it is cut. */
const PROMPT = "Search names below this folder";

/**
 * The search box, with `value` in it ("" on a listing): a GET form to the
 * page's own URL, whose query becomes `?q=...`.
 */
export function searchForm(value: string): string {
  return '<form method="get" role="search">\n' +
    `<input type="search" name="q" value="${escapeAttribute(value)}" ` +
    `aria-label="${PROMPT}" placeholder="${PROMPT}" ` +
    `size="${PROMPT.length}" required>\n` +
    '<button type="submit">Search</button>\n' +
    "</form>\n";
}

/**
 * What a request-target asks to search for: its `q` query parameter,
 * trimmed; null when there is none, or nothing but spaces (the listing
 * then answers).
 */
export function searchQuery(target: string): string | null {
  const query = target.split("#", 1)[0];
  const mark = query.indexOf("?");
  if (mark < 0) return null;
  const q = new URLSearchParams(query.slice(mark + 1)).get("q")?.trim();
  return q ? q : null;
}

/** One result of the JSON answer. */
export interface JsonSearchHit {
  /** Its path below the searched folder, components joined by `/`. */
  path: string;
  /** As in the JSON listing: `file`, `directory` or `other`. */
  type: "file" | "directory" | "other";
  /** A file's size in bytes; null for the rest. */
  size: number | null;
  /** The modification time, ISO 8601 in UTC; null when unknown. */
  modified: string | null;
}

/** The JSON answer: the query, the results, and whether more may match. */
export interface JsonSearch {
  /** The query searched for, as given. */
  query: string;
  /** The names found, nearest first. */
  results: JsonSearchHit[];
  /** Whether a bound (depth, count, time) stopped the search early. */
  truncated: boolean;
}

/**
 * The answer to a search, as text: in `format`, the format the folder's
 * listing would have had.
 *
 * @param format the listing's format
 * @param target the request-target: its path is the searched folder's
 * @param query the query, as given
 * @param found what the walk found
 * @param account the HTML pages' line about the user (see
 *   `accounts/page.ts`), after the search box; "" without accounts
 */
export function searchPage(
  format: ListingFormat,
  target: string,
  query: string,
  found: SearchHits,
  account = "",
): string {
  if (format === "json") {
    const answer: JsonSearch = {
      query,
      results: found.hits.map(jsonHit),
      truncated: found.truncated,
    };
    return JSON.stringify(answer) + "\n";
  }
  const folder = unquote(targetPath(target));
  return format === "python"
    ? pythonPage(folder, query, found, account)
    : prettyPage(folder, query, found, account);
}

function jsonHit({ path, info }: SearchHit): JsonSearchHit {
  return {
    path,
    type: info.isDirectory ? "directory" : info.isFile ? "file" : "other",
    size: info.isFile ? info.size : null,
    modified: info.mtime ? info.mtime.toISOString() : null,
  };
}

/** What the page says below the results: how many, and whether cut short. */
function summary({ hits, truncated }: SearchHits): string {
  const count = hits.length === 1 ? "1 name" : `${hits.length} names`;
  return truncated
    ? `${count} found; the search stopped early, and more may match.`
    : `${count} found.`;
}

/** A page in the markup of Python's listing. */
function pythonPage(
  folder: string,
  query: string,
  found: SearchHits,
  account: string,
): string {
  const title = `Search for ${escapeText(query)} in ${escapeText(folder)}`;
  const rows = found.hits.map(({ path, info }) => {
    const link = info.isDirectory ? path + "/" : path;
    return `<li><a href="${quote(link)}">${escapeText(link)}</a></li>\n`;
  });
  return pythonPageHead(title) + rows.join("") +
    `</ul>\n<hr>\n<p>${summary(found)}</p>\n${searchForm(query)}${account}` +
    "</body>\n</html>\n";
}

/** A page in the style of the pretty listing. */
function prettyPage(
  folder: string,
  query: string,
  found: SearchHits,
  account: string,
): string {
  const title = `Search for ${escapeAttribute(query)} in ${
    escapeAttribute(folder)
  }`;
  const rows = found.hits.map(({ path, info }) => {
    const slash = info.isDirectory ? "/" : "";
    const href = path.split("/").map(encodeURIComponent).join("/") + slash;
    const size = info.isFile ? formatSize(info.size) : "";
    const modified = info.mtime
      ? `<time datetime="${info.mtime.toISOString()}">${
        formatDate(info.mtime)
      }</time>`
      : "";
    return `<tr><td class="name"><a href="${href}">${
      escapeAttribute(path) + slash
    }</a></td><td class="size">${size}</td><td class="modified">${modified}</td></tr>`;
  });
  return `${prettyPageHead(title)}
<p><a href="./">Back to the listing</a></p>
<table>
<thead><tr><th class="name">Name</th><th class="size">Size</th><th class="modified">Modified</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
<p>${summary(found)}</p>
${searchForm(query)}${account}</body>
</html>
`;
}
