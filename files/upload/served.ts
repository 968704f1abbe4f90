/**
 * What a file served from a folder that takes uploads (or moves, which give
 * any file a page's name) carries, so that an uploaded page cannot act with
 * a viewer's credentials on this origin:
 * `X-Content-Type-Options: nosniff` on every file (a browser takes the type
 * sent, never sniffs a `.txt` as a page), and `Content-Security-Policy:
 * sandbox` on the types a browser runs scripts in (HTML, XHTML, SVG, XML),
 * which gives the page an origin of its own and no script, unless the folder
 * is trusted (`trustUploads`, the CLI's `--trust-uploads`).
 *
 * @example
 * ```ts
 * import { uploadedFileFields } from "./served.ts";
 *
 * uploadedFileFields("text/html", false);
 * // [["X-Content-Type-Options", "nosniff"], ["Content-Security-Policy", "sandbox"]]
 * uploadedFileFields("text/plain", false);
 * // [["X-Content-Type-Options", "nosniff"]]
 * ```
 *
 * @module
 */

/** The types a browser may run a script in: HTML, XHTML, SVG and any XML. */
const ACTIVE_TYPE =
  /^\s*(?:text\/html|[a-z0-9!#$&^_.+-]+\/(?:[a-z0-9!#$&^_.-]+\+)?xml)\s*(?:;|$)/i;

const NOSNIFF: readonly [string, string] = [
  "X-Content-Type-Options",
  "nosniff",
];
const SANDBOX: readonly [string, string] = [
  "Content-Security-Policy",
  "sandbox",
];

/**
 * The header fields of a file of type `type` served from a folder that
 * takes uploads: `nosniff`, and the `sandbox` policy for a type a browser
 * runs scripts in unless `trusted`.
 */
export function uploadedFileFields(
  type: string,
  trusted: boolean,
): readonly (readonly [string, string])[] {
  return !trusted && ACTIVE_TYPE.test(type) ? [NOSNIFF, SANDBOX] : [NOSNIFF];
}
