/**
 * The command line of `python -m http.server`: `[port] -b/--bind ADDRESS
 * -d/--directory DIR -p/--protocol VERSION --cgi`. It turns arguments into a
 * `ThreadingHTTPServer`, prints the banner, and shuts down gracefully on
 * SIGINT, SIGTERM or SIGHUP (which reopens the log file instead, with
 * `--log-file`). Permissions are checked up front
 * (cli/permissions.ts), so the missing flags are named at once, never a prompt
 * or a stack trace.
 *
 * Past the house's 400 lines: these are the command line's effects in the
 * order they happen (checks, binding, the banner, serving until a signal),
 * read best top to bottom in one place; parsing, the permission table and
 * the server the options describe are the modules of `cli/`.
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exit(await main(["8080", "--bind", "127.0.0.1"]));
 * ```
 *
 * @module
 */

import type { LogFormat } from "./http/accesslog.ts";
import {
  type CliOptions,
  HELP,
  parseCliArgs,
  PROG,
  USAGE,
  UsageError,
} from "./cli/args.ts";
import {
  defaultMaxConnections,
  descriptorLimit,
  FULL_DESCRIPTOR_LIMIT,
} from "./server/limits.ts";
import { exitCleanups } from "./util/exitcleanup.ts";
import { CLIENT_PATH } from "./files/live/client.ts";
import { LiveReload } from "./files/live/reload.ts";
import { printError } from "./util/logbuffer.ts";
import { LogFile } from "./util/logfile.ts";
import { WINDOWS } from "./util/platform.ts";
import { removeStaleSocket } from "./server/unixsocket.ts";
import { ThreadingHTTPSServer } from "./server/tls.ts";
import { type ServerAddress, ThreadingHTTPServer } from "./server.ts";
import {
  accountsOf,
  handlerFor,
  newServer,
  type TlsOptions,
} from "./cli/serve.ts";
import {
  type Accounts,
  AccountsError,
  SOUND_BCRYPT_COST,
} from "./files/accounts/htpasswd.ts";
import { parseAccessRules } from "./files/accounts/rules.ts";
import {
  commandLine,
  granted,
  missingMessage,
  missingPermissions,
  neededPermissions,
  netHost,
  unstableMessage,
} from "./cli/permissions.ts";
import { WorkerPool } from "./cli/workers.ts";
import { isBelow } from "./files/sandbox.ts";
import { exists } from "./files/upload/uploadfile.ts";
import { type DenoServeServer, serveWithDeno } from "./cli/denoserve.ts";

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
  let server: ThreadingHTTPServer | DenoServeServer;
  let log: LogFile | undefined;
  let serving: Serving;
  let accounts: Accounts | null;
  try {
    checkDirectory(options.directory);
    checkNotFoundPage(options.notFoundPage);
    checkWorkers(options.workers);
    const missing = missingPermissions(needs);
    if (missing.some((need) => need.name === "unstable-net")) {
      throw new StartupError(unstableMessage(needs, commandArgs));
    }
    if (missing.length > 0) {
      throw new StartupError(missingMessage(missing, needs, commandArgs));
    }
    accounts = accountsOf(options);
    if (options.socketPath !== undefined) {
      await removeStaleSocket(options.socketPath);
    }
    log = openLogFile(options.logFile);
    const tls = tlsOptions(options);
    if (options.engine === "serve") {
      server = serving = listen(
        options,
        (address) => serveWithDeno(options, address, tls),
        (path) => serveWithDeno(options, { path }),
      );
    } else {
      const Handler = handlerFor(options);
      const python = listen(
        options,
        (address) => newServer(options, address, tls, Handler),
        (path) =>
          new ThreadingHTTPServer({ transport: "unix", path }, Handler, {
            directory: options.directory,
          }),
      );
      server = python;
      serving = options.workers > 1
        ? await startWorkers(python, options, tls, workerModule)
        : python;
    }
  } catch (error) {
    log?.close();
    if (error instanceof UsageError) {
      console.error(`${USAGE}\n${PROG}: error: ${error.message}`);
      return 2;
    }
    // The file names the fault: its line is what the user needs.
    if (error instanceof AccountsError) {
      console.error(`${PROG}: error: ${error.message}`);
      return 2;
    }
    console.error(`${PROG}: error: ${describeStartupError(error, options)}`);
    return 1;
  }
  try {
    await serveUntilSignal(
      serving,
      () => printBanner(server, options, accounts),
      log,
    );
  } finally {
    log?.close();
  }
  return 0;
}

/** The `--log-file`, opened; a startup error when it cannot be. */
function openLogFile(path: string | undefined): LogFile | undefined {
  if (path === undefined) return undefined;
  try {
    return new LogFile(path);
  } catch (error) {
    throw new StartupError(
      `cannot open the log file '${path}': ${osMessage(error)}`,
    );
  }
}

/** An error's message without Deno's `(os error N)` and what follows. */
function osMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error))
    .replace(/ \(os error \d+\).*$/, "");
}

