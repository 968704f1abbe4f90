/**
 * The XML bodies of WebDAV's requests (`PROPFIND`, `PROPPATCH`, `LOCK`),
 * read as WebDAV clients write them, not by a full XML parser: bounded in
 * size, then scanned once for the elements' start tags, each named by its
 * namespace (declared for its prefix anywhere in the body) and local name.
 * Every pattern is linear in the body whatever it holds.
 *
 * @example
 * ```ts
 * import { tagsOf } from "./xml.ts";
 *
 * const tags = tagsOf('<d:lockinfo xmlns:d="DAV:"><d:exclusive/></d:lockinfo>');
 * tags.map(({ ns, name }) => ns + name); // ["DAV:lockinfo", "DAV:exclusive"]
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import type { OpsSite } from "./site.ts";

/** The most bytes of a request body read. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * An element's start tag: its name (with its prefix) and the rest. Linear
 * in the body whatever it holds: the name is taken whole (nothing after it
 * could continue it) and the rest stops at the next `<`, so that a failed
 * match never retries shorter names nor scans past the next tag.
 */
const START_TAG = /<([A-Za-z_][\w.:-]*)(?![\w.:-])([^<>]*)>/g;
/** A namespace declaration: its prefix ("" for the default) and URI. */
const DECLARATION = /\bxmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(["'])(.*?)\2/g;

/** An element's start tag in a body. */
export interface Tag {
  /** Its namespace, "" for none. */
  readonly ns: string;
  /** Its local name. */
  readonly name: string;
  /** Its prefix, if it has one. */
  readonly prefix: string | undefined;
  /** Whether it is an empty element (`<a/>`). */
  readonly empty: boolean;
  /** Where the tag starts in the body. */
  readonly start: number;
  /** Where its content starts: just past the tag. */
  readonly end: number;
}

/**
 * The start tags of `body`, in order.
 *
 * @throws {HttpError} 400 for a prefix declared for no namespace
 *   (`xmlns:a=""`, which XML namespaces forbid)
 */
export function tagsOf(body: string): Tag[] {
  const namespaces = new Map<string, string>();
  for (const [, prefix = "", , uri] of body.matchAll(DECLARATION)) {
    if (prefix !== "" && uri === "") {
      throw new HttpError("bad-path", "Bad XML body", {
        explain: `The prefix ${prefix} is declared for no namespace`,
      });
    }
    namespaces.set(prefix, uri);
  }
  return [...body.matchAll(START_TAG)].map((match) => {
    const colon = match[1].indexOf(":");
    const prefix = colon < 0 ? undefined : match[1].slice(0, colon);
    return {
      ns: namespaces.get(prefix ?? "") ?? "",
      name: match[1].slice(colon + 1),
      prefix,
      empty: match[2].endsWith("/"),
      start: match.index,
      end: match.index + match[0].length,
    };
  });
}

/**
 * Where the content of `tag`, a start tag of `body`, ends: at its end tag,
 * or at the body's end when it has none. An empty element's ends at once.
 */
export function contentEnd(body: string, tag: Tag): number {
  if (tag.empty) return tag.end;
  const close = body.indexOf(
    `</${tag.prefix ? tag.prefix + ":" : ""}${tag.name}`,
    tag.end,
  );
  return close < 0 ? body.length : close;
}

/** The index of the first tag of `tags` in `DAV:` named `name`, or -1. */
export function davTag(tags: readonly Tag[], name: string): number {
  return tags.findIndex((tag) => tag.ns === "DAV:" && tag.name === name);
}

/**
 * The request body as text, up to 64 KiB.
 *
 * @throws {HttpError} 413 for a longer body
 */
export async function readBody(h: OpsSite): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const chunk = await h.rfile.readChunk();
    if (chunk.length === 0) return text + decoder.decode();
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) {
      throw new HttpError("body-too-large", `${h.command} body too large`);
    }
    text += decoder.decode(chunk, { stream: true });
  }
}
