/**
 * Python's error page: its template and `Content-Type`, which a handler may
 * replace (`errorMessageFormat`, `errorContentType`), and the page filled
 * in, escaped with `escapeText` (`util/html.ts`), for `sendError()` and for
 * the fetch face's errors alike.
 *
 * @example
 * ```ts
 * import { DEFAULT_ERROR_MESSAGE, errorPage } from "./errorpage.ts";
 *
 * const page = errorPage(DEFAULT_ERROR_MESSAGE, 404, "<x>", "Nothing here");
 * console.log(page.includes("Message: &lt;x&gt;.")); // true
 * ```
 *
 * @module
 */

import { escapeText } from "../util/html.ts";

/**
 * Python's default error page; `%(code)d`, `%(message)s`, `%(explain)s` are
 * filled in (HTML-escaped) by `sendError()`.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler, DEFAULT_ERROR_MESSAGE } from "jsr:@x/httpserver";
 *
 * class Branded extends BaseHTTPRequestHandler {
 *   override errorMessageFormat = DEFAULT_ERROR_MESSAGE.replace(
 *     "<h1>Error response</h1>",
 *     "<h1>example.org</h1>",
 *   );
 * }
 * ```
 */
export const DEFAULT_ERROR_MESSAGE = `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %(code)d</p>
        <p>Message: %(message)s.</p>
        <p>Error code explanation: %(code)s - %(explain)s.</p>
    </body>
</html>
`;

/**
 * Python's default `Content-Type` of error pages.
 *
 * @example
 * ```ts
 * import { BaseHTTPRequestHandler, DEFAULT_ERROR_CONTENT_TYPE } from "jsr:@x/httpserver";
 *
 * class PlainErrors extends BaseHTTPRequestHandler {
 *   override errorContentType = "text/plain;charset=utf-8";
 *   override errorMessageFormat = "%(code)d %(message)s\n";
 * }
 * console.log(DEFAULT_ERROR_CONTENT_TYPE); // "text/html;charset=utf-8"
 * ```
 */
export const DEFAULT_ERROR_CONTENT_TYPE = "text/html;charset=utf-8";

/**
 * The error page of `code`: `template` with `%(code)d` (and `%(code)s`),
 * `%(message)s` and `%(explain)s` filled in, the last two HTML-escaped; any
 * other `%(name)s` is left as it is.
 */
export function errorPage(
  template: string,
  code: number,
  message: string,
  explain: string,
): string {
  const fields: Record<string, string | number> = {
    code,
    message: escapeText(message),
    explain: escapeText(explain),
  };
  return template.replace(
    /%\((\w+)\)[sd]/g,
    (match, key: string) => key in fields ? String(fields[key]) : match,
  );
}

/**
 * {@link errorPage} as UTF-8 bytes, shared: the same page is made once per
 * template, code, message and explanation, and kept, so that a busy site's
 * 404s are not each formatted and encoded anew. At most
 * {@link MAX_KEPT_PAGES} pages per template and {@link MAX_TEMPLATES}
 * templates are kept (messages may quote the request); past either, the
 * oldest goes. The bytes are shared: never change them.
 *
 * @example
 * ```ts
 * import { DEFAULT_ERROR_MESSAGE, errorPageBytes } from "./errorpage.ts";
 *
 * const page = errorPageBytes(DEFAULT_ERROR_MESSAGE, 404, "File not found", "Nothing matches the given URI");
 * console.log(page === errorPageBytes(DEFAULT_ERROR_MESSAGE, 404, "File not found", "Nothing matches the given URI")); // true
 * ```
 */
export function errorPageBytes(
  template: string,
  code: number,
  message: string,
  explain: string,
): Uint8Array {
  let pages = KEPT_PAGES.get(template);
  if (pages === undefined) {
    pages = new Map();
    keep(KEPT_PAGES, template, pages, MAX_TEMPLATES);
  }
  // The message's length ends it: no message and explanation can make
  // another pair's key.
  const key = `${code} ${message.length} ${message}${explain}`;
  let page = pages.get(key);
  if (page === undefined) {
    page = encoder.encode(errorPage(template, code, message, explain));
    keep(pages, key, page, MAX_KEPT_PAGES);
  }
  return page;
}

/** Pages kept per template by {@link errorPageBytes}. */
const MAX_KEPT_PAGES = 64;

/** Templates whose pages {@link errorPageBytes} keeps. */
const MAX_TEMPLATES = 8;

/** {@link errorPageBytes}'s pages, by template, then by what fills it. */
const KEPT_PAGES = new Map<string, Map<string, Uint8Array>>();

const encoder = new TextEncoder();

/** Sets `key` in `map`, the oldest key dropped when `map` holds `most`. */
function keep<V>(map: Map<string, V>, key: string, value: V, most: number) {
  if (map.size >= most) map.delete(map.keys().next().value!);
  map.set(key, value);
}
