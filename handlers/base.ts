/**
 * `BaseHTTPRequestHandler`: reads requests off one connection, dispatches each
 * to `do_<METHOD>()`, and gives handlers Python's response and logging API.
 *
 * Longer than the house's 400 lines: it is Python's class, whose API and
 * JSDoc stay whole, and whose private state (the response being built, the
 * access log entry) its public methods share with the connection loop, so
 * both stay in the one class. What is not the class lives beside it: the
 * error page (`http/errorpage.ts`), reading a head and its timeouts
 * (`headwait.ts`), the access log's formats (`http/accesslog.ts`) and the client
 * behind trusted proxies (`http/forwarded.ts`).
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler } from "./base.ts";
 *
 * class Hello extends BaseHTTPRequestHandler {
 *   async do_GET() {
 *     const body = new TextEncoder().encode(`hello ${this.path}\n`);
 *     this.sendResponse(200);
 *     this.sendHeader("Content-Type", "text/plain; charset=utf-8");
 *     this.sendHeader("Content-Length", String(body.length));
 *     this.endHeaders();
 *     await this.wfile.write(body);
 *   }
 * }
 * ```
 *
 * @module
 */

import {
  type AccessLogEntry,
  escapeControl,
  formatAccessLine,
  formatJsonMessage,
  type LogFormat,
} from "../http/accesslog.ts";
import {
  DEFAULT_ERROR_CONTENT_TYPE,
  DEFAULT_ERROR_MESSAGE,
  errorPageBytes,
} from "../http/errorpage.ts";
import { readHead, timeoutOutcome } from "./headwait.ts";
import { RequestBody } from "../http/body.ts";
import { formatHttpDate, formatLogDate } from "../http/date.ts";
import { invalidFieldChar, isToken, reasonPhrase } from "../http/fields.ts";
import { endsAtHead, statusHasContent } from "../http/framing.ts";
import { Deadline, type WaitPhase } from "../server/deadline.ts";
import { HttpError, outOfDescriptors } from "../util/errors.ts";
import { writeLog, writeStderr } from "../util/logbuffer.ts";
import { type RequestHead, RequestParser } from "../http/parser.ts";
import { closeQuietly, isConnectionError } from "../server/conn.ts";
import { BufferedReader } from "../http/reader.ts";
import { STATUS_MESSAGES, type StatusMessages } from "../http/status.ts";
import { BufferedWriter } from "../http/writer.ts";
import { pyFormat, pyRepr } from "../util/pyformat.ts";
import type { HTTPServer } from "../server.ts";
import {
  forwardedClient,
  otherForwardedClient,
  TrustedProxies,
} from "../http/forwarded.ts";

/**
 * The version of this module's handlers, as Python's `http.server.__version__`
 * (the `SimpleHTTP/0.6` of the `Server` header).
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler, VERSION } from "jsr:@x/httpserver";
 *
 * class Mine extends BaseHTTPRequestHandler {
 *   override serverVersion = `MyApp/1.0 httpserver/${VERSION}`;
 * }
 * ```
 */
export const VERSION = "0.6";

/**
 * A handler class as the servers take it: constructed per connection, then
 * `handle()`d.
 *
 * @example
 * ```ts
 * import {
 *   BaseHTTPRequestHandler,
 *   type RequestHandlerClass,
 *   SimpleHTTPRequestHandler,
 *   ThreadingHTTPServer,
 * } from "jsr:@x/httpserver";
 *
 * class Health extends BaseHTTPRequestHandler {
 *   async do_GET() {
 *     this.sendResponse(204);
 *     this.endHeaders();
 *   }
 * }
 * const Handler: RequestHandlerClass = Deno.args.includes("--health")
 *   ? Health
 *   : SimpleHTTPRequestHandler;
 * await using server = new ThreadingHTTPServer({ hostname: "127.0.0.1", port: 0 }, Handler);
 * ```
 */
