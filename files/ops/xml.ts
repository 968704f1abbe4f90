/**
 * The XML bodies of WebDAV's requests (`PROPFIND`, `PROPPATCH`, `LOCK`),
 * read as WebDAV clients write them, not by a full XML parser: bounded in
 * size, then scanned once for the elements' tags, each start tag named by
 * its namespace (declared for its prefix on it or around it) and local name.
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
 * An element's start or end tag: its `/` for an end tag, its name (with its
 * prefix) and the rest. Linear in the body whatever it holds: the name is
 * taken whole (nothing after it could continue it) and the rest stops at
 * the next `<`, so that a failed match never retries shorter names nor
 * scans past the next tag.
 */
const TAG = /<(\/?)([A-Za-z_][\w.:-]*)(?![\w.:-])([^<>]*)>/g;
/** A namespace declaration: its prefix ("" for the default) and URI. */
const DECLARATION = /\bxmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(["'])(.*?)\2/g;

/** The deepest nesting of elements read. */
const MAX_DEPTH = 64;

/** The namespaces of an element's scope: its own declarations, its parent's. */
interface Scope {
  readonly declared: ReadonlyMap<string, string>;
  readonly parent: Scope | null;
}

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
 * The start tags of `body`, in order, each in the namespace its prefix (or
 * none, the default) is declared for on it or the elements around it.
 *
 * @throws {HttpError} 400 for a prefix declared for no namespace
 *   (`xmlns:a=""`, which XML namespaces forbid), or elements nested deeper
 *   than 64
 */
export function tagsOf(body: string): Tag[] {
  const bad = (explain: string) =>
    new HttpError("bad-path", "Bad XML body", { explain });
  const tags: Tag[] = [];
  const open: (Scope | null)[] = [];
  let scope: Scope | null = null;
  for (const match of body.matchAll(TAG)) {
    const [whole, end, qualified, rest] = match;
    if (end === "/") {
      scope = open.pop() ?? null;
      continue;
    }
    const declared = new Map<string, string>();
    for (const [, prefix = "", , uri] of rest.matchAll(DECLARATION)) {
      if (prefix !== "" && uri === "") {
        throw bad(`The prefix ${prefix} is declared for no namespace`);
      }
      declared.set(prefix, uri);
    }
    const own: Scope | null = declared.size > 0
      ? { declared, parent: scope }
      : scope;
    const colon = qualified.indexOf(":");
    const prefix = colon < 0 ? undefined : qualified.slice(0, colon);
    let ns = "";
    for (let at = own; at !== null; at = at.parent) {
      const uri = at.declared.get(prefix ?? "");
      if (uri !== undefined) {
        ns = uri;
        break;
      }
    }
    const empty = rest.endsWith("/");
    tags.push({
      ns,
      name: qualified.slice(colon + 1),
      prefix,
      empty,
      start: match.index,
      end: match.index + whole.length,
    });
    if (empty) continue;
    if (open.length === MAX_DEPTH) throw bad("Elements nest too deep");
    open.push(scope);
    scope = own;
  }
  return tags;
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
