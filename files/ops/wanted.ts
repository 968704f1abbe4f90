/**
 * What a `PROPFIND` body asks for (RFC 4918 §9.1, §14.20): every property
 * (`allprop`, or no body), the names alone (`propname`), or some, each
 * named by its namespace and local name (`prop`). The body is read as
 * WebDAV clients write it (see `xml.ts`).
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
import { contentEnd, davTag, tagsOf } from "./xml.ts";

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
 * What the body of a `PROPFIND` asks for.
 *
 * @throws {HttpError} 400 for a body that holds no `DAV:` `propfind`
 */
export function wantedOf(body: string): Wanted {
  if (body.trim() === "") return { kind: "all" };
  const tags = tagsOf(body);
  const dav = (name: string) => davTag(tags, name);
  if (dav("propfind") < 0) {
    throw new HttpError("bad-path", "Bad PROPFIND body", {
      explain: "A PROPFIND body is a DAV: propfind element",
    });
  }
  if (dav("propname") >= 0) return { kind: "names" };
  const prop = dav("prop");
  if (prop < 0 || tags[prop].empty) return { kind: "all" };
  const close = contentEnd(body, tags[prop]);
  const props = tags.slice(prop + 1)
    .filter((tag) => tag.end <= close)
    .map(({ ns, name }) => ({ ns, name }));
  return { kind: "some", props };
}
