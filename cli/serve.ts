/**
 * The server the command line's options describe: the handler class with
 * their settings, and the server bound with them. The command line and each
 * worker of `--workers` make theirs here.
 *
 * @module
 */

import type { RequestHandlerClass } from "../handlers/base.ts";
import { CGIHTTPRequestHandler } from "../handlers/cgi/cgi.ts";
import { SimpleHTTPRequestHandler } from "../handlers/simple.ts";
import { type ServerAddress, ThreadingHTTPServer } from "../server.ts";
import {
  type HTTPSServerOptions,
  ThreadingHTTPSServer,
} from "../server/tls.ts";
import { defaultMaxConnections, descriptorLimit } from "../server/limits.ts";
import type { CliOptions } from "./args.ts";
import { checkRuleUsers } from "../files/accounts/gate.ts";
import { type Accounts, loadAccounts } from "../files/accounts/htpasswd.ts";
import { parseAccessRules } from "../files/accounts/rules.ts";

/** The server's TLS settings from `--tls-*`; undefined without `--tls-cert`. */
export type TlsOptions = Pick<
  HTTPSServerOptions,
  "certfile" | "keyfile" | "password"
>;

/**
 * The handler class for the options: files, or files and CGI, at the chosen
 * protocol.
 */
export function handlerFor(options: CliOptions): RequestHandlerClass {
  const Base = options.cgi ? CGIHTTPRequestHandler : SimpleHTTPRequestHandler;
  const { protocol, gzip, cacheMaxAge, noCache } = options;
  const { headers, cors } = options;
  const { spa, listing, showHidden, prettyListing, search } = options;
  const { archive } = options;
  const { cleanUrls, liveReload } = options;
  const notFoundPage = options.notFoundPage ?? null;
  const { upload, overwrite, maxUploadBytes, allowedHosts } = options;
  const { trustUploads, symlinks } = options;
  const { delete: deletes, mkdir, webdav } = options;
  const { logFormat, quiet, trustedProxies } = options;
  const accounts = accountsOf(options);
  const accessRules = options.access;
  return class extends Base {
    override protocolVersion = protocol;
    override extraHeaders = headers;
    override cors = cors;
    override precompressed = gzip;
    override gzip = gzip;
    override cacheMaxAge = cacheMaxAge;
    override noCache = noCache;
    override spa = spa;
    override notFoundPage = notFoundPage;
    override cleanUrls = cleanUrls;
    override liveReload = liveReload;
    override listing = listing;
    override showHidden = showHidden;
    override prettyListing = prettyListing;
    override search = search;
    override archive = archive;
    override upload = upload;
    override overwrite = overwrite;
    override trustUploads = trustUploads;
    override symlinks = symlinks;
    override maxUploadBytes = maxUploadBytes;
    override allowedHosts = allowedHosts;
    override delete = deletes;
    override mkdir = mkdir;
    override webdav = webdav;
    override logFormat = logFormat;
    override quiet = quiet;
    override trustedProxies = trustedProxies;
    override accounts = accounts;
    override accessRules = accessRules;
  };
}

/**
 * The accounts of `--auth-file`, read, with the users `--access` names
 * checked against them; null without it.
 *
 * @throws {AccountsError} naming the file (and line) or the rule's user
 */
export function accountsOf(options: CliOptions): Accounts | null {
  if (options.authFile === undefined) return null;
  const accounts = loadAccounts(options.authFile);
  checkRuleUsers(accounts, parseAccessRules(options.access));
  return accounts;
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
  // The open-file limit is the process's: workers share it.
  const maxConnections = Math.max(
    1,
    Math.floor(defaultMaxConnections(descriptorLimit().soft) / options.workers),
  );
  const serverOptions = {
    directory: options.directory,
    allowReusePort,
    maxConnections,
  };
  return tls === undefined
    ? new ThreadingHTTPServer(address, Handler, serverOptions)
    : new ThreadingHTTPSServer(address, Handler, { ...serverOptions, ...tls });
}
