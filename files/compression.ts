/**
 * Content codings for files (RFC 9110 §8.4, §12.5.3): which coding a client's
 * `Accept-Encoding` prefers, a precompressed sibling (`app.js.br`,
 * `app.js.gz`) to send in place of a file, and gzip on the fly, with the Web
 * `CompressionStream`, for text types. Both are off unless the handler turns
 * them on; a response that may vary by coding says `Vary: Accept-Encoding`.
 *
 * On-the-fly gzip never applies to ranges (the caller does not ask for it
 * then), to types that are compressed already or unknown, or to files under
 * {@link MIN_GZIP_BYTES}. A small file is compressed in memory and sent with
 * its `Content-Length`; a large one is streamed, chunked (HTTP/1.1) or up to
 * the close (HTTP/1.0), since its compressed length is not known up front.
 *
 * @example
 * ```ts
 * import { acceptedCodings, gzipBytes, isCompressible } from "./compression.ts";
 *
 * acceptedCodings("gzip, deflate, br"); // ["br", "gzip"]
 * acceptedCodings("br;q=0.5, gzip"); // ["gzip", "br"]
 * acceptedCodings("*;q=0.1, br;q=0"); // ["gzip"]
 * isCompressible("text/css"); // true
 * isCompressible("image/png"); // false
 * const text = new TextEncoder().encode("hello ".repeat(100));
 * (await gzipBytes(text)).length < text.length; // true
 * ```
 *
 * @module
 */

import db from "mime-db/db.json" with { type: "json" };
import type { BufferedWriter } from "../http/writer.ts";
import { writeChunk, writeLastChunk } from "../http/chunked.ts";

/** The content codings this server sends. */
export type ContentCoding = "br" | "gzip";

/** The sibling file that holds a file in each coding: `name` + suffix. */
export const SIBLING_SUFFIX: Readonly<Record<ContentCoding, string>> = {
  br: ".br",
  gzip: ".gz",
};

/**
 * Files shorter than this are not gzipped on the fly: below a few hundred
 * bytes gzip's 18 bytes of framing eat what it saves (nginx's
 * `gzip_min_length` is for the same).
 */
export const MIN_GZIP_BYTES = 256;

/** RFC 9110 §12.4.2: `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The codings of {@link ContentCoding} that an `Accept-Encoding` value
 * accepts, best first (RFC 9110 §12.5.3): each coding's `q` (1 when not
 * given), else the `q` of `*`; `q=0` and codings not named (without `*`) are
 * not acceptable. `x-gzip` is gzip (§8.4.1.3). On equal `q`, br comes first:
 * it is smaller. A malformed element is skipped.
 *
 * @param value the `Accept-Encoding` field value
 */
export function acceptedCodings(value: string): ContentCoding[] {
  let br: number | undefined;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const element of value.split(",")) {
    const [name, ...params] = element.split(";");
    let q = 1;
    let valid = true;
    for (const param of params) {
      const eq = param.indexOf("=");
      if (param.slice(0, eq).trim().toLowerCase() !== "q") continue;
      const text = param.slice(eq + 1).trim();
      valid &&= QVALUE.test(text);
      q = Number(text);
    }
    if (!valid) continue;
    // A coding named twice keeps its first q.
    switch (name.trim().toLowerCase()) {
      case "br":
        br ??= q;
        break;
      case "gzip":
      case "x-gzip":
        gzip ??= q;
        break;
      case "*":
        star ??= q;
        break;
    }
  }
  const qBr = br ?? star ?? 0;
  const qGzip = gzip ?? star ?? 0;
  const codings: ContentCoding[] = [];
  if (qBr > 0) codings.push("br");
  if (qGzip > 0) {
    if (qGzip > qBr) codings.unshift("gzip");
    else codings.push("gzip");
  }
  return codings;
}

/**
 * Whether a type is worth gzipping: `text/*`, and what mime-db marks
 * compressible (JSON, JavaScript, SVG, XML, WebAssembly...), but not
 * `application/octet-stream`, the type of anything unknown, which may well be
 * compressed already.
 *
 * @param type a `Content-Type` without parameters
 */
