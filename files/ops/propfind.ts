/**
 * `PROPFIND` (RFC 4918 §9.1), read-only: the properties of the file or
 * folder the target names (`Depth: 0`), and of the entries of a folder
 * (`Depth: 1`), as a `207 Multi-Status`, so that the share mounts in WebDAV
 * clients. `Depth: infinity`, which a request without `Depth` means, is
 * refused with 403, as §9.1 allows: a walk of the whole tree per request.
 *
 * The live properties (§15) are `displayname`, `resourcetype`,
 * `getlastmodified`, `creationdate` where the file system keeps it, and for
 * files `getcontentlength`, `getcontenttype` and `getetag` (GET's), and
 * where the server takes locks `supportedlock` and `lockdiscovery`. The body
 * (up to 64 KiB) asks for all of them (`allprop`, or no body), their names
 * (`propname`), or some (`prop`: see `wanted.ts`); a property asked for that
 * a file does not have is answered in a `404 Not Found` propstat.
 *
 * What is listed is what GET serves: through the served folder's sandbox,
 * without dotfiles unless they are shown, each path readable to the
 * request's user; a folder's entries only with listings on. A folder of more
 * than a few dozen entries is answered as a stream, made a unit of work at
 * a time as the client reads it (chunked, or up to the close), so that a
 * folder's size does not bound what is held: only its names are.
 *
 * @example
 * ```ts ignore
 * import { propfind } from "./propfind.ts";
 *
 * // site: an OpsSite for `PROPFIND /docs/` with `Depth: 1` (see site.ts)
 * const answer = await propfind(site);
 * console.log(answer.status); // 207
 * ```
 *
 * @module
 */

import { formatHttpDate } from "../../http/date.ts";
import { HttpError } from "../../util/errors.ts";
import { escapeAttribute, escapeText } from "../../util/html.ts";
import { SEP } from "../../util/platform.ts";
import { childPath, EVERYONE } from "../access.ts";
import { validatable, weakETag } from "../conditional.ts";
import { isHiddenName } from "../hidden.ts";
import { STATS_PER_UNIT, workUnit } from "../listing/page.ts";
import { lockDiscovery, lockKey, SUPPORTED_LOCK } from "./locks.ts";
import { checkRead, locksFiles, type OpsAnswer, type OpsSite } from "./site.ts";
import { readBody } from "./xml.ts";
import { type PropName, type Wanted, wantedOf } from "./wanted.ts";

const encoder = new TextEncoder();

/**
 * Answers a `PROPFIND` with `207 Multi-Status`.
 *
 * @throws {HttpError} 400 (a bad `Depth`), 401 (not allowed to a request
 *   without a user), 403 (`Depth: infinity` or none; not allowed to the
 *   user; `Depth: 1` of a folder with listings off), 404
 *   (missing, hidden, outside the sandbox), 413 (a body past 64 KiB)
 */
export async function propfind(h: OpsSite): Promise<OpsAnswer> {
  const depth = depthOf(h.headers.get("depth"));
  const wanted = wantedOf(await readBody(h));
  const { path, served, info } = await checkRead(h, h.path);
  const href = h.urlRoot + hrefOf(served, info.isDirectory);
  const own = MULTISTATUS +
    response(h, wanted, href, served, path, info);
  const answer = (body: Uint8Array | ReadableStream<Uint8Array>) => ({
    status: 207,
    headers: [["Content-Type", 'application/xml; charset="utf-8"']] as const,
    body,
  });
  if (depth === 0 || !info.isDirectory) {
    return answer(encoder.encode(own + MULTISTATUS_END));
  }
  if (!h.listing) {
    throw new HttpError("forbidden", "No permission to list directory");
  }
  const folder = path.replace(/[/\\]+$/, "");
  const check = h.sandbox.checkRead(folder, info);
  check?.();
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  check?.();
  names.sort();
  const entries = { h, wanted, href, served, folder, names };
  if (names.length <= STATS_PER_UNIT) {
    return answer(
      encoder.encode(own + responses(entries, 0) + MULTISTATUS_END),
    );
  }
  return answer(ReadableStream.from(multistatus(own, entries)));
}

/** The start of a `207`'s body, up to its first response. */
const MULTISTATUS = '<?xml version="1.0" encoding="utf-8"?>\n' +
  '<D:multistatus xmlns:D="DAV:">\n';

/** The end of a `207`'s body. */
const MULTISTATUS_END = "</D:multistatus>\n";

/** A folder whose entries a `Depth: 1` answer lists. */
interface Entries {
  readonly h: OpsSite;
  readonly wanted: Wanted;
  /** The folder's href, ending with `/`. */
  readonly href: string;
  /** Its path in the served folder. */
  readonly served: string;
  /** Its file system path. */
  readonly folder: string;
  /** Its entries' names, sorted. */
  readonly names: readonly string[];
}

/**
 * A large folder's `207`, made a unit of work at a time (see
 * `listing/page.ts`) as the client reads it: a stream of `Entries`'
 * responses, never the whole body at once.
 */
