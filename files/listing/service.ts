/**
 * The listing of a folder for a request: which page it gets (see
 * `format.ts`), that page read through the served folder's sandbox, and the
 * process-wide state that keeps a listing flood cheap: the folders' entries
 * ({@link FOLDERS}), Python's pages ({@link PAGES}), and the readings in
 * flight, shared by the requests of one turn of the event loop
 * ({@link LISTINGS}).
 *
 * @example
 * ```ts
 * import { listFolder } from "./service.ts";
 * import { Sandbox } from "../sandbox.ts";
 *
 * const folder = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${folder}/a.txt`, "a");
 * const options = {
 *   directory: folder,
 *   listing: true,
 *   jsonListing: true,
 *   prettyListing: false,
 *   showHidden: true,
 *   upload: false,
 * };
 * const sandbox = new Sandbox(folder, console.error);
 * const page = await listFolder(folder, "/", "application/json", options, sandbox);
 * console.log(page.format, page.headers[0]); // "json" ["Content-type", "application/json"]
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { SEP } from "../../util/platform.ts";
import { type Access, childPath, EVERYONE, folderPath } from "../access.ts";
import { HttpError, outOfDescriptors } from "../../util/errors.ts";
import { Coalescer } from "../coalesce.ts";
import { fileNotFound, type Sandbox, type SymlinkPolicy } from "../sandbox.ts";
import { StatCache } from "../statcache.ts";
import { searchForm } from "../search/page.ts";
import { UPLOAD_PAGE } from "../upload/page.ts";
import { ARCHIVE_LINKS } from "../archive/archive.ts";
import { changeableEntries, type OpsButtons, opsFooter } from "../ops/page.ts";
import { accountLine } from "../accounts/page.ts";
import { type FolderEntries, readFolderEntries } from "./folder.ts";
import {
  type ListingFormat,
  listingFormat,
  type ListingFormatOptions,
  prepareListing,
} from "./format.ts";
import { pageBytes, type PageText, WHOLE_PAGE_BYTES } from "./page.ts";

/** The handler's settings a listing depends on. */
export interface ListingOptions extends ListingFormatOptions, OpsButtons {
  /** The served folder: the symlinks that a folder-only grant may follow. */
  readonly directory: string;
  /** List folders at all; false answers 404 "File not found". */
  readonly listing: boolean;
  /** Whether dotfiles are listed. */
  readonly showHidden: boolean;
  /** Whether the HTML pages end with the upload form. */
  readonly upload: boolean;
  /**
   * Whether the HTML pages end with the search box, and `?q=` searches
   * the names below the folder (see `search/`); default off.
   */
  readonly search?: boolean;
  /**
   * Whether folders may be downloaded as archives (`?download=zip`, see
   * `archive/`): the HTML pages then link to them. Left out, off.
   */
  readonly archive?: boolean;
}

/**
 * What the HTML pages show under the list, in order: the archives' links
 * ({@link ListingOptions.archive}), the upload form and its script
 * ({@link ListingOptions.upload}), the search box
 * ({@link ListingOptions.search}), the file operations' buttons (see
 * `ops/page.ts`), who the page is for (with accounts, see
 * `accounts/page.ts`). Each feature adds its piece here. The controls that
 * change the folder are shown only where `access` lets its user change
 * `folder` (the folder's path, see `folderPath`): the requests they send
 * would be refused anyway.
 */
export function listingFooter(
  options: ListingOptions,
  access: Access = EVERYONE,
  folder = "/",
): string {
  const writes = access.allows(folder, "write");
  return (options.archive ? ARCHIVE_LINKS : "") +
    (options.upload && writes ? UPLOAD_PAGE : "") +
    (options.search ? searchForm("") : "") +
    (writes ? opsFooter(options) : "") + accountLine(access);
}

/** A folder's listing, ready to send with status 200. */
export interface ListingResult {
  /** Tells the answers of `serve.ts` apart. */
  readonly kind: "listing";
  /** Always 200. */
  readonly status: 200;
  /** The page it is. */
  readonly format: ListingFormat;
  /**
   * `Content-type`, then the page's other fields, in order; never
   * `Content-Length`, which is the body's length.
   */
  readonly headers: readonly (readonly [string, string])[];
  /**
   * The page, whole (shared with other requests: never change it in
   * place), or text to make as it is sent.
   */
  readonly body: Uint8Array | PageText;
}

/**
 * The listing of the folder at `path` for a request for `target`: Python's
 * page, else the pretty page ({@link ListingOptions.prettyListing}) or JSON
 * for a client that asks ({@link ListingOptions.jsonListing}), with the
 * footer's pieces (see {@link listingFooter}: the upload form when
 * {@link ListingOptions.upload} is on and `access` lets its user change the
 * folder); dotfiles left out unless {@link ListingOptions.showHidden}, and
 * so are the entries that `access` does not let the user read. Where the
 * footer puts Rename and Delete beside the entries, with accounts, the HTML
 * pages mark those the user may not change (see `changeableEntries`), which
 * get no buttons. Requests for the same page that arrive together share one
 * reading of the folder, made after all of them arrived (see
 * `coalesce.ts`), when the sandbox shares reads, and may share the bytes
 * returned.
 *
 * @param path the folder, as `translatePath` names it
 * @param target the request-target, which the page shows and links from
 * @param accept the request's `Accept` header, or null
 * @param options the handler's settings
 * @param sandbox the served folder's reads
 * @param access what the request's user may read and change
 * @throws {HttpError} 404 "File not found" with listings off, 404 "No
 *   permission to list directory" for a folder that cannot be read (as
 *   Python), 503 when out of descriptors
 */
