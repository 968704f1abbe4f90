/**
 * From a request-target to a file system path, as Python's
 * `SimpleHTTPRequestHandler.translate_path`, and the `Location` of the
 * redirect that adds a folder's trailing slash. Pure: no file system access.
 *
 * Whatever the target holds (`..`, `%2e%2e%2f`, backslashes, drive letters,
 * NUL), the result names `directory` or something under it.
 *
 * @example
 * ```ts
 * import { directoryLocation, translatePath } from "./paths.ts";
 *
 * translatePath("/srv", "/docs/a%20b.txt?x=1", { windows: false }); // "/srv/docs/a b.txt"
 * translatePath("/srv", "/../../etc/passwd", { windows: false }); // "/srv/etc/passwd"
 * directoryLocation("/docs?x=1"); // "/docs/?x=1"
 * directoryLocation("//evil.example/docs"); // "/evil.example/docs/"
 * ```
 *
 * @module
 */

import { HttpError } from "../util/errors.ts";
import { WINDOWS } from "../util/platform.ts";

/** How {@link translatePath} treats the local file system's path syntax. */
export interface TranslateOptions {
  /**
   * Windows path rules: `\` joins the result, and components that Windows
   * reads specially are dropped (default: whether Deno runs on Windows).
   */
  windows?: boolean;
}

/**
 * An absolute-form target's `scheme://authority` (RFC 9112 §3.2.2); a server
 * must accept it and take only its path, query and fragment. Exported so that
 * every policy that reads a target (the CGI test) sees the path served.
 */
