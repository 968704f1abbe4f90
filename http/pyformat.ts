/**
 * Python's `format % args` and `repr()` for strings, as far as the handler
 * API needs them: log formats (`logMessage("code %d, message %s", ...)`) and
 * error messages that quote the request (`Bad request syntax ('...')`).
 *
 * @module
 */

/**
 * Formats `format % args` with `%s`, `%d`, `%i`, `%r` and `%%`.
 *
 * @example
 * ```ts
 * import { pyFormat } from "./pyformat.ts";
 * pyFormat('"%s" %s %s', ["GET / HTTP/1.1", 200, "-"]); // '"GET / HTTP/1.1" 200 -'
 * ```
 */
export function pyFormat(format: string, args: readonly unknown[]): string {
  let i = 0;
  return format.replace(/%([sdir%])/g, (_, spec: string) => {
    if (spec === "%") return "%";
    const arg = args[i++];
    if (spec === "r") return pyRepr(arg);
    if (spec === "s") return String(arg);
    return String(Math.trunc(Number(arg)));
  });
}

/**
 * Python's `repr()` of a string: single quotes unless the text has a single
 * quote and no double quote, with backslash escapes for quotes, backslashes
 * and non-printable characters. Other values print as `String(value)`.
 *
 * @example
 * ```ts
 * import { pyRepr } from "./pyformat.ts";
 * pyRepr("GET"); // "'GET'"
 * ```
 */
export function pyRepr(value: unknown): string {
  if (typeof value !== "string") return String(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) {
      out += "\\x" + code.toString(16).padStart(2, "0");
    } else out += ch;
  }
  return out + quote;
}
