/**
 * The command line's arguments, parsed as `python -m http.server`'s argparse
 * parses them: pure, no permission, file or network touched. `cli.ts` runs
 * what this returns.
 *
 * Past the house's 400 lines: a third of it is the usage and help text and
 * the documented options, which belong with the parser that reads them; each
 * flag's check is a small function of its own.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "./args.ts";
 *
 * const options = parseCliArgs(["8080", "--bind", "127.0.0.1"]);
 * console.log(options?.port, options?.bind); // 8080 127.0.0.1
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LOG_FORMATS, type LogFormat } from "../http/accesslog.ts";
import { TrustedProxies } from "../http/forwarded.ts";
import { parseHeaderArgument } from "../http/fields.ts";
import { parseAccessRules } from "../files/accounts/rules.ts";
import { SYMLINK_POLICIES, type SymlinkPolicy } from "../files/sandbox.ts";

/** The program's name in its messages. */
export const PROG = "httpserver";

/** The usage line, wrapped as argparse wraps one longer than 78 columns. */
export const USAGE =
  `usage: ${PROG} [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION]
                  [--gzip] [--cache SECONDS | --no-cache] [--spa] [--404 PATH]
                  [--clean-urls] [--live-reload] [--no-listing]
                  [--hidden | --no-hidden] [--pretty-listing] [--search]
                  [--archive] [--symlinks POLICY] [--upload] [--overwrite]
                  [--max-upload BYTES] [--delete] [--mkdir] [--webdav]
                  [--allowed-host NAME] [--trust-uploads] [--auth-file FILE]
                  [--access RULE] [--tls-cert PATH] [--tls-key PATH]
                  [--tls-password-file PATH] [-H HEADER] [--cors]
                  [-q | --log-format FORMAT] [--log-file PATH]
                  [--trusted-proxy ADDR] [--workers N] [--engine ENGINE]
                  [--print-permissions] [port]`;

