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

import { compareNames, type ListingEntry } from "./python.ts";

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

const encoder = new TextEncoder();

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
  const out: JsonListingEntry[] = [...entries]
    .sort((a, b) => compareNames(a.name, b.name))
    .map(({ name, info }) => ({
      name,
      type: info?.isDirectory ? "directory" : info?.isFile ? "file" : "other",
      size: info?.isFile ? info.size : null,
      modified: info?.mtime?.toISOString() ?? null,
    }));
  return encoder.encode(JSON.stringify(out) + "\n");
}
