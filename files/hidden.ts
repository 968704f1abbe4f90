/**
 * Dotfiles: names that begin with `.`, hidden by Unix convention (`.git`,
 * `.env`, `.ssh`). `SimpleHTTPRequestHandler` serves and lists them as
 * Python does unless its `showHidden` is turned off; uploads never write one,
 * but for the files macOS Finder writes beside others on a WebDAV share (see
 * {@link isFinderName}).
 *
 * @example
 * ```ts
 * import {
 *   changesHiddenName,
 *   hasHiddenComponent,
 *   isHiddenName,
 * } from "./hidden.ts";
 *
 * isHiddenName(".env"); // true
 * hasHiddenComponent("/srv", "/srv/.git/config"); // true
 * hasHiddenComponent("/srv/.site", "/srv/.site/index.html"); // false: not the folder itself
 * changesHiddenName("/srv", "/srv/docs/._a.txt", true); // false: Finder's, on a WebDAV share
 * changesHiddenName("/srv", "/srv/.git/._a.txt", true); // true: a hidden folder on the way
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

/**
 * Whether `name` is one of the dotfiles macOS writes beside the files of a
 * network share, which Finder's copy fails without (error -36): an
 * AppleDouble file, `._` and the name of the file whose extended attributes
 * and resource fork it holds (`._photo.jpg`; `._` alone is none, as macOS
 * has it), or `.DS_Store`, a folder's view settings. None is read by
 * anything but macOS, and macOS itself removes or renames a file's
 * AppleDouble file with the file.
 */
export function isFinderName(name: string): boolean {
  return name === ".DS_Store" || (name.length > 2 && name.startsWith("._"));
}

/**
 * Whether a change (an upload, a file operation) may take, replace or
 * remove the name `name`: any name that is not hidden, and on a server that
 * speaks WebDAV (`dav`) those of {@link isFinderName}.
 */
export function isChangeableName(name: string, dav: boolean): boolean {
  return !isHiddenName(name) || (dav && isFinderName(name));
}

/**
 * Whether a change (an upload, a file operation) of `path`, a path under
 * `directory` as `translatePath` builds it, is refused for a hidden name: a
 * hidden component below `directory`, but for a last one that
 * {@link isChangeableName} lets through. A hidden folder on the way is
 * refused all the same (`.git/._config`).
 */
export function changesHiddenName(
  directory: string,
  path: string,
  dav: boolean,
): boolean {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < directory.length - 1) {
    return hasHiddenComponent(directory, path);
  }
  return hasHiddenComponent(directory, path.slice(0, cut + 1)) ||
    !isChangeableName(path.slice(cut + 1), dav);
}