export type RequestHandlerClass = new (
  request: Deno.Conn,
  clientAddress: Deno.NetAddr,
  server: HTTPServer,
) => BaseHTTPRequestHandler;

/** The largest rest of a body read and dropped to keep a connection alive. */
const DISCARD_LIMIT = 64 * 1024;

/** The longest a closing connection reads what its client still sends. */
const LINGER_MS = 2_000;

/** The most bytes a closing connection reads of what its client still sends. */
const LINGER_BYTES = 64 * 1024 * 1024;

/**
 * Handles the requests of one connection, as Python's
 * `http.server.BaseHTTPRequestHandler`. Subclass it and add `do_GET()`,
 * `do_POST()`, ... (`do_<METHOD>` for any method); they may be async.
 * Configure it with class fields (`protocolVersion = "HTTP/1.1";`).
 *
 * The server constructs one handler per connection and then awaits
 * {@link handle}. Throwing an {@link HttpError} from a `do_` method answers
 * with its status; any other error is logged and answered with 500 when no
 * response was sent yet.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler } from "./base.ts";
 *
 * class Echo extends BaseHTTPRequestHandler {
 *   override protocolVersion = "HTTP/1.1";
 *   async do_POST() {
 *     const body = await this.rfile.read();
 *     this.sendResponse(200);
 *     this.sendHeader("Content-Length", String(body.length));
 *     this.endHeaders();
 *     await this.wfile.write(body);
 *   }
 * }
 * ```
 */
export class BaseHTTPRequestHandler {
  /** The connection (Python's `request` socket). */
  readonly request: Deno.Conn;
  /**
   * The connection's peer address. On a Unix socket it is Deno's
   * `UnixAddr` (`transport: "unix"`, no host): read the client's address
   * from {@link addressString}.
   */
  readonly clientAddress: Deno.NetAddr;
  /** The server this handler belongs to. */
  readonly server: HTTPServer;

  /** Set to true to close the connection after the current request. */
  closeConnection = true;
  /** The request line without its CRLF; "" until one was read. */
  requestline = "";
  /** The request method, e.g. `GET`; "" until known. */
  command = "";
  /** The request target as sent, with its query (a leading `//` reduced to `/`). */
  path = "";
  /** The request's version, e.g. `HTTP/1.1`. */
  requestVersion = "HTTP/0.9";
  /** The request body (Python's `rfile`): `read(n?)`, `readLine()`, `readable`. */
  readonly rfile: RequestBody;
  /** The response stream (Python's `wfile`): `write(data)`, `flush()`. */
  readonly wfile: BufferedWriter;

  /** The server's software name and version for the `Server` header. */
  serverVersion = `BaseHTTP/${VERSION}`;
  /** The runtime's name and version for the `Server` header. */
  sysVersion = `Deno/${Deno.version.deno}`;
  /** The error page template, see {@link DEFAULT_ERROR_MESSAGE}. */
  errorMessageFormat: string = DEFAULT_ERROR_MESSAGE;
  /** The `Content-Type` of error pages. */
  errorContentType: string = DEFAULT_ERROR_CONTENT_TYPE;
  /** The HTTP version this handler speaks; `HTTP/1.1` enables keep-alive. */
  protocolVersion = "HTTP/1.0";
  /** The version assumed for a request that names none (HTTP/0.9). */
  defaultRequestVersion = "HTTP/0.9";
  /** `{ code: [shortMessage, longMessage] }` used by status lines and error pages. */
  responses: Readonly<Record<number, StatusMessages>> = STATUS_MESSAGES;
  /**
   * The access log's format: Python's line (`python`, the default, written
   * by {@link logRequest} when the response starts), or `common`,
   * `combined` or `json`, one line per request written by
   * {@link logAccess} when its response has ended, while the handler's
   * other messages go to stderr (as JSON objects in `json`).
   */
  logFormat: LogFormat = "python";
  /** Log nothing: no request lines and no messages (the CLI's `-q`). */
  quiet = false;
  /**
   * The proxies whose word on the client's address is taken: IP
   * addresses, CIDR ranges (`10.0.0.0/8`) and `unix` for every peer on a
   * Unix socket. From those peers {@link addressString} reads `Forwarded`
   * or, without it, `X-Forwarded-For`; from others it ignores them. An
   * entry that is none of these makes requests fail with a TypeError.
   */
  trustedProxies: readonly string[] = [];