async function* multistatus(
  own: string,
  entries: Entries,
): AsyncGenerator<Uint8Array> {
  yield encoder.encode(own);
  for (let at = 0; at < entries.names.length; at += STATS_PER_UNIT) {
    await workUnit();
    const text = responses(entries, at);
    if (text !== "") yield encoder.encode(text);
  }
  yield encoder.encode(MULTISTATUS_END);
}

/**
 * The responses of {@link STATS_PER_UNIT} entries from the `at`th: those
 * shown (dotfiles only when shown), readable to the request's user, and
 * still there.
 */
function responses(
  { h, wanted, href, served, folder, names }: Entries,
  at: number,
): string {
  const access = h.access ?? EVERYONE;
  let text = "";
  for (const entry of names.slice(at, at + STATS_PER_UNIT)) {
    if (!h.showHidden && isHiddenName(entry)) continue;
    if (!access.allows(childPath(served, entry), "read")) continue;
    const full = folder + SEP + entry;
    const stat = h.sandbox.stat(full, false);
    if (stat === null) continue;
    const link = href + encodeURIComponent(entry) +
      (stat.isDirectory ? "/" : "");
    text += response(h, wanted, link, childPath(served, entry), full, stat);
  }
  return text;
}

/** `Depth` (§10.2): 0 or 1; infinity, the default, is refused. */
function depthOf(value: string | null): 0 | 1 {
  const depth = value?.trim().toLowerCase() ?? "infinity";
  if (depth === "0") return 0;
  if (depth === "1") return 1;
  if (depth === "infinity") {
    throw new HttpError("forbidden", "PROPFIND of Depth infinity refused", {
      explain: "Ask with Depth: 0 or Depth: 1 (RFC 4918 propfind-finite-depth)",
    });
  }
  throw new HttpError("bad-path", "Bad Depth", {
    explain: "Depth is 0, 1 or infinity",
  });
}

/** A served path as an href: each name percent-encoded, folders with `/`. */
function hrefOf(served: string, folder: boolean): string {
  const path = served.split("/").map(encodeURIComponent).join("/");
  return folder && path !== "/" ? path + "/" : path;
}

/**
 * One `response` element (§14.24): the properties of one file or folder
 * that `wanted` asks for, those it does not have in a 404 propstat.
 */
function response(
  h: OpsSite,
  wanted: Wanted,
  href: string,
  served: string,
  path: string,
  info: Deno.FileInfo,
): string {
  const have = properties(h, served, path, info);
  let found: string;
  let missing = "";
  if (wanted.kind === "all") {
    found = [...have].map(([prop, value]) => element(prop, value)).join("");
  } else if (wanted.kind === "names") {
    found = [...have.keys()].map((prop) => `<D:${prop}/>`).join("");
  } else {
    const known = (p: PropName) => p.ns === "DAV:" && have.has(p.name);
    found = wanted.props.filter(known)
      .map(({ name }) => element(name, have.get(name)!)).join("");
    missing = wanted.props.filter((p) => !known(p)).map(({ ns, name }) =>
      `<${name} xmlns="${escapeAttribute(ns)}"/>`
    ).join("");
  }
  return `<D:response><D:href>${xmlText(href)}</D:href>` +
    propstat(found, "200 OK") +
    (missing === "" ? "" : propstat(missing, "404 Not Found")) +
    "</D:response>\n";
}

/** A `DAV:` property's element, empty when its value is. */
function element(prop: string, value: string): string {
  return value === "" ? `<D:${prop}/>` : `<D:${prop}>${value}</D:${prop}>`;
}

/** One `propstat` element (§14.22): properties and their status. */
function propstat(props: string, status: string): string {
  return `<D:propstat><D:prop>${props}</D:prop>` +
    `<D:status>HTTP/1.1 ${status}</D:status></D:propstat>`;
}

/**
 * The live properties a file or folder has, by their local names in `DAV:`,
 * with their values as XML, in the order they are sent.
 */
function properties(
  h: OpsSite,
  served: string,
  path: string,
  info: Deno.FileInfo,
): Map<string, string> {
  const name = served.slice(served.lastIndexOf("/") + 1);
  const mtime = info.mtime?.getTime();
  const have = new Map([
    ["displayname", xmlText(name)],
    ["resourcetype", info.isDirectory ? "<D:collection/>" : ""],
  ]);
  if (mtime !== undefined) have.set("getlastmodified", formatHttpDate(mtime));
  if (info.birthtime !== null) {
    have.set("creationdate", info.birthtime.toISOString());
  }
  if (!info.isDirectory) {
    have.set("getcontentlength", String(info.size));
    have.set("getcontenttype", xmlText(h.guessType(path)));
    // GET's tag, which a file changed within the last 2 s does not have.
    if (validatable(mtime, Date.now())) {
      have.set("getetag", xmlText(weakETag(info.size, mtime)));
    }
  }
  if (locksFiles(h)) {
    have.set("supportedlock", SUPPORTED_LOCK);
    have.set("lockdiscovery", lockDiscovery(lockKey(h.directory, served)));
  }
  return have;
}

/**
 * Text for an XML element: escaped, and the characters XML 1.0 cannot
 * carry (C0 controls but tab and line ends) as U+FFFD.
 */
function xmlText(text: string): string {
  // deno-lint-ignore no-control-regex
  return escapeText(text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "\ufffd"));
}
