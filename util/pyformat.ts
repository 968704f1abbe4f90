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
  // A scan for `%` rather than a regex with a callback: every request's log
  // line is formatted here.
  let out = "";
  let copied = 0;
  let next = 0;
  let at = format.indexOf("%");
  while (at !== -1 && at + 1 < format.length) {
    let text: string;
    switch (format[at + 1]) {
      case "%":
        text = "%";
        break;
      case "s":
        text = String(args[next++]);
        break;
      case "r":
        text = pyRepr(args[next++]);
        break;
      case "d":
      case "i":
        text = String(Math.trunc(Number(args[next++])));
        break;
      default:
        at = format.indexOf("%", at + 1);
        continue;
    }
    out += format.slice(copied, at) + text;
    copied = at + 2;
    at = format.indexOf("%", copied);
  }
  return copied === 0 ? format : out + format.slice(copied);
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
