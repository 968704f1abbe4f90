// --search in headless Chromium (Debian's package), as a person uses it:
// on a listing, type into the search box and press Enter, see the results
// page, and follow a result to the file. On the Python face with Python's
// page, and on the fetch face with the pretty page, whose
// Content-Security-Policy must let the form be sent. No script is needed,
// and the pages run none. Every wait is for an event, bounded. Skipped where
// chromium is missing.
import assert from "node:assert/strict";
import { openChromium } from "../support/browser.ts";
import { startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;

requiring("chromium").test(
  "in Chromium, typing into a listing's search box shows the names found, and a result opens",
  async () => {
    await using fx = await tempFolder("search_browser_", {
      "docs/Travel notes.txt": "packing list\n",
      "docs/2026/receipts/hotel notes.md": "hotel\n",
      "docs/other.txt": "other\n",
    });
    await using chromium = await openChromium({ timeout: WAIT * 2 });
    const { context } = chromium;
    const cases = [
      { face: "python", flags: ["--search"] },
      { face: "fetch", flags: ["--search", "--pretty-listing"] },
    ] as const;
    for (const { face: name, flags } of cases) {
      await using face = startFace(name, fx.root, [...flags]);
      const page = await context.newPage();
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) {
          violations.push(message.text());
        }
      });
      await page.goto(`http://127.0.0.1:${face.port}/docs/`, {
        timeout: WAIT,
      });
      await page.fill('input[name="q"]', "NOTES", { timeout: WAIT });
      await Promise.all([
        page.waitForURL(/\/docs\/\?q=NOTES$/, { timeout: WAIT }),
        page.press('input[name="q"]', "Enter", { timeout: WAIT }),
      ]);
      assert.equal(
        await page.title(),
        "Search for NOTES in /docs/",
        name,
      );
      const links = await page.$$eval(
        "a",
        (anchors) => anchors.map((a) => a.textContent),
      );
      assert.ok(links.includes("Travel notes.txt"), `${name}: ${links}`);
      assert.ok(links.includes("2026/receipts/hotel notes.md"), `${links}`);
      assert.ok(!links.includes("other.txt"), `${links}`);
      // The box keeps the query for the next search.
      assert.equal(await page.inputValue('input[name="q"]'), "NOTES");
      await Promise.all([
        page.waitForURL(/hotel%20notes\.md$/, { timeout: WAIT }),
        page.click("text=2026/receipts/hotel notes.md", { timeout: WAIT }),
      ]);
      assert.equal(
        new URL(page.url()).pathname,
        "/docs/2026/receipts/hotel%20notes.md",
      );
      assert.equal(await page.textContent("body"), "hotel\n");
      assert.deepEqual(violations, [], name);
      await page.close();
    }
  },
);
