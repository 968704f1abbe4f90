/**
 * The command line of `python -m http.server`: `[port] -b/--bind ADDRESS
 * -d/--directory DIR -p/--protocol VERSION --cgi`. It turns arguments into a
 * `ThreadingHTTPServer`, prints the banner, and shuts down gracefully on
 * SIGINT, SIGTERM or SIGHUP. Permissions are checked up front
 * (cli_permissions.ts), so the missing flags are named at once, never a prompt
 * or a stack trace.
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exit(await main(["8080", "--bind", "127.0.0.1"]));
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { RequestHandlerClass } from "./handlers/base.ts";
import { CGIHTTPRequestHandler } from "./handlers/cgi.ts";
import { parseHeaderArgument } from "./handlers/headers.ts";
import { SimpleHTTPRequestHandler } from "./handlers/simple.ts";
import { exitCleanups } from "./http/exitcleanup.ts";
import { printError } from "./http/logbuffer.ts";
import { type HTTPSServerOptions, ThreadingHTTPSServer } from "./http/tls.ts";
import { type ServerAddress, ThreadingHTTPServer } from "./server.ts";
import {
  commandLine,
  granted,
  missingMessage,
  missingPermissions,
  neededPermissions,
  netHost,
  unstableMessage,
} from "./cli_permissions.ts";
import { WorkerPool } from "./workers.ts";

const PROG = "httpserver";
const SEP = Deno.build.os === "windows" ? "\\" : "/";

// Wrapped as argparse wraps a usage line longer than 78 columns.
const USAGE =
  `usage: ${PROG} [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION]
                  [--gzip] [--cache SECONDS | --no-cache] [--spa]
                  [--no-listing] [--hidden | --no-hidden] [--pretty-listing]
                  [--upload] [--overwrite] [--max-upload BYTES]
                  [--allowed-host NAME] [--tls-cert PATH] [--tls-key PATH]
                  [--tls-password-file PATH] [-H HEADER] [--cors]
                  [--workers N] [--print-permissions]
                  [port]`;

const HELP = `${USAGE}

positional arguments:
  port                  bind to this port (default: 8000)

options:
  -h, --help            show this help message and exit
  --print-permissions   print the deno run command with the narrowest
                        permissions for the other flags given, and exit
  --cgi                 run as CGI server
  -b ADDRESS, --bind ADDRESS
                        bind to this address (default: all interfaces)
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
  --no-listing          answer 404 for folders without an index page
  --hidden, --no-hidden
                        serve and list dotfiles, names that begin with a
                        dot (default: --hidden, as Python)
  --pretty-listing      list folders with sizes, dates and sorting links
  --upload              accept uploads: PUT /path, and a form on listing
                        pages (needs --allow-write=DIRECTORY)
  --overwrite           let uploads replace existing files
  --max-upload BYTES    the most bytes one upload, or chunked CGI request
                        body, stores; K, M, G suffixes (default: 1G)
  --allowed-host NAME   take uploads through this host name too, not only
                        IP addresses and localhost (repeatable)
  --workers N           serve with N threads that share the port, or auto
                        for one per core (default: 1; Linux only, and
                        needs deno run --unstable-net)
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
  /** List folders without an index page; false with `--no-listing`. */
  listing: boolean;
  /** Serve and list dotfiles (default, `--hidden`); false with `--no-hidden`. */
  showHidden: boolean;
  /** The pretty listing page (`--pretty-listing`). */
  prettyListing: boolean;
  /** Accept PUT and form uploads (`--upload`). */
  upload: boolean;
  /** Let uploads replace files (`--overwrite`). */
  overwrite: boolean;
  /**
   * The most bytes one upload, or chunked CGI request body, stores
   * (`--max-upload`); default 1 GiB.
   */
  maxUploadBytes: number;
  /**
   * Host names uploads may come through besides IP addresses and localhost
   * (`--allowed-host`, repeatable).
   */
  allowedHosts: string[];
  /**
   * How many workers serve (`--workers`, `auto` for one per core); default
   * 1, the main thread alone.
   */
  workers: number;
  /** Print the command with the permissions it needs, and exit (`--print-permissions`). */
  printPermissions: boolean;
}

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
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-password-file": { type: "string" },
        header: { type: "string", short: "H", multiple: true },
        cors: { type: "boolean" },
        gzip: { type: "boolean" },
        cache: { type: "string" },
        "no-cache": { type: "boolean" },
        spa: { type: "boolean" },
        "no-listing": { type: "boolean" },
        hidden: { type: "boolean" },
        "no-hidden": { type: "boolean" },
        "pretty-listing": { type: "boolean" },
        upload: { type: "boolean" },
        overwrite: { type: "boolean" },
        "max-upload": { type: "string" },
        "allowed-host": { type: "string", multiple: true },
        workers: { type: "string" },
        "print-permissions": { type: "boolean" },
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
  return {
    port,
    bind: values.bind,
    directory: values.directory ?? ".",
    protocol,
    cgi: values.cgi ?? false,
    ...parseTls(values),
    headers: parseHeaders(values.header ?? [], values.cors ?? false),
    cors: values.cors ?? false,
    gzip: values.gzip ?? false,
    ...parseCaching(values.cache, values["no-cache"] ?? false),
    ...parseServing(values, parsed.tokens),
    workers: parseWorkers(values.workers ?? "1"),
    printPermissions: values["print-permissions"] ?? false,
  };
}

