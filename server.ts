/**
 * `HTTPServer` and `ThreadingHTTPServer`: listening sockets (IPv4, IPv6,
 * dual-stack), accepting, one handler per connection, timeouts and graceful
 * shutdown.
 *
 * Past the house's 400 lines: Python's two server classes with their whole
 * documented API (the address types, the options and their defaults); the
 * servers' own pieces live in `server/` (TLS, deadlines, limits, Unix
 * sockets).
 *
 * @example
 * ```ts ignore
 * import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "./mod.ts";
 *
 * class Hello extends BaseHTTPRequestHandler {
 *   async do_GET() {
 *     this.sendResponse(200);
 *     this.sendHeader("Content-Length", "3");
 *     this.endHeaders();
 *     await this.wfile.write("hi\n");
 *   }
 * }
 * await using server = new ThreadingHTTPServer({ port: 8000 }, Hello);
 * await server.serveForever();
 * ```
 *
 * @module
 */

import { DeadlineWatch } from "./server/deadline.ts";
import type { RequestHandlerClass } from "./handlers/base.ts";
import { closeQuietly, isConnectionError } from "./server/conn.ts";
import { defaultMaxConnections, descriptorLimit } from "./server/limits.ts";
import { printError } from "./util/logbuffer.ts";
import { Roster } from "./util/roster.ts";

/** An open connection, and its handling, which settles once it is closed. */
interface Connection {
  conn: Deno.Conn;
  done: Promise<void>;
}

/**
 * Where to listen, Deno style: `{ hostname: "127.0.0.1", port: 0 }` (Python's
 * `server_address` tuple `("127.0.0.1", 0)`).
 *
 * @example
 * ```ts
 * import { HTTPServer, SimpleHTTPRequestHandler, type ServerAddress } from "jsr:@x/httpserver";
 *
 * const address: ServerAddress = { hostname: "::", port: 0 }; // IPv6, any free port
 * await using server = new HTTPServer(address, SimpleHTTPRequestHandler);
 * console.log(server.serverPort > 0); // true
 * ```
 */
export interface ServerAddress {
  /** The address to bind; default `0.0.0.0`. Use `::` for IPv6 (dual-stack on Linux). */
  hostname?: string;
  /** The port; 0 picks a free one (read it back from `serverPort`). Default 8000. */
  port?: number;
}

/**
 * A Unix socket to listen on, as `Deno.listen` takes it: for a reverse
 * proxy on the same machine (nginx, Caddy, HAProxy). Needs
 * `--allow-net=unix:<absolute path>` and `--allow-read` and
 * `--allow-write` for the path. The file must not exist (`AddrInUse`);
 * closing the server removes it. Not with TLS: `HTTPSServer` throws a
 * TypeError.
 *
 * @example
 * ```ts ignore
 * import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";
 *
 * await using server = new ThreadingHTTPServer(
 *   { transport: "unix", path: "/run/httpserver/www.sock" },
 *   SimpleHTTPRequestHandler,
 * );
 * await server.serveForever();
 * ```
 */
export interface UnixServerAddress {
  /** Always `unix`. */
  transport: "unix";
  /** The socket file's path. */
  path: string;
}

/**
 * Limits and settings of a server; every field has a safe default.
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler, ThreadingHTTPServer, type ServerOptions } from "jsr:@x/httpserver";
 *
 * const options: ServerOptions = {
 *   directory: "./public", // what SimpleHTTPRequestHandler serves
 *   idleTimeout: 2_000, // close idle keep-alive connections after 2 s
 *   maxConnections: 256,
 * };
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   SimpleHTTPRequestHandler,
 *   options,
 * );
 * console.log(server.options.headTimeout); // 10000, the default
 * ```
 */
