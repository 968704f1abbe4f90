/**
 * `PROPPATCH` (RFC 4918 §9.2), which WebDAV clients send after they write a
 * file (Windows its `Win32*` times, macOS its own): a `207 Multi-Status`
 * that names each property set or removed with `403 Forbidden`. No property
 * is stored or changed: the live ones are the file system's (protected,
 * §15), and dead ones would need a store beside the files. The request is
 * checked as every change (see `checkChange`, `checkLocks`), so that it
 * answers what a change of the path would.
 *
 * @example
 * ```ts ignore
 * import { proppatch } from "./proppatch.ts";
 *
 * // site: an OpsSite for `PROPPATCH /a.txt` with a propertyupdate body
 * const answer = await proppatch(site);
 * console.log(answer.status); // 207
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { escapeAttribute, escapeText } from "../../util/html.ts";
import { fileNotFound } from "../sandbox.ts";
import { refuseForeignHost } from "../upload/host.ts";
import { checkLocks } from "./locks.ts";
import {
  checkChange,
  lstatOrNull,
  type OpsAnswer,
  type OpsSite,
} from "./site.ts";
import { contentEnd, davTag, readBody, tagsOf } from "./xml.ts";

/**
 * Answers a `PROPPATCH`: 207, each property of its `set` and `remove`
 * instructions 403.
 *
 * @throws {HttpError} 400 (a body that is no `propertyupdate`), 403 (as
 *   the other changes), 404, 412 (an `If`), 413, 423 (locked)
 */
export async function proppatch(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const body = await readBody(h);
  const target = checkChange(h, h.path, "PROPPATCH", "existing");
  const info = lstatOrNull(target.path);
  if (info === null) throw fileNotFound();
  const url = h.urlRoot + h.path.split("?", 1)[0];
  checkLocks(h, target, url, true);
  const tags = tagsOf(body);
  if (davTag(tags, "propertyupdate") < 0) {
    throw new HttpError("bad-path", "Bad PROPPATCH body", {
      explain: "A PROPPATCH body is a DAV: propertyupdate element",
    });
  }
  // The properties: the children of each `prop`, not what they hold.
  let names = "";
  for (const [at, tag] of tags.entries()) {
    if (tag.ns !== "DAV:" || tag.name !== "prop") continue;
    const close = contentEnd(body, tag);
    let past = 0;
    for (let i = at + 1; i < tags.length; i++) {
      const inner = tags[i];
      if (inner.end > close) break;
      if (inner.start < past) continue;
      past = contentEnd(body, inner);
      names += `<${inner.name} xmlns="${escapeAttribute(inner.ns)}"/>`;
    }
  }
  const text = '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<D:multistatus xmlns:D="DAV:">\n' +
    `<D:response><D:href>${escapeText(url)}</D:href>` +
    `<D:propstat><D:prop>${names}</D:prop>` +
    "<D:status>HTTP/1.1 403 Forbidden</D:status>" +
    "<D:responsedescription>Properties are not kept here" +
    "</D:responsedescription></D:propstat></D:response>\n" +
    "</D:multistatus>\n";
  return {
    status: 207,
    headers: [["Content-Type", 'application/xml; charset="utf-8"']],
    body: new TextEncoder().encode(text),
  };
}
