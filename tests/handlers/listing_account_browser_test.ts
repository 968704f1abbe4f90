// With accounts, in headless Chromium (Debian's package): a visitor sees a
// "Sign in" link and no upload form where anyone may read, and once Alice
// follows the link (the browser, challenged, gives her credentials) her page
// names her and has the form and the file buttons of the folder she may
// change. Skipped where chromium or the npm package playwright-core is
// missing.
import assert from "node:assert/strict";
import { openChromium } from "../support/browser.ts";
import { ALICE_LINE, ALICE_LOGIN } from "../support/accounts.ts";
import { startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;

requiring("chromium").test(
  "Chromium shows a visitor Sign in and no upload form, and Alice, signed in through it, her name, the form and the buttons",
  async () => {
    await using folder = await tempFolder("httpserver-listing-browser-", {
      // htpasswd -nbB alice wonderland
      "users": `${ALICE_LINE}\n`,
      "site/inbox/a.txt": "a\n",
    });
    await using face = startFace("python", `${folder.root}/site`, [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/:*=ro,alice=rw",
      "--upload",
      "--delete",
      "--mkdir",
    ]);
    const origin = `http://127.0.0.1:${face.port}`;
    await using chromium = await openChromium({ timeout: WAIT });
    const { context } = chromium;
    // Given only when challenged: until then the page is anyone's.
    await context.setHTTPCredentials({ ...ALICE_LOGIN, origin });
    const page = await context.newPage();
    await page.goto(`${origin}/inbox/`, { timeout: WAIT });
    const signIn = page.getByRole("link", { name: "Sign in" });
    assert.equal(await signIn.count(), 1);
    assert.equal(await page.locator("form").count(), 0);
    assert.equal(await page.locator("button").count(), 0);

    await Promise.all([
      page.waitForURL(`${origin}/inbox/?login`, { timeout: WAIT }),
      signIn.click({ timeout: WAIT }),
    ]);
    await page.getByText("Signed in as alice").waitFor({ timeout: WAIT });
    assert.equal(await signIn.count(), 0);
    assert.equal(await page.locator("form[enctype]").count(), 1);
    assert.deepEqual(
      await page.locator("button").allTextContents(),
      ["Rename", "Delete", "Upload", "New folder"],
    );
  },
);