export function isCompressible(type: string): boolean {
  if (type.startsWith("text/")) return true;
  if (type === "application/octet-stream") return false;
  return (db as Record<string, { compressible?: boolean }>)[type]
    ?.compressible === true;
}

/** What a handler allows: its `precompressed` and `gzip` fields. */
export interface CompressionOptions {
  /** Send a `.br` / `.gz` sibling in place of the file when accepted. */
  readonly precompressed: boolean;
  /** Gzip compressible files on the fly when accepted. */
  readonly gzip: boolean;
}

/** How a file is sent compressed. */
export interface Encoding {
  /** The `Content-Encoding`. */
  readonly coding: ContentCoding;
  /**
   * The precompressed sibling sent in place of the file (its own size, time
   * and tag then describe the response), or null to gzip the file on the fly.
   */
  readonly sibling: { path: string; info: Deno.FileInfo } | null;
}

/**
 * How to send the file at `path` to a client that sent `acceptEncoding`:
 * in the client's order of preference, a precompressed sibling that exists,
 * or gzip on the fly, as `options` allow; null to send the file as it is.
 *
 * @param acceptEncoding the `Accept-Encoding` field value
 * @param path the file's path
 * @param size the file's length
 * @param type the file's `Content-Type`
 * @param options what the handler allows
 * @param stat the file's `stat`, or null when it is missing or may not be read
 */
export function chooseEncoding(
  acceptEncoding: string,
  path: string,
  size: number,
  type: string,
  options: CompressionOptions,
  stat: (path: string) => Deno.FileInfo | null,
): Encoding | null {
  for (const coding of acceptedCodings(acceptEncoding)) {
    if (options.precompressed) {
      const sibling = path + SIBLING_SUFFIX[coding];
      const info = stat(sibling);
      if (info?.isFile) return { coding, sibling: { path: sibling, info } };
    }
    if (
      coding === "gzip" && options.gzip && size >= MIN_GZIP_BYTES &&
      isCompressible(type)
    ) {
      return { coding, sibling: null };
    }
  }
  return null;
}

/**
 * Gzipped copies of small files' bytes, by the cache entry's array: a file
 * served from memory is compressed once per version, and its copy goes when
 * the cache drops the entry.
 */
const GZIPPED = new WeakMap<Uint8Array, Uint8Array>();

/** `body` gzipped, for a response with a `Content-Length`. */
export async function gzipBytes(body: Uint8Array): Promise<Uint8Array> {
  let gzipped = GZIPPED.get(body);
  if (gzipped === undefined) {
    const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new CompressionStream("gzip"));
    gzipped = new Uint8Array(await new Response(stream).arrayBuffer());
    GZIPPED.set(body, gzipped);
  }
  return gzipped;
}

/** Bytes read from the file per step of {@link writeGzip}. */
const READ_SIZE = 64 * 1024;

/**
 * Streams `length` bytes of `file` gzipped to `out`: as chunks of the chunked
 * transfer coding (RFC 9112 §7.1) when `chunked`, else as they come (the
 * caller closes the connection to end the body). Resolves to the file bytes
 * read: fewer than `length` when the file shrank, and then the last chunk is
 * not sent, so that a client sees the body cut short. The caller closes
 * `file`.
 */
export async function writeGzip(
  file: Deno.FsFile,
  length: number,
  out: BufferedWriter,
  chunked: boolean,
): Promise<number> {
  const stream = new CompressionStream("gzip");
  const writer = stream.writable.getWriter();
  let read = 0;
  const feeding = (async () => {
    try {
      while (read < length) {
        // A fresh buffer each time: the stream may hold a chunk it was given.
        const buf = new Uint8Array(Math.min(READ_SIZE, length - read));
        const n = await file.read(buf);
        if (n === null) break;
        read += n;
        await writer.write(buf.subarray(0, n));
      }
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => {});
      throw error;
    }
  })();
  const reader = stream.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (chunked) await writeChunk(out, value);
      else await out.write(value);
    }
  } catch (error) {
    // The client went away (or the file failed): stop reading the file.
    await reader.cancel(error).catch(() => {});
    await feeding.catch(() => {});
    throw error;
  }
  await feeding;
  if (chunked && read === length) await writeLastChunk(out);
  return read;
}
