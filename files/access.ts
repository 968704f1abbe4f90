/**
 * What a request's user may do with the paths it touches: the one question
 * every feature asks before it reads or changes a path (files, listings,
 * archives, search results, uploads, deletes, moves, CGI). Accounts and
 * their rules answer it; without accounts everyone may do everything, and
 * writing still needs the feature's own switch (`--upload`, `--delete`,
 * `--mkdir`).
 *
 * Paths are the served folder's own: `/` for the folder itself, else `/`
 * and the components below it joined by `/`, as {@link servedPath} makes
 * them from a request-target, with no trailing slash.
 *
 * @example
 * ```ts
 * import { EVERYONE, servedPath } from "./access.ts";
 *
 * servedPath("/docs/%2e%2e//private/a.txt?x=1"); // "/private/a.txt"
 * EVERYONE.allows("/private/a.txt", "read"); // true
 * ```
 *
 * @module
 */

import { normalizedComponents, targetPath, unquote } from "./paths.ts";
import { SEP } from "../util/platform.ts";

/**
 * Reading (files, listings, archives, search) or changing (the rest).
 *
 * @example
 * ```ts
 * import type { AccessMode } from "jsr:@x/httpserver";
 *
 * const mode: AccessMode = "write"; // an upload, a delete, a move
 * ```
 */
export type AccessMode = "read" | "write";

/**
 * What one request's user may do, decided by the accounts' rules.
 *
 * @example
 * ```ts
 * import { type HeadBody, SimpleHTTPRequestHandler } from "jsr:@x/httpserver";
 *
 * // A page only for signed-in users, whoever they are.
 * class Members extends SimpleHTTPRequestHandler {
 *   override async sendHead(): Promise<HeadBody> {
 *     if (this.path === "/whoami") {
 *       const body = new TextEncoder().encode(`${this.access.user ?? "-"}\n`);
 *       this.sendResponse(200);
 *       this.sendHeader("Content-Length", String(body.length));
 *       this.endHeaders();
 *       return body;
 *     }
 *     return await super.sendHead();
 *   }
 * }
 * ```
 */
export interface Access {
  /** The signed-in user, or null when the request names none. */
  readonly user: string | null;
  /**
   * Whether the user may read or change `path`, a path of the served
   * folder (see {@link servedPath}).
   */
  allows(path: string, mode: AccessMode): boolean;
  /**
   * Whether the user, where allowed `mode` at `path`, is allowed it at
   * every path inside `path` too, as far as the rules tell without reading
   * the folder (what a symlink inside leads to is not looked at): the
   * listing's guess at what a `DELETE` or `MOVE` of a folder finds, never
   * a check that replaces their walk. Left out, true.
   */
  allowsInside?(path: string, mode: AccessMode): boolean;
}

/** Without accounts: no user, every path readable and writable. */
export const EVERYONE: Access = Object.freeze({
  user: null,
  allows: () => true,
});

/**
 * The served folder's path that a request-target names: its path
 * percent-decoded, with empty, `.` and `..` components resolved as
 * `translatePath` resolves them, so that a rule and the file it guards
 * always name the same path.
 *
 * @param target a request-target as received (absolute form, query allowed)
 */
export function servedPath(target: string): string {
  return "/" + normalizedComponents(unquote(targetPath(target))).join("/");
}

/**
 * The path of an entry `name` of the folder whose path is `folder` (both
 * as {@link servedPath} gives them).
 */
export function childPath(folder: string, name: string): string {
  return folder === "/" ? "/" + name : folder + "/" + name;
}

/**
 * The path of the served folder (see {@link servedPath}) that `path`, a
 * file system path under `directory` as `translatePath` builds it, names.
 */
export function folderPath(directory: string, path: string): string {
  const rest = path.slice(directory.length);
  return "/" + rest.split(SEP === "/" ? "/" : /[/\\]/).filter(Boolean)
    .join("/");
}
