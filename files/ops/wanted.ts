/**
 * What a `PROPFIND` body asks for (RFC 4918 §9.1, §14.20): every property
 * (`allprop`, or no body), the names alone (`propname`), or some, each
 * named by its namespace and local name (`prop`). The body is read as
 * WebDAV clients write it, not by a full XML parser: the elements' names,
 * and the namespaces their prefixes are declared for anywhere in it.
 *
 * @example
 * ```ts
 * import { wantedOf } from "./wanted.ts";
 *
 * wantedOf(""); // { kind: "all" }
 * wantedOf('<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>');
 * // { kind: "some", props: [{ ns: "DAV:", name: "getetag" }] }
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";

/** A property's name: its namespace and its local name. */
export interface PropName {
  /** The namespace (`DAV:` for WebDAV's own), or "" for none. */
  readonly ns: string;
  /** The local name. */
  readonly name: string;
}

/** What a `PROPFIND` asks for. */
export type Wanted =
  | { readonly kind: "all" }
  | { readonly kind: "names" }
  | { readonly kind: "some"; readonly props: readonly PropName[] };

/**
 * An element's start tag: its name (with its prefix) and the rest. Linear
 * in the body whatever it holds: the name is taken whole (nothing after it
 * could continue it) and the rest stops at the next `<`, so that a failed
 * match never retries shorter names nor scans past the next tag.
 */
const START_TAG = /<([A-Za-z_][\w.:-]*)(?![\w.:-])([^<>]*)>/g;
/** A namespace declaration: its prefix ("" for the default) and URI. */
const DECLARATION = /\bxmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(["'])(.*?)\2/g;

/**
 * What the body of a `PROPFIND` asks for.
 *
 * @throws {HttpError} 400 for a body that holds no `DAV:` `propfind`
 */
export function wantedOf(body: string): Wanted {
  if (body.trim() === "") return { kind: "all" };
  const namespaces = new Map<string, string>();
  for (const [, prefix = "", , uri] of body.matchAll(DECLARATION)) {
    namespaces.set(prefix, uri);
  }
  const tags = [...body.matchAll(START_TAG)].map((match) => {
    const colon = match[1].indexOf(":");
    const prefix = colon < 0 ? undefined : match[1].slice(0, colon);
    return {
      ns: namespaces.get(prefix ?? "") ?? "",
      name: match[1].slice(colon + 1),
      empty: match[2].endsWith("/"),
      end: match.index + match[0].length,
      prefix,
    };
  });
  const dav = (name: string) =>
    tags.findIndex((tag) => tag.ns === "DAV:" && tag.name === name);
  if (dav("propfind") < 0) {
    throw new HttpError("bad-path", "Bad PROPFIND body", {
      explain: "A PROPFIND body is a DAV: propfind element",
    });
  }
  if (dav("propname") >= 0) return { kind: "names" };
  const prop = dav("prop");
  if (prop < 0 || tags[prop].empty) return { kind: "all" };
  const { prefix, end } = tags[prop];
  const close = body.indexOf(`</${prefix ? prefix + ":" : ""}prop`, end);
  const props = tags.slice(prop + 1)
    .filter((tag) => close < 0 || tag.end <= close)
    .map(({ ns, name }) => ({ ns, name }));
  return { kind: "some", props };
}