  #reader: BufferedReader;
  #parser: RequestParser;
  #head: RequestHead | null = null;
  #headers: Headers | null = null;
  #readDeadline: Deadline;
  #writeDeadline: Deadline;
  /** The status line and headers of the response being built. */
  #headersBuffer = "";
  /** The current request is HTTP/0.9: no status line, no headers. */
  #http09 = false;
  /** What the response being sent declared, to know if it is delimited. */
  #status = 0;
  #delimited = false;
  /** A deadline fired: the connection is being closed. */
  #timedOut = false;
  /** Reading what a client still sends after the last response: see {@link #linger}. */
  #lingering = false;
  /**
   * Where the current request's final response begins, in `wfile.sent`
   * bytes: after the previous requests' responses and after any interim
   * (1xx) response, which is no part of it (RFC 9110 §15.2).
   */
  #finalStart = 0;
  /** The bytes of the final response's status line and headers. */
  #finalHeadLength = 0;
  /** The status {@link logRequest} took for {@link logAccess}; null: none. */
  #accessStatus: number | string | null = null;
  /**
   * When the request's access log entry counts from, its head read or its
   * refusal: `Date.now()` for the entry's time (0: not yet), and
   * `performance.now()` for its duration.
   */
  #requestTime = 0;
  #requestTick = 0;
  /** {@link addressString} behind trusted proxies, once the headers are known. */
  #forwardedAddress: string | null = null;
  #proxies: TrustedProxies | null = null;