/**
 * Python's banner: `Serving HTTP on :: port 8000 (http://[::]:8000/) ...`,
 * with `HTTPS` and `https://` over TLS, and `with 4 workers` before the dots
 * when there are several; on a Unix socket, its path and how to reach it.
 * Then, for our own server, the open-file limit, when it holds connections
 * below their most or could not be read, and a line for each mode that is
 * not Python's.
 */
function printBanner(
  server: ThreadingHTTPServer | DenoServeServer,
  options: CliOptions,
  accounts: Accounts | null,
): void {
  const { workers } = options;
  const host = server.serverName;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const scheme = server instanceof ThreadingHTTPSServer ||
      (options.engine === "serve" && options.tlsCert !== undefined)
    ? "HTTPS"
    : "HTTP";
  console.log(
    options.socketPath !== undefined
      ? `Serving HTTP on unix:${host} (curl --unix-socket ${host} http://localhost/) ...`
      : `Serving ${scheme} on ${host} port ${server.serverPort} (${scheme.toLowerCase()}://${urlHost}:${server.serverPort}/)${
        workers > 1 ? ` with ${workers} workers` : ""
      } ...`,
  );
  const modes = [
    ...modeLines(options),
    ...accountLines(options, accounts, scheme === "HTTPS", host),
    ...openChangeLines(options, host),
  ];
  if (!(server instanceof ThreadingHTTPServer)) {
    // Deno.serve has no cap on connections: the limit holds nothing back.
    for (const line of modes) console.log(line);
    return;
  }
  const { soft, assumed } = descriptorLimit();
  const most = `at most ${server.options.maxConnections} connections at once`;
  if (assumed !== null) {
    console.log(`Open-file limit taken to be ${soft} (${assumed}): ${most}`);
  } else if (soft < FULL_DESCRIPTOR_LIMIT) {
    console.log(
      `Open-file limit ${soft}: ${most} (raise it to ${FULL_DESCRIPTOR_LIMIT} with ulimit -n for ${
        defaultMaxConnections(FULL_DESCRIPTOR_LIMIT)
      })`,
    );
  }
  for (const line of modes) console.log(line);
}

/**
 * The banner's lines for accounts: how many users and rules, whether some
 * paths are left to the users alone (none when a rule governs `/`, which
 * may let anyone in), and warnings for `$apr1$` hashes and cheap bcrypt
 * ones, for rules of paths the folder does not hold, for passwords sent
 * readable over plain HTTP to an address that is not loopback; and a line
 * for an auth file inside the served folder, which no one may read there.
 */
function accountLines(
  options: CliOptions,
  accounts: Accounts | null,
  tls: boolean,
  host: string,
): string[] {
  const { authFile, access } = options;
  if (accounts === null || authFile === undefined) return [];
  const rules = parseAccessRules(access).rules;
  const reach = rules.length === 0
    ? "no access rules: every path needs a user"
    : rules.some((rule) => rule.path === "/")
    ? `${rules.length} access rules, which govern every path`
    : `${rules.length} access rules; the paths they do not govern need a user`;
  const lines = [
    `Accounts: ${accounts.users.length} users from ${authFile}, ${reach}`,
  ];
  const weak = accounts.weakUsers;
  if (weak.length > 0) {
    lines.push(
      `Warning: $apr1$ (MD5) hashes, quick to guess from a stolen file, for ${
        weak.join(", ")
      }: make them again with htpasswd -B (bcrypt)`,
    );
  }
  const cheap = accounts.cheapUsers;
  if (cheap.length > 0) {
    lines.push(
      `Warning: bcrypt hashes of cost below ${SOUND_BCRYPT_COST}, cheap to guess from a stolen file, for ${
        cheap.join(", ")
      }: make them again with htpasswd -B -C ${SOUND_BCRYPT_COST}`,
    );
  }
  if (!tls && options.socketPath === undefined && !isLoopback(host)) {
    lines.push(
      `Warning: passwords cross the network readable over plain HTTP on ${host}: serve HTTPS (--tls-cert) or bind to 127.0.0.1`,
    );
  }
  const missing = rules.filter((rule) =>
    !exists(options.directory + rule.path)
  );
  if (missing.length > 0) {
    lines.push(
      `Warning: --access names what the served folder does not hold: ${
        missing.map((rule) => rule.path).join(", ")
      } (a typo?)`,
    );
  }
  if (isInside(authFile, options.directory)) {
    lines.push(
      `The auth file '${authFile}' is inside the served folder: no one may read or change it there`,
    );
  }
  return lines;
}

/**
 * A warning when the folder may be changed by anyone who can reach a
 * network address: uploads, deletes or new folders without `--auth-file`,
 * on an address that is not loopback.
 */
function openChangeLines(options: CliOptions, host: string): string[] {
  const flags = (["upload", "delete", "mkdir"] as const)
    .filter((flag) => options[flag])
    .map((flag) => `--${flag}`);
  if (
    flags.length === 0 || options.authFile !== undefined ||
    options.socketPath !== undefined || isLoopback(host)
  ) {
    return [];
  }
  const where = host === "::" || host === "0.0.0.0" ? "this machine" : host;
  return [
    `Warning: anyone who can reach ${where} may change the folder (${
      flags.join(" ")
    }): make them sign in with --auth-file, or bind to 127.0.0.1`,
  ];
}

