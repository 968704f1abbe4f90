/**
 * The file operations on the listing pages: a small inline script that
 * adds a Rename and a Delete button beside each entry (`--delete`) and a New
 * folder button below the list (`--mkdir`), which send `MOVE`, `DELETE` and
 * `MKCOL` with `fetch` and reload the listing. Without JavaScript there are
 * no buttons: the page stays a plain listing. The page allows the script by
 * its hash in its `Content-Security-Policy` (see `listing/csp.ts`), so that
 * nothing else inline runs; the buttons it shows are named on its `data-ops`
 * attribute, which the hash does not cover. With accounts, the listing marks
 * the entries the request's user may not change ({@link FIXED}, see
 * {@link changeableEntries}): the script puts no button beside them.
 *
 * @example
 * ```ts
 * import { opsFooter } from "./page.ts";
 *
 * opsFooter({ delete: false, mkdir: false }); // ""
 * opsFooter({ delete: true, mkdir: true }).startsWith('<script data-ops="delete mkdir">'); // true
 * ```
 *
 * @module
 */

import { type Access, childPath } from "../access.ts";
import { changeableIn } from "./site.ts";
import { isChangeableName } from "../hidden.ts";

/**
 * The attribute on an entry's link that the user may not change: a name,
 * no value, so that nothing of the name needs escaping twice.
 */
export const FIXED = "data-fixed";

/** The switches that put buttons on the listing pages. */
export interface OpsButtons {
  /** Rename and Delete (`--delete`). */
  readonly delete?: boolean;
  /** New folder (`--mkdir`). */
  readonly mkdir?: boolean;
}

/**
 * The script: entries are the links of the list (Python's page) or of the
 * name column (the pretty page), but the parent folder's and the sorting
 * links and those marked {@link FIXED}, also those of a list put in the
 * page later (the upload script shows the listing again in place). A
 * refusal shows in an alert: a name taken or a folder missing in words (the
 * fetch face's status line has only the standard phrase, "412 Precondition
 * Failed"), any other by its status.
 */
export const OPS_SCRIPT = `
(() => {
  const script = document.currentScript;
  const ops = script.dataset.ops.split(" ");
  const act = async (url, init, name) => {
    const response = await fetch(url, init);
    if (response.ok) return location.reload();
    const taken = init.method === "MKCOL" ? 405 : 412;
    if (name && response.status === taken) alert(name + " exists already");
    else if (name && response.status === 409) alert("No folder to put " + name + " in");
    else alert(response.status + " " + response.statusText);
  };
  const button = (label, onClick) => {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  };
  const encode = (path) => path.split("/").map(encodeURIComponent).join("/");
  const entries = "li > a, td.name > a";
  const decorate = (link) => {
    const href = link.getAttribute("href");
    if (href === "../" || href.includes("?") || link.hasAttribute("${FIXED}")) {
      return;
    }
    const url = new URL(href, location.href);
    const folder = href.endsWith("/");
    const name = decodeURIComponent(folder ? href.slice(0, -1) : href);
    link.after(
      " ",
      button("Rename", () => {
        const to = prompt("Rename " + name + " to", name);
        if (!to || to === name) return;
        const slash = folder && !to.endsWith("/") ? "/" : "";
        const destination = new URL(encode(to) + slash, location.href);
        act(url, {
          method: "MOVE",
          headers: { Destination: destination.href, Overwrite: "F" },
        }, to);
      }),
      " ",
      button("Delete", () => {
        if (confirm("Delete " + name + (folder ? " and all it holds?" : "?"))) {
          act(url, { method: "DELETE" });
        }
      }),
    );
  };
  if (ops.includes("delete")) {
    document.querySelectorAll(entries).forEach(decorate);
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          if (node.matches(entries)) decorate(node);
          node.querySelectorAll(entries).forEach(decorate);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (ops.includes("mkdir")) {
    script.before(button("New folder", () => {
      const name = prompt("Name of the new folder");
      if (name) act(new URL(encode(name) + "/", location.href), { method: "MKCOL" }, name);
    }));
  }
})();
`;

/**
 * The listing pages' part of the file operations: the script with the
 * buttons these settings allow, or "" when neither is on (then Python's
 * page stays Python's, byte for byte).
 */
export function opsFooter(buttons: OpsButtons): string {
  // Every listing asks: without buttons, nothing is made.
  if (!buttons.delete && !buttons.mkdir) return "";
  const ops = buttons.delete && buttons.mkdir
    ? "delete mkdir"
    : buttons.delete
    ? "delete"
    : "mkdir";
  return `<script data-ops="${ops}">${OPS_SCRIPT}</script>\n`;
}

/**
 * Which entries of the folder at `folder` (a served path, see `folderPath`)
 * the user of `access` may change, as `DELETE` and `MOVE` decide (no
 * hidden name but Finder's, see `isChangeableName`: the buttons are there
 * with `--delete`, so on a server that speaks WebDAV; and `changeableIn`):
 * the listing marks the others {@link FIXED}. A folder
 * takes besides that no access rule inside it keeps a path from the user
 * (`Access.allowsInside`): deleting or moving it needs every path inside.
 * What it holds is not read, which would cost a walk per folder listed: a
 * symlink inside that leads where the user may not change still has its
 * buttons, and their 403.
 *
 * @returns whether the entry `name`, a folder (not a symlink to one) when
 *   `isFolder`, may be changed
 */
export function changeableEntries(
  access: Access,
  folder: string,
): (name: string, isFolder: boolean) => boolean {
  const changeable = changeableIn(access, folder);
  return (name, isFolder) =>
    isChangeableName(name, true) && changeable(name) &&
    (!isFolder ||
      (access.allowsInside?.(childPath(folder, name), "write") ?? true));
}