  /**
   * Python's handlers start handling in their constructor; here the server
   * calls {@link handle} after construction, so subclass fields are set first.
   */
  constructor(
    request: Deno.Conn,
    clientAddress: Deno.NetAddr,
    server: HTTPServer,
  ) {
    this.request = request;
    this.clientAddress = clientAddress;
    this.server = server;
    const options = server.options;
    this.#readDeadline = new Deadline((phase) => this.#onTimeout(phase));
    this.#writeDeadline = new Deadline((phase) => this.#onTimeout(phase));
    this.#reader = new BufferedReader(
      request,
      this.#readDeadline,
      options.maxLineLength + 2,
    );
    this.#parser = new RequestParser({
      maxLineLength: options.maxLineLength,
      maxHeaders: options.maxHeaders,
      maxHeadSize: options.maxHeadSize,
    });
    this.wfile = new BufferedWriter(
      request,
      this.#writeDeadline,
      options.writeTimeout,
    );
    // Before the body waits on the network it sends a buffered `100
    // Continue`, which the client may wait for; never a final response's
    // bytes, so that a handler can stream its response from one task while
    // another reads the body (CGI): wfile is not safe for concurrent use.
    this.rfile = new RequestBody(
      this.#reader,
      options.bodyTimeout,
      () => this.#status < 200 ? this.wfile.flush() : Promise.resolve(),
    );
  }

  /** The request's header fields. */
  get headers(): Headers {
    if (this.#headers === null) {
      this.#headers = new Headers();
      const raw = this.#head?.rawHeaders ?? [];
      for (let i = 0; i < raw.length; i += 2) {
        this.#headers.append(raw[i], raw[i + 1]);
      }
    }
    return this.#headers;
  }

  /**
   * One request header's value, as `headers.get(name)` gives it (repeated
   * fields joined with `, `), or null; a name that is not a valid field name
   * is null here where `headers.get` throws. Until {@link headers} is first
   * used it reads the parsed fields directly: building a `Headers` is a
   * noticeable part of a small file's request, and the file handler looks up
   * its validators on every one.
   *
   * @param name the field name, in any case
   */
  header(name: string): string | null {
    if (this.#headers !== null) return this.#headers.get(name);
    const raw = this.#head?.rawHeaders ?? [];
    let value: string | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      if (equalsIgnoringCase(raw[i], name)) {
        value = value === null ? raw[i + 1] : `${value}, ${raw[i + 1]}`;
      }
    }
    return value;
  }

  /**
   * Every value of the request header `name`, in the order received (Python's
   * `headers.get_all(name, [])`), where {@link header} joins them. Once
   * {@link headers} was changed for `name`, its value there, as one.
   *
   * @param name the field name, in any case
   */
  headerValues(name: string): string[] {
    const raw = this.#head?.rawHeaders ?? [];
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      if (equalsIgnoringCase(raw[i], name)) values.push(raw[i + 1]);
    }
    if (this.#headers !== null) {
      const value = this.#headers.get(name);
      if (value !== (values.length === 0 ? null : values.join(", "))) {
        return value === null ? [] : [value];
      }
    }
    return values;
  }

  /**
   * Handles requests until the connection is to be closed: one request, or
   * several with keep-alive.
   */
  async handle(): Promise<void> {
    const watch = this.server.deadlines;
    watch.add(this.#readDeadline);
    watch.add(this.#writeDeadline);
    try {
      this.closeConnection = true;
      await this.handleOneRequest();
      while (!this.closeConnection) await this.handleOneRequest();
      if (!this.rfile.done && !this.#timedOut) await this.#linger();
    } finally {
      watch.delete(this.#readDeadline);
      watch.delete(this.#writeDeadline);
      // The next connection reuses the buffers.
      this.#reader.release();
      this.wfile.release();
    }
  }

  /**
   * Reads one request, dispatches it to `do_<METHOD>()`, and sends the
   * response. Errors become responses here, in one place.
   */
  async handleOneRequest(): Promise<void> {
    this.#resetRequestState();
    try {
      const head = await readHead(this.#reader, this.#parser, this.server);
      if (head === null) {
        this.closeConnection = true;
        return;
      }
      if (!(await this.#acceptHead(head))) return await this.#finishResponse();
      const method = (this as unknown as Record<string, unknown>)[
        "do_" + this.command
      ];
      if (typeof method !== "function") {
        throw new HttpError(
          "unsupported-method",
          `Unsupported method (${pyRepr(this.command)})`,
        );
      }
      await method.call(this);
      await this.#finishResponse();
    } catch (error) {
      await this.#answerError(error);
    } finally {
      if (this.#accessStatus !== null) this.#logAccessEntry(this.#accessStatus);
    }
  }

  /**
   * Decides whether the request may go on, once its head is read: before
   * any `100 Continue` and before it is dispatched. Throw an
   * {@link HttpError} to refuse it. The base lets every request in;
   * `SimpleHTTPRequestHandler` checks its accounts here.
   */
  admit(): void | Promise<void> {}

  /**
   * The user the current request signed in as, which the access log names
   * (not Python's line); null for none. The base has no accounts;
   * `SimpleHTTPRequestHandler` names the user its accounts let in.
   */
  remoteUser(): string | null {
    return null;
  }

  /**
   * Answers `Expect: 100-continue` with `100 Continue` (sent before the body
   * is read). Override it to refuse: send an error and return false.
   */
  handleExpect100(): boolean | Promise<boolean> {
    this.sendResponseOnly(100);
    this.endHeaders();
    return true;
  }

  /**
   * Sends and logs a complete error response: Python's HTML page from
   * {@link errorMessageFormat}, `Content-Length`, `Connection: close`; no body
   * for HEAD, 1xx, 204, 205 and 304. In the status line, what `message` has
   * beyond Latin-1 or of control characters is percent-encoded as UTF-8; the
   * page and the log show it as it is. `headers` are added to the response
   * (an {@link HttpError}'s, such as a 503's `Retry-After`).
   */
  async sendError(
    code: number,
    message?: string,
    explain?: string,
    headers: readonly (readonly [string, string])[] = [],
  ): Promise<void> {
    const [short, long] = this.responses[code] ?? ["???", "???"];
    message ??= short;
    explain ??= long;
    this.logError("code %d, message %s", code, message);
    this.sendResponse(code, reasonPhrase(message));
    this.sendHeader("Connection", "close");
    for (const [name, value] of headers) this.sendHeader(name, value);
    let body: Uint8Array | null = null;
    if (statusHasContent(code)) {
      body = errorPageBytes(this.errorMessageFormat, code, message, explain);
      this.sendHeader("Content-Type", this.errorContentType);
      this.sendHeader("Content-Length", String(body.length));
    }
    this.endHeaders();
    if (this.command !== "HEAD" && body) await this.wfile.write(body);
  }

  /**
   * Starts a response: logs the request, buffers the status line and the
   * `Server` and `Date` headers. Follow it with {@link sendHeader} calls and
   * {@link endHeaders}.
   */
  sendResponse(code: number, message?: string): void {
    this.logRequest(code);
    this.sendResponseOnly(code, message);
    this.sendHeader("Server", this.versionString());
    this.sendHeader("Date", this.dateTimeString());
  }

  /** Buffers a status line only (used for `100 Continue`). */
  sendResponseOnly(code: number, message?: string): void {
    if (this.#http09) return;
    message ??= this.responses[code]?.[0] ?? "";
    assertFieldValue(message);
    this.#status = code;
    this.#delimited = false;
    this.#headersBuffer += `${this.protocolVersion} ${code} ${message}\r\n`;
  }

  /**
   * Buffers a header. `Connection: close` / `keep-alive` also decide whether
   * the connection stays open, as in Python. Throws TypeError on a name that
   * is not a token, and on a value with a control character other than HTAB
   * (CR and LF would split the response) or a character beyond Latin-1
   * (RFC 9110 §5.5).
   */
  sendHeader(keyword: string, value: string): void {
    if (this.#http09) return;
    assertFieldValue(value);
    if (!isToken(keyword)) {
      throw new TypeError(`invalid header name: ${JSON.stringify(keyword)}`);
    }
    this.#headersBuffer += `${keyword}: ${value}\r\n`;
    if (equalsIgnoringCase(keyword, "connection")) {
      if (equalsIgnoringCase(value, "close")) this.closeConnection = true;
      else if (equalsIgnoringCase(value, "keep-alive")) {
        this.closeConnection = false;
      }
    } else if (
      equalsIgnoringCase(keyword, "content-length") ||
      equalsIgnoringCase(keyword, "transfer-encoding")
    ) {
      this.#delimited = true;
    }
  }

  /** Ends the header block and hands it to {@link wfile} (see {@link flushHeaders}). */
  endHeaders(): void {
    if (this.#http09) return;
    this.#headersBuffer += "\r\n";
    this.flushHeaders();
  }

  /**
   * Moves the buffered status line and headers into {@link wfile}'s buffer.
   * They reach the client with the body's first bytes, at
   * `await this.wfile.flush()`, or when the request ends.
   */
  flushHeaders(): void {
    if (this.#headersBuffer === "") return;
    this.wfile.bufferLatin1(this.#headersBuffer);
    if (this.#status < 200) {
      this.#finalStart = this.wfile.sent + this.wfile.buffered;
    } else this.#finalHeadLength += this.#headersBuffer.length;
    this.#headersBuffer = "";
  }

  /**
   * Logs an accepted request: `"GET / HTTP/1.1" 200 -` in Python's format.
   * In the other formats it marks the request for {@link logAccess}, with
   * this status, once its response has ended: a subclass that does not
   * call it leaves the request out of the access log in every format.
   */
  logRequest(code: number | string = "-", size: number | string = "-"): void {
    if (this.logFormat === "python") {
      this.logMessage(
        '"%s" %s %s',
        this.requestline,
        String(code),
        String(size),
      );
      return;
    }
    this.#accessStatus = code;
    // A refused head was never read whole: its time is its answer's.
    if (this.#requestTime === 0) this.#markRequestTime();
  }

  /**
   * Writes one request's line to the access log in {@link logFormat} (not
   * `python`, whose line {@link logRequest} writes), unless {@link quiet}.
   * Override it to send the entries elsewhere.
   */
  logAccess(entry: AccessLogEntry): void {
    if (this.quiet || this.logFormat === "python") return;
    writeLog(formatAccessLine(this.logFormat, entry));
  }

  /** Logs an error; by default the same as {@link logMessage}. */
  logError(format: string, ...args: unknown[]): void {
    this.logMessage(format, ...args);
  }

  /**
   * Writes `format % args` to stderr after the client address and time, with
   * control characters escaped as `\xNN` so a client cannot forge log lines.
   * The lines of one event-loop turn are written together at its end (see
   * `util/logbuffer.ts`). In Python's format they go to the log, wherever
   * it is (a `LogFile`); in the others, whose log holds one line per
   * request, they go to stderr, as `{"time", "client", "message"}` in
   * `json`. Nothing with {@link quiet}.
   */
  logMessage(format: string, ...args: unknown[]): void {
    if (this.quiet) return;
    const message = escapeControl(pyFormat(format, args));
    if (this.logFormat === "json") {
      writeStderr(formatJsonMessage(this.addressString(), message));
      return;
    }
    const line =
      `${this.addressString()} - - [${this.logDateTimeString()}] ${message}\n`;
    if (this.logFormat === "python") writeLog(line);
    else writeStderr(line);
  }

  /** The `Server` header value: `serverVersion sysVersion`. */
  versionString(): string {
    return `${this.serverVersion} ${this.sysVersion}`;
  }

  /** An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) for `ms` since the epoch, or now. */
  dateTimeString(ms?: number): string {
    return formatHttpDate(ms);
  }

  /** The current time for log lines: `25/Nov/2026 03:17:08`. */
  logDateTimeString(): string {
    return formatLogDate();
  }

  /**
   * The client's address, as everything reads it: log lines, CGI's
   * `REMOTE_ADDR`. The peer's IP address, `-` for a peer on a Unix socket;
   * from a peer of {@link trustedProxies}, the client it forwarded for.
   */
  addressString(): string {
    const peer = this.clientAddress.hostname ?? null;
    // Headers name the client only once they are read.
    if (this.trustedProxies.length === 0 || this.#head === null) {
      return peer ?? "-";
    }
    if (this.#forwardedAddress !== null) return this.#forwardedAddress;
    this.#proxies ??= new TrustedProxies(this.trustedProxies);
    this.#forwardedAddress = forwardedClient(
      peer,
      this.#proxies,
      this.header("forwarded"),
      this.header("x-forwarded-for"),
    ) ?? "-";
    return this.#forwardedAddress;
  }

  /**
   * Every address the request may come from: {@link addressString}'s, and
   * another when a trusted proxy sent both `Forwarded` and
   * `X-Forwarded-For` and they name different clients (a proxy writes one
   * and passes the other on as its client sent it). Failed sign-ins count
   * against each.
   */
  clientAddresses(): string[] {
    const client = this.addressString();
    if (this.#proxies === null) return [client];
    const other = otherForwardedClient(
      this.clientAddress.hostname ?? null,
      this.#proxies,
      this.header("forwarded"),
      this.header("x-forwarded-for"),
    );
    return other === null ? [client] : [client, other];
  }

  /** Clears what the previous request on the connection left. */
  #resetRequestState(): void {
    this.command = "";
    this.requestline = "";
    this.requestVersion = this.defaultRequestVersion;
    this.#head = null;
    this.#headers = null;
    this.#http09 = false;
    this.#status = 0;
    this.#headersBuffer = "";
    this.#finalStart = this.wfile.sent;
    this.#finalHeadLength = 0;
    this.#accessStatus = null;
    this.#requestTime = 0;
    this.#forwardedAddress = null;
    this.#parser.reset();
  }

  /** Starts the access log entry's clock (`#requestTime`, `#requestTick`). */
  #markRequestTime(): void {
    this.#requestTime = Date.now();
    this.#requestTick = performance.now();
  }

  /** Hands the access log entry of the request that has ended to {@link logAccess}. */
  #logAccessEntry(status: number | string): void {
    this.#accessStatus = null;
    const head = this.#head;
    // A refused head has its request line as far as it was read.
    const words = head === null ? this.requestline.split(" ") : [];
    this.logAccess({
      time: this.#requestTime,
      client: this.addressString(),
      user: head === null ? null : this.remoteUser(),
      requestLine: this.requestline,
      method: head?.method ?? (words[0] || null),
      target: head?.target ?? words[1] ?? null,
      protocol: head === null ? words[2] ?? null : this.requestVersion,
      status,
      bytes: Math.max(
        0,
        this.wfile.sent - this.#finalStart - this.#finalHeadLength,
      ),
      duration: performance.now() - this.#requestTick,
      userAgent: this.header("user-agent"),
      referrer: this.header("referer"),
    });
  }

  /** Takes the parsed head into the handler's fields; false to stop here. */
  async #acceptHead(head: RequestHead): Promise<boolean> {
    this.#head = head;
    if (this.logFormat !== "python") this.#markRequestTime();
    this.requestline = head.requestLine;
    this.command = head.method;
    // A two-word request names no version: Python takes its default.
    const twoWord = !head.requestLine.endsWith(head.version);
    this.requestVersion = twoWord ? this.defaultRequestVersion : head.version;
    this.path = head.target.startsWith("//")
      ? "/" + head.target.replace(/^\/+/, "")
      : head.target;
    this.#http09 = this.requestVersion === "HTTP/0.9";
    const speaks11 = this.protocolVersion >= "HTTP/1.1";
    this.closeConnection = this.#http09 ||
      !(head.versionMajor === 1 && head.versionMinor >= 1 && speaks11);
    if (head.connectionClose) this.closeConnection = true;
    else if (head.connectionKeepAlive && speaks11) this.closeConnection = false;
    this.rfile.begin(head.contentLength, head.chunked);
    // Most handlers let every request in at once: no promise to wait on.
    const admitted = this.admit();
    if (admitted !== undefined) await admitted;
    if (head.expectContinue && speaks11) return await this.handleExpect100();
    return true;
  }

  /** Sends the response and decides whether the connection can stay open. */
  async #finishResponse(): Promise<void> {
    this.flushHeaders();
    await this.wfile.flush();
    if (this.closeConnection) return;
    // A response without Content-Length or chunked framing ends only when the
    // connection closes (RFC 9112 §6.3).
    if (!this.#delimited && !endsAtHead(this.command, this.#status)) {
      this.closeConnection = true;
    } else if (!this.rfile.done && !(await this.rfile.discard(DISCARD_LIMIT))) {
      this.closeConnection = true;
    }
    if (this.server.shuttingDown) this.closeConnection = true;
  }

  /** The one place where an error becomes a response and a log line. */
  async #answerError(error: unknown): Promise<void> {
    this.closeConnection = true;
    if (this.#timedOut || isConnectionError(error)) {
      if (!this.#timedOut) {
        this.logError("connection lost: %s", (error as Error).message);
      }
      return;
    }
    // Out of descriptors is a passing state, not a bug: a 503, no stack.
    const http = error instanceof HttpError ? error : outOfDescriptors(error);
    if (http === null) {
      this.server.handleError(this.request, this.clientAddress, error);
    }
    // Once part of the final response is on the wire, all we can do is
    // close; after an interim `100 Continue` the final one is still owed.
    if (this.wfile.sent > this.#finalStart) {
      if (http !== null) {
        this.logError(
          "code %d, message %s, after the response began: connection closed",
          http.status,
          http.message,
        );
      }
      return;
    }
    await this.#sendErrorPage(http);
  }

  /**
   * Sends the error page of `http` (500 for null, an error that is not an
   * {@link HttpError}) in place of anything buffered for the response.
   */
  async #sendErrorPage(http: HttpError | null): Promise<void> {
    this.#headersBuffer = "";
    this.wfile.discard();
    this.#finalHeadLength = 0;
    this.#takeParsedLine();
    try {
      await this.sendError(
        http?.status ?? 500,
        http?.reason,
        http?.explain,
        http?.headers,
      );
      await this.wfile.flush();
    } catch (sendFailure) {
      if (!isConnectionError(sendFailure)) throw sendFailure;
    }
  }

  /** For the log of a refused head: the request line and method parsed so far. */
  #takeParsedLine(): void {
    if (!this.requestline) this.requestline = this.#parser.requestLine;
    if (!this.command) this.command = this.#parser.method;
  }

  /**
   * Closes in stages a connection whose last request body was not read (a
   * refused upload, say), as RFC 9112 §9.6 asks: the write side first, then
   * what the client still sends is read and dropped, for at most
   * {@link LINGER_MS} and {@link LINGER_BYTES}. Closed at once, the socket
   * would answer those bytes with a reset, which can reach the client
   * before the response and make it report no response at all.
   */
  async #linger(): Promise<void> {
    this.#lingering = true;
    const end = Date.now() + LINGER_MS;
    try {
      await this.request.closeWrite();
      for (let read = 0; read < LINGER_BYTES;) {
        const left = end - Date.now();
        if (left <= 0 || !(await this.#reader.fill("body", left))) break;
        read += this.#reader.buffered;
        this.#reader.consume(this.#reader.buffered);
      }
    } catch {
      // The client went away, or the time is up: closing is all that is left.
    }
  }

  /** Ends the connection whose wait's deadline passed, as {@link timeoutOutcome} says. */
  #onTimeout(phase: WaitPhase): void {
    this.#timedOut = true;
    if (this.#lingering) {
      closeQuietly(this.request);
      return;
    }
    const outcome = timeoutOutcome(phase);
    if (outcome === "answer-408") {
      // The read that waits for the head cannot be interrupted: answer from
      // here, then close, which ends that read without another answer.
      this.#sendErrorPage(new HttpError("head-timeout")).catch(() => {})
        .finally(() => closeQuietly(this.request));
      return;
    }
    if (outcome === "log-and-close") {
      this.logError("Request timed out (%s)", phase);
    }
    closeQuietly(this.request);
  }
}

/**
 * Refuses a field value or reason phrase with a character a head may not
 * carry (see `invalidFieldChar`): CR and LF would split the response.
 */
function assertFieldValue(value: string): void {
  const at = invalidFieldChar(value);
  if (at === -1) return;
  throw new TypeError(
    value.charCodeAt(at) > 0xff
      ? `header value is not Latin-1: ${JSON.stringify(value)}`
      : `invalid header value: ${JSON.stringify(value)}`,
  );
}

/** Whether `a` and `b` are equal when ASCII letters are folded to lower case. */
function equalsIgnoringCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (foldAscii(a.charCodeAt(i)) !== foldAscii(b.charCodeAt(i))) return false;
  }
  return true;
}

/** A character code with `A`-`Z` folded to `a`-`z`. */
function foldAscii(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
}