export interface ServerOptions {
  /** The folder `SimpleHTTPRequestHandler` serves; default the current folder. */
  directory?: string;
  /** How long a keep-alive connection may wait for its next request (ms); default 5,000. */
  idleTimeout?: number;
  /**
   * How long a request head may take from its first byte (ms); default
   * 10,000. Then 408. Empty lines before a request line get as long again,
   * then a silent close.
   */
  headTimeout?: number;
  /** How long a request body may stall between two reads (ms); default 30,000. */
  bodyTimeout?: number;
  /** How long a response write may stall (ms); default 30,000. */
  writeTimeout?: number;
  /** Longest request line or header line in bytes; default 65,536 (Python's). */
  maxLineLength?: number;
  /** Most header fields in a request; default 100 (Python's). */
  maxHeaders?: number;
  /**
   * Most bytes of header lines in one request head; default 1 MiB. Python has
   * no such cap (its limits allow 6.5 MB); this one bounds what a connection
   * can make the server hold while a head arrives.
   */
  maxHeadSize?: number;
  /**
   * Most open connections (`ThreadingHTTPServer`), TLS handshakes included.
   * Past it, accepting waits. Default: as many as the open-file limit
   * leaves room for, each with a file open, and at most 1,024 (320 at
   * Linux's usual limit of 1,024; README, Security).
   */
  maxConnections?: number;
  /**
   * How long `shutdown()` lets in-flight requests finish (ms); default 10,000.
   * Then it closes what is left and kills the CGI scripts still running.
   */
  shutdownTimeout?: number;
  /**
   * Python's `allow_reuse_port`: listen with `SO_REUSEPORT`, so that several
   * servers share the port (the workers of `--workers`); Linux spreads the
   * connections among them. Needs Deno's `--unstable-net`. Default false.
   */
  allowReusePort?: boolean;
}

/**
 * Server options with every default filled in: a server's `options`.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler, type ResolvedServerOptions } from "jsr:@x/httpserver";
 *
 * class Slow extends BaseHTTPRequestHandler {
 *   async do_GET() {
 *     const options: ResolvedServerOptions = this.server.options;
 *     this.logMessage("writes may stall for %d ms", options.writeTimeout);
 *     await this.sendError(503);
 *   }
 * }
 * ```
 */
export type ResolvedServerOptions =
  & Required<Omit<ServerOptions, "directory">>
  & {
    directory?: string;
  };

/** The defaults, but `maxConnections`: sized from the open-file limit. */
const DEFAULTS: Omit<ResolvedServerOptions, "maxConnections"> = {
  idleTimeout: 5_000,
  headTimeout: 10_000,
  bodyTimeout: 30_000,
  writeTimeout: 30_000,
  maxLineLength: 65_536,
  maxHeaders: 100,
  maxHeadSize: 1024 * 1024,
  shutdownTimeout: 10_000,
  allowReusePort: false,
};

/**
 * An HTTP server that handles one connection at a time, as Python's
 * `http.server.HTTPServer`. Binds in the constructor (so `serverPort` is known
 * at once); `serveForever()` accepts until `shutdown()`.
 *
 * @example
 * ```ts
 * import { HTTPServer, SimpleHTTPRequestHandler } from "./mod.ts";
 *
 * await using server = new HTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   SimpleHTTPRequestHandler,
 *   { directory: "." },
 * );
 * console.log(server.serverPort > 0); // true
 * ```
 */
export class HTTPServer {
  /** The handler class constructed for each connection. */
  readonly RequestHandlerClass: RequestHandlerClass;
  /** Settings with defaults filled in. */
  readonly options: ResolvedServerOptions;
  /** The listening socket. */
  readonly socket: Deno.Listener;
  /** The bound address: a `Deno.UnixAddr` on a Unix socket. */
  readonly serverAddress: Deno.NetAddr | Deno.UnixAddr;
  /** The bound host name or address; a Unix socket's path. */
  readonly serverName: string;
  /** The bound port (the real one when 0 was asked for); 0 on a Unix socket. */
  readonly serverPort: number;
  /**
   * The deadlines of this server's connections (internal: the handlers'
   * timeouts).
   * @ignore
   */
  readonly deadlines: DeadlineWatch;

  #shuttingDown = false;
  #stopping = new AbortController();
  #connections = new Roster<Connection>();
  #loop: Promise<void> | null = null;

  /**
   * Binds and listens. Throws `Deno.errors.AddrInUse`, `NotCapable` (no
   * `--allow-net`), ... as `Deno.listen` does.
   */
  constructor(
    address: ServerAddress | UnixServerAddress,
    RequestHandlerClass: RequestHandlerClass,
    options: ServerOptions = {},
  ) {
    this.RequestHandlerClass = RequestHandlerClass;
    this.options = {
      ...DEFAULTS,
      maxConnections: defaultMaxConnections(descriptorLimit().soft),
      ...withoutUndefined(options),
    };
    this.socket = this.listen(
      "path" in address ? address : {
        hostname: address.hostname ?? "0.0.0.0",
        port: address.port ?? 8000,
      },
      options,
    );
    const bound = this.socket.addr as Deno.NetAddr | Deno.UnixAddr;
    this.serverAddress = bound;
    this.serverName = "path" in bound ? bound.path ?? "" : bound.hostname;
    this.serverPort = "path" in bound ? 0 : bound.port;
    const shortest = Math.min(
      ...[this.options.idleTimeout, this.options.headTimeout]
        .concat(this.options.bodyTimeout, this.options.writeTimeout)
        .filter((ms) => ms > 0),
    );
    this.deadlines = new DeadlineWatch(
      Math.max(5, Math.min(1_000, Math.floor(shortest / 4) || 1_000)),
    );
  }