/** The most workers `--workers` takes. */
const MAX_WORKERS = 256;

/** `--workers`: a count, or `auto` for the cores this process may use. */
function parseWorkers(text: string): number {
  if (text === "auto") {
    return Math.min(navigator.hardwareConcurrency, MAX_WORKERS);
  }
  const count = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= MAX_WORKERS)) {
    throw new UsageError(
      `argument --workers: invalid count: '${text}' (use 1 to ${MAX_WORKERS}, or auto for one per core)`,
    );
  }
  return count;
}

/**
 * `--spa`, `--no-listing`, `--hidden`/`--no-hidden` (the last one wins, as
 * argparse's BooleanOptionalAction), `--pretty-listing` (not with
 * `--no-listing`), and `--upload` with `--overwrite` and `--allowed-host`,
 * and `--max-upload` (with `--upload` or `--cgi`).
 */
function parseServing(
  values: {
    cgi?: boolean;
    spa?: boolean;
    "no-listing"?: boolean;
    "pretty-listing"?: boolean;
    upload?: boolean;
    overwrite?: boolean;
    "max-upload"?: string;
    "allowed-host"?: string[];
  },
  tokens: readonly { kind: string; name?: string }[],
): Pick<
  CliOptions,
  | "spa"
  | "listing"
  | "showHidden"
  | "prettyListing"
  | "upload"
  | "overwrite"
  | "maxUploadBytes"
  | "allowedHosts"
