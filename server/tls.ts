/**
 * `HTTPSServer` and `ThreadingHTTPSServer`: the servers of `server.ts` over
 * TLS, as Python 3.14's, on `Deno.listenTls`. The certificate chain and key
 * are PEM files, read when the server is constructed; an encrypted key is
 * decrypted in memory with its password.
 *
 * @example
 * ```ts ignore
 * import { SimpleHTTPRequestHandler, ThreadingHTTPSServer } from "../mod.ts";
 *
 * await using server = new ThreadingHTTPSServer(
 *   { port: 8443 },
 *   SimpleHTTPRequestHandler,
 *   { certfile: "cert.pem", keyfile: "key.pem", directory: "." },
 * );
 * await server.serveForever();
 * ```
 *
 * @module
 */

import type { X509Certificate } from "node:crypto";
import type { RequestHandlerClass } from "../handlers/base.ts";
import { closeQuietly } from "./conn.ts";
import { Deadline } from "./deadline.ts";
import {
  HTTPServer,
  type ServerAddress,
  type ServerOptions,
  ThreadingHTTPServer,
} from "../server.ts";

/**
 * Server options plus the TLS settings of Python's `HTTPSServer`
 * (`certfile`, `keyfile`, `password`, `alpn_protocols`).
 *
 * @example
 * ```ts
 * import type { HTTPSServerOptions } from "../mod.ts";
 *
 * const options: HTTPSServerOptions = {
 *   certfile: "/etc/ssl/example/fullchain.pem",
 *   keyfile: "/etc/ssl/example/privkey.pem",
 *   directory: "/srv/www",
 * };
 * console.log(options.keyfile);
 * ```
 */
export interface HTTPSServerOptions extends ServerOptions {
  /**
   * A PEM file with the certificate chain, the server's certificate first
   * (Python's `certfile`). It may hold the private key too.
   */
  certfile: string;
  /** A PEM file with the private key; default: the key in {@link certfile}. */
  keyfile?: string;
  /** The password of an encrypted PEM key; ignored for a key that is not. */
  password?: string;
  /** The protocols offered by ALPN; default `["http/1.1"]`, as Python's. */
  alpnProtocols?: string[];
}

/** The certificate chain and the (decrypted) key, as `Deno.listenTls` takes them. */
export interface CertChain {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, decrypted, PEM (PKCS#8). */
  key: string;
}

/**
 * `node:crypto`, loaded when a TLS server is made: a static import adds 1-3
 * MiB to the memory of every server, TLS or not.
 */
function nodeCrypto(): typeof import("node:crypto") {
  return process.getBuiltinModule("node:crypto");
}

const CERTIFICATE =
  /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;
const PRIVATE_KEY =
  /-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;

/**
 * Reads and checks the PEM files, as Python's `SSLContext.load_cert_chain`:
 * a certificate, a private key (from `keyfile`, else from `certfile`),
 * decrypted with `password` when encrypted, that matches the certificate.
 * Throws an Error naming the file for each failure. `Deno.serve`, which
 * takes the key decrypted, gets it from here too.
 */
export function loadCertChain(
  certfile: string,
  keyfile: string | undefined,
  password: string | undefined,
): CertChain {
  const { createPrivateKey, X509Certificate } = nodeCrypto();
  const cert = readPem(certfile, "certificate");
  const first = cert.match(CERTIFICATE);
  if (first === null) throw new Error(`no PEM certificate in '${certfile}'`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(first[0]);
  } catch (error) {
    throw new Error(`cannot parse the certificate in '${certfile}'`, {
      cause: error,
    });
  }
  const keyPath = keyfile ?? certfile;
  const keyText = keyfile === undefined ? cert : readPem(keyfile, "key");
  const block = keyText.match(PRIVATE_KEY);
  if (block === null) throw new Error(`no PEM private key in '${keyPath}'`);
  const encrypted = block[1] === "ENCRYPTED PRIVATE KEY" ||
    block[0].includes("Proc-Type: 4,ENCRYPTED");
  if (encrypted && password === undefined) {
    throw new Error(
      `the private key in '${keyPath}' is encrypted: its password is needed`,
    );
  }
  let key;
  try {
    key = createPrivateKey({ key: block[0], passphrase: password });
  } catch (error) {
    throw new Error(
      encrypted
        ? `cannot decrypt the private key in '${keyPath}': wrong password?`
        : `cannot parse the private key in '${keyPath}'`,
      { cause: error },
    );
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new Error(
      `the private key in '${keyPath}' does not match the certificate in '${certfile}'`,
    );
  }
  return {
    cert,
    key: key.export({ format: "pem", type: "pkcs8" }) as string,
  };
}

function readPem(path: string, what: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(
      `cannot read the TLS ${what} file '${path}': ${
        (error as Error).message.replace(/ \(os error \d+\).*$/, "")
      }`,
      { cause: error },
    );
  }
}

/** Loads the certificate chain, then listens with TLS. */
function listenTls(
  address: Required<ServerAddress>,
  options: HTTPSServerOptions,
): Deno.TlsListener {
  const { cert, key } = loadCertChain(
    options.certfile,
    options.keyfile,
    options.password,
  );
  return Deno.listenTls({
    ...address,
    reusePort: options.allowReusePort ?? false,
    cert,
    key,
    alpnProtocols: options.alpnProtocols ?? ["http/1.1"],
  });
}

