/**
 * The options of the fetch face ({@link FileServerOptions}): std's
 * `serveDir` names and defaults where they mean the same (`fsRoot`,
 * `urlRoot`, `showDirListing`, `showDotfiles`, `showIndex`, `enableCors`,
 * `headers`, `quiet`), then ours, named as `SimpleHTTPRequestHandler`'s
 * fields. {@link resolveOptions} checks them once and maps them onto the
 * file-serving core's settings.
 *
 * std's defaults, not Python's: no dotfiles, no listings, no CORS. Code that
 * moves from std's `serveDir` to this one serves what it served before, and
 * no `.env` starts being served; the command line keeps Python's defaults.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 *
 * const resolved = resolveOptions({ fsRoot: "public", urlRoot: "static" });
 * console.log(resolved.urlRoot, resolved.serve.showHidden); // "/static" false
 * ```
 *
 * @module
 */

import { parseHeaderArgument } from "../http/fields.ts";
import { AccountGate } from "../files/accounts/gate.ts";
import type { Accounts } from "../files/accounts/htpasswd.ts";
import { parseAccessRules } from "../files/accounts/rules.ts";
import type { LogFormat } from "../http/accesslog.ts";
import { SYMLINK_POLICIES, type SymlinkPolicy } from "../files/sandbox.ts";

/**
 * How `serveDir` and `createFileHandler` serve a folder. Every option is
 * optional; the defaults are std's `serveDir`'s where it has the option,
 * else those of `SimpleHTTPRequestHandler`.
 *
 * @example
 * ```ts
 * import type { FileServerOptions } from "jsr:@x/httpserver";
 *
 * // A single-page app under /app/, its assets precompressed, cached a day.
 * const options: FileServerOptions = {
 *   fsRoot: "dist",
 *   urlRoot: "app",
 *   spa: true,
 *   precompressed: true,
 *   cacheMaxAge: 86_400,
 * };
 * ```
 */