> {
  if (values["pretty-listing"] && values["no-listing"]) {
    throw new UsageError(
      "argument --pretty-listing: not allowed with argument --no-listing",
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
  if (allowedHosts.length > 0 && !upload) {
    throw new UsageError("argument --allowed-host: only with --upload");
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
    listing: !values["no-listing"],
    showHidden: hidden?.name !== "no-hidden",
    prettyListing: values["pretty-listing"] ?? false,
    upload,
    overwrite: values.overwrite ?? false,
    maxUploadBytes: parseSize(values["max-upload"] ?? "1G"),
    allowedHosts,
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

/** A runtime failure with a clear message (exit status 1). */
class StartupError extends Error {}

/**
 * Runs the command line: serves until SIGINT, SIGTERM or SIGHUP and resolves
 * to the exit status (0 after a signal, 1 on a runtime error, 2 on a usage error).
 *
 * @param args the arguments, as `Deno.args`
 * @param workerModule what each worker of `--workers` runs (tests give
 * their own)
 */
export async function main(
  args: string[],
  workerModule?: URL,
): Promise<number> {
  let options: CliOptions | null;
  try {
    options = parseCliArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${USAGE}\n${PROG}: error: ${error.message}`);
    return 2;
  }
  if (options === null) {
    console.log(HELP.trimEnd());
    return 0;
  }
  const needs = neededPermissions(options);
  const commandArgs = args.filter((arg) => arg !== "--print-permissions");
  if (options.printPermissions) {
    console.log(commandLine(needs, commandArgs));
    return 0;
  }
  let server: ThreadingHTTPServer;
  let serving: Serving;
  try {
    checkDirectory(options.directory);
    checkWorkers(options.workers);
    const missing = missingPermissions(needs);
    if (missing.some((need) => need.name === "unstable-net")) {
      throw new StartupError(unstableMessage(needs, commandArgs));
    }
    if (missing.length > 0) {
      throw new StartupError(missingMessage(missing, needs, commandArgs));
    }
    const tls = tlsOptions(options);
    server = listen(options, handlerFor(options), tls);
    serving = options.workers > 1
      ? await startWorkers(server, options, tls, workerModule)
      : server;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${USAGE}\n${PROG}: error: ${error.message}`);
      return 2;
    }
    console.error(`${PROG}: error: ${describeStartupError(error, options)}`);
    return 1;
  }
  await serveUntilSignal(
    serving,
    () => printBanner(server, options.workers),
  );
  return 0;
}

/**
 * Python's banner: `Serving HTTP on :: port 8000 (http://[::]:8000/) ...`,
 * with `HTTPS` and `https://` over TLS, and `with 4 workers` before the dots
 * when there are several.
 */
function printBanner(server: ThreadingHTTPServer, workers: number): void {
  const host = server.serverName;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const scheme = server instanceof ThreadingHTTPSServer ? "HTTPS" : "HTTP";
  console.log(
    `Serving ${scheme} on ${host} port ${server.serverPort} (${scheme.toLowerCase()}://${urlHost}:${server.serverPort}/)${
      workers > 1 ? ` with ${workers} workers` : ""
    } ...`,
  );
}

/**
 * `--workers` shares a port with `SO_REUSEPORT`, which only Linux balances:
 * elsewhere the last worker to listen would get every connection.
 */
export function checkWorkers(
  workers: number,
  os: typeof Deno.build.os = Deno.build.os,
): void {
  if (workers <= 1 || os === "linux" || os === "android") return;
  throw new StartupError(
    `--workers needs Linux, which spreads a shared port's connections among the workers (${os} does not): run several instances behind a load balancer instead (README.md, "Scaling out")`,
  );
}

/**
 * Hands the port over to `options.workers` workers: closes the main thread's
 * listener, bound by {@link listen} (which found any error with the address,
 * the port or the TLS files, and which no other program could share: see
 * README.md, "Scaling out"), and starts the workers on the same address.
 */
async function startWorkers(
  server: ThreadingHTTPServer,
  options: CliOptions,
  tls: TlsOptions | undefined,
  module: URL | undefined,
): Promise<WorkerPool> {
  server.serverClose();
  const pool = new WorkerPool(options.workers, {
    options,
    tls,
    hostname: server.serverName,
    port: server.serverPort,
  }, module);
  await pool.start();
  return pool;
}

/**
 * The handler class for the options: files, or files and CGI, at the chosen
 * protocol.
 */
export function handlerFor(options: CliOptions): RequestHandlerClass {
  const Base = options.cgi ? CGIHTTPRequestHandler : SimpleHTTPRequestHandler;
  const { protocol, gzip, cacheMaxAge, noCache } = options;
  const { headers, cors } = options;
  const { spa, listing, showHidden, prettyListing } = options;
  const { upload, overwrite, maxUploadBytes, allowedHosts } = options;
  return class extends Base {
    override protocolVersion = protocol;
    override extraHeaders = headers;
    override cors = cors;
    override precompressed = gzip;
    override gzip = gzip;
    override cacheMaxAge = cacheMaxAge;
    override noCache = noCache;
    override spa = spa;
    override listing = listing;
    override showHidden = showHidden;
    override prettyListing = prettyListing;
    override upload = upload;
    override overwrite = overwrite;
    override maxUploadBytes = maxUploadBytes;
    override allowedHosts = allowedHosts;
  };
}

/**
 * The folder must exist before the banner promises to serve it. Checked only
 * when it may be read: a usage error comes before the missing permissions
 * when it can be known, and without read access the permissions are missing.
 */
function checkDirectory(directory: string): void {
  if (!granted("read", directory)) return;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(directory);
  } catch {
    throw new UsageError(
      `argument -d/--directory: no such directory: '${directory}'`,
    );
  }
  if (!info.isDirectory) {
    throw new UsageError(
      `argument -d/--directory: not a directory: '${directory}'`,
    );
  }
}

/** The server's TLS settings from `--tls-*`; undefined without `--tls-cert`. */
export type TlsOptions = Pick<
  HTTPSServerOptions,
  "certfile" | "keyfile" | "password"
>;

/**
 * Reads the password file as Python does: stripped, and a usage error when it
 * cannot be read. The server reads the certificate and key.
 */
function tlsOptions(options: CliOptions): TlsOptions | undefined {
  const { tlsCert, tlsKey, tlsPasswordFile } = options;
  if (tlsCert === undefined) return undefined;
  let password: string | undefined;
  if (tlsPasswordFile !== undefined) {
    try {
      password = Deno.readTextFileSync(tlsPasswordFile).trim();
    } catch (error) {
      throw new UsageError(
        `Failed to read TLS password file: ${
          (error as Error).message.replace(/ \(os error \d+\).*$/, "")
        }: '${tlsPasswordFile}'`,
      );
    }
  }
  for (const secret of [tlsKey ?? tlsCert, tlsPasswordFile]) {
    if (secret !== undefined && isInside(secret, options.directory)) {
      console.error(
        `${PROG}: warning: '${secret}' is inside the served folder: anyone can download it`,
      );
    }
  }
  return { certfile: tlsCert, keyfile: tlsKey, password };
}

/** Whether `path` lies under `folder`, symlinks resolved; false if either is missing. */
function isInside(path: string, folder: string): boolean {
  try {
    const root = Deno.realPathSync(folder);
    return Deno.realPathSync(path).startsWith(
      root.endsWith(SEP) ? root : root + SEP,
    );
  } catch {
    return false;
  }
}

/**
 * Binds the server. Without `--bind` it listens on all interfaces: IPv6
 * dual-stack `::` when that is possible and permitted, else `0.0.0.0` (the
 * permission check has made sure that one of them is permitted).
 */
function listen(
  options: CliOptions,
  Handler: RequestHandlerClass,
  tls: TlsOptions | undefined,
): ThreadingHTTPServer {
  const candidates = options.bind !== undefined
    ? [options.bind]
    : ["::", "0.0.0.0"];
  const permitted = candidates.filter((host) =>
    granted("net", netHost(host, options.port))
  );
  for (const [i, hostname] of permitted.entries()) {
    try {
      return newServer(options, { hostname, port: options.port }, tls, Handler);
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      // Deno reports a name that does not resolve as a plain Error; the -b
      // argument is what is wrong, as a port that is not a number.
      if (options.bind !== undefined && message.includes("lookup address")) {
        throw new UsageError(
          `argument -b/--bind: cannot listen on '${options.bind}': ${message}`,
        );
      }
      const last = i === permitted.length - 1;
      // No IPv6 on this machine: fall back to IPv4, as Python's CLI does.
      if (last || error instanceof Deno.errors.AddrInUse) throw error;
    }
  }
  throw new StartupError("no address to listen on");
}

/**
 * The command line's server, bound to `address`: HTTPS with `tls`.
 * `allowReusePort` lets the workers of `--workers` share the port.
 */
export function newServer(
  options: CliOptions,
  address: Required<ServerAddress>,
  tls: TlsOptions | undefined,
  Handler: RequestHandlerClass,
  allowReusePort = false,
): ThreadingHTTPServer {
  const serverOptions = { directory: options.directory, allowReusePort };
  return tls === undefined
    ? new ThreadingHTTPServer(address, Handler, serverOptions)
    : new ThreadingHTTPSServer(address, Handler, { ...serverOptions, ...tls });
}

function describeStartupError(error: unknown, options: CliOptions): string {
  const where = options.bind ?? "all interfaces";
  if (error instanceof StartupError) return error.message;
  if (error instanceof Deno.errors.AddrInUse) {
    return `port ${options.port} on ${where} is already in use`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `not permitted to listen on port ${options.port} on ${where} (ports below 1024 need privileges)`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `cannot bind to ${where}: address not available`;
  }
  const message = error instanceof Error ? error.message : String(error);
  // The key is read from the certificate file when no key file is given.
  return options.tlsCert !== undefined && options.tlsKey === undefined &&
      message.startsWith("no PEM private key in ")
    ? `${message}: give the key's file with --tls-key PATH`
    : message;
}

/** What a signal that stops the server does, besides shutting it down. */
interface StopSignal {
  /** The signal. */
  signal: Deno.Signal;
  /** The exit status when a second one exits at once: 128 + its number. */
  status: number;
  /** Printed on stdout when the first one arrives. */
  message?: string;
}

/**
 * The signals that stop the server: the first shuts it down gracefully, a
 * second exits at once. SIGHUP, which tells a daemon to reopen its log
 * file, stops it too: it has no log file. Windows delivers SIGINT alone.
 */
const STOP_SIGNALS: readonly StopSignal[] = [
  {
    signal: "SIGINT",
    status: 130,
    message: "\nKeyboard interrupt received, exiting.",
  },
  ...(Deno.build.os === "windows" ? [] : [
    { signal: "SIGTERM", status: 143 },
    { signal: "SIGHUP", status: 129 },
  ] as const),
];

/** What the command line serves with: a server, or the workers' pool. */
type Serving = Pick<
  ThreadingHTTPServer,
  "serveForever" | "shutdown" | "serverClose"
>;

/**
 * Serves until a signal of {@link STOP_SIGNALS}, then lets in-flight
 * responses finish. A second signal exits at once, once it has removed the
 * uploads' temporary files and killed the CGI scripts still running.
 * `onReady` runs once the signals are handled, so a signal right after the
 * banner is not lost.
 */
async function serveUntilSignal(
  server: Serving,
  onReady: () => void,
): Promise<void> {
  let stopping = false;
  const listeners = STOP_SIGNALS.map(({ signal, status, message }) => {
    const listener = () => {
      if (stopping) {
        exitCleanups.runSync();
        Deno.exit(status);
      }
      stopping = true;
      if (message !== undefined) console.log(message);
      server.shutdown().catch(printError);
    };
    return [signal, listener] as const;
  });
  for (const [signal, listener] of listeners) {
    Deno.addSignalListener(signal, listener);
  }
  onReady();
  try {
    await server.serveForever();
    await server.shutdown();
  } finally {
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    server.serverClose();
  }
}
