/**
 * What a GET or HEAD of a path names under the served folder: a file, a
 * folder's listing, a redirect, or nothing. Python's rules (a folder's
 * trailing slash, its index pages), then a site's: single-page apps
 * (`--spa`), clean URLs (`--clean-urls`) and, for what names nothing, the
 * site's own 404 page (`--404`). The file system is reached only through the
 * lookups given, so the sandbox and its logs stay the caller's.
 *
 * @example
 * ```ts
 * import { cleanUrlLocation, spaAnswers } from "./siteroutes.ts";
 *
 * cleanUrlLocation("/about.html?x=1"); // "/about?x=1"
 * cleanUrlLocation("/docs/index.html"); // "/docs/"
 * spaAnswers("/srv/users/42", true); // true: a route
 * spaAnswers("/srv/app.js", true); // false: a missing file, for the 404 page
 * ```
 *
 * @module
 */

import { ABSOLUTE_FORM, directoryLocation } from "./paths.ts";

/** How a site's paths are answered, besides Python's rules. */
export interface SiteRoutes {
  /** Index pages of a folder, in order. */
  readonly indexPages: readonly string[];
  /** A missing path is answered by `/index.html` (see {@link spaAnswers}). */
  readonly spa: boolean;
  /** `/about` names `about.html`, which `/about.html` redirects to. */
  readonly cleanUrls?: boolean;
  /** The 404 page, if any: with {@link spa}, missing files get it. */
  readonly notFoundPage?: string | null;
}

/** The file system, as the caller reaches it. */
export interface TargetLookups {
  /** The path a request-target names under the folder (`translatePath`). */
  translate(requestPath: string): string;
  /** Whether the path may not be served at all (a hidden name). */
  refused(path: string): boolean;
  /** The `stat` of a path, symlinks followed; null when not there. */
  lookup(path: string): Deno.FileInfo | null | Promise<Deno.FileInfo | null>;
  /**
   * Whether the folder `folder` (ending in `/`), whose `stat` is `info`,
   * surely holds no entry `name`, so that looking it up can be skipped;
   * false when not known.
   */
  absent?(folder: string, info: Deno.FileInfo, name: string): boolean;
}

/** What a request-target names. */
export type Target =
  | { kind: "file"; path: string; info: Deno.FileInfo }
  | { kind: "listing"; path: string }
  | { kind: "redirect"; location: string }
  | { kind: "missing" };

/**
 * What `requestPath` names, once the path it translates to (`path`, not
 * {@link TargetLookups.refused}) was looked up (`info`): a file, a folder to
 * list (none of its index pages is there), a redirect (a folder without its
 * trailing slash, or with clean URLs a `.html` name whose clean URL names the
 * same file), or nothing. The caller answers a file found as named, without
 * clean URLs, itself: that needs no more lookups.
 *
 * @param requestPath the request-target as received
 * @param path what `requestPath` translates to
 * @param info its lookup
 * @param routes the site's rules
 * @param lookups how the file system is reached
 */
export async function resolveTarget(
  requestPath: string,
  path: string,
  info: Deno.FileInfo | null,
  routes: SiteRoutes,
  lookups: TargetLookups,
): Promise<Target> {
  const target = await resolveFound(requestPath, path, info, routes, lookups);
  if (!routes.cleanUrls || target.kind !== "file") return target;
  // Only a clean URL that names this very file: `/about.html` stays where
  // `/about` is a folder, or a file of its own.
  const location = cleanUrlLocation(requestPath);
  if (location === null) return target;
  const clean = await resolvePath(location, routes, lookups);
  return clean.kind === "file" && clean.path === target.path
    ? { kind: "redirect", location }
    : target;
}

/** What `requestPath` names, without the redirect of a `.html` name. */
async function resolvePath(
  requestPath: string,
  routes: SiteRoutes,
  lookups: TargetLookups,
): Promise<Target> {
  const path = lookups.translate(requestPath);
  if (lookups.refused(path)) return { kind: "missing" };
  const info = await lookups.lookup(path);
  return await resolveFound(requestPath, path, info, routes, lookups);
}