/** What `--help` prints. */
export const HELP = `${USAGE}

positional arguments:
  port                  bind to this port (default: 8000)

options:
  -h, --help            show this help message and exit
  --print-permissions   print the deno run command with the narrowest
                        permissions for the other flags given, and exit
  --cgi                 run as CGI server
  -b ADDRESS, --bind ADDRESS
                        bind to this address (default: all interfaces), or
                        to a Unix socket with unix:PATH
  -d DIRECTORY, --directory DIRECTORY
                        serve this directory (default: current directory)
  -p VERSION, --protocol VERSION
                        conform to this HTTP version (default: HTTP/1.0)
  --tls-cert PATH       path to the TLS certificate chain file
  --tls-key PATH        path to the TLS key file
  --tls-password-file PATH
                        path to the password file for the TLS key
  -H HEADER, --header HEADER
                        add this header to every response, as "Name: value"
                        (repeatable)
  --cors                allow cross-origin requests: send Access-Control-
                        Allow-Origin: * and answer preflight OPTIONS
  --gzip                compress for clients that accept it: send a file's
                        .br or .gz sibling, else gzip text types on the fly
  --cache SECONDS       send Cache-Control: max-age=SECONDS with files and
                        listings
  --no-cache            send Cache-Control: no-store with files and listings
  --spa                 serve /index.html for paths that do not exist
                        (single-page apps)
  --404 PATH            send this file with status 404 for anything not
                        found (with --spa, for missing files, not routes)
  --clean-urls          serve /about from about.html, and redirect
                        /about.html to /about
  --live-reload         reload pages in the browser when a file of the
                        directory changes; swap changed stylesheets
  --no-listing          answer 404 for folders without an index page
  --hidden, --no-hidden
                        serve and list dotfiles, names that begin with a
                        dot (default: --hidden, as Python)
  --pretty-listing      list folders with sizes, dates and sorting links
  --search              a search box on listings: ?q=text finds the names
                        below a folder that contain the text
  --symlinks POLICY     which symlinks to follow: follow (default, as
                        Python), inside (only to targets in the directory),
                        or never (404, and left out of listings)
  --archive             let folders be downloaded as .zip and .tar.gz
                        (?download=zip), linked from listing pages
  --upload              accept uploads: PUT /path, and a form on listing
                        pages (needs --allow-write=DIRECTORY)
  --overwrite           let uploads replace existing files (a PUT does
                        anyway with --webdav, --delete or --mkdir)
  --max-upload BYTES    the most bytes one upload, or chunked CGI request
                        body, stores; K, M, G suffixes (default: 1G)
  --delete              allow DELETE and MOVE, and buttons on listing pages
                        to delete and rename (needs --allow-write=DIRECTORY)
  --mkdir               allow MKCOL, and a button on listing pages to create
                        a folder (needs --allow-write=DIRECTORY)
  --webdav              answer PROPFIND and say DAV: 1 to OPTIONS, so that
                        WebDAV clients mount the folder (implied by --delete
                        and --mkdir); with a flag that writes, also LOCK,
                        PROPPATCH and COPY, and PUT replaces files
  --allowed-host NAME   take uploads and changes through this host name too,
                        not only IP addresses and localhost (repeatable)
  --trust-uploads       serve pages and SVG of the directory without
                        Content-Security-Policy: sandbox (with --upload)
  --auth-file FILE      users must sign in (HTTP Basic), as this htpasswd
                        file says (bcrypt or apr1 hashes)
  --access RULE         with --auth-file, who may read (ro) or change (rw)
                        a path: PATH:WHO=MODE,..., WHO a user or * for
                        anyone, as /private:alice=rw,bob=ro (repeatable)
  -q, --quiet           log nothing: no request lines, no messages
  --log-format FORMAT   the access log's format: python (default), common,
                        combined, or json (one object per request)
  --log-file PATH       append the log to this file instead of stderr, and
                        reopen it on SIGHUP (needs --allow-write=PATH)
  --trusted-proxy ADDR  take the client's address from Forwarded or
                        X-Forwarded-For of this peer: an IP address, a CIDR
                        range, or unix for Unix socket peers (repeatable)
  --workers N           serve with N threads that share the port, or auto
                        for one per core (default: 1; Linux only, and
                        needs deno run --unstable-net)
  --engine ENGINE       serve with python, our own HTTP/1.x server
                        (default), or serve, Deno.serve: keep-alive, and
                        HTTP/2 as well with --tls-cert
`;