export interface FileServerOptions {
  /** The folder served (std's name; the handler's `directory`); default `.`. */
  fsRoot?: string;
  /**
   * The URL prefix the folder is mounted under, with or without its leading
   * slash (`static`, `/static`): `/static/a.txt` serves `<fsRoot>/a.txt`,
   * and a path outside the prefix is 404. Default none: the folder is the
   * site's root.
   */
  urlRoot?: string;
  /**
   * List a folder without an index page (the handler's `listing`);
   * default false, as std: 404.
   */
  showDirListing?: boolean;
  /**
   * Serve and list dotfiles, names that begin with `.` (the handler's
   * `showHidden`); default false, as std: 404, and left out of listings.
   */
  showDotfiles?: boolean;
  /**
   * Serve a folder's `index.html` (or `index.htm`) in place of its listing;
   * default true, as std.
   */
  showIndex?: boolean;
  /**
   * Allow cross-origin requests (the handler's `cors`):
   * `Access-Control-Allow-Origin: *` on every response, and `OPTIONS`
   * preflights answered with 204; default false, as std.
   */
  enableCors?: boolean;
  /**
   * Headers added to every response, as std takes them: `"Name: value"`
   * (the handler's `extraHeaders`, the CLI's `-H`). A header that frames the
   * response or that the server sets itself (`Content-Length`,
   * `Content-Type`, ...) is refused with a TypeError. Default none.
   */
  headers?: readonly string[];
  /** Log nothing; default false, as std: one line per request on stderr. */
  quiet?: boolean;
  /**
   * The access log's format: `python` (Python's line, the default),
   * `common`, `combined` or `json` (the handler's `logFormat`).
   */
  logFormat?: LogFormat;
  /**
   * Peers whose `Forwarded` or `X-Forwarded-For` names the client in the
   * log: IP addresses, CIDR ranges, `unix` (the handler's
   * `trustedProxies`); default none.
   */
  trustedProxies?: readonly string[];
  /**
   * Answer a GET or HEAD of a path that does not exist with `/index.html`,
   * for single-page apps whose routes are not files; default false.
   */
  spa?: boolean;
  /**
   * A file sent with status 404 for what GET and HEAD do not find, in place
   * of Python's error page (the CLI's `--404`): a file system path; default
   * none.
   */
  notFoundPage?: string | null;
  /**
   * `/about` serves `about.html`, and `/about.html` redirects to `/about`
   * (the CLI's `--clean-urls`); default false.
   */
  cleanUrls?: boolean;
  /**
   * Reload pages in the browser when a file of the folder changes (the
   * CLI's `--live-reload`); default false. Its event streams last until the
   * client leaves or {@link shutdownSignal} is aborted.
   */
  liveReload?: boolean;
  /**
   * Aborted when the server shuts down: it ends live reload's event
   * streams, which `Deno.serve`'s `shutdown()` would otherwise wait for,
   * and its watch of the folder, which otherwise lasts 5 s past the last
   * page or stream.
   */
  shutdownSignal?: AbortSignal;
  /**
   * Send a file's `.br` or `.gz` sibling in its place to a client that
   * accepts it (the CLI's `--gzip`); default false.
   */
  precompressed?: boolean;
  /**
   * Gzip files of text types on the fly for a client that accepts gzip (the
   * CLI's `--gzip`); default false.
   */
  gzip?: boolean;
  /**
   * With {@link showDirListing}, answer a listing request that asks for JSON
   * (`?format=json`, or an `Accept` that prefers `application/json`) with
   * JSON; default true.
   */
  jsonListing?: boolean;
  /**
   * With {@link showDirListing}, list folders on the pretty page: sizes,
   * dates, sorting links, no script; default false, Python's page.
   */
  prettyListing?: boolean;
  /**
   * With {@link showDirListing}, search names: listings end with a search
   * box, and `?q=text` answers the files and folders below the folder that
   * contain the text, as a page or JSON (the CLI's `--search`); default
   * false, `?q=` ignored.
   */
  search?: boolean;
  /** `Cache-Control: max-age=<seconds>` on files and listings; default none. */
  cacheMaxAge?: number | null;
  /** `Cache-Control: no-store` on files and listings; default false. */
  noCache?: boolean;
  /**
   * Accept uploads: `PUT /path`, and the form that listings then show, with
   * drag and drop, folders and progress bars where scripts run (needs
   * `--allow-write` for the folder); default false, 501. Files are then
   * served with `nosniff`, pages and SVG sandboxed (see {@link trustUploads}).
   */
  upload?: boolean;
  /**
   * Let folders be downloaded as archives: `GET /folder/?download=zip` or
   * `?download=tar.gz`, made as they are sent, linked from the listings
   * (the handler's `archive`, the CLI's `--archive`); default false, the
   * query ignored.
   */
  archive?: boolean;
  /** Let an upload replace an existing file; default false, 409. */
  overwrite?: boolean;
  /**
   * With {@link upload} or {@link delete}, serve pages, SVG and XML without
   * `Content-Security-Policy: sandbox` (the CLI's `--trust-uploads`);
   * default false. Every file carries `X-Content-Type-Options: nosniff`
   * while uploads or moves are on, either way.
   */
  trustUploads?: boolean;
  /**
   * Which symlinks in the folder are followed (the CLI's `--symlinks`):
   * `follow` any (default, as Python), `inside` only those whose target
   * lies in the folder, `never` none (a path through one is 404, listings
   * leave them out).
   */
  symlinks?: SymlinkPolicy;
  /** The most bytes one upload request stores; default 1 GiB. */
  maxUploadBytes?: number;
  /**
   * Host names uploads may come through besides IP addresses and
   * `localhost` (against DNS rebinding); default none.
   */
  allowedHosts?: readonly string[];
  /**
   * Allow `DELETE` and `MOVE` (with `Destination`), and the listings'
   * Rename and Delete buttons (needs `--allow-write` for the folder);
   * default false, 501.
   */
  delete?: boolean;
  /**
   * Allow `MKCOL`, and the listings' New folder button (needs
   * `--allow-write` for the folder); default false, 501.
   */
  mkdir?: boolean;
  /**
   * WebDAV: `PROPFIND` (Depth 0 and 1) and `OPTIONS` with `DAV: 1`; on as
   * well with {@link delete} or {@link mkdir}. With a switch that writes,
   * class 2 (`DAV: 1, 2`): `LOCK`, `UNLOCK`, `PROPPATCH`, `COPY` with
   * uploads, and a PUT may replace a file. Default false, 501.
   */
  webdav?: boolean;
  /**
   * Users who must sign in (HTTP Basic) to reach anything, unless
   * {@link access} opens a path to anyone (the CLI's `--auth-file`; see
   * `loadAccounts`). They only restrict: uploads still need
   * {@link upload}. Default none.
   */
  accounts?: Accounts | null;
  /**
   * With {@link accounts}, who may read and who may change which paths
   * (the CLI's `--access`): `PATH:WHO=MODE,...`, as
   * `/private:alice=rw,bob=ro` or `/pub:*=ro`. Default none: every user
   * may read and change everything.
   */
  access?: readonly string[];
}

/** The core's settings: the fields of `SimpleHTTPRequestHandler`. */
export interface CoreSettings {
  /** The served folder. */
  readonly directory: string;
  /** Index pages, in order; none without `showIndex`. */
  readonly indexPages: readonly string[];
  /** The SPA fallback. */
  readonly spa: boolean;
  /** The 404 page, or null. */
  readonly notFoundPage: string | null;
  /** Clean URLs. */
  readonly cleanUrls: boolean;
  /** Live reload. */
  readonly liveReload: boolean;
  /** Listings. */
  readonly listing: boolean;
  /** Dotfiles. */
  readonly showHidden: boolean;
  /** JSON listings for clients that ask. */
  readonly jsonListing: boolean;
  /** The pretty listing page. */
  readonly prettyListing: boolean;
  /** Search names below a listed folder. */
  readonly search: boolean;
  /** Folders as archives. */
  readonly archive: boolean;
  /** Uploads. */
  readonly upload: boolean;
  /** Uploads may replace files. */
  readonly overwrite: boolean;
  /** No sandbox policy on uploaded pages. */
  readonly trustUploads: boolean;
  /** Which symlinks are followed. */
  readonly symlinks: SymlinkPolicy;
  /** The most bytes one upload stores. */
  readonly maxUploadBytes: number;
  /** Host names uploads may come through. */
  readonly allowedHosts: readonly string[];
  /** `DELETE` and `MOVE`. */
  readonly delete: boolean;
  /** `MKCOL`. */
  readonly mkdir: boolean;
  /** WebDAV (see `FileServerOptions.webdav`). */
  readonly webdav: boolean;
  /** Precompressed siblings. */
  readonly precompressed: boolean;
  /** Gzip on the fly. */
  readonly gzip: boolean;
  /** `Cache-Control: max-age`, or null. */
  readonly cacheMaxAge: number | null;
  /** `Cache-Control: no-store`. */
  readonly noCache: boolean;
}

