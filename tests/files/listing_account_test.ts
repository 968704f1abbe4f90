// With accounts, listing pages show the controls that change a folder only to
// a user who may change it, and say who the page is for: a "Sign in" link
// without a user, the user's name (escaped) with one. Without accounts the
// pages are as before. A hand-made Access stands for the gate's.
import assert from "node:assert/strict";
import { type Access, EVERYONE } from "../../files/access.ts";
import { listFolder } from "../../files/listing/service.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { tempFolder } from "../support/helpers.ts";

/** Reads everything; changes only `/inbox` and below. */
const inboxOnly = (user: string | null): Access => ({
  user,
  allows: (path, mode) =>
    mode === "read" || path === "/inbox" || path.startsWith("/inbox/"),
});

async function pages(access: Access) {
  await using folder = await tempFolder("httpserver-listing-account-", {
    "a.txt": "a\n",
    "inbox/b.txt": "b\n",
  });
  const sandbox = new Sandbox(folder.root, () => {});
  const page = async (path: string, target: string, pretty: boolean) => {
    const options = {
      directory: folder.root,
      listing: true,
      jsonListing: true,
      prettyListing: pretty,
      showHidden: true,
      upload: true,
      delete: true,
      mkdir: true,
    };
    const { body, headers } = await listFolder(
      folder.root + path,
      target,
      null,
      options,
      sandbox,
      access,
    );
    return {
      html: new TextDecoder().decode(body as Uint8Array),
      csp: headers.some(([name]) => name === "Content-Security-Policy"),
    };
  };
  return {
    root: await page("", "/", false),
    inbox: await page("/inbox", "/inbox/", false),
    prettyRoot: await page("", "/", true),
    prettyInbox: await page("/inbox", "/inbox/", true),
  };
}

/** Whether a page has the upload form and the file buttons' script. */
const controls = (html: string) => ({
  upload: html.includes('<form method="post"') &&
    html.includes('enctype="multipart/form-data"'),
  ops: html.includes('<script data-ops="delete mkdir">'),
});

Deno.test("a visitor without a user sees no upload form or file buttons where they may not write, and a Sign in link", async () => {
  const seen = await pages(inboxOnly(null));
  for (const [which, page] of Object.entries(seen)) {
    assert.ok(
      page.html.includes('<p class="account"><a href="?login">Sign in</a></p>'),
      which,
    );
    assert.ok(!page.html.includes("Signed in as"), which);
  }
  for (const page of [seen.root, seen.prettyRoot]) {
    assert.deepEqual(controls(page.html), { upload: false, ops: false });
  }
  // Python's page without a script has no policy of its own, as Python's.
  assert.equal(seen.root.csp, false);
  for (const page of [seen.inbox, seen.prettyInbox]) {
    assert.deepEqual(controls(page.html), { upload: true, ops: true });
    assert.equal(page.csp, true);
  }
});

Deno.test("a signed-in user's listing names them, escaped, and shows the controls only where they may write", async () => {
  const seen = await pages(inboxOnly("<b>&amp"));
  for (const [which, page] of Object.entries(seen)) {
    assert.ok(
      page.html.includes(
        '<p class="account">Signed in as &lt;b&gt;&amp;amp</p>',
      ),
      which,
    );
    assert.ok(!page.html.includes("?login"), which);
  }
  assert.deepEqual(controls(seen.root.html), { upload: false, ops: false });
  assert.deepEqual(controls(seen.inbox.html), { upload: true, ops: true });
});

Deno.test("without accounts a listing has every control and no account line", async () => {
  const seen = await pages(EVERYONE);
  for (const [which, page] of Object.entries(seen)) {
    assert.deepEqual(controls(page.html), { upload: true, ops: true }, which);
    assert.ok(!page.html.includes('class="account"'), which);
  }
});

Deno.test("an Access without allowsInside marks the entries it does not let the user change, a folder by its own path, and JSON carries no marks", async () => {
  await using folder = await tempFolder("httpserver-listing-marks-", {
    "inbox/b.txt": "b\n",
    "inbox/kept.txt": "k\n",
    "inbox/box/kept.txt": "k\n",
    "inbox/shut/s.txt": "s\n",
  });
  const access: Access = {
    user: "alice",
    allows: (path, mode) =>
      mode === "read" ||
      (path.startsWith("/inbox") && !path.endsWith("kept.txt") &&
        path !== "/inbox/shut"),
  };
  const sandbox = new Sandbox(folder.root, () => {});
  const options = {
    directory: folder.root,
    listing: true,
    jsonListing: true,
    prettyListing: false,
    showHidden: true,
    upload: false,
    delete: true,
  };
  const page = async (accept: string | null) => {
    const { body } = await listFolder(
      `${folder.root}/inbox`,
      "/inbox/",
      accept,
      options,
      sandbox,
      access,
    );
    return new TextDecoder().decode(body as Uint8Array);
  };
  const html = await page(null);
  // box/ holds a file Alice may not change: only a walk would tell.
  assert.deepEqual(
    [...html.matchAll(/<a href="([^"]*)" data-fixed>/g)].map((
      [, href],
    ) => href),
    ["kept.txt", "shut/"],
  );
  assert.ok(!(await page("application/json")).includes("fixed"));
});