/** The command line's settings, with Python's defaults. */
export interface CliOptions {
  /** The port to listen on; default 8000. */
  port: number;
  /** The address to bind; undefined means all interfaces (IPv6 dual-stack when possible). */
  bind?: string;
  /** The folder to serve; default the current folder. */
  directory: string;
  /** The HTTP version the server conforms to; default `HTTP/1.0`. */
  protocol: string;
  /** Run CGI scripts under `/cgi-bin` and `/htbin`. */
  cgi: boolean;
  /**
   * What serves (`--engine`): `python`, our own HTTP/1.x server and
   * Python's classes (the default), or `serve`, `Deno.serve` through the
   * fetch face.
   */
  engine: Engine;
  /** The TLS certificate chain file (`--tls-cert`): serve HTTPS. */
  tlsCert?: string;
  /** The TLS key file (`--tls-key`); default the key in the certificate file. */
  tlsKey?: string;
  /** A file holding the TLS key's password (`--tls-password-file`). */
  tlsPasswordFile?: string;
  /** Headers added to every response (`-H`). */
  headers: [string, string][];
  /** Allow cross-origin requests (`--cors`). */
  cors: boolean;
  /** Send precompressed siblings and gzip text on the fly (`--gzip`). */
  gzip: boolean;
  /** `Cache-Control: max-age` in seconds (`--cache`); null for none. */
  cacheMaxAge: number | null;
  /** `Cache-Control: no-store` (`--no-cache`). */
  noCache: boolean;
  /** Serve `/index.html` for missing paths (`--spa`). */
  spa: boolean;
  /** The file sent with status 404 for what is not found (`--404`). */
  notFoundPage?: string;
  /** `/about` serves `about.html`, which redirects to it (`--clean-urls`). */
  cleanUrls: boolean;
  /** Reload pages when a file of the folder changes (`--live-reload`). */
  liveReload: boolean;
  /** List folders without an index page; false with `--no-listing`. */
  listing: boolean;
  /** Serve and list dotfiles (default, `--hidden`); false with `--no-hidden`. */
  showHidden: boolean;
  /** The pretty listing page (`--pretty-listing`). */
  prettyListing: boolean;
  /** Search names below listed folders (`--search`). */
  search: boolean;
  /** Folders downloaded as archives (`--archive`). */
  archive: boolean;
  /** Accept PUT and form uploads (`--upload`). */
  upload: boolean;
  /** Let uploads replace files (`--overwrite`). */
  overwrite: boolean;
  /**
   * Serve pages and SVG without `Content-Security-Policy: sandbox` while
   * uploads are on (`--trust-uploads`).
   */
  trustUploads: boolean;
  /** Which symlinks are followed (`--symlinks`); default `follow`. */
  symlinks: SymlinkPolicy;
  /**
   * The most bytes one upload, or chunked CGI request body, stores
   * (`--max-upload`); default 1 GiB.
   */
  maxUploadBytes: number;
  /** Allow DELETE and MOVE (`--delete`). */
  delete: boolean;
  /** Allow MKCOL (`--mkdir`). */
  mkdir: boolean;
  /** Answer PROPFIND and OPTIONS as WebDAV (`--webdav`). */
  webdav: boolean;
  /**
   * Host names uploads and changes may come through besides IP addresses
   * and localhost (`--allowed-host`, repeatable).
   */
  allowedHosts: string[];
  /**
   * How many workers serve (`--workers`, `auto` for one per core); default
   * 1, the main thread alone.
   */
  workers: number;
  /** Print the command with the permissions it needs, and exit (`--print-permissions`). */
  printPermissions: boolean;
  /** The Unix socket to listen on (`--bind unix:PATH`), in place of a port. */
  socketPath?: string;
  /** Log nothing (`-q`, `--quiet`). */
  quiet: boolean;
  /** The access log's format (`--log-format`); default `python`. */
  logFormat: LogFormat;
  /** The file the log is appended to (`--log-file`); default stderr. */
  logFile?: string;
  /** Peers whose `Forwarded`/`X-Forwarded-For` is believed (`--trusted-proxy`). */
  trustedProxies: string[];
  /** The htpasswd file of the users who must sign in (`--auth-file`). */
  authFile?: string;
  /**
   * Who may read and change which paths (`--access`, repeatable), as
   * `PATH:WHO=MODE,...`: checked, kept as written.
   */
  access: string[];
}

/** What serves: see {@link CliOptions.engine}. */
export type Engine = "python" | "serve";

/** Every {@link Engine}, the default first. */
export const ENGINES: readonly Engine[] = ["python", "serve"];

/** A command line that cannot be run: argparse's usage error (exit status 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parses arguments as `python -m http.server` does. Returns null for
 * `--help`; throws {@link UsageError} for anything it cannot take.
 */
