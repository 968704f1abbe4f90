/**
 * The live-reload script tag put into an HTML page: before its last
 * `</body>`, else at its end, as browsers would place a script found after
 * the body anyway. Pure: bytes in, bytes out. The tag names an external
 * script (see `client.ts`), so a page whose Content-Security-Policy allows
 * `'self'` scripts runs it; no inline script is added. It carries the
 * version of the folder's changes the page shows (see `reload.ts`).
 *
 * @example
 * ```ts
 * import { injectScript, scriptTag } from "./inject.ts";
 *
 * const page = new TextEncoder().encode("<p>hi</p></body></html>");
 * const out = new TextDecoder().decode(injectScript(page, "9f3a01bc.2"));
 * console.log(out === `<p>hi</p>${scriptTag("9f3a01bc.2")}</body></html>`); // true
 * ```
 *
 * @module
 */

import type { BufferedWriter } from "../../http/writer.ts";
import { copyBytes } from "../filebody.ts";
import { CLIENT_PATH } from "./client.ts";

/**
 * The tag put into pages: the client script, deferred until parsed, with
 * the version the page shows (letters, digits and dots: nothing to escape).
 */
export function scriptTag(version: string): string {
  return `<script src="${CLIENT_PATH}" data-version="${version}" defer></script>`;
}

/** {@link scriptTag} as bytes (it is ASCII). */
function scriptBytes(version: string): Uint8Array {
  return new TextEncoder().encode(scriptTag(version));
}

/** `</body` in lower case, the bytes searched for. */
const BODY_END = new TextEncoder().encode("</body");

/**
 * How many bytes at the end of a large page {@link insertionPoint} is given
 * to search: `</body>` is followed by little more than `</html>`.
 */
export const TAIL_BYTES = 64 * 1024;

/**
 * Where in `html` the tag goes: the offset of its last `</body` (ASCII case
 * folded), else its length. `html` may be the tail of a page: the offset is
 * then within that tail.
 *
 * @example
 * ```ts
 * import { insertionPoint } from "./inject.ts";
 * insertionPoint(new TextEncoder().encode("<p>x</BODY>\n")); // 4
 * insertionPoint(new TextEncoder().encode("<p>x</p>")); // 8
 * ```
 */
export function insertionPoint(html: Uint8Array): number {
  const last = html.length - BODY_END.length;
  for (let i = last; i >= 0; i--) {
    if (html[i] !== 0x3c) continue;
    let j = 1;
    while (j < BODY_END.length && lower(html[i + j]) === BODY_END[j]) j++;
    if (j === BODY_END.length) return i;
  }
  return html.length;
}

/** An ASCII capital letter folded to lower case; any other byte as it is. */
function lower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/**
 * Whether the page's bytes are in an encoding where ASCII is not itself:
 * UTF-16 with its byte order mark, where inserting ASCII bytes would break
 * the page. Such a page is sent as it is.
 */
export function injectable(html: Uint8Array): boolean {
  const bom = html[0] << 8 | html[1];
  return !(html.length >= 2 && (bom === 0xfeff || bom === 0xfffe));
}

/**
 * `html` with {@link scriptTag} of `version` before its last `</body>`,
 * else at its end; `html` itself when it is not {@link injectable}. A new
 * array: `html` may be shared (the cache of small files) and is never
 * changed.
 */
export function injectScript(html: Uint8Array, version: string): Uint8Array {
  if (!injectable(html)) return html;
  const at = insertionPoint(html);
  const tag = scriptBytes(version);
  const out = new Uint8Array(html.length + tag.length);
  out.set(html.subarray(0, at));
  out.set(tag, at);
  out.set(html.subarray(at), at + tag.length);
  return out;
}

/** A page too large to hold, sent from its file with the tag put in. */
export interface InjectedFile {
  /** The bytes sent: the file's and the tag's. */
  length: number;
  /**
   * Writes the file up to the insertion point, the tag, then the rest of
   * the file. Resolves to the bytes written, fewer than {@link length} if
   * the file shrank meanwhile.
   */
  send: (out: BufferedWriter) => Promise<number>;
}

/**
 * The body of the page in `file` (`size` bytes, at its start) with the tag
 * of `version` put in: the insertion point is looked for in its last
 * {@link TAIL_BYTES} (else the tag goes at the end). Null when the page is
 * not {@link injectable}. Leaves the file at its start.
 */
export async function injectFile(
  file: Deno.FsFile,
  size: number,
  version: string,
): Promise<InjectedFile | null> {
  const head = await readAt(file, 0, Math.min(2, size));
  const tailStart = Math.max(0, size - TAIL_BYTES);
  const tail = await readAt(file, tailStart, size - tailStart);
  await file.seek(0, Deno.SeekMode.Start);
  if (!injectable(head)) return null;
  const at = tailStart + insertionPoint(tail);
  const tag = scriptBytes(version);
  return {
    length: size + tag.length,
    async send(out) {
      const before = await copyBytes(file, out, at);
      if (before < at) return before;
      await out.write(tag);
      return before + tag.length +
        await copyBytes(file, out, size - at);
    },
  };
}

/** `length` bytes of `file` from `offset`, fewer at its end. */
async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const bytes = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const n = await file.read(bytes.subarray(read));
    if (n === null) break;
    read += n;
  }
  return bytes.subarray(0, read);
}
