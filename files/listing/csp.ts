/**
 * The `Content-Security-Policy` of a listing page: the page's own pieces
 * only. A footer's inline scripts (the upload page's, and any other
 * feature's) run because the policy names each one's SHA-256 hash, taken
 * from the footer itself; nothing else inline runs, and nothing is loaded
 * from elsewhere. Python's page, with a footer without scripts, gets no
 * policy: it stays Python's.
 *
 * @example
 * ```ts
 * import { listingPolicy } from "./csp.ts";
 *
 * listingPolicy(null, "<form></form>"); // null
 * listingPolicy(null, "<script>go()</script>");
 * // "default-src 'none'; form-action 'self'; script-src 'sha256-...'; connect-src 'self'"
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Inline scripts of a footer: their text, as the browser hashes it. */
const INLINE_SCRIPT = /<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g;

/** Python's page with a script: its form posts here, and nothing else. */
const PYTHON_BASE = "default-src 'none'; form-action 'self'";

/**
 * Hashes of the scripts seen, by their text: the footers' scripts are the
 * modules' constants, a handful.
 */
const HASHES = new Map<string, string>();
const MAX_HASHES = 64;

/**
 * The page's policy: `base` (null for Python's page, which has none of its
 * own), with `script-src` naming the hash of every inline script of
 * `footer` and `connect-src 'self'`, which the scripts' requests need; null
 * when neither gives one.
 */
export function listingPolicy(
  base: string | null,
  footer: string,
): string | null {
  const sources = [...footer.matchAll(INLINE_SCRIPT)].map(([, text]) =>
    `'${scriptHash(text)}'`
  );
  if (sources.length === 0) return base;
  return `${base ?? PYTHON_BASE}; script-src ${
    sources.join(" ")
  }; connect-src 'self'`;
}

/** `sha256-<base64>` of an inline script's text (CSP 3 §8.4). */
export function scriptHash(text: string): string {
  let hash = HASHES.get(text);
  if (hash === undefined) {
    hash = `sha256-${createHash("sha256").update(text).digest("base64")}`;
    if (HASHES.size < MAX_HASHES) HASHES.set(text, hash);
  }
  return hash;
}