export function parseCliArgs(args: string[]): CliOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      tokens: true,
      options: {
        help: { type: "boolean", short: "h" },
        cgi: { type: "boolean" },
        bind: { type: "string", short: "b" },
        directory: { type: "string", short: "d" },
        protocol: { type: "string", short: "p" },
        engine: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-password-file": { type: "string" },
        header: { type: "string", short: "H", multiple: true },
        cors: { type: "boolean" },
        gzip: { type: "boolean" },
        cache: { type: "string" },
        "no-cache": { type: "boolean" },
        spa: { type: "boolean" },
        "404": { type: "string" },
        "clean-urls": { type: "boolean" },
        "live-reload": { type: "boolean" },
        "no-listing": { type: "boolean" },
        hidden: { type: "boolean" },
        "no-hidden": { type: "boolean" },
        "pretty-listing": { type: "boolean" },
        search: { type: "boolean" },
        archive: { type: "boolean" },
        upload: { type: "boolean" },
        overwrite: { type: "boolean" },
        "max-upload": { type: "string" },
        delete: { type: "boolean" },
        mkdir: { type: "boolean" },
        webdav: { type: "boolean" },
        "allowed-host": { type: "string", multiple: true },
        "trust-uploads": { type: "boolean" },
        symlinks: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        "log-format": { type: "string" },
        "log-file": { type: "string" },
        "trusted-proxy": { type: "string", multiple: true },
        workers: { type: "string" },
        "print-permissions": { type: "boolean" },
        "auth-file": { type: "string" },
        access: { type: "string", multiple: true },
      },
    });
  } catch (error) {
    throw new UsageError(argparseMessage((error as Error).message));
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length > 1) {
    throw new UsageError(
      `unrecognized arguments: ${positionals.slice(1).join(" ")}`,
    );
  }
  const portText = positionals[0] ?? "8000";
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) {
    throw new UsageError(
      `argument port: invalid port: '${portText}' (use 0-65535)`,
    );
  }
  const protocol = values.protocol ?? "HTTP/1.0";
  if (!/^HTTP\/1\.[01]$/.test(protocol)) {
    throw new UsageError(
      `argument -p/--protocol: invalid version: '${protocol}' (use HTTP/1.0 or HTTP/1.1)`,
    );
  }
  const operating = parseOperating(values, positionals.length > 0);
  const engine = parseEngine(values);
  return {
    port,
    bind: operating.socketPath === undefined ? values.bind : undefined,
    directory: values.directory ?? ".",
    // Deno.serve keeps connections alive, as HTTP/1.1 does.
    protocol: engine === "serve" ? "HTTP/1.1" : protocol,
    cgi: values.cgi ?? false,
    engine,
    ...parseTls(values),
    headers: parseHeaders(values.header ?? [], values.cors ?? false),
    cors: values.cors ?? false,
    gzip: values.gzip ?? false,
    ...parseCaching(values.cache, values["no-cache"] ?? false),
    ...parseServing(values, parsed.tokens),
    printPermissions: values["print-permissions"] ?? false,
    ...operating,
    workers: parseWorkers(values.workers ?? "1", operating.socketPath),
    ...parseAccounts(values["auth-file"], values.access ?? []),
  };
}

/**
 * `--auth-file` and `--access`, whose rules are checked here (that each
 * user they name is in the file is checked once it is read).
 */
function parseAccounts(
  authFile: string | undefined,
  access: string[],
): Pick<CliOptions, "authFile" | "access"> {
  if (authFile === "") {
    throw new UsageError("argument --auth-file: expected a file's path");
  }
  if (access.length > 0 && authFile === undefined) {
    throw new UsageError("argument --access: only with --auth-file");
  }
  try {
    parseAccessRules(access);
  } catch (error) {
    throw new UsageError(`argument --access: ${(error as Error).message}`);
  }
  return { authFile, access };
}

/**
 * `--engine`: `python` or `serve`. `Deno.serve` always keeps connections
 * alive and runs no CGI script, and the workers of `--workers` run our own
 * server: an explicit `-p HTTP/1.0`, `--cgi` or `--workers` with it is a
 * usage error rather than a flag silently ignored.
 */
