// Accounts in headless Chromium (Debian's package), as a person meets them:
// without credentials the browser is challenged and has none to give; signed in
// (the context's HTTP credentials, which Chromium sends once challenged), it
// sees the protected listing, and the public listing shows that user the
// symlink into the protected folder that it hides from everyone else.
// Skipped where chromium or the npm package playwright-core is missing.
import assert from "node:assert/strict";
import { openChromium } from "../support/browser.ts";
import { ALICE_LINE, ALICE_LOGIN } from "../support/accounts.ts";
import { startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;

requiring("chromium").test(
  "Chromium signs in with Basic credentials and sees the protected listing",
  async () => {
    await using folder = await tempFolder("httpserver-accounts-browser-", {
      // htpasswd -nbB alice wonderland
      "users": `${ALICE_LINE}\n`,
      "site/pub/a.txt": "public\n",
      "site/private/plan.txt": "plan\n",
    });
    await Deno.symlink("../private", `${folder.root}/site/pub/inside`);
    await using face = startFace("python", `${folder.root}/site`, [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/pub:*=ro",
      "--access",
      "/private:alice=ro",
    ]);
    const origin = `http://127.0.0.1:${face.port}`;
    await using chromium = await openChromium({ timeout: WAIT });
    const { context } = chromium;
    const page = await context.newPage();
    const open = await page.goto(`${origin}/pub/`, { timeout: WAIT });
    assert.equal(open?.status(), 200);
    assert.deepEqual(await page.locator("li a").allTextContents(), [
      "a.txt",
    ]);
    // Challenged without credentials to give, headless Chromium ends
    // the navigation with this error where a person would see the box.
    // Its own page: the error page that follows would interrupt the
    // next navigation.
    const refused = await context.newPage();
    await assert.rejects(
      refused.goto(`${origin}/private/`, { timeout: WAIT }),
      /net::ERR_INVALID_AUTH_CREDENTIALS/,
    );
    await refused.close();

    await context.setHTTPCredentials({ ...ALICE_LOGIN, origin });
    const signedIn = await page.goto(`${origin}/private/`, {
      timeout: WAIT,
    });
    assert.equal(signedIn?.status(), 200);
    assert.equal(
      await page.textContent("h1"),
      "Directory listing for /private/",
    );
    assert.deepEqual(await page.locator("li a").allTextContents(), [
      "plan.txt",
    ]);
    // /pub/ is outside the protection space /private/ made (RFC 7617
    // §2.2): Chromium may or may not send the credentials there unasked.
    // Its "Sign in" link asks for them, as a person would follow it.
    const publicSignedIn = await page.goto(`${origin}/pub/?login`, {
      timeout: WAIT,
    });
    assert.equal(publicSignedIn?.status(), 200);
    assert.deepEqual(await page.locator("li a").allTextContents(), [
      "a.txt",
      "inside@",
    ]);
  },
);

requiring("chromium").test(
  "where anyone may read, Chromium signs in through ?login and the listings then show what its user may see, on both faces",
  async () => {
    await using folder = await tempFolder("httpserver-login-browser-", {
      "users": `${ALICE_LINE}\n`,
      "site/a.txt": "public\n",
      "site/private/plan.txt": "plan\n",
    });
    for (const name of ["python", "fetch"] as const) {
      await using face = startFace(name, `${folder.root}/site`, [
        "--auth-file",
        `${folder.root}/users`,
        "--access",
        "/:*=ro",
        "--access",
        "/private:alice=ro",
      ]);
      const origin = `http://127.0.0.1:${face.port}`;
      await using chromium = await openChromium({ timeout: WAIT });
      const { context } = chromium;
      await context.setHTTPCredentials({ ...ALICE_LOGIN, origin });
      const page = await context.newPage();
      // Never challenged, the browser sends no credentials.
      await page.goto(`${origin}/`, { timeout: WAIT });
      assert.deepEqual(await page.locator("li a").allTextContents(), [
        "a.txt",
      ], name);
      const signedIn = await page.goto(`${origin}/?login`, {
        timeout: WAIT,
      });
      assert.equal(signedIn?.status(), 200, name);
      await page.goto(`${origin}/`, { timeout: WAIT });
      assert.deepEqual(await page.locator("li a").allTextContents(), [
        "a.txt",
        "private/",
      ], name);
    }
  },
);
