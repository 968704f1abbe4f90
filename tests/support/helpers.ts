/**
 * Test helpers: start a server on 127.0.0.1 port 0, and talk to it with raw
 * bytes where `fetch` would normalise the request.
 *
 * @module
 */

import {
  type HTTPServer,
  type RequestHandlerClass,
  type ServerOptions,
  SimpleHTTPRequestHandler,
  ThreadingHTTPServer,
} from "../../mod.ts";
import { pyFormat } from "../../util/pyformat.ts";
import { flushLog } from "../../util/logbuffer.ts";

const decoder = new TextDecoder();

/** Python's handler with no access log, for tests that do not read it. */
export class Quiet extends SimpleHTTPRequestHandler {
  override logMessage(): void {}
}

/** A running server for one test; `await using` shuts it down. */
export interface RunningServer extends AsyncDisposable {
  server: HTTPServer;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
}

/** Starts `Handler` on 127.0.0.1 port 0 and serves until disposed. */
export function serve(
  Handler: RequestHandlerClass,
  options: ServerOptions = {},
  Server: new (
    address: { hostname: string; port: number },
    Handler: RequestHandlerClass,
    options: ServerOptions,
  ) => HTTPServer = ThreadingHTTPServer,
): RunningServer {
  const server = new Server(
    { hostname: "127.0.0.1", port: 0 },
    Handler,
    options,
  );
  const loop = server.serveForever();
  return {
    server,
    port: server.serverPort,
    url: `http://127.0.0.1:${server.serverPort}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      server.serverClose();
      await loop;
    },
  };
}

/** A temporary folder; `await using` removes it. */
export interface TempFolder extends AsyncDisposable {
  /** Its real path. */
  root: string;
}

/**
 * Makes a temporary folder holding `files`: each a path inside it (its
 * folders made as needed) and its content, modified at `mtime` (seconds
 * since the epoch) when that is given.
 */
export async function tempFolder(
  prefix: string,
  files: Record<string, string | Uint8Array> = {},
  mtime?: number,
): Promise<TempFolder> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  for (const [name, content] of Object.entries(files)) {
    const path = `${root}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
    if (mtime !== undefined) await Deno.utime(path, mtime, mtime);
  }
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** A raw TCP client that sends bytes and reads responses off the wire. */
export class RawClient implements Disposable {
  #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Connects to the Unix socket at `path`. */
  static async connectUnix(path: string): Promise<RawClient> {
    return new RawClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Sends a string (as Latin-1 bytes) or bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? latin1(data) : data;
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.#conn.write(bytes.subarray(offset));
    }
  }

  /** Reads everything until the server closes the connection. */
  async readAll(): Promise<string> {
    while (await this.#more());
    const text = latin1Decode(this.#buf);
    this.#buf = new Uint8Array(0);
    return text;
  }

  /** True when the server closed the connection (reads until it does). */
  async closed(): Promise<boolean> {
    while (await this.#more());
    return this.#buf.length === 0;
  }

  /**
   * Reads one response: head, then a body framed by Content-Length, chunked,
   * or (without either) up to the close. Pass `bodyless` for HEAD, 1xx, 204
   * and 304.
   */
  async readResponse(bodyless = false): Promise<RawResponse> {
    let headEnd: number;
    while ((headEnd = indexOf(this.#buf, "\r\n\r\n")) < 0) {
      if (!(await this.#more())) {
        throw new Error(
          `connection closed mid-head: ${latin1Decode(this.#buf)}`,
        );
      }
    }
    const head = latin1Decode(this.#buf.subarray(0, headEnd));
    this.#buf = this.#buf.subarray(headEnd + 4);
    const [statusLine, ...lines] = head.split("\r\n");
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    const status = Number(statusLine.split(" ")[1]);
    let body: Uint8Array = new Uint8Array(0);
    if (!bodyless && status >= 200 && status !== 204 && status !== 304) {
      const length = headers.get("content-length");
      if (length !== null) body = await this.#take(Number(length));
      else if (headers.get("transfer-encoding") === "chunked") {
        body = await this.#readChunked();
      } else {
        while (await this.#more());
        body = this.#buf;
        this.#buf = new Uint8Array(0);
      }
    }
    return {
      statusLine,
      status,
      headers,
      head,
      body,
      text: decoder.decode(body),
    };
  }

  /**
   * Reads until what came so far matches `pattern` (a response still being
   * streamed), and returns the match; the bytes stay to be read.
   */
  async readUntil(pattern: RegExp): Promise<RegExpMatchArray> {
    for (;;) {
      const match = latin1Decode(this.#buf).match(pattern);
      if (match) return match;
      if (!(await this.#more())) {
        throw new Error(`connection closed before ${pattern}`);
      }
    }
  }

  /** Closes the sending side: the server reads end of stream. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #take(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!(await this.#more())) throw new Error("connection closed mid-body");
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  async #readChunked(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      let lineEnd: number;
      while ((lineEnd = indexOf(this.#buf, "\r\n")) < 0) {
        if (!(await this.#more())) {
          throw new Error("connection closed mid-chunk");
        }
      }
      const size = parseInt(latin1Decode(this.#buf.subarray(0, lineEnd)), 16);
      this.#buf = this.#buf.subarray(lineEnd + 2);
      if (size === 0) {
        await this.#take(2);
        break;
      }
      parts.push(await this.#take(size));
      await this.#take(2);
    }
    return concat(parts);
  }

  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(65536);
    let n: number | null;
    try {
      n = await this.#conn.read(chunk);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) n = null;
      else throw error;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const grown = new Uint8Array(this.#buf.length + n);
    grown.set(this.#buf);
    grown.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = grown;
    return true;
  }
}

/** A response as read off the wire by {@link RawClient}. */
export interface RawResponse {
  statusLine: string;
  status: number;
  headers: Headers;
  /** The status line and headers as sent, without the final CRLFCRLF. */
  head: string;
  body: Uint8Array;
  /** The body decoded as UTF-8. */
  text: string;
}

/** Sends `request` on a fresh connection and reads until the server closes it. */
export async function exchange(
  port: number,
  request: string | Uint8Array,
): Promise<string> {
  using client = await RawClient.connect(port);
  await client.send(request);
  return await client.readAll();
}

/** The bytes of `parts`, one after another, in a new array. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Encodes a string's char codes as bytes (Latin-1). */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function latin1Decode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

function indexOf(haystack: Uint8Array, needle: string): number {
  const first = needle.charCodeAt(0);
  for (
    let i = haystack.indexOf(first);
    i >= 0;
    i = haystack.indexOf(first, i + 1)
  ) {
    if (i + needle.length > haystack.length) return -1;
    let match = true;
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle.charCodeAt(j)) {
        match = false;
        break;
      }
    }
    if (match) return i;
  }
  return -1;
}

/**
 * One log line as the handlers write it, without its LF: the client address,
 * the date, and a message with no control character (C0, DEL or C1) left.
 */
export const LOG_LINE =
  // deno-lint-ignore no-control-regex
  /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\] ([^\x00-\x1f\x7f-\x9f]+)$/;

/**
 * Runs `fn` with `Deno.stderr.writeSync` captured, then writes the log lines
 * still waiting; resolves to each write's bytes as a string of one character
 * per byte (so that a split UTF-8 sequence shows). `limit` caps how many
 * bytes one write takes.
 */
export async function recordStderr(
  fn: (writes: string[]) => void | Promise<void>,
  limit = Infinity,
): Promise<string[]> {
  const writes: string[] = [];
  const writeSync = Deno.stderr.writeSync;
  Deno.stderr.writeSync = (p: Uint8Array) => {
    const n = Math.min(p.length, limit);
    writes.push(String.fromCharCode(...p.subarray(0, n)));
    return n;
  };
  try {
    await fn(writes);
  } finally {
    flushLog();
    Deno.stderr.writeSync = writeSync;
  }
  return writes;
}

/**
 * Runs `fn` with stderr captured (where log lines go, a batch per event-loop
 * turn) and resolves to the lines written, decoded, each with its LF (a last
 * one without LF is a fragment: no whole line).
 */
export async function captureStderr(
  fn: () => void | Promise<void>,
): Promise<string[]> {
  const bytes = (await recordStderr(fn)).join("");
  const text = decoder.decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  return text.split(/(?<=\n)/).filter((line) => line !== "");
}

/** Collects log lines instead of writing them to stderr. */
export function captureLogs<T extends RequestHandlerClass>(
  Handler: T,
): { Handler: T; lines: string[] } {
  const lines: string[] = [];
  const Base = Handler as RequestHandlerClass;
  class Captured extends Base {
    override logMessage(format: string, ...args: unknown[]): void {
      lines.push(pyFormat(format, args));
    }
  }
  return { Handler: Captured as unknown as T, lines };
}

/**
 * Whether process `pid` is gone (or a zombie waiting for its parent) within
 * 5 s: a SIGKILL is delivered asynchronously, so a loaded machine may still
 * show the process for a moment.
 */
export async function processGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    try {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      if (/^State:\s+Z/m.test(status)) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * `promise`, or an error once `ms` milliseconds pass first: the bound on a
 * wait that a bug would make long, so that the test fails instead of hanging.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `check()` gives something other than undefined (a log line, a
 * file) and returns it; checks every 20 ms for at most 5 s, then throws.
 */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const found = await check();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what}: not within 5 s`);
}

/**
 * Every file under `top` (and with `folders`, every folder, ending in `/`),
 * relative to it, sorted: what a test leaves on disk, compared whole.
 */
export function treeOf(
  top: string,
  { folders }: { folders: boolean },
): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const name = prefix + entry.name;
      if (entry.isDirectory) {
        if (folders) out.push(name + "/");
        walk(`${dir}/${entry.name}`, name + "/");
      } else out.push(name);
    }
  };
  walk(top, "");
  return out.sort();
}

/**
 * Runs `body` and resolves to the promise rejections left unhandled
 * meanwhile (given to `body` too, to check as it goes), kept from ending the
 * test run.
 */
export async function unhandledRejections(
  body: (unhandled: readonly unknown[]) => Promise<void>,
): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    unhandled.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    await body(unhandled);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
  return unhandled;
}