function parseEngine(
  values: {
    engine?: string;
    protocol?: string;
    cgi?: boolean;
    workers?: string;
  },
): Engine {
  const engine = values.engine ?? "python";
  if (!(ENGINES as readonly string[]).includes(engine)) {
    throw new UsageError(
      `argument --engine: invalid choice: '${engine}' (choose from ${
        ENGINES.map((name) => `'${name}'`).join(", ")
      })`,
    );
  }
  if (engine !== "serve") return "python";
  if (values.protocol === "HTTP/1.0") {
    throw new UsageError(
      "argument -p/--protocol: HTTP/1.0 not allowed with --engine serve, which keeps connections alive (HTTP/1.1, and HTTP/2 with --tls-cert)",
    );
  }
  if (values.cgi) {
    throw new UsageError(
      "argument --cgi: not allowed with --engine serve, which runs no CGI scripts: use --engine python",
    );
  }
  if (values.workers !== undefined && values.workers !== "1") {
    throw new UsageError(
      "argument --workers: not allowed with --engine serve, whose server runs on one thread: use --engine python",
    );
  }
  return "serve";
}

/** The most workers `--workers` takes. */
const MAX_WORKERS = 256;

/**
 * `--workers`: a count, or `auto` for the cores this process may use; not
 * with a Unix socket, which `SO_REUSEPORT` does not share.
 */
function parseWorkers(text: string, socketPath: string | undefined): number {
  const count = text === "auto"
    ? Math.min(navigator.hardwareConcurrency, MAX_WORKERS)
    : /^\d{1,4}$/.test(text)
    ? Number(text)
    : NaN;
  if (!(count >= 1 && count <= MAX_WORKERS)) {
    throw new UsageError(
      `argument --workers: invalid count: '${text}' (use 1 to ${MAX_WORKERS}, or auto for one per core)`,
    );
  }
  if (count > 1 && socketPath !== undefined) {
    throw new UsageError(
      "argument --workers: not allowed with a Unix socket (--bind unix:PATH): run an instance per socket",
    );
  }
  return count;
}

/**
 * `--bind unix:PATH` (no port, no TLS), `-q` (not with `--log-format` or
 * `--log-file`), `--log-format` and `--trusted-proxy`.
 */
function parseOperating(
  values: {
    bind?: string;
    "tls-cert"?: string;
    quiet?: boolean;
    "log-format"?: string;
    "log-file"?: string;
    "trusted-proxy"?: string[];
  },
  portGiven: boolean,
): Pick<
  CliOptions,
  "socketPath" | "quiet" | "logFormat" | "logFile" | "trustedProxies"
> {
  let socketPath: string | undefined;
  if (values.bind?.startsWith("unix:")) {
    socketPath = values.bind.slice("unix:".length);
    if (socketPath === "") {
      throw new UsageError(
        "argument -b/--bind: unix: needs the socket's path, as unix:/run/httpserver.sock",
      );
    }
    if (portGiven) {
      throw new UsageError(
        "argument port: not allowed with a Unix socket (--bind unix:PATH)",
      );
    }
    if (values["tls-cert"]) {
      throw new UsageError(
        "argument --tls-cert: not allowed with a Unix socket (--bind unix:PATH): TLS ends at the proxy in front",
      );
    }
  }
  const quiet = values.quiet ?? false;
  for (const flag of ["log-format", "log-file"] as const) {
    if (quiet && values[flag] !== undefined) {
      throw new UsageError(
        `argument -q/--quiet: not allowed with argument --${flag}`,
      );
    }
  }
  const logFormat = values["log-format"] ?? "python";
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new UsageError(
      `argument --log-format: invalid choice: '${logFormat}' (choose from ${
        LOG_FORMATS.map((name) => `'${name}'`).join(", ")
      })`,
    );
  }
  const trustedProxies = values["trusted-proxy"] ?? [];
  try {
    new TrustedProxies(trustedProxies);
  } catch (error) {
    throw new UsageError(
      `argument --trusted-proxy: ${(error as Error).message}`,
    );
  }
  return {
    socketPath,
    quiet,
    logFormat: logFormat as LogFormat,
    logFile: values["log-file"] || undefined,
    trustedProxies,
  };
}