export const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * Components that Windows does not take as a plain name: any `\` or
 * `:` (a drive as Python drops it, also an NTFS stream such as
 * `index.html::$DATA`), a trailing dot or space (Windows strips them, so
 * `...` and `a.` would alias other names), and reserved device names.
 * Exported so that an uploaded file's name obeys the same rules.
 */
export const WINDOWS_SPECIAL: RegExp =
  /[\\:]|[. ]$|^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(?:\.|$)/i;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });
/** Splits text so that odd indices are its ASCII runs, as Python's `_asciire.split`. */
// deno-lint-ignore no-control-regex -- every ASCII character, on purpose
const ASCII_RUNS = /([\x00-\x7f]+)/;

/**
 * Python's `urllib.parse.unquote(s, errors='surrogatepass')` with its
 * fallback to `errors='replace'`: each run of ASCII characters is
 * percent-decoded to bytes and decoded as UTF-8; other characters (a latin-1
 * decoded target's obs-text) stay as they are. When any run is not valid
 * UTF-8, every run is decoded again with U+FFFD for the invalid bytes.
 *
 * One difference: UTF-8-encoded surrogates (`%ED%A0%80`), which Python turns
 * into lone surrogates that no file name can hold (it then fails to open
 * them), also take the fallback here, so the result is always well-formed.
 *
 * @example
 * ```ts
 * import { unquote } from "./paths.ts";
 * unquote("/caf%C3%A9/%41"); // "/café/A"
 * unquote("/%bb"); // "/\uFFFD"
 * ```
 *
 * @param s percent-encoded text
 * @returns the decoded text
 */
export function unquote(s: string): string {
  if (!s.includes("%")) return s;
  const parts = s.split(ASCII_RUNS);
  return decodeStrictly(parts) ?? decodeRuns(parts, lenientUtf8);
}

/** The runs decoded as UTF-8; null when one is not valid UTF-8. */
function decodeStrictly(parts: string[]): string | null {
  try {
    return decodeRuns(parts, strictUtf8);
  } catch {
    return null;
  }
}

function decodeRuns(parts: string[], decoder: TextDecoder): string {
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) {
    const run = parts[i];
    out += run.includes("%") ? decoder.decode(percentBytes(run)) : run;
    out += parts[i + 1];
  }
  return out;
}

/** Bytes of an ASCII run with each `%XX` as one byte; a stray `%` stays. */
function percentBytes(run: string): Uint8Array {
  const bytes = new Uint8Array(run.length);
  let n = 0;
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    if (code === 0x25 && i + 2 < run.length) {
      const hi = hexValue(run.charCodeAt(i + 1));
      const lo = hexValue(run.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    bytes[n++] = code;
  }
  return bytes.subarray(0, n);
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * The file system path that a request-target names under `directory`, as
 * Python's `translate_path`: an absolute-form target is reduced to its path
 * (RFC 9112 §3.2.2); the query and `#fragment` are dropped; the rest is
 * percent-decoded ({@link unquote}) and normalised as `posixpath.normpath`;
 * empty, `.` and `..` components and those that are not a plain name on this
 * file system are dropped; what remains is joined under `directory`, with a
 * trailing `/` when the target had one.
 *
 * Python drops the same components but answers a decoded NUL by dropping the
 * connection; this throws instead, so that the request gets a 400.
 *
 * @example
 * ```ts
 * import { translatePath } from "./paths.ts";
 * translatePath("/srv", "/a/%2e%2e/b/?q#f", { windows: false }); // "/srv/b/"
 * ```
 *
 * @param directory the served folder
 * @param requestPath the request-target as received (Python's `self.path`)
 * @param options the path rules to apply
 * @returns `directory` joined with the target's plain-name components
 * @throws {HttpError} `bad-path` (400) when the decoded path holds a NUL
 */
export function translatePath(
  directory: string,
  requestPath: string,
  options: TranslateOptions = {},
): string {
  const windows = options.windows ?? WINDOWS;
  const sep = windows ? "\\" : "/";
  let path = targetPath(requestPath);
  // Python strips trailing whitespace first; a request-target has none.
  const trailingSlash = path.endsWith("/");
  path = unquote(path);
  if (path.includes("\0")) {
    throw new HttpError("bad-path", "Bad path", {
      explain: "The request path holds a NUL character.",
    });
  }
  let result = directory;
  for (const word of normalizedComponents(path)) {
    if (windows && WINDOWS_SPECIAL.test(word)) continue;
    // os.path.join: no separator after an empty or separator-ended prefix.
    result += result === "" || result.endsWith(sep) || result.endsWith("/")
      ? word
      : sep + word;
  }
  return trailingSlash ? result + "/" : result;
}

/**
 * Whether the path of a request-target percent-decodes to valid UTF-8, where
 * {@link translatePath} would put U+FFFD for the bytes that are not.
 *
 * @example
 * ```ts
 * import { isUtf8Path } from "./paths.ts";
 * isUtf8Path("/caf%C3%A9.txt?q=%ff"); // true: the query is no part of it
 * isUtf8Path("/caf%E9.txt"); // false
 * ```
 */
export function isUtf8Path(requestPath: string): boolean {
  const path = targetPath(requestPath);
  return !path.includes("%") || decodeStrictly(path.split(ASCII_RUNS)) !== null;
}

/** A request-target's path: no `scheme://authority`, query or fragment. */
export function targetPath(requestPath: string): string {
  return requestPath.replace(ABSOLUTE_FORM, "").split("?", 1)[0]
    .split("#", 1)[0];
}

/**
 * The components that survive `posixpath.normpath` and Python's filter: `..`
 * removes the component before it, and a `..` with nothing to remove is
 * dropped, as Python drops it after normpath.
 */
export function normalizedComponents(path: string): string[] {
  const words: string[] = [];
  for (const word of path.split("/")) {
    if (word === "" || word === ".") continue;
    if (word === "..") words.pop();
    else words.push(word);
  }
  return words;
}

/**
 * The `Location` of the 301 that sends a folder requested without its
 * trailing slash to the same path with one, query and fragment kept, as
 * Python's `send_head` builds it; `null` when the path already ends in `/`.
 *
 * An absolute-form target keeps its `scheme://authority`, as in Python.
 * Otherwise the result always starts with exactly one `/`: a leading `//` (or
 * `/\`, which browsers read the same way) would send the client to another
 * host (CPython gh-87389), and a target without a leading `/` would make a
 * relative reference (Python emits it as is).
 *
 * @example
 * ```ts
 * import { directoryLocation } from "./paths.ts";
 * directoryLocation("/docs?x=1#top"); // "/docs/?x=1#top"
 * directoryLocation("/docs/"); // null
 * directoryLocation("http://example.com/docs"); // "http://example.com/docs/"
 * ```
 *
 * @param requestPath the request-target as received (Python's `self.path`)
 * @returns the redirect target, or `null` when no redirect is needed
 */
export function directoryLocation(requestPath: string): string | null {
  const origin = ABSOLUTE_FORM.exec(requestPath)?.[0] ?? "";
  let rest = requestPath.slice(origin.length);
  // urllib.parse.urlsplit: the fragment first, then the query.
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = "";
  const mark = rest.indexOf("?");
  if (mark >= 0) {
    query = rest.slice(mark + 1);
    rest = rest.slice(0, mark);
  }
  if (rest.endsWith("/")) return null;
  const path = "/" + rest.replace(/^[/\\]+/, "");
  // urlunsplit leaves out an empty query or fragment with its delimiter.
  return origin + (path.endsWith("/") ? path : path + "/") +
    (query && "?" + query) +
    (fragment && "#" + fragment);
}