/** {@link FileServerOptions}, checked, with every default filled in. */
export interface ResolvedOptions {
  /** What the core is given. */
  readonly serve: CoreSettings;
  /** The mount point: `""` or a path that starts with `/` and ends without one. */
  readonly urlRoot: string;
  /** CORS. */
  readonly cors: boolean;
  /** Headers added to every response. */
  readonly extraHeaders: readonly (readonly [string, string])[];
  /** No log. */
  readonly quiet: boolean;
  /** The access log's format. */
  readonly logFormat: LogFormat;
  /** The peers whose `Forwarded` is believed. */
  readonly trustedProxies: readonly string[];
  /** Ends live reload's streams; undefined: they end with their clients. */
  readonly shutdownSignal: AbortSignal | undefined;
  /** The accounts' gate, or null without accounts. */
  readonly gate: AccountGate | null;
}

/** The index pages of `SimpleHTTPRequestHandler`, which std's `showIndex` turns on. */
const INDEX_PAGES: readonly string[] = Object.freeze([
  "index.html",
  "index.htm",
]);

/**
 * Checks `options` and fills in the defaults. Throws a TypeError for a
 * header that cannot be sent, a `cacheMaxAge` or `maxUploadBytes` that is
 * not a whole number of at least 0, an unknown `symlinks`, or `access`
 * without `accounts`; a SyntaxError for an access rule that cannot be read;
 * an `AccountsError` for a rule that names a user the accounts lack.
 */
export function resolveOptions(
  options: FileServerOptions = {},
): ResolvedOptions {
  const { cacheMaxAge = null, maxUploadBytes = 1024 ** 3 } = options;
  const { accounts = null, access = [] } = options;
  if (accounts === null && access.length > 0) {
    throw new TypeError("access: rules need accounts");
  }
  const directory = options.fsRoot ?? ".";
  for (
    const [name, value] of [["cacheMaxAge", cacheMaxAge ?? 0], [
      "maxUploadBytes",
      maxUploadBytes,
    ]] as const
  ) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`${name}: a whole number of at least 0: ${value}`);
    }
  }
  return {
    serve: {
      directory,
      indexPages: options.showIndex ?? true ? INDEX_PAGES : [],
      spa: options.spa ?? false,
      notFoundPage: options.notFoundPage ?? null,
      cleanUrls: options.cleanUrls ?? false,
      liveReload: options.liveReload ?? false,
      listing: options.showDirListing ?? false,
      showHidden: options.showDotfiles ?? false,
      jsonListing: options.jsonListing ?? true,
      prettyListing: options.prettyListing ?? false,
      search: options.search ?? false,
      archive: options.archive ?? false,
      upload: options.upload ?? false,
      overwrite: options.overwrite ?? false,
      trustUploads: options.trustUploads ?? false,
      symlinks: symlinkPolicy(options.symlinks ?? "follow"),
      maxUploadBytes,
      allowedHosts: options.allowedHosts ?? [],
      delete: options.delete ?? false,
      mkdir: options.mkdir ?? false,
      webdav: options.webdav ?? false,
      precompressed: options.precompressed ?? false,
      gzip: options.gzip ?? false,
      cacheMaxAge,
      noCache: options.noCache ?? false,
    },
    urlRoot: mountPoint(options.urlRoot ?? ""),
    cors: options.enableCors ?? false,
    extraHeaders: (options.headers ?? []).map(parseHeaderArgument),
    quiet: options.quiet ?? false,
    logFormat: options.logFormat ?? "python",
    trustedProxies: options.trustedProxies ?? [],
    shutdownSignal: options.shutdownSignal,
    gate: accounts === null
      ? null
      : new AccountGate(accounts, parseAccessRules(access), directory),
  };
}

/** `symlinks`, checked: code in plain JavaScript may pass anything. */
function symlinkPolicy(value: string): SymlinkPolicy {
  const policy = SYMLINK_POLICIES.find((name) => name === value);
  if (policy === undefined) {
    throw new TypeError(
      `symlinks: one of ${SYMLINK_POLICIES.join(", ")}: ${value}`,
    );
  }
  return policy;
}

/** `static`, `/static` and `/static/` as `/static`; `""` and `/` as `""`. */
function mountPoint(urlRoot: string): string {
  const trimmed = urlRoot.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}
