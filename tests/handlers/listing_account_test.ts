// With accounts, each face's listing pages show the upload form and the file
// buttons only to a user who may change the folder, and a "Sign in" link
// (`?login`) to a visitor without credentials, or the signed-in user's name,
// as search results do: over real sockets, with the real gate (--auth-file, --access).
import assert from "node:assert/strict";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { ALICE, BOB, USERS } from "../support/accounts.ts";

/** Anyone reads; only Alice changes, and only `/inbox`. */
const FLAGS = (users: string) => [
  "--auth-file",
  users,
  "--access",
  "/:*=ro",
  "--access",
  "/inbox:*=ro,alice=rw",
  "--upload",
  "--delete",
  "--mkdir",
  "--search",
];

/** What a listing page shows of the accounts and the controls. */
async function seen(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  assert.equal(response.status, 200, url);
  const html = await response.text();
  return {
    signIn: html.includes('<a href="?login">Sign in</a>'),
    user: /Signed in as ([^<]*)</.exec(html)?.[1] ?? null,
    upload: html.includes('enctype="multipart/form-data"'),
    buttons: html.includes('<script data-ops="delete mkdir">'),
  };
}

for (const name of ["python", "fetch"] as FaceName[]) {
  for (const pretty of [false, true]) {
    const page = pretty ? "pretty page" : "Python's page";
    Deno.test(`${name} face, ${page}: the upload form and file buttons are for who may change the folder, and the page says who signed in`, async () => {
      await using folder = await tempFolder("httpserver-listing-account-", {
        "users": USERS,
        "site/a.txt": "a\n",
        "site/inbox/b.txt": "b\n",
      });
      await using face = startFace(name, `${folder.root}/site`, [
        ...FLAGS(`${folder.root}/users`),
        ...(pretty ? ["--pretty-listing"] : []),
      ]);
      const url = `http://127.0.0.1:${face.port}`;
      const anonymous = {
        signIn: true,
        user: null,
        upload: false,
        buttons: false,
      };
      assert.deepEqual(await seen(`${url}/`), anonymous);
      assert.deepEqual(await seen(`${url}/inbox/`), anonymous);
      const bob = { signIn: false, user: "bob", upload: false, buttons: false };
      assert.deepEqual(await seen(`${url}/inbox/`, BOB), bob);
      const alice = { ...bob, user: "alice" };
      assert.deepEqual(await seen(`${url}/`, ALICE), alice);
      assert.deepEqual(await seen(`${url}/inbox/`, ALICE), {
        ...alice,
        upload: true,
        buttons: true,
      });
      // The link's `?login` asks for credentials, and signed in is the page.
      const login = await fetch(`${url}/inbox/?login`);
      await login.body?.cancel();
      assert.equal(login.status, 401);
      assert.equal((await seen(`${url}/inbox/?login`, ALICE)).user, "alice");
      // A search's page says who it is for, as the listing does.
      assert.equal((await seen(`${url}/?q=b`)).signIn, true);
      assert.equal((await seen(`${url}/?q=b`, BOB)).user, "bob");
    });
  }
}
