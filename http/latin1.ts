/**
 * Bytes to string as ISO-8859-1 (latin-1): each byte becomes the character
 * with the same code, as Python's `str(b, "iso-8859-1")`. The WHATWG
 * `TextDecoder("latin1")` is windows-1252 and maps 0x80-0x9F elsewhere, so it
 * cannot be used here.
 *
 * @example
 * ```ts
 * import { latin1 } from "./latin1.ts";
 * const bytes = new Uint8Array([0x47, 0x45, 0x54, 0x80]);
 * console.log(latin1(bytes, 0, 4) === "GET\x80"); // true
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * Below this length a plain loop beats the native decoder, whose fixed cost
 * per call is that of many bytes in the loop; bench/README.md has the
 * lengths tried on a typical head.
 */
const NATIVE_FROM = 12;

/**
 * Decodes `buf[start, end)` as latin-1 (byte value = char code).
 *
 * @param buf the bytes
 * @param start first byte to decode
 * @param end one past the last byte to decode
 * @returns the decoded string
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end - start < NATIVE_FROM) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start)
    .toString("latin1");
}
