/**
 * The two HTML escapes, as Python's `html.escape` writes them: one for text
 * between tags, one for text that may also stand in an attribute value.
 * Python's pages (error pages, listings) use the first, byte for byte.
 *
 * @example
 * ```ts
 * import { escapeAttribute, escapeText } from "./html.ts";
 *
 * escapeText(`<a href="x">&</a>`); // '&lt;a href="x"&gt;&amp;&lt;/a&gt;'
 * escapeAttribute(`"it's"`); // "&quot;it&#x27;s&quot;"
 * ```
 *
 * @module
 */

/** The characters {@link escapeText} replaces. */
const TEXT_SPECIAL = /[&<>]/;

/** The characters {@link escapeAttribute} replaces. */
const ATTRIBUTE_SPECIAL = /[&<>"']/;

/**
 * `text` with `&`, `<` and `>` as entities: Python's
 * `html.escape(text, quote=False)`, for text between tags.
 */
export function escapeText(text: string): string {
  // Most names and messages have nothing to escape.
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/**
 * `text` with `&`, `<`, `>`, `"` and `'` as entities: Python's
 * `html.escape(text)`, safe in a quoted attribute value as in text.
 */
export function escapeAttribute(text: string): string {
  if (!ATTRIBUTE_SPECIAL.test(text)) return text;
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&#x27;");
}
