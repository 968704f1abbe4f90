/**
 * The listing pages' line about the request's user, with accounts: a "Sign
 * in" link for a visitor without credentials, who could otherwise never sign
 * in where anyone may read (a browser sends credentials only once
 * challenged; `?login` challenges, see `gate.ts`), else the name of the user
 * signed in. A plain link: no script. Without accounts there is no line, so
 * Python's page stays Python's.
 *
 * @example
 * ```ts
 * import { accountLine } from "./page.ts";
 * import { EVERYONE } from "../access.ts";
 *
 * accountLine(EVERYONE); // ""
 * accountLine({ user: null, allows: () => true });
 * // '<p class="account"><a href="?login">Sign in</a></p>\n'
 * ```
 *
 * @module
 */

import { type Access, EVERYONE } from "../access.ts";
import { escapeText } from "../../util/html.ts";

/** The link that signs in: the listed folder itself, challenged. */
export const SIGN_IN = '<p class="account"><a href="?login">Sign in</a></p>\n';

/**
 * Who the page is for: "" without accounts ({@link EVERYONE}), the sign-in
 * link without a user, else "Signed in as" the user's name, escaped.
 */
export function accountLine(access: Access): string {
  if (access === EVERYONE) return "";
  if (access.user === null) return SIGN_IN;
  return `<p class="account">Signed in as ${escapeText(access.user)}</p>\n`;
}