/** Whether a bound address is loopback only: 127.0.0.0/8, ::1, localhost. */
function isLoopback(host: string): boolean {
  return /^127\.|^::1$|^::ffff:127\.|^localhost$/i.test(host);
}

const FORMAT_NAMES: Record<LogFormat, string> = {
  python: "Python's format",
  common: "Common Log Format",
  combined: "Combined Log Format",
  json: "JSON lines",
};

/**
 * The banner's lines for the logging, proxy and live-reload modes, when not
 * the defaults. Live reload's says whether the folder can be watched.
 */
function modeLines(options: CliOptions): string[] {
  const lines: string[] = [];
  const { quiet, logFormat, logFile, trustedProxies } = options;
  if (options.engine === "serve") {
    lines.push(
      `Engine: Deno.serve (--engine serve), keep-alive${
        options.tlsCert !== undefined ? ", HTTP/2 and HTTP/1.1" : ""
      }`,
    );
  }
  if (quiet) lines.push("Logging nothing (--quiet)");
  else if (logFile !== undefined) {
    lines.push(
      `Access log: ${
        FORMAT_NAMES[logFormat]
      }, appended to ${logFile} (SIGHUP reopens it)`,
    );
  } else if (logFormat !== "python") {
    lines.push(`Access log: ${FORMAT_NAMES[logFormat]}, on stderr`);
  }
  if (trustedProxies.length > 0) {
    lines.push(
      `Client addresses from Forwarded or X-Forwarded-For of trusted proxies: ${
        trustedProxies.join(", ")
      }`,
    );
  }
  if (options.liveReload) {
    const { directory } = options;
    const failure = LiveReload.of(directory).probe(() => {});
    lines.push(
      failure === null
        ? `Live reload: pages reload when a file in '${directory}' changes (their script: ${CLIENT_PATH})`
        : `Live reload off: cannot watch '${directory}' (${failure}): serving without it`,
    );
  }
  return lines;
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

/** The `--404` page must be a file, checked as the folder is. */
function checkNotFoundPage(path: string | undefined): void {
  if (path === undefined || !granted("read", path)) return;
  let info: Deno.FileInfo | null = null;
  try {
    info = Deno.statSync(path);
  } catch {
    // Said below.
  }
  if (!info?.isFile) {
    throw new UsageError(`argument --404: no such file: '${path}'`);
  }
}

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
          osMessage(error)
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
    return isBelow(Deno.realPathSync(path), root);
  } catch {
    return false;
  }
}

/**
 * Binds the server, with `bind` for an address, or `bindUnix` for the Unix
 * socket of `--bind unix:PATH`. Without `--bind` it listens on all
 * interfaces: IPv6 dual-stack `::` when that is possible and permitted, else
 * `0.0.0.0` (the permission check has made sure that one of them is
 * permitted).
 */
function listen<T>(
  options: CliOptions,
  bind: (address: Required<ServerAddress>) => T,
  bindUnix: (path: string) => T,
): T {
  if (options.socketPath !== undefined) return bindUnix(options.socketPath);
  const candidates = options.bind !== undefined
    ? [options.bind]
    : ["::", "0.0.0.0"];
  const permitted = candidates.filter((host) =>
    granted("net", netHost(host, options.port))
  );
  for (const [i, hostname] of permitted.entries()) {
    try {
      return bind({ hostname, port: options.port });
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

function describeStartupError(error: unknown, options: CliOptions): string {
  const where = options.bind ?? "all interfaces";
  if (error instanceof StartupError) return error.message;
  if (options.socketPath !== undefined) {
    return error instanceof Deno.errors.AddrInUse
      ? `the Unix socket '${options.socketPath}' is in use by another server`
      : `cannot listen on the Unix socket '${options.socketPath}': ${
        osMessage(error)
      }`;
  }
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
 * file, does that with `--log-file`, and stops it too without one.
 * Windows delivers SIGINT alone.
 */
const STOP_SIGNALS: readonly StopSignal[] = [
  {
    signal: "SIGINT",
    status: 130,
    message: "\nKeyboard interrupt received, exiting.",
  },
  ...(WINDOWS ? [] : [
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
 * banner is not lost. With a `log` file, SIGHUP reopens it.
 */
async function serveUntilSignal(
  server: Serving,
  onReady: () => void,
  log?: LogFile,
): Promise<void> {
  let stopping = false;
  const stops = log === undefined
    ? STOP_SIGNALS
    : STOP_SIGNALS.filter(({ signal }) => signal !== "SIGHUP");
  const listeners = stops.map(({ signal, status, message }) => {
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
  if (log !== undefined && !WINDOWS) {
    listeners.push(["SIGHUP", () => {
      reopen(log);
      if (server instanceof WorkerPool) server.reopenLogs();
    }]);
  }
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

/** Reopens the log file; when that fails, says why and logs on to the old one. */
function reopen(log: LogFile): void {
  try {
    log.reopen();
  } catch (error) {
    printError(
      `${PROG}: error: cannot reopen the log file '${log.path}': ${
        osMessage(error)
      }`,
    );
  }
}
