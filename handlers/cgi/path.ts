/**
 * Which requests name a CGI script: Python's `_url_collapse_path` and the
 * test of `CGIHTTPRequestHandler.is_cgi`. Pure: no file system access.
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