export async function listFolder(
  path: string,
  target: string,
  accept: string | null,
  options: ListingOptions,
  sandbox: Sandbox,
  access: Access = EVERYONE,
): Promise<ListingResult> {
  if (!options.listing) throw fileNotFound();
  const format = listingFormat(target, accept, options);
  const here = access === EVERYONE ? "/" : folderPath(options.directory, path);
  // Everything the page depends on, and its key: the served folder too,
  // which decides which symlinks a folder-only read grant may follow.
  const inputs: ListingInputs = {
    path,
    requestPath: target,
    format,
    footer: access === EVERYONE
      ? listingFooter(options)
      : listingFooter(options, access, here),
    // Only where the footer's script puts buttons beside the entries, and
    // some may be refused: dotfiles, listed, always are.
    marked: options.delete === true && format !== "json" &&
      (access === EVERYONE ? options.showHidden : access.allows(here, "write")),
    showHidden: options.showHidden,
    directory: options.directory,
    symlinks: sandbox.symlinks,
    viewer: viewerOf(access),
  };
  const key = JSON.stringify(Object.values(inputs));
  const read = () => readListing(inputs, key, sandbox, access);
  const page = await (sandbox.shared ? LISTINGS.run(key, read) : read());
  if (page instanceof Error) {
    throw outOfDescriptors(page) ??
      new HttpError("not-found", "No permission to list directory", {
        cause: page,
      });
  }
  return {
    kind: "listing",
    status: 200,
    format,
    headers: page.headers,
    body: page.body,
  };
}

/** Everything a listing page depends on. */
interface ListingInputs {
  /** The folder. */
  path: string;
  /** The request-target, which the page shows and links from. */
  requestPath: string;
  format: ListingFormat;
  /** The pieces under the list (see {@link listingFooter}), or "". */
  footer: string;
  /**
   * Whether the entries the viewer may not change are marked (see
   * `changeableEntries`): only where the page has buttons beside them, and
   * some may be refused (listed dotfiles; with accounts, the rules).
   */
  marked: boolean;
  showHidden: boolean;
  /** The served folder: the symlinks that a folder-only grant may follow. */
  directory: string;
  /** Which symlinks are followed: with `never`, none is listed. */
  symlinks: SymlinkPolicy;
  /** Whose listing it is: "" for everyone's, else one per `Access`. */
  viewer: string;
}

/** The keys of the `Access`es that listings were filtered for. */
const VIEWERS = new WeakMap<Access, string>();
let viewers = 0;

/** The key of what `access` lets its user see: "" for everything. */
function viewerOf(access: Access): string {
  if (access === EVERYONE) return "";
  let key = VIEWERS.get(access);
  if (key === undefined) VIEWERS.set(access, key = String(++viewers));
  return key;
}

/** A listing made ready: its body, whole or to stream, and header fields. */
interface ReadListing {
  body: Uint8Array | PageText;
  headers: [string, string][];
}

/**
 * Listing pages being read, by everything a page depends on: a listing
 * flood of one folder reads it once per turn of the event loop, not once per
 * request.
 */
const LISTINGS = new Coalescer<Promise<ReadListing | Error>>();

/**
 * The entries of the folders listed in this process, with Python's order of
 * them: 16 MiB at most (about 100,000 entries of 50 characters). Reading a
 * folder again for each listing was most of the heap's growth under listing
 * load; a large listing is made from them as it is sent. A folder too large
 * for the bound is read again by each listing, which holds it until sent.
 */
const FOLDERS = new StatCache<FolderEntries>({
  maxTotalBytes: 16 * 1024 * 1024,
});

/**
 * Whether the folder at `path`, at the version `info` (its `stat`)
 * describes, is known to hold no entry named `name`, in any case of its
 * letters (as a file system that ignores case would find it): its entries
 * were read at that version and are kept ({@link FOLDERS}). A `stat` of the
 * name would then fail, since names come and go only by changing the
 * folder, and a failed `stat` costs many times a found one (Deno builds an
 * error). Never for a name other than plain ASCII letters, digits, `.`, `_`
 * and `-`, nor in a folder with other names: a file system may take other
 * spellings of those as the same name.
 *
 * @param path the folder, as {@link listFolder} takes it
 * @param info its `stat`, taken for this request
 * @param name the name of an entry looked for
 */
