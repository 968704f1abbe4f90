/**
 * Dotfiles: names that begin with `.`, hidden by Unix convention (`.git`,
 * `.env`, `.ssh`). `SimpleHTTPRequestHandler` serves and lists them as
 * Python does unless its `showHidden` is turned off; uploads never write one.
 *
 * @example
 * ```ts
 * import { hasHiddenComponent, isHiddenName } from "./hidden.ts";
 *
 * isHiddenName(".env"); // true
 * hasHiddenComponent("/srv", "/srv/.git/config"); // true
 * hasHiddenComponent("/srv/.site", "/srv/.site/index.html"); // false: not the folder itself
 * ```
 *
 * @module
 */

/** Whether a file name is hidden: it begins with `.`. */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".");
}

/**
 * Whether `path`, a path under `directory` as `translatePath` builds it, has a
 * hidden component below `directory` (the served folder may itself be a
 * hidden one).
 */
export function hasHiddenComponent(directory: string, path: string): boolean {
  return /(?:^|[/\\])\./.test(path.slice(directory.length));
}
