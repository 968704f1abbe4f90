// With accounts, in headless Chromium (Debian's package): the listing's
// script puts Rename and Delete beside the entries Alice may change and
// beside no other, on Python's page and the pretty one (one on each face),
// names that need escaping included; the Delete it shows works, and a list
// shown again after an upload keeps its marks. Skipped where chromium or the
// npm package playwright-core is missing.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openChromium } from "../support/browser.ts";
import { ALICE_LINE, ALICE_LOGIN } from "../support/accounts.ts";
import { startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;

/** Names that need escaping in HTML, in URLs and in attributes. */
const FREE = `q "<&é x.txt`;
const LOCKED = `ü "<&> lock.txt`;

/** Each row's entry (its link's text) and the labels of its buttons. */
function rows(page: Page): Promise<[string, string[]][]> {
  return page.locator("li, tbody tr").evaluateAll((rows) =>
    rows.map((row) =>
      [
        row.querySelector("a")!.textContent!,
        [...row.querySelectorAll("button")].map((button) =>
          button.textContent!
        ),
      ] as [string, string[]]
    ).filter(([name]) => name !== "../")
  );
}

requiring("chromium").test(
  "Chromium shows Alice Rename and Delete beside the entries she may change, none beside archive/ or a file a rule keeps",
  async () => {
    await using folder = await tempFolder("httpserver-buttons-browser-", {
      "users": `${ALICE_LINE}\n`,
      "site/inbox/a.txt": "a\n",
      [`site/inbox/${FREE}`]: "f\n",
      [`site/inbox/${LOCKED}`]: "l\n",
      "site/inbox/archive/old.txt": "o\n",
      "new.txt": "n\n",
    });
    const flags = [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/inbox:alice=rw",
      "--access",
      "/inbox/archive:alice=ro",
      "--access",
      `/inbox/${LOCKED}:alice=ro`,
      "--delete",
      "--upload",
    ];
    await using chromium = await openChromium({ timeout: WAIT });
    const { context } = chromium;
    const page = await context.newPage();
    const refused: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) {
        refused.push(message.text());
      }
    });
    for (const pretty of [false, true]) {
      // Python's page on the Python face, the pretty one on the fetch face.
      await using face = startFace(
        pretty ? "fetch" : "python",
        `${folder.root}/site`,
        [
          ...flags,
          ...(pretty ? ["--pretty-listing"] : []),
        ],
      );
      const origin = `http://127.0.0.1:${face.port}`;
      await context.setHTTPCredentials({ ...ALICE_LOGIN, origin });
      await page.goto(`${origin}/inbox/?login`, { timeout: WAIT });
      const both = ["Rename", "Delete"];
      // The pretty page lists folders first; Python's page has FREE still.
      const expected: [string, string[]][] = pretty
        ? [["archive/", []], ["a.txt", both], [LOCKED, []]]
        : [["a.txt", both], ["archive/", []], [FREE, both], [LOCKED, []]];
      assert.deepEqual(
        await rows(page),
        expected,
        pretty ? "pretty" : "python",
      );
      if (pretty) {
        // The list shown again in place after an upload keeps its marks.
        await page.locator('input[type=file][name="file"]').setInputFiles(
          `${folder.root}/new.txt`,
        );
        await page.getByRole("button", { name: "Upload" }).click();
        await page.locator('a[href="new.txt"]').waitFor({ timeout: WAIT });
        assert.deepEqual(await rows(page), [
          ["archive/", []],
          ["a.txt", both],
          ["new.txt", both],
          [LOCKED, []],
        ]);
        continue;
      }
      // The button shown does what it says.
      page.once("dialog", (dialog) => dialog.accept());
      const row = page.locator("li", { has: page.getByText(FREE) });
      await Promise.all([
        page.waitForEvent("load", { timeout: WAIT }),
        row.getByRole("button", { name: "Delete" }).click({ timeout: WAIT }),
      ]);
      assert.deepEqual(
        (await rows(page)).map(([name]) => name),
        ["a.txt", "archive/", LOCKED],
      );
    }
    assert.deepEqual(refused, []);
  },
);