/**
 * Completes the TLS handshake of an accepted connection. False when it fails
 * (a client that does not trust the certificate, speaks plain HTTP, or goes
 * away: Python drops these silently too) or takes longer than the server's
 * `headTimeout` (0: no limit); `shutdown()` ends it at once, as it ends idle
 * connections.
 *
 * Deno keeps the socket of a handshake open until the client sends or goes
 * away, whether or not the connection is closed. So where connections are
 * counted (`holdSlot`), the handshake is awaited to its end, and the
 * connection keeps its place among `maxConnections` as long as it keeps a
 * descriptor; a server of one connection at a time lets it go at
 * `headTimeout` to serve the next.
 */
async function completeHandshake(
  conn: Deno.Conn,
  server: HTTPServer,
  holdSlot: boolean,
): Promise<boolean> {
  if (server.shuttingDown) return false;
  const limit = server.options.headTimeout;
  const started = Date.now();
  const deadline = new Deadline(() => closeQuietly(conn));
  deadline.arm("idle", holdSlot ? 0 : limit);
  server.deadlines.add(deadline);
  try {
    await (conn as Deno.TlsConn).handshake();
    return !deadline.expired && (limit <= 0 || Date.now() - started <= limit);
  } catch {
    return false;
  } finally {
    server.deadlines.delete(deadline);
  }
}

/**
 * An HTTPS server that handles one connection at a time, as Python 3.14's
 * `http.server.HTTPSServer`: {@link HTTPServer} on `Deno.listenTls`. The
 * PEM files are read in the constructor, which throws an Error naming the
 * file when one is missing, unreadable, holds no certificate or key, the key
 * is encrypted and `password` is missing or wrong, or the key does not match
 * the certificate. Each connection's handshake must complete within
 * `headTimeout`; a failed one is closed unanswered, with no log line.
 *
 * @example
 * ```ts ignore
 * import { HTTPSServer, SimpleHTTPRequestHandler } from "../mod.ts";
 *
 * await using server = new HTTPSServer(
 *   { hostname: "127.0.0.1", port: 8443 },
 *   SimpleHTTPRequestHandler,
 *   { certfile: "cert.pem", keyfile: "key.pem", password: "secret" },
 * );
 * await server.serveForever();
 * ```
 */
export class HTTPSServer extends HTTPServer {
  /** The certificate chain file. */
  readonly certfile: string;
  /** The private key file; undefined when the key is in {@link certfile}. */
  readonly keyfile: string | undefined;

  /** Binds and listens with TLS; see the class for what it throws. */
  constructor(
    address: ServerAddress,
    RequestHandlerClass: RequestHandlerClass,
    options: HTTPSServerOptions,
  ) {
    super(address, RequestHandlerClass, options);
    this.certfile = options.certfile;
    this.keyfile = options.keyfile;
  }

  /** Listens with TLS. */
  protected override listen(
    address: Required<ServerAddress>,
    options: HTTPSServerOptions,
  ): Deno.Listener {
    return listenTls(address, options);
  }

  /** Completes the TLS handshake; false when it fails or takes too long. */
  override verifyRequest(request: Deno.Conn): Promise<boolean> {
    return completeHandshake(request, this, false);
  }
}

/**
 * An HTTPS server that handles connections concurrently, as Python 3.14's
 * `ThreadingHTTPSServer`: {@link ThreadingHTTPServer} on `Deno.listenTls`,
 * with the TLS behaviour of {@link HTTPSServer}. It extends
 * `ThreadingHTTPServer`, so it is not an `instanceof HTTPSServer`.
 *
 * @example
 * ```ts ignore
 * import { SimpleHTTPRequestHandler, ThreadingHTTPSServer } from "../mod.ts";
 *
 * await using server = new ThreadingHTTPSServer(
 *   { port: 8443 },
 *   SimpleHTTPRequestHandler,
 *   { certfile: "fullchain.pem", keyfile: "privkey.pem", directory: "public" },
 * );
 * console.log(`https://localhost:${server.serverPort}/`);
 * await server.serveForever();
 * ```
 */
export class ThreadingHTTPSServer extends ThreadingHTTPServer {
  /** The certificate chain file. */
  readonly certfile: string;
  /** The private key file; undefined when the key is in {@link certfile}. */
  readonly keyfile: string | undefined;

  /** Binds and listens with TLS; see {@link HTTPSServer} for what it throws. */
  constructor(
    address: ServerAddress,
    RequestHandlerClass: RequestHandlerClass,
    options: HTTPSServerOptions,
  ) {
    super(address, RequestHandlerClass, options);
    this.certfile = options.certfile;
    this.keyfile = options.keyfile;
  }

  /** Listens with TLS. */
  protected override listen(
    address: Required<ServerAddress>,
    options: HTTPSServerOptions,
  ): Deno.Listener {
    return listenTls(address, options);
  }

  /**
   * Completes the TLS handshake; false when it fails or takes too long. The
   * connection counts among `maxConnections` until the handshake ends, even
   * past `headTimeout`: Deno holds its socket until then.
   */
  override verifyRequest(request: Deno.Conn): Promise<boolean> {
    return completeHandshake(request, this, true);
  }
}
