/**
 * The optional pretty listing page (`--pretty-listing`): a table of names,
 * sizes and modification dates, sorted by the column the `sort` and `order`
 * query parameters name, with a link to the parent folder and a stylesheet
 * that follows the browser's dark mode. No JavaScript: sorting is links.
 * Every name is HTML-escaped in text and percent-encoded in links. Pure: the
 * caller reads the folder.
 *
 * @example
 * ```ts
 * import { renderPrettyListing } from "./pretty.ts";
 *
 * const page = new TextDecoder().decode(renderPrettyListing("/docs/?sort=size", [
 *   { name: "a&b.txt", isDirectory: false, isSymlink: false, info: null },
 * ]));
 * console.log(page.includes('<a href="a%26b.txt">a&amp;b.txt</a>')); // true
 * ```
 *
 * @module
 */

import type { ListingEntry } from "./python.ts";
import { EntryInfos, FolderEntries } from "./folder.ts";
import { pageBytes, wholeText } from "./page.ts";
import { unquote } from "../paths.ts";
import { escapeAttribute } from "../../util/html.ts";
import { FIXED } from "../ops/page.ts";

/** The columns a listing can be sorted by. */
export type SortKey = "name" | "size" | "modified";

/** The pretty pages' stylesheet (see {@link prettyPageHead}). */
const PRETTY_STYLE =
  `:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff;
  --muted: #59636e; --line: #d1d9e0; --link: #0969da; --hover: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d;
    --link: #4493f8; --hover: #151b23; }
}
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg);
  background: var(--bg); margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 1.4em; font-weight: 600; word-break: break-all; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .35em .6em; border-bottom: 1px solid var(--line);
  text-align: left; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
tbody tr:hover { background: var(--hover); }
td.name { word-break: break-all; }
td.size, td.modified { color: var(--muted); white-space: nowrap;
  font-variant-numeric: tabular-nums; }
th.size, td.size { text-align: right; }
form { margin-top: 1.5em; }`;

/**
 * Renders the page for a folder.
 *
 * @param requestPath the request-target (Python's `self.path`): its path is
 *   the heading, its `sort` (`name`, `size`, `modified`) and `order` (`asc`,
 *   `desc`) parameters the order; folders come first in every order
 * @param entries the folder's entries, each with its `info`
 * @param footer HTML added after the table (the upload form)
 * @returns the page, UTF-8
 */
export function renderPrettyListing(
  requestPath: string,
  entries: readonly ListingEntry[],
  footer = "",
): Uint8Array {
  const infos = new EntryInfos(entries.length, true);
  entries.forEach(({ info }, i) => infos.set(i, info));
  const text = prettyListing(
    requestPath,
    new FolderEntries(entries),
    infos,
    { footer, showHidden: true },
  );
  return pageBytes(wholeText(text));
}

/**
 * The pretty page (see {@link renderPrettyListing}) of the entries of
 * `folder` as text in pieces, one per row; each iteration starts anew. The
 * order is made here, once.
 *
 * @param infos the `stat` of each listed entry
 */
export function prettyListing(
  requestPath: string,
  folder: FolderEntries,
  infos: EntryInfos,
  { footer, showHidden, fixed = null }: {
    footer: string;
    showHidden: boolean;
    /** The entries marked {@link FIXED} (1 each); null for none. */
    fixed?: Uint8Array | null;
  },
): Iterable<string> {
  const target = requestPath.split("#", 1)[0];
  const mark = target.indexOf("?");
  const path = unquote(mark < 0 ? target : target.slice(0, mark));
  const query = new URLSearchParams(mark < 0 ? "" : target.slice(mark + 1));
  const key = sortKey(query.get("sort"));
  const descending = query.get("order") === "desc";
  // A symlink read from disk says it is no folder; its `stat` tells.
  const isDirectory = (i: number) =>
    folder.isDirectory(i) || (folder.isSymlink(i) && infos.isDirectory(i));
  const order = sortEntries(folder, infos, {
    key,
    descending,
    showHidden,
    isDirectory,
  });
  const title = `Directory listing for ${escapeAttribute(path)}`;
  const header = (column: SortKey, label: string) => {
    const next = column === key && !descending ? "desc" : "asc";
    const arrow = column === key ? (descending ? " ▼" : " ▲") : "";
    return `<th class="${column}"><a href="?sort=${column}&amp;order=${next}">${label}</a>${arrow}</th>`;
  };
  const head = `${prettyPageHead(title)}
<table>
<thead><tr>${header("name", "Name")}${header("size", "Size")}${
    header("modified", "Modified")
  }</tr></thead>
<tbody>
`;
  const tail = `
</tbody>
</table>
${footer}</body>
</html>
`;
  return {
    *[Symbol.iterator]() {
      yield head;
      let first = true;
      if (path !== "/") {
        yield '<tr><td class="name"><a href="../">../</a></td>' +
          '<td class="size"></td><td class="modified"></td></tr>';
        first = false;
      }
      for (const i of order) {
        yield (first ? "" : "\n") +
          row(
            folder.names[i],
            isDirectory(i),
            folder.isSymlink(i),
            infos,
            i,
            fixed !== null && fixed[i] === 1,
          );
        first = false;
      }
      yield tail;
    },
  };
}