/**
 * `--spa`, `--404`, `--clean-urls`, `--live-reload`, `--no-listing`,
 * `--hidden`/`--no-hidden` (the last one wins, as argparse's
 * BooleanOptionalAction), `--pretty-listing` and `--search` (not with
 * `--no-listing`), `--symlinks`, `--archive`, and `--upload` with
 * `--overwrite` and `--trust-uploads`, `--max-upload` (with `--upload` or
 * `--cgi`), `--delete`, `--mkdir`, `--webdav`, and `--allowed-host` (with a
 * flag that changes files).
 */
function parseServing(
  values: {
    cgi?: boolean;
    spa?: boolean;
    "404"?: string;
    "clean-urls"?: boolean;
    "live-reload"?: boolean;
    "no-listing"?: boolean;
    "pretty-listing"?: boolean;
    search?: boolean;
    archive?: boolean;
    upload?: boolean;
    overwrite?: boolean;
    "max-upload"?: string;
    "allowed-host"?: string[];
    "trust-uploads"?: boolean;
    symlinks?: string;
    delete?: boolean;
    mkdir?: boolean;
    webdav?: boolean;
  },
  tokens: readonly { kind: string; name?: string }[],
): Pick<
  CliOptions,
  | "spa"
  | "notFoundPage"
  | "cleanUrls"
  | "liveReload"
  | "listing"
  | "showHidden"
  | "prettyListing"
  | "search"
  | "archive"
  | "upload"
  | "overwrite"
  | "maxUploadBytes"
  | "allowedHosts"
  | "trustUploads"
  | "symlinks"
  | "delete"
  | "mkdir"
  | "webdav"
> {
  if (values["404"] === "") {
    throw new UsageError("argument --404: expected a file's path");
  }
  if (values["pretty-listing"] && values["no-listing"]) {
    throw new UsageError(
      "argument --pretty-listing: not allowed with argument --no-listing",
    );
  }
  if (values.search && values["no-listing"]) {
    throw new UsageError(
      "argument --search: not allowed with argument --no-listing",
    );
  }
  const upload = values.upload ?? false;
  if (values.overwrite !== undefined && !upload) {
    throw new UsageError("argument --overwrite: only with --upload");
  }
  if (values["max-upload"] !== undefined && !upload && !values.cgi) {
    throw new UsageError("argument --max-upload: only with --upload or --cgi");
  }
  const allowedHosts = values["allowed-host"] ?? [];
  const changes = upload || values.delete || values.mkdir;
  if (allowedHosts.length > 0 && !changes) {
    throw new UsageError(
      "argument --allowed-host: only with --upload, --delete or --mkdir",
    );
  }
  if (values["trust-uploads"] && !upload) {
    throw new UsageError("argument --trust-uploads: only with --upload");
  }
  const symlinks = SYMLINK_POLICIES.find((name) =>
    name === (values.symlinks ?? "follow")
  );
  if (symlinks === undefined) {
    throw new UsageError(
      `argument --symlinks: invalid choice: '${values.symlinks}' (choose from ${
        SYMLINK_POLICIES.map((name) => `'${name}'`).join(", ")
      })`,
    );
  }
  for (const name of allowedHosts) {
    // A DNS name as a Host header carries it (IDNs as punycode), no port.
    if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/i.test(name)) {
      throw new UsageError(
        `argument --allowed-host: invalid host name: '${name}' (a name without port, such as nas.lan)`,
      );
    }
  }
  const hidden = tokens.findLast((token) =>
    token.kind === "option" &&
    (token.name === "hidden" || token.name === "no-hidden")
  );
  return {
    spa: values.spa ?? false,
    notFoundPage: values["404"],
    cleanUrls: values["clean-urls"] ?? false,
    liveReload: values["live-reload"] ?? false,
    listing: !values["no-listing"],
    showHidden: hidden?.name !== "no-hidden",
    prettyListing: values["pretty-listing"] ?? false,
    search: values.search ?? false,
    archive: values.archive ?? false,
    upload,
    overwrite: values.overwrite ?? false,
    maxUploadBytes: parseSize(values["max-upload"] ?? "1G"),
    allowedHosts,
    trustUploads: values["trust-uploads"] ?? false,
    symlinks,
    delete: values.delete ?? false,
    mkdir: values.mkdir ?? false,
    webdav: values.webdav ?? false,
  };
}

