/**
 * A folder listing as JSON, for scripts: asked for with `?format=json` or an
 * `Accept` header that prefers `application/json` to `text/html`. Pure: the
 * caller reads the folder.
 *
 * @example
 * ```ts
 * import { renderJsonListing, wantsJson } from "./json.ts";
 *
 * wantsJson("/docs/?format=json", null); // true
 * wantsJson("/docs/", "application/json"); // true
 * wantsJson("/docs/", "text/html,application/xhtml+xml,*\/*;q=0.8"); // false
 * const info = Deno.statSync(".");
 * const body = renderJsonListing([
 *   { name: "docs", isDirectory: true, isSymlink: false, info },
 *   { name: "gone", isDirectory: false, isSymlink: true, info: null },
 * ]);
 * console.log(new TextDecoder().decode(body));
 * // [{"name":"docs","type":"directory","size":null,"modified":"2026-…Z"},
 * //  {"name":"gone","type":"other","size":null,"modified":null}]
 * ```
 *
 * @module
 */

import type { ListingEntry } from "./python.ts";
import { EntryInfos, FolderEntries } from "./folder.ts";
import { pageBytes, wholeText } from "./page.ts";

/** One entry of the JSON listing. */
export interface JsonListingEntry {
  /** The name in the folder (no trailing `/` for folders). */
  name: string;
  /**
   * `file` or `directory` (symlinks followed); `other` for anything else: a
   * broken symlink, a FIFO, a path the read permission does not cover.
   */
  type: "file" | "directory" | "other";
  /** A file's size in bytes; null for the rest. */
  size: number | null;
  /** The modification time, ISO 8601 in UTC; null when unknown. */
  modified: string | null;
}

/**
 * Whether a listing request asks for JSON: a `format` query parameter
 * decides (`json`, or anything else for HTML); else the `Accept` header does,
 * when it names `application/json` with a quality at least that of
 * `text/html` (wildcards do not count: a browser's `*\/*` gets HTML).
 *
 * @param requestPath the request-target, with its query
 * @param accept the `Accept` header, or null
 */
export function wantsJson(requestPath: string, accept: string | null): boolean {
  const target = requestPath.split("#", 1)[0];
  const mark = target.indexOf("?");
  if (mark >= 0) {
    const format = new URLSearchParams(target.slice(mark + 1)).get("format");
    if (format !== null) return format === "json";
  }
  if (accept === null) return false;
  let json = 0;
  let html = 0;
  for (const range of accept.split(",")) {
    const [type, ...params] = range.split(";");
    const q = params.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const quality = q === undefined ? 1 : Number(q.slice(2)) || 0;
    const name = type.trim().toLowerCase();
    if (name === "application/json") json = Math.max(json, quality);
    else if (name === "text/html") html = Math.max(html, quality);
  }
  return json > 0 && json >= html;
}

/**
 * The listing as a JSON array of {@link JsonListingEntry}, in the order of
 * Python's page, with a final newline.
 *
 * @param entries the folder's entries, each with its `info`
 */
export function renderJsonListing(
  entries: readonly ListingEntry[],
): Uint8Array {
  const infos = new EntryInfos(entries.length, true);
  entries.forEach(({ info }, i) => infos.set(i, info));
  return pageBytes(wholeText(jsonListing(new FolderEntries(entries), infos)));
}

/**
 * The JSON listing (see {@link renderJsonListing}) of the entries of
 * `folder` as text in pieces, one per entry; each iteration starts anew.
 *
 * @param infos the `stat` of each listed entry
 * @param showHidden whether dotfiles are listed
 */
export function jsonListing(
  folder: FolderEntries,
  infos: EntryInfos,
  showHidden = true,
): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      yield "[";
      let first = true;
      for (const i of folder.order) {
        if (!folder.isListed(i, showHidden)) continue;
        const mtime = infos.mtime(i);
        const entry: JsonListingEntry = {
          name: folder.names[i],
          type: infos.isDirectory(i)
            ? "directory"
            : infos.isFile(i)
            ? "file"
            : "other",
          size: infos.isFile(i) ? infos.size(i) : null,
          modified: Number.isNaN(mtime) ? null : new Date(mtime).toISOString(),
        };
        yield (first ? "" : ",") + JSON.stringify(entry);
        first = false;
      }
      yield "]\n";
    },
  };
}
