// The upload page in headless Chromium (Debian's package), as a person uses
// it: files dropped on a listing, and a folder picked, upload with a
// progress bar each and show in the listing read again in place; the page's
// Content-Security-Policy refuses nothing (its script runs by its hash);
// without JavaScript the plain form still uploads. On both faces and both
// pages. Every wait is for an event, bounded. Skipped where chromium is
// missing.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { type Chromium, openChromium } from "../support/browser.ts";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;
const chromiumTests = requiring("chromium");

/** The size of the large file dropped: many progress events. */
const LARGE = 4 * 1024 * 1024;

/**
 * A served folder (`face` with `--upload` and `flags`), a folder of files
 * to pick, and a fresh Chromium profile; all closed and removed at the end.
 */
async function setUp(
  face: FaceName,
  flags: string[],
  javaScriptEnabled = true,
) {
  const site = await tempFolder("upload_browser_site_", { "old.txt": "old" });
  const picked = await tempFolder("upload_browser_picked_", {
    "album/a.txt": "a\n",
    "album/sub/b.txt": "b\n",
    // What a Mac leaves in a folder; the server takes no hidden name.
    "album/.DS_Store": "finder\n",
    "album/sub/._b.txt": "apple double\n",
  });
  const server = startFace(face, site.root, ["--upload", ...flags]);
  let chromium: Chromium;
  try {
    chromium = await openChromium({ timeout: WAIT * 2, javaScriptEnabled });
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
  // What the page's policy refused: its events, seen before any script of
  // the page runs (an init script is not the page's own, nor subject to it).
  const { context } = chromium;
  await context.addInitScript(`
    globalThis.refused = [];
    document.addEventListener("securitypolicyviolation", (event) =>
      globalThis.refused.push(event.violatedDirective + " " + event.blockedURI));
  `);
  return {
    site: site.root,
    picked: picked.root,
    url: `http://127.0.0.1:${server.port}/`,
    context,
    async [Symbol.asyncDispose]() {
      await chromium[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
      await picked[Symbol.asyncDispose]();
      await site[Symbol.asyncDispose]();
    },
  };
}

/** What the console said of the Content-Security-Policy. */
function consoleRefusals(tab: Page): string[] {
  const refused: string[] = [];
  tab.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      refused.push(message.text());
    }
  });
  return refused;
}

/** What the predicates run in the page use of its document. */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
}

/** One row of the page's uploads: its text, and its progress bar. */
interface Row {
  text: string;
  value: number;
  max: number;
}

/**
 * Waits until the page shows `count` uploads, every one ended, and its
 * listing `names`; returns the rows.
 */
async function uploaded(
  tab: Page,
  count: number,
  names: string[],
): Promise<Row[]> {
  // A function, not text: the page's policy forbids evaluating text.
  await tab.waitForFunction(
    ({ count, names }) => {
      const { document } = globalThis as unknown as { document: PageDocument };
      const states = [...document.querySelectorAll(".uploads .state")];
      const listing = (document.querySelector("tbody") ??
        document.querySelector("body > ul"))?.textContent ?? "";
      return states.length === count &&
        states.every((state) =>
          !/waiting|uploading/.test(state.textContent ?? "")
        ) &&
        names.every((name) => listing.includes(name));
    },
    { count, names },
    { timeout: WAIT },
  );
  return await tab.evaluate(
    `[...document.querySelectorAll(".uploads > div")].map((row) => ({
      text: row.textContent,
      value: row.querySelector("progress").value,
      max: row.querySelector("progress").max,
    }))`,
  );
}

/** Whether the policy refused anything, by events and by console. */
async function assertNothingRefused(tab: Page, console: string[]) {
  assert.deepEqual(await tab.evaluate("globalThis.refused"), []);
  assert.deepEqual(console, []);
}

