/**
 * The accounts the accounts tests sign in with: an htpasswd file made by
 * Debian's `htpasswd` (`-nbB alice wonderland`, bcrypt; `-nbm bob builder`,
 * `$apr1$`), and the `Authorization` fields that sign each in.
 *
 * @module
 */

/** Alice's line: bcrypt, cost 5. */
export const ALICE_LINE =
  "alice:$2y$05$4Obsky9VMGRoEriqHr3St.wWuIa1mdeYMR2TyRZxgf6zQHmS941kK";

/** Bob's line: `$apr1$`. */
export const BOB_LINE = "bob:$apr1$GNFE4rMf$/ADO0e3ban/BOjGKT0EIz.";

/** The htpasswd file of both. */
export const USERS = `${ALICE_LINE}\n${BOB_LINE}\n`;

/** Alice's name and password, as a browser is given them. */
export const ALICE_LOGIN = { username: "alice", password: "wonderland" };

/** Alice signed in (`fetch` headers). */
export const ALICE = {
  Authorization: `Basic ${
    btoa(`${ALICE_LOGIN.username}:${ALICE_LOGIN.password}`)
  }`,
};

/** Bob signed in (`fetch` headers). */
export const BOB = { Authorization: `Basic ${btoa("bob:builder")}` };
