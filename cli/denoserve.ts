/**
 * The command line's `--engine serve`: the folder served by `Deno.serve`
 * through the fetch face (`fetch/`), with the command line's settings and
 * Python's defaults (dotfiles and listings on). Over TLS, `Deno.serve`
 * offers HTTP/2 by ALPN as well as HTTP/1.1. Connections are kept alive,
 * as with `-p HTTP/1.1`.
 *
 * @example
 * ```ts ignore
 * import { parseCliArgs } from "./args.ts";
 * import { serveWithDeno } from "./denoserve.ts";
 *
 * const options = parseCliArgs(["0", "--engine", "serve", "-b", "127.0.0.1"])!;
 * const server = serveWithDeno(options, { hostname: "127.0.0.1", port: 0 });
 * console.log(server.serverPort > 0); // true
 * await server.shutdown();
 * ```
 *
 * @module
 */

import {
  createFileHandler,
  type FileServerOptions,
} from "../fetch/serve_dir.ts";
import { loadCertChain } from "../server/tls.ts";
import type { CliOptions } from "./args.ts";
import { accountsOf, type TlsOptions } from "./serve.ts";

/**
 * The fetch face's options for the command line's: Python's defaults, as
 * the CLI gives them, in place of std's.
 */
export function fileServerOptions(
  options: CliOptions,
  shutdownSignal?: AbortSignal,
): FileServerOptions {
  return {
    fsRoot: options.directory,
    showDirListing: options.listing,
    showDotfiles: options.showHidden,
    enableCors: options.cors,
    headers: options.headers.map(([name, value]) => `${name}: ${value}`),
    quiet: options.quiet,
    logFormat: options.logFormat,
    trustedProxies: options.trustedProxies,
    spa: options.spa,
    notFoundPage: options.notFoundPage ?? null,
    cleanUrls: options.cleanUrls,
    liveReload: options.liveReload,
    shutdownSignal,
    precompressed: options.gzip,
    gzip: options.gzip,
    prettyListing: options.prettyListing,
    search: options.search,
    archive: options.archive,
    cacheMaxAge: options.cacheMaxAge,
    noCache: options.noCache,
    upload: options.upload,
    overwrite: options.overwrite,
    trustUploads: options.trustUploads,
    symlinks: options.symlinks,
    maxUploadBytes: options.maxUploadBytes,
    allowedHosts: options.allowedHosts,
    delete: options.delete,
    mkdir: options.mkdir,
    webdav: options.webdav,
    accounts: accountsOf(options),
    access: options.access,
  };
}

/** Where `Deno.serve` listens: a host and port, or a Unix socket's path. */
export type ServeAddress =
  | { hostname: string; port: number }
  | { path: string };

/** A folder served by `Deno.serve`, as the command line runs a server. */
export interface DenoServeServer {
  /** The address bound (`::`, `127.0.0.1`), or the Unix socket's path. */
  readonly serverName: string;
  /** The port bound; 0 on a Unix socket. */
  readonly serverPort: number;
  /** Resolves once the server has shut down. */
  serveForever(): Promise<void>;
  /** Stops accepting, and resolves once the requests in flight have ended. */
  shutdown(): Promise<void>;
  /** Nothing left to close: `shutdown` closed the listener. */
  serverClose(): void;
}

/**
 * Serves the command line's folder with `Deno.serve` on `address`, over TLS
 * with `tls`. Throws what `Deno.serve` throws when it cannot bind (an
 * address in use, not permitted), and an Error naming the file when the
 * certificate or key cannot be used.
 */
export function serveWithDeno(
  options: CliOptions,
  address: ServeAddress,
  tls?: TlsOptions,
): DenoServeServer {
  // Aborted at shutdown: live reload's streams would hold it for ever.
  const stopping = new AbortController();
  const handler = createFileHandler(
    fileServerOptions(options, stopping.signal),
  );
  const onListen = () => {};
  let server: Deno.HttpServer<Deno.Addr>;
  if ("path" in address) {
    server = Deno.serve({ path: address.path, onListen }, handler);
  } else {
    const keyPair = tls === undefined
      ? {}
      : loadCertChain(tls.certfile, tls.keyfile, tls.password);
    server = Deno.serve({ ...address, ...keyPair, onListen }, handler);
  }
  const addr = server.addr;
  return {
    serverName: addr.transport === "unix"
      ? addr.path
      : "hostname" in addr
      ? addr.hostname
      : "",
    serverPort: "port" in addr ? addr.port : 0,
    serveForever: () => server.finished,
    shutdown() {
      stopping.abort();
      return server.shutdown();
    },
    serverClose() {},
  };
}