export function knownAbsent(
  path: string,
  info: Deno.FileInfo,
  name: string,
): boolean {
  if (!PLAIN_NAME.test(name) || name === "." || name === "..") return false;
  const folder = FOLDERS.lookup(path, info);
  if (folder === null) return false;
  let names = PLAIN_NAMES.get(folder);
  if (names === undefined) {
    const lower = folder.names.map((entry) => entry.toLowerCase());
    names = folder.names.every((entry) => PLAIN_NAME.test(entry))
      ? new Set(lower)
      : null;
    PLAIN_NAMES.set(folder, names);
  }
  return names !== null && !names.has(name.toLowerCase());
}

/** A name of ASCII letters, digits, `.`, `_` and `-`. */
const PLAIN_NAME = /^[\w.-]+$/;

/**
 * The lower-cased names of a kept folder, or null when it has a name that
 * is not plain (see {@link knownAbsent}).
 */
const PLAIN_NAMES = new WeakMap<FolderEntries, Set<string> | null>();

/**
 * Python's listing pages of folders without symlinks, asked for without a
 * query, by everything a page depends on (the key of {@link LISTINGS}),
 * while the folder's `stat` is unchanged: 8 MiB at most, pages up to
 * {@link MAX_KEPT_PAGE}. With the small semi-space of `deno task start`,
 * what rendering a large folder allocates outlives two young collections
 * and is promoted, so that rendering each time would fill the old
 * generation under listing load.
 */
const PAGES = new StatCache<ReadListing>({ maxTotalBytes: 8 * 1024 * 1024 });

/**
 * The largest page {@link PAGES} keeps, made whole in one go: about 8,000
 * entries. Larger pages are streamed to each client.
 */
const MAX_KEPT_PAGE = 1024 * 1024;

/**
 * The listing page that `inputs` describe, or the error that kept the
 * folder from being read: whole when kept in {@link PAGES} or small, else
 * text to stream. Symlinks are followed as `sandbox` allows, the sandbox of
 * `inputs.directory`. `key` stands for `inputs` in {@link PAGES}.
 */
async function readListing(
  inputs: ListingInputs,
  key: string,
  sandbox: Sandbox,
  access: Access,
): Promise<ReadListing | Error> {
  const { path, format } = inputs;
  let info: Deno.FileInfo;
  let folder: FolderEntries;
  // A filtered page depends on real paths below the folder too: not kept.
  const keeps = format === "python" && inputs.viewer === "";
  try {
    info = Deno.statSync(path);
    const kept = keeps ? PAGES.lookup(key, info) : null;
    if (kept !== null) return kept;
    folder = await readFolder(path, info, sandbox.checkRead(path, info));
    // A path through a symlink is not there: neither is the symlink.
    if (inputs.symlinks === "never") folder = folder.withoutSymlinks();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  const here = folderPath(inputs.directory, path);
  if (access !== EVERYONE) {
    folder = folder.only((name) =>
      access.allows(childPath(here, name), "read")
    );
  }
  const fixed = inputs.marked
    ? fixedEntries(folder, access, here, inputs.showHidden)
    : null;
  const { text, headers } = await prepareListing(
    format,
    inputs.requestPath,
    folder,
    {
      footer: inputs.footer,
      showHidden: inputs.showHidden,
      stat: (name) => sandbox.stat(path + SEP + name, false),
      fixed,
    },
  );
  // Without symlinks, whose targets may change apart from the folder,
  // Python's page depends on the folder alone. Not with a query, which the
  // page shows: a client could fill the cache with one page per query.
  if (
    keeps && folder.symlinks === 0 &&
    !inputs.requestPath.includes("?") && text.length <= MAX_KEPT_PAGE &&
    PAGES.settled(info)
  ) {
    const page = { body: pageBytes(text), headers };
    PAGES.keep(key, info, page, text.length);
    return page;
  }
  if (text.length <= WHOLE_PAGE_BYTES) {
    return { body: pageBytes(text), headers };
  }
  return { body: text, headers };
}

/**
 * The listed entries of `folder` (dotfiles only when `showHidden`), the
 * folder at `here` (a served path), that the user of `access` may not
 * change (see `changeableEntries`): 1 each. Decided for each listing, never
 * kept: what a rule allows at a path may change with the symlinks on the
 * way to it.
 */
function fixedEntries(
  folder: FolderEntries,
  access: Access,
  here: string,
  showHidden: boolean,
): Uint8Array {
  const changeable = changeableEntries(access, here);
  const fixed = new Uint8Array(folder.count);
  for (let i = 0; i < folder.count; i++) {
    if (
      folder.isListed(i, showHidden) &&
      !changeable(folder.names[i], folder.isDirectory(i))
    ) {
      fixed[i] = 1;
    }
  }
  return fixed;
}

/**
 * The entries of the folder at `path`, read once per version of the folder
 * (`info`, its `stat` taken before): entries are only added, removed or
 * renamed by changing the folder. `check`, when given, runs before and after
 * a reading and throws to refuse it. Throws what `Deno.readDir` throws.
 */
export function readFolder(
  path: string,
  info: Deno.FileInfo,
  check?: () => void,
): Promise<FolderEntries> {
  return FOLDERS.share(
    path,
    info,
    async () => {
      check?.();
      const folder = await readFolderEntries(path);
      check?.();
      return folder;
    },
    (folder) => folder.bytes,
  );
}
