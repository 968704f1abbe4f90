/**
 * The `Content-type` of a file from its name, as Python's
 * `SimpleHTTPRequestHandler.guess_type`: the handler's `extensionsMap`
 * overrides first, then the mime-db table of the `mime` package, then
 * `application/octet-stream`.
 *
 * @example
 * ```ts
 * import { guessType } from "./mime.ts";
 *
 * guessType("/srv/index.HTML"); // "text/html"
 * guessType("/srv/backup.tar.gz"); // "application/gzip"
 * guessType("/srv/README"); // "application/octet-stream"
 * ```
 *
 * @module
 */

// `mime` (ESM) rather than `mime-types` (CommonJS): loading CommonJS from npm
// costs every server more memory (bench/README.md).
import mime from "mime";

/**
 * Python's default `extensions_map`: compressed files are served as
 * themselves, not as the type of what they hold.
 */
export const DEFAULT_EXTENSIONS_MAP: Readonly<Record<string, string>> = Object
  .freeze({
    ".gz": "application/gzip",
    ".Z": "application/octet-stream",
    ".bz2": "application/x-bzip2",
    ".xz": "application/x-xz",
  });

/**
 * Guesses a file's type from its extension, as Python's `guess_type`: the
 * extension exactly as written, then lower-cased, in `extensionsMap`; then
 * the lower-cased extension in mime-db; `application/octet-stream` when none
 * knows it. The extension is `posixpath.splitext`'s: from the last dot of the
 * last component, leading dots excluded (`.bashrc` has none).
 *
 * @param path a file path or name
 * @param extensionsMap overrides by extension with its dot (`".gz"`)
 * @returns a MIME type without parameters (Python adds no charset either)
 */
export function guessType(
  path: string,
  extensionsMap: Readonly<Record<string, string>> = DEFAULT_EXTENSIONS_MAP,
): string {
  const ext = extension(path);
  if (Object.hasOwn(extensionsMap, ext)) return extensionsMap[ext];
  const lower = ext.toLowerCase();
  if (Object.hasOwn(extensionsMap, lower)) return extensionsMap[lower];
  let type = KNOWN_TYPES.get(lower);
  if (type === undefined) {
    // mime keeps its table in a Map: any name, "__proto__" too, is a lookup.
    const found = mime.getType(lower.slice(1));
    if (found === null) return "application/octet-stream";
    KNOWN_TYPES.set(lower, type = found);
  }
  return type;
}

/**
 * mime-db's answers so far, by lower-case extension with its dot: at most one
 * entry per extension mime-db knows. `mime.getType` reparses its argument as
 * a path on every call; a Map lookup costs a small part of that.
 */
const KNOWN_TYPES = new Map<string, string>();

const DOT = 0x2e;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;

/**
 * `posixpath.splitext(path)[1]`: from the last dot of the last component,
 * when something other than dots comes before it in that component. A
 * backslash also ends a component, so that Windows paths work (on POSIX a
 * name with a backslash and a dot before it then gets no extension instead of
 * an unknown one: the same type either way).
 */
function extension(path: string): string {
  for (let i = path.length - 1; i > 0; i--) {
    const c = path.charCodeAt(i);
    if (c === SLASH || c === BACKSLASH) return "";
    if (c !== DOT) continue;
    for (let j = i - 1; j >= 0; j--) {
      const d = path.charCodeAt(j);
      if (d === SLASH || d === BACKSLASH) return "";
      if (d !== DOT) return path.slice(i);
    }
    return "";
  }
  return "";
}