function sortKey(value: string | null): SortKey {
  return value === "size" || value === "modified" ? value : "name";
}

/**
 * The listed entries in the page's order: folders first, then by `key`
 * (ties by name, as Python's page orders names), either way; entries that
 * compare equal keep the folder's order.
 */
function sortEntries(
  folder: FolderEntries,
  infos: EntryInfos,
  { key, descending, showHidden, isDirectory }: {
    key: SortKey;
    descending: boolean;
    showHidden: boolean;
    isDirectory: (i: number) => boolean;
  },
): Uint32Array {
  const { order, rank } = folder;
  let sorted: number[] = [];
  if (key === "name") {
    // Python's order is this one's, or its groups of equal names reversed:
    // no sort needed, only folders moved first.
    if (!descending) sorted = [...order];
    else {
      for (let end = order.length, k = end - 1; k >= 0; k--) {
        if (k > 0 && rank[order[k]] === rank[order[k - 1]]) continue;
        for (let j = k; j < end; j++) sorted.push(order[j]);
        end = k;
      }
    }
    sorted = sorted.filter((i) => folder.isListed(i, showHidden));
    return Uint32Array.from([
      ...sorted.filter(isDirectory),
      ...sorted.filter((i) => !isDirectory(i)),
    ]);
  }
  for (let i = 0; i < folder.count; i++) {
    if (folder.isListed(i, showHidden)) sorted.push(i);
  }
  const value = key === "size"
    ? (i: number) => infos.isFile(i) ? infos.size(i) : -1
    : (i: number) => infos.mtime(i) || 0;
  sorted.sort((a, b) => {
    const folderA = isDirectory(a);
    if (folderA !== isDirectory(b)) return folderA ? -1 : 1;
    const by = value(a) - value(b) || rank[a] - rank[b];
    return (descending ? -by : by) || a - b;
  });
  return Uint32Array.from(sorted);
}

/**
 * One table row: the link (a folder's with `/`, a symlink marked `@`, one
 * the user may not change marked {@link FIXED} when `fixed`), size, date.
 */
function row(
  name: string,
  isDirectory: boolean,
  isSymlink: boolean,
  infos: EntryInfos,
  i: number,
  fixed: boolean,
): string {
  const slash = isDirectory ? "/" : "";
  const href = encodeURIComponent(name) + slash;
  const shown = escapeAttribute(name) + slash + (isSymlink ? "@" : "");
  const size = infos.isFile(i) ? formatSize(infos.size(i)) : "";
  const mtime = infos.mtime(i);
  const modified = Number.isNaN(mtime)
    ? ""
    : `<time datetime="${new Date(mtime).toISOString()}">${
      formatDate(new Date(mtime))
    }</time>`;
  const mark = fixed ? ` ${FIXED}` : "";
  return `<tr><td class="name"><a href="${href}"${mark}>${shown}</a></td>` +
    `<td class="size">${size}</td><td class="modified">${modified}</td></tr>`;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** `512 B`, `1.5 KiB`, `12 MiB`: three significant digits at most. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** `2024-01-31 13:05` in UTC, as the `datetime` attribute says. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ");
}

/**
 * The head of a page in the pretty listing's style, up to and with its
 * heading: `title` (HTML already) as its title and heading.
 */
export function prettyPageHead(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
${PRETTY_STYLE}
</style>
</head>
<body>
<h1>${title}</h1>`;
}