/** {@link resolvePath} once `path` was looked up. */
async function resolveFound(
  requestPath: string,
  path: string,
  info: Deno.FileInfo | null,
  routes: SiteRoutes,
  lookups: TargetLookups,
): Promise<Target> {
  if (info === null && routes.cleanUrls) {
    const html = cleanUrlFile(lookups.translate("/"), path);
    const found = html === null ? null : await lookups.lookup(html);
    if (found?.isFile) [path, info] = [html!, found];
  }
  if (
    info === null && routes.spa &&
    spaAnswers(path, (routes.notFoundPage ?? null) !== null)
  ) {
    // A route of a single-page app: its page handles it.
    path = lookups.translate("/index.html");
    info = await lookups.lookup(path);
  }
  if (info?.isDirectory) {
    const location = directoryLocation(requestPath);
    // Python's redirect, as Apache does it.
    if (location !== null) return { kind: "redirect", location };
    const folder = path.endsWith("/") ? path : path + "/";
    let index: Deno.FileInfo | null = null;
    for (const name of routes.indexPages) {
      if (lookups.absent?.(folder, info, name)) continue;
      index = await lookups.lookup(folder + name);
      if (index?.isFile) {
        path = folder + name;
        break;
      }
      index = null;
    }
    if (index === null) return { kind: "listing", path };
    info = index;
  }
  // A trailing slash names a folder: on a file it is 404 (CPython
  // bpo-17324), even where the platform would open the file.
  if (info === null || !info.isFile || path.endsWith("/")) {
    return { kind: "missing" };
  }
  return { kind: "file", path, info };
}

/**
 * The file a clean URL may name: `path` with `.html`; null for the folder
 * itself (`/`, or a target that `..` reduces to it, whose `.html` would lie
 * beside the folder, outside it) and for a folder's path (a trailing slash).
 *
 * @param root the path that `/` names (`translatePath` of `/`)
 * @param path a path under it, as `translatePath` builds it
 */
export function cleanUrlFile(root: string, path: string): string | null {
  const bare = (text: string) => text.replace(/[/\\]+$/, "");
  if (/[/\\]$/.test(path) || bare(path) === bare(root)) return null;
  return path + ".html";
}

/**
 * The clean URL of a request-target that ends in `.html`: without it
 * (`/about.html` -> `/about`), or the folder for its `index.html`
 * (`/docs/index.html` -> `/docs/`); query and fragment kept, a leading `//`
 * made one `/` (as {@link directoryLocation} does, so that the redirect
 * stays on this host). Null for any other target.
 */
export function cleanUrlLocation(requestPath: string): string | null {
  const origin = ABSOLUTE_FORM.exec(requestPath)?.[0] ?? "";
  const rest = requestPath.slice(origin.length);
  const cut = rest.search(/[?#]/);
  const path = cut < 0 ? rest : rest.slice(0, cut);
  const match = /^(.*\/)(?:index|([^/]+))\.html$/.exec(path);
  if (match === null) return null;
  const clean = match[1] + (match[2] ?? "");
  return origin + "/" + clean.replace(/^[/\\]+/, "") +
    (cut < 0 ? "" : rest.slice(cut));
}

/**
 * Whether `--spa`'s `/index.html` answers a missing `path`: always without a
 * 404 page; with one, only routes, whose last component has no dot
 * (`/users/42`), while a missing file (`/app.js`, `/logo.png`) gets the 404
 * page rather than a page of HTML in place of a script or an image.
 *
 * @param path the missing path, as `translatePath` builds it
 * @param notFoundPage whether a 404 page is set
 */
export function spaAnswers(path: string, notFoundPage: boolean): boolean {
  return !notFoundPage || !/\.[^/\\]*$/.test(path);
}
