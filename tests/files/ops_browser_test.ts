// The listing pages' file operations in headless Chromium (Debian's
// package): the buttons the page's script adds delete a file, rename one and
// create a folder, and the page reloads to the new listing; the script runs
// under the page's Content-Security-Policy, which allows it by its hash, on
// Python's page and on the pretty one. Without JavaScript the page has no
// buttons at all. Skipped where chromium or playwright-core is missing.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { SimpleHTTPRequestHandler } from "../../mod.ts";
import { openChromium } from "../support/browser.ts";
import { startFace } from "../support/faces.ts";
import { serve, tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;

class Ops extends SimpleHTTPRequestHandler {
  override delete = true;
  override mkdir = true;
  override logMessage(): void {}
}

class PrettyOps extends Ops {
  override prettyListing = true;
}

/**
 * Clicks the button `label` (of the entry `href`, or of the page), answers
 * the dialog it opens with `answer` (a prompt's text, or OK), and waits for
 * the page to load again.
 */
async function press(
  page: Page,
  label: string,
  href: string | null,
  answer?: string,
): Promise<void> {
  page.once("dialog", (dialog) => dialog.accept(answer));
  const scope = href === null
    ? page
    : page.locator("li, tr", { has: page.locator(`a[href="${href}"]`) });
  await Promise.all([
    page.waitForEvent("load", { timeout: WAIT }),
    scope.getByRole("button", { name: label, exact: true }).click({
      timeout: WAIT,
    }),
  ]);
}

/** The entries' links of the listing shown, the parent's left out. */
function entries(page: Page): Promise<string[]> {
  return page.locator("li > a, td.name > a").evaluateAll((links) =>
    links.map((link) => link.getAttribute("href")!).filter((href) =>
      href !== "../"
    )
  );
}

requiring("chromium").test(
  "the listing's buttons delete, rename and create a folder, and the page shows the new listing, under its CSP",
  async () => {
    await using folder = await tempFolder("ops_browser_", {
      "a.txt": "a",
      "b.txt": "b",
      "docs/guide.md": "# Guide\n",
    });
    await using chromium = await openChromium({ timeout: WAIT });
    const { context } = chromium;
    const page = await context.newPage();
    const refused: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) {
        refused.push(message.text());
      }
    });
    for (
      const [Handler, name] of [[Ops, "python"], [
        PrettyOps,
        "pretty",
      ]] as const
    ) {
      await using s = serve(Handler, { directory: folder.root });
      await page.goto(`${s.url}/`, { timeout: WAIT });
      if (name === "python") {
        assert.deepEqual(await entries(page), ["a.txt", "b.txt", "docs/"]);
        await press(page, "Delete", "b.txt");
        assert.deepEqual(await entries(page), ["a.txt", "docs/"]);
        await press(page, "Rename", "a.txt", "docs/moved a.txt");
        assert.deepEqual(await entries(page), ["docs/"]);
        await press(page, "New folder", null, "made");
        assert.deepEqual(await entries(page), ["docs/", "made/"]);
      } else {
        await press(page, "Rename", "made/", "renamed");
        assert.deepEqual(await entries(page), ["docs/", "renamed/"]);
        await press(page, "Delete", "renamed/");
        assert.deepEqual(await entries(page), ["docs/"]);
      }
    }
    assert.deepEqual(refused, []);
    assert.equal(
      await Deno.readTextFile(`${folder.root}/docs/moved a.txt`),
      "a",
    );
    assert.deepEqual(
      [...Deno.readDirSync(folder.root)].map((e) => e.name),
      ["docs"],
    );
  },
);

requiring("chromium").test(
  "a rename onto a taken name, a folder made twice and a rename into no folder say so in words, on both faces",
  async () => {
    await using folder = await tempFolder("ops_refused_browser_", {
      "a.txt": "a",
      "b.txt": "b",
      "docs/guide.md": "# Guide\n",
    });
    await using chromium = await openChromium({ timeout: WAIT });
    const page = await chromium.context.newPage();
    for (const face of ["python", "fetch"] as const) {
      await using server = startFace(face, folder.root, [
        "--delete",
        "--mkdir",
      ]);
      await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: WAIT });
      const alerts: string[] = [];
      const refused = async (
        label: string,
        href: string | null,
        answer: string,
      ) => {
        const answered = new Promise<void>((resolve) => {
          page.on("dialog", async function answer_(dialog) {
            if (dialog.type() === "alert") {
              alerts.push(dialog.message());
              page.off("dialog", answer_);
              resolve();
            }
            await dialog.accept(answer);
          });
        });
        const scope = href === null
          ? page
          : page.locator("li", { has: page.locator(`a[href="${href}"]`) });
        await scope.getByRole("button", { name: label, exact: true }).click({
          timeout: WAIT,
        });
        await answered;
      };
      await refused("Rename", "a.txt", "b.txt");
      await refused("New folder", null, "docs");
      await refused("Rename", "a.txt", "nowhere/a.txt");
      assert.deepEqual(alerts, [
        "b.txt exists already",
        "docs exists already",
        "No folder to put nowhere/a.txt in",
      ], face);
    }
    assert.deepEqual(
      [...Deno.readDirSync(folder.root)].map((e) => e.name).sort(),
      ["a.txt", "b.txt", "docs"],
    );
  },
);

class UploadOps extends Ops {
  override upload = true;
}

requiring("chromium").test(
  "a file uploaded through the page gets its Rename and Delete buttons in the listing shown again in place",
  async () => {
    await using folder = await tempFolder("ops_upload_browser_", {
      "a.txt": "a",
    });
    await using picked = await tempFolder("ops_upload_picked_", {
      "new.txt": "new",
    });
    await using chromium = await openChromium({ timeout: WAIT });
    const { context } = chromium;
    const page = await context.newPage();
    for (
      const Handler of [
        UploadOps,
        class extends UploadOps {
          override prettyListing = true;
        },
      ]
    ) {
      await using s = serve(Handler, { directory: folder.root });
      await page.goto(`${s.url}/`, { timeout: WAIT });
      await page.locator('input[type=file][name="file"]').setInputFiles(
        `${picked.root}/new.txt`,
      );
      await page.getByRole("button", { name: "Upload" }).click();
      const row = page.locator("li, tr", {
        has: page.locator('a[href="new.txt"]'),
      });
      await row.waitFor({ timeout: WAIT });
      assert.deepEqual(
        await row.getByRole("button").allTextContents(),
        ["Rename", "Delete"],
      );
      await press(page, "Delete", "new.txt");
      assert.deepEqual(await entries(page), ["a.txt"]);
    }
  },
);

Deno.test("without JavaScript the listing has no buttons: they are the script's, which the page's policy allows by its hash alone", async () => {
  await using folder = await tempFolder("ops_page_", { "a.txt": "a" });
  await using s = serve(Ops, { directory: folder.root });
  const response = await fetch(`${s.url}/`);
  const page = await response.text();
  assert.ok(!page.includes("<button"), page);
  const script = page.match(
    /<script data-ops="delete mkdir">([^]*?)<\/script>/,
  );
  assert.ok(script, page);
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(script[1]),
  );
  const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
  assert.equal(
    response.headers.get("content-security-policy"),
    `default-src 'none'; form-action 'self'; script-src 'sha256-${hash}'; connect-src 'self'`,
  );
});
