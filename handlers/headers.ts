/**
 * CORS for `SimpleHTTPRequestHandler`: the preflight answer of `--cors`.
 *
 * @example
 * ```ts
 * import { handlerMethods, sendPreflight } from "./headers.ts";
 * import { SimpleHTTPRequestHandler } from "./simple.ts";
 *
 * // Every method of the class in the preflight, uploads or not.
 * class Open extends SimpleHTTPRequestHandler {
 *   override do_OPTIONS(): void {
 *     sendPreflight(this, handlerMethods(this));
 *   }
 * }
 * ```
 *
 * @module
 */

import type { BaseHTTPRequestHandler } from "./base.ts";

/**
 * Answers an `OPTIONS` request (a CORS preflight or not) with 204:
 * `Access-Control-Allow-Methods` lists `methods`, and
 * `Access-Control-Allow-Headers` grants the headers the preflight asks for,
 * then the `extra` fields (WebDAV's `DAV` and `Allow`).
 * `Access-Control-Allow-Origin` comes with every response of a handler with
 * `cors` on.
 */
export function sendPreflight(
  handler: BaseHTTPRequestHandler,
  methods: readonly string[],
  extra: readonly (readonly [string, string])[] = [],
): void {
  handler.sendResponse(204);
  handler.sendHeader("Access-Control-Allow-Methods", methods.join(", "));
  for (const [name, value] of extra) handler.sendHeader(name, value);
  const asked = handler.headers.get("access-control-request-headers");
  if (asked) handler.sendHeader("Access-Control-Allow-Headers", asked);
  handler.endHeaders();
}

/** The methods of a handler's `do_<METHOD>` functions, sorted. */
export function handlerMethods(handler: BaseHTTPRequestHandler): string[] {
  const methods = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(handler);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name.startsWith("do_") && typeof proto[name] === "function") {
        methods.add(name.slice(3));
      }
    }
  }
  return [...methods].sort();
}