for (
  const [face, flags, page] of [
    ["python", [], "Python's page"],
    ["fetch", ["--pretty-listing"], "the pretty page"],
  ] as [FaceName, string[], string][]
) {
  chromiumTests.test(`files dropped on ${page} (${face} face) upload with a progress bar each and show in the listing, nothing refused`, async () => {
    await using t = await setUp(face, flags);
    const tab = await t.context.newPage();
    const console = consoleRefusals(tab);
    await tab.goto(t.url, { timeout: WAIT });
    // A drop made in the page, as a person's drag from the desktop.
    await tab.evaluate(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["x".repeat(${LARGE})], "large.bin"));
      transfer.items.add(new File(["small\\n"], "small ü.txt"));
      document.body.dispatchEvent(new DragEvent("drop", {
        dataTransfer: transfer, bubbles: true, cancelable: true,
      }));
    })()`);
    const rows = await uploaded(tab, 2, ["large.bin", "small ü.txt"]);
    assert.deepEqual(rows.map((row) => row.text), [
      "large.bin  done",
      "small ü.txt  done",
    ]);
    // Each bar was moved by the upload's progress events, to the request's
    // whole body: the file and the form's framing.
    assert.ok(
      rows[0].max > LARGE && rows[0].value === rows[0].max,
      `${rows[0].value}/${rows[0].max}`,
    );
    assert.ok(rows[1].max > 6 && rows[1].value === rows[1].max);
    assert.equal((await Deno.stat(`${t.site}/large.bin`)).size, LARGE);
    assert.equal(await Deno.readTextFile(`${t.site}/small ü.txt`), "small\n");
    // A name taken: that row says why, the others go on.
    await tab.evaluate(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["new"], "old.txt"));
      transfer.items.add(new File(["later"], "later.txt"));
      document.body.dispatchEvent(new DragEvent("drop", {
        dataTransfer: transfer, bubbles: true, cancelable: true,
      }));
    })()`);
    const more = await uploaded(tab, 4, ["later.txt"]);
    assert.match(more[2].text, /^old\.txt {2}409 /);
    assert.equal(more[3].text, "later.txt  done");
    assert.equal(await Deno.readTextFile(`${t.site}/old.txt`), "old");
    await assertNothingRefused(tab, console);
    // Any other inline script is refused, and the refusal seen.
    await tab.evaluate(`(() => {
      const script = document.createElement("script");
      script.textContent = "globalThis.ran = true";
      document.body.append(script);
    })()`);
    await tab.waitForFunction(
      () => (globalThis as unknown as { refused: string[] }).refused.length > 0,
      undefined,
      { timeout: WAIT },
    );
    assert.equal(await tab.evaluate("globalThis.ran"), undefined);
    assert.match(await tab.evaluate("globalThis.refused[0]"), /^script-src/);
    await tab.close();
  });
}

for (
  const [face, flags, page] of [
    ["fetch", [], "Python's page"],
    ["python", ["--pretty-listing"], "the pretty page"],
  ] as [FaceName, string[], string][]
) {
  chromiumTests.test(`a folder picked on ${page} (${face} face) uploads its files by their paths, with a progress bar each, its hidden files skipped and counted, nothing refused`, async () => {
    await using t = await setUp(face, flags);
    const tab = await t.context.newPage();
    const console = consoleRefusals(tab);
    await tab.goto(t.url, { timeout: WAIT });
    await tab.setInputFiles("input[webkitdirectory]", `${t.picked}/album`);
    await tab.click("button[type=submit]");
    const rows = await uploaded(tab, 2, ["album"]);
    assert.deepEqual(rows.map((row) => row.text).sort(), [
      "album/a.txt  done",
      "album/sub/b.txt  done",
    ]);
    assert.ok(rows.every((row) => row.value === row.max && row.max > 2));
    assert.equal(
      await tab.textContent("p:has(+ .uploads)"),
      "Skipped 2 hidden files (a name that begins with .), which the server does not take.",
    );
    assert.equal(await Deno.readTextFile(`${t.site}/album/a.txt`), "a\n");
    assert.equal(await Deno.readTextFile(`${t.site}/album/sub/b.txt`), "b\n");
    await assertNothingRefused(tab, console);
    await tab.close();
  });
}

chromiumTests.test("without JavaScript the plain form uploads the files picked and shows the listing, on both pages", async () => {
  for (
    const [face, flags] of [["python", []], ["fetch", [
      "--pretty-listing",
    ]]] as [
      FaceName,
      string[],
    ][]
  ) {
    await using t = await setUp(face, flags, false);
    const tab = await t.context.newPage();
    await tab.goto(t.url, { timeout: WAIT });
    // The script did not run: no folder picker, no rows.
    assert.equal(await tab.locator("input[webkitdirectory]").count(), 0);
    await tab.setInputFiles("input[type=file]", [
      `${t.picked}/album/a.txt`,
      `${t.picked}/album/sub/b.txt`,
    ]);
    await Promise.all([
      tab.waitForURL(t.url, { waitUntil: "load", timeout: WAIT }),
      tab.click("button[type=submit]"),
    ]);
    assert.equal(await tab.locator('a[href="a.txt"]').count(), 1);
    assert.equal(await tab.locator('a[href="b.txt"]').count(), 1);
    assert.equal(await Deno.readTextFile(`${t.site}/a.txt`), "a\n");
    await tab.close();
  }
});