  /** True once `shutdown()` was called: no new connections or requests. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Aborted when `shutdown()` is called: a response that lasts until the
   * client leaves (a live-reload event stream) ends then, rather than hold
   * the shutdown for `shutdownTimeout`.
   */
  get shutdownSignal(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Accepts and handles connections until {@link shutdown}. */
  serveForever(): Promise<void> {
    this.#loop ??= this.#acceptLoop().finally(() => {
      this.#loop = null;
    });
    return this.#loop;
  }

  /** Accepts one connection and handles it (all its requests). */
  async handleRequest(): Promise<void> {
    const conn: Deno.Conn = await this.socket.accept();
    await this.processRequest(conn);
  }

  /**
   * Stops accepting, closes idle keep-alive connections, lets in-flight
   * requests finish for up to `shutdownTimeout` ms, then closes what is left
   * and kills the CGI scripts still running.
   */
  async shutdown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#stopping.abort();
      this.#closeListener();
      this.deadlines.expireWaiting("idle");
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.shutdownTimeout);
    });
    await Promise.race([Promise.all(this.#handled()), timeout]);
    clearTimeout(timer);
    // Connections still waiting on their client or a CGI script have had
    // their time: each is timed out with its log line (a script is killed),
    // then whatever is left is closed.
    for (const phase of ["head", "body", "write", "script"] as const) {
      this.deadlines.expireWaiting(phase);
    }
    for (const { conn } of this.#connections) closeQuietly(conn);
    await Promise.all(this.#handled());
    await this.#loop;
  }

  /**
   * Opens the listening socket, from the constructor (Python's `server_bind`
   * and `server_activate`), on an address or a Unix socket. `options` are
   * the constructor's, as given. `HTTPSServer` overrides it to listen with
   * TLS (`Deno.listenTls` refuses a Unix socket with a TypeError).
   */
  protected listen(
    address: Required<ServerAddress> | UnixServerAddress,
    options: ServerOptions,
  ): Deno.Listener {
    // One call each: an overload of Deno.listen takes one kind of address.
    return "path" in address ? Deno.listen(address) : Deno.listen({
      ...address,
      reusePort: options.allowReusePort ?? false,
    });
  }

  /**
   * Whether to handle an accepted connection, as Python's `verify_request`;
   * false closes it unanswered. It runs in the connection's own task (a slow
   * one does not hold up accepting) and may be async: `HTTPSServer` completes
   * the TLS handshake here.
   */
  verifyRequest(
    _request: Deno.Conn,
    _clientAddress: Deno.NetAddr,
  ): boolean | Promise<boolean> {
    return true;
  }

  /** Closes the listening socket and any connection still open. */
  serverClose(): void {
    this.#closeListener();
    for (const { conn } of this.#connections) closeQuietly(conn);
  }

  /**
   * Reports an error a handler did not handle, with its stack, as Python's
   * `handle_error`. Override to log elsewhere.
   */
  handleError(
    _request: Deno.Conn,
    clientAddress: Deno.NetAddr,
    error: unknown,
  ): void {
    const line = "-".repeat(40);
    const detail = error instanceof Error
      ? error.stack ?? String(error)
      : String(error);
    printError(
      `${line}\nException occurred during processing of request from ${
        formatAddress(clientAddress)
      }\n${detail}\n${line}`,
    );
  }

  /**
   * Handles one accepted connection. `HTTPServer` waits for it to finish;
   * `ThreadingHTTPServer` does not.
   */
  async processRequest(conn: Deno.Conn): Promise<void> {
    await this.startConnection(conn);
  }

  /** Handles a connection to its end and closes it; never rejects. */
  protected startConnection(conn: Deno.Conn): Promise<void> {
    const done = this.#serveConnection(conn).finally(() => {
      this.#connections.delete(entry);
    });
    const entry = this.#connections.add({ conn, done });
    return done;
  }

  /** How many connections are open. */
  protected get connectionCount(): number {
    return this.#connections.size;
  }

  /** The handling of every open connection. */
  *#handled(): Iterable<Promise<void>> {
    for (const { done } of this.#connections) yield done;
  }

  /** Shuts down and closes; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
    this.serverClose();
  }

  async #acceptLoop(): Promise<void> {
    const failures = new AcceptFailures();
    while (!this.#shuttingDown) {
      let conn: Deno.Conn;
      try {
        conn = await this.socket.accept();
      } catch (error) {
        if (this.#shuttingDown || error instanceof Deno.errors.BadResource) {
          break;
        }
        // Out of descriptors, the connection stays in the kernel's backlog
        // and the next accept fails alike: retried, not spun on.
        failures.failed((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      await this.processRequest(conn);
    }
    failures.flush();
  }

  async #serveConnection(conn: Deno.Conn): Promise<void> {
    const clientAddress = conn.remoteAddr as Deno.NetAddr;
    try {
      const verified = this.verifyRequest(conn, clientAddress);
      if (verified !== true && !(await verified)) return;
      const handler = new this.RequestHandlerClass(conn, clientAddress, this);
      await handler.handle();
    } catch (error) {
      if (!isConnectionError(error)) {
        this.handleError(conn, clientAddress, error);
      }
    } finally {
      closeQuietly(conn);
    }
  }

  #closeListener(): void {
    closeQuietly(this.socket);
  }
}

/**
 * An HTTP server that handles connections concurrently, as Python's
 * `ThreadingHTTPServer` (with async tasks instead of threads), up to
 * `maxConnections` at once.
 *
 * @example
 * ```ts
 * import { ThreadingHTTPServer, SimpleHTTPRequestHandler } from "./mod.ts";
 *
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   SimpleHTTPRequestHandler,
 * );
 * console.log(server.serverName); // "127.0.0.1"
 * ```
 */
export class ThreadingHTTPServer extends HTTPServer {
  #slotFreed: (() => void) | null = null;
  /** The last connection filled the last slot: the cap is logged once. */
  #full = false;

  /** Starts handling the connection and returns once another may be accepted. */
  override async processRequest(conn: Deno.Conn): Promise<void> {
    this.startConnection(conn).finally(() => {
      this.#slotFreed?.();
      this.#slotFreed = null;
    });
    const max = this.options.maxConnections;
    const full = this.connectionCount >= max;
    if (full && !this.#full) {
      printError(
        `${max} connections open (maxConnections): accepting waits until one closes`,
      );
    }
    this.#full = full;
    while (this.connectionCount >= max) {
      await new Promise<void>((resolve) => this.#slotFreed = resolve);
    }
  }
}

/**
 * The log of failed accepts, which repeat every 100 ms while the process is
 * out of descriptors: the first is logged at once, the ones after it within
 * {@link ACCEPT_LOG_INTERVAL} are counted, and the count is logged once that
 * interval is over (or the server stops), so at most one line per interval.
 */
class AcceptFailures {
  #loggedAt = -Infinity;
  #unlogged = 0;
  #reason = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Logs a failed accept, or counts it. */
  failed(reason: string): void {
    this.#reason = reason;
    const now = Date.now();
    if (now - this.#loggedAt >= ACCEPT_LOG_INTERVAL) {
      printError(`accept failed: ${reason}`);
      this.#loggedAt = now;
      return;
    }
    this.#unlogged++;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(
        () => this.flush(),
        this.#loggedAt + ACCEPT_LOG_INTERVAL - now,
      );
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Logs how many failed accepts were counted, if any. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const n = this.#unlogged;
    if (n === 0) return;
    printError(
      `accept failed ${n} more time${n === 1 ? "" : "s"}: ${this.#reason}`,
    );
    this.#loggedAt = Date.now();
    this.#unlogged = 0;
  }
}

/** The most often a failing accept is logged: once per 10 s. */
const ACCEPT_LOG_INTERVAL = 10_000;

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/**
 * `('127.0.0.1', 8000)`, as Python prints a client address; `-` for a peer
 * on a Unix socket.
 */
function formatAddress(address: Deno.NetAddr): string {
  return address.hostname === undefined
    ? "-"
    : `('${address.hostname}', ${address.port})`;
}