/** `--max-upload`: bytes, or a number with K, M or G (powers of 1024). */
function parseSize(text: string): number {
  const match = /^(\d+)([KMG]?)$/i.exec(text);
  const bytes = match
    ? Number(match[1]) * 1024 ** " KMG".indexOf(match[2].toUpperCase() || " ")
    : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(
      `argument --max-upload: invalid size: '${text}' (use bytes, or a number with K, M or G)`,
    );
  }
  return bytes;
}

/** `--cache SECONDS` and `--no-cache`, which exclude each other. */
function parseCaching(
  cache: string | undefined,
  noCache: boolean,
): { cacheMaxAge: number | null; noCache: boolean } {
  if (cache === undefined) return { cacheMaxAge: null, noCache };
  if (noCache) {
    throw new UsageError(
      "argument --no-cache: not allowed with argument --cache",
    );
  }
  if (!/^\d+$/.test(cache)) {
    throw new UsageError(
      `argument --cache: invalid seconds: '${cache}' (use a whole number of seconds, such as 3600 for an hour)`,
    );
  }
  // RFC 9111 §1.2.2: caches read delta-seconds up to 2^31, no further.
  if (Number(cache) > 2 ** 31) {
    throw new UsageError(
      `argument --cache: too many seconds: '${cache}' (caches read at most 2147483648, about 68 years)`,
    );
  }
  return { cacheMaxAge: Number(cache), noCache };
}

/** `--tls-*`, with Python's checks: the key and password need a certificate. */
function parseTls(
  values: {
    "tls-cert"?: string;
    "tls-key"?: string;
    "tls-password-file"?: string;
  },
): Pick<CliOptions, "tlsCert" | "tlsKey" | "tlsPasswordFile"> {
  const tlsCert = values["tls-cert"] || undefined;
  if (!tlsCert && values["tls-key"]) {
    throw new UsageError("--tls-key requires --tls-cert to be set");
  }
  if (!tlsCert && values["tls-password-file"]) {
    throw new UsageError("--tls-password-file requires --tls-cert to be set");
  }
  return {
    tlsCert,
    tlsKey: values["tls-key"] || undefined,
    tlsPasswordFile: values["tls-password-file"] || undefined,
  };
}

/** The `-H "Name: value"` arguments; with `--cors`, not its own header. */
function parseHeaders(texts: string[], cors: boolean): [string, string][] {
  return texts.map((text) => {
    let header: [string, string];
    try {
      header = parseHeaderArgument(text);
    } catch (error) {
      throw new UsageError(`argument -H/--header: ${(error as Error).message}`);
    }
    if (cors && header[0].toLowerCase() === "access-control-allow-origin") {
      throw new UsageError(
        `argument -H/--header: '${header[0]}' is set by --cors`,
      );
    }
    return header;
  });
}

/** Turns node's parseArgs messages into argparse's wording. */
function argparseMessage(message: string): string {
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `unrecognized arguments: ${unknown[1]}`;
  const missing = message.match(
    /Option '(?:-(\w), )?--([\w-]+) <value>' argument missing/,
  );
  if (missing) {
    const names = missing[1]
      ? `-${missing[1]}/--${missing[2]}`
      : `--${missing[2]}`;
    return `argument ${names}: expected one argument`;
  }
  return message.split("\n")[0];
}
