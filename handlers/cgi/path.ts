/**
 * Which requests name a CGI script: Python's `_url_collapse_path` and the
 * test of `CGIHTTPRequestHandler.is_cgi`, then where on the path the script
 * is. Pure: no file system access.
 *
 * The path is decoded and its `.` and `..` segments resolved before the CGI
 * folder is looked for, so `/cgi-bin/../secret` or `/x/..%2fcgi-bin/s.py`
 * are judged by where they lead, never by how they are spelled; a path that
 * climbs above the root is refused (Python raises and drops the connection).
 *
 * @example
 * ```ts
 * import { splitCGIPath, urlCollapsePath } from "./path.ts";
 *
 * urlCollapsePath("/a/b/../c?x=/.."); // "/a/c?x=/.."
 * urlCollapsePath("/../etc/passwd"); // null
 * splitCGIPath("/cgi-bin%2fsub/s.py/extra?q", ["/cgi-bin"], { caseInsensitive: false });
 * // ["/cgi-bin", "sub/s.py/extra?q"]
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { CASE_INSENSITIVE_FILES } from "../../util/platform.ts";
import { ABSOLUTE_FORM, unquote } from "../../files/paths.ts";

/** How {@link splitCGIPath} compares a path with the CGI folders. */
export interface SplitOptions {
  /**
   * Compare without regard to case, as the file system will open the file
   * (default: on Windows and macOS, whose usual file systems ignore case).
   * Otherwise `/CGI-BIN/s.py` would not run but be served as a file: the
   * script's source.
   */
  caseInsensitive?: boolean;
}

/**
 * Python's `_url_collapse_path`: the path part is percent-decoded, empty and
 * `.` segments are dropped and each `..` removes the segment before it; the
 * query (after the first `?`) is kept as sent. The result always starts with
 * `/` and ends with `/` and the last segment (so `//` for the root).
 *
 * @example
 * ```ts
 * import { urlCollapsePath } from "./path.ts";
 * urlCollapsePath("/a/b/c/../d/e/../../f"); // "/a/b/f"
 * urlCollapsePath("a"); // "//a"
 * ```
 *
 * @param path a request-target in origin-form
 * @returns the collapsed path, or null where Python raises `IndexError`: a
 *   `..` with no segment left to remove
 */
export function urlCollapsePath(path: string): string | null {
  const mark = path.indexOf("?");
  const query = mark >= 0 ? path.slice(mark + 1) : "";
  const parts = unquote(mark >= 0 ? path.slice(0, mark) : path).split("/");
  let tail = parts.pop()!;
  const head: string[] = [];
  for (const part of parts) {
    if (part === "..") {
      if (head.pop() === undefined) return null;
    } else if (part !== "" && part !== ".") {
      head.push(part);
    }
  }
  if (tail === "..") {
    if (head.pop() === undefined) return null;
    tail = "";
  } else if (tail === ".") {
    tail = "";
  }
  if (query !== "") tail += "?" + query;
  return "/" + head.join("/") + "/" + tail;
}

/**
 * Python's `is_cgi`: when the collapsed request path lies in one of
 * `cgiDirectories` (a whole-segment prefix), returns Python's `cgi_info`:
 * the folder and the rest (script, extra path and `?query`); otherwise null.
 *
 * The target is first reduced to what `translatePath` serves files from, so
 * the two can never disagree on which file a request names: an
 * absolute-form target (`http://host/cgi-bin/s.py`, RFC 9112 §3.2.2) loses
 * its scheme and authority, and a `#` in the path cuts it as a fragment
 * would. Python checks neither, and serves the source of `s.py` for
 * `/cgi-bin/s.py#/../../x`, which it takes for `/x` but opens as
 * `/cgi-bin/s.py`.
 *
 * @param requestPath the request-target as received (Python's `self.path`)
 * @param cgiDirectories the CGI folders, as URL paths (`/cgi-bin`)
 * @param options how to compare
 * @returns `[folder, rest]`, or null when the path is not under a CGI folder
 * @throws {HttpError} `bad-path` (400) when the path climbs above the root
 */
export function splitCGIPath(
  requestPath: string,
  cgiDirectories: readonly string[],
  options: SplitOptions = {},
): [string, string] | null {
  const fold = options.caseInsensitive ?? CASE_INSENSITIVE_FILES;
  let target = requestPath.replace(ABSOLUTE_FORM, "");
  const hash = target.indexOf("#");
  const mark = target.indexOf("?");
  if (hash >= 0 && (mark < 0 || hash < mark)) target = target.slice(0, hash);
  const collapsed = urlCollapsePath(target);
  if (collapsed === null) {
    throw new HttpError("bad-path", "Bad path", {
      explain: "The request path climbs above the root.",
    });
  }
  const folders = new Set(
    fold ? cgiDirectories.map((dir) => dir.toLowerCase()) : cgiDirectories,
  );
  for (
    let sep = collapsed.indexOf("/", 1);
    sep > 0;
    sep = collapsed.indexOf("/", sep + 1)
  ) {
    const head = collapsed.slice(0, sep);
    if (folders.has(fold ? head.toLowerCase() : head)) {
      return [head, collapsed.slice(sep + 1)];
    }
  }
  return null;
}

/** What follows a CGI folder in a request: the script and what it is given. */
export interface ScriptPath {
  /** `SCRIPT_NAME`: the script's URL path. */
  scriptName: string;
  /** `PATH_INFO`: the path after the script's name, decoded. */
  pathInfo: string;
  /** `QUERY_STRING`: what follows the first `?`, as sent. */
  query: string;
}

/**
 * Python's walk from `cgi_info` to the script: the deepest folder on the
 * path that `isDirectory` says exists, then the next name is the script
 * and the rest is `PATH_INFO` (decoded once more, as Python does); the
 * query is what follows the first `?`.
 *
 * @example
 * ```ts
 * import { locateScript } from "./path.ts";
 * locateScript(["/cgi-bin", "sub/s.py/a%20b?x=1"], (path) => path === "/cgi-bin/sub");
 * // { scriptName: "/cgi-bin/sub/s.py", pathInfo: "/a b", query: "x=1" }
 * ```
 *
 * @param cgiInfo the CGI folder and the rest, as {@link splitCGIPath} gives them
 * @param isDirectory whether a URL path names a folder
 */
export function locateScript(
  cgiInfo: readonly [string, string],
  isDirectory: (path: string) => boolean,
): ScriptPath {
  let [dir, rest] = cgiInfo;
  const path = dir + "/" + rest;
  for (
    let i = path.indexOf("/", dir.length + 1);
    i >= 0;
    i = path.indexOf("/", dir.length + 1)
  ) {
    if (!isDirectory(path.slice(0, i))) break;
    dir = path.slice(0, i);
    rest = path.slice(i + 1);
  }
  const mark = rest.indexOf("?");
  const query = mark >= 0 ? rest.slice(mark + 1) : "";
  if (mark >= 0) rest = rest.slice(0, mark);
  const slash = rest.indexOf("/");
  const script = slash >= 0 ? rest.slice(0, slash) : rest;
  return {
    scriptName: dir + "/" + script,
    pathInfo: slash >= 0 ? unquote(rest.slice(slash)) : "",
    query,
  };
}
