// Live reload in headless Chromium (Debian's package), as a person sees it:
// a page reloads when it is edited (a save made while it reloads too), a
// stylesheet's new style applies without a navigation, ten tabs open at once
// all load and all reload (one event stream for the browser), and the server
// then shuts down at once. Every wait is for an event, bounded by 5 s.
// Skipped where chromium is missing.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { SimpleHTTPRequestHandler } from "../../mod.ts";
import { LiveReload } from "../../files/live/reload.ts";
import { serve, until, within } from "../support/helpers.ts";
import { type Chromium, openChromium } from "../support/browser.ts";
import { requiring } from "../support/tools.ts";

// A reload takes well under a second here; the bound is wider than the 5 s
// aimed at because CI runs these beside other test files on two cores.
const WAIT = 10_000;

class Live extends SimpleHTTPRequestHandler {
  override logMessage(): void {}
  override liveReload = true;
}

/** A page that allows only its own origin's scripts, styles and workers. */
function page(text: string): string {
  return `<!doctype html>
<html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'">
<link rel="stylesheet" href="/style.css">
<title>live</title>
</head><body><p id="text">${text}</p></body></html>
`;
}

/**
 * A served folder and a fresh Chromium profile; everything is closed and
 * removed at the end, the browser first.
 */
async function setUp() {
  const site = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "livereload_browser_" }),
  );
  await Deno.writeTextFile(`${site}/index.html`, page("one"));
  await Deno.writeTextFile(
    `${site}/style.css`,
    "p { color: rgb(255, 0, 0); }\n",
  );
  const running = serve(Live, { directory: site, shutdownTimeout: 30_000 });
  let chromium: Chromium;
  try {
    chromium = await openChromium({ timeout: WAIT * 2 });
  } catch (error) {
    await running[Symbol.asyncDispose]();
    throw error;
  }
  const live = LiveReload.of(site);
  return {
    site,
    url: running.url,
    server: running.server,
    context: chromium.context,
    /** Resolves once the browser's event stream is open. */
    streaming: () =>
      until(() => live.streams > 0 || undefined, "the event stream"),
    async [Symbol.asyncDispose]() {
      await chromium[Symbol.asyncDispose]();
      await running[Symbol.asyncDispose]();
      await Deno.remove(site, { recursive: true });
    },
  };
}

/** Whether the color of the page's `#text` is `color` (run in the page). */
function textColorIs(color: string): boolean {
  const page = globalThis as unknown as {
    document: { getElementById(id: string): unknown };
    getComputedStyle(element: unknown): { color: string };
  };
  return page.getComputedStyle(page.document.getElementById("text")).color ===
    color;
}

/** What the page's Content-Security-Policy refused, as its console says. */
function refusals(tab: Page): string[] {
  const refused: string[] = [];
  tab.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      refused.push(message.text());
    }
  });
  return refused;
}

const chromiumTests = requiring("chromium");

chromiumTests.test("edit a page and its reload shows the edit, under a CSP of 'self'", async () => {
  await using t = await setUp();
  const tab = await t.context.newPage();
  const refused = refusals(tab);
  await tab.goto(`${t.url}/`, { timeout: WAIT });
  await t.streaming();
  const reloaded = tab.waitForEvent("load", { timeout: WAIT });
  // The same size, often within the second the page was written in.
  await Deno.writeTextFile(`${t.site}/index.html`, page("two"));
  await reloaded;
  assert.equal(await tab.textContent("#text"), "two");
  assert.deepEqual(refused, []);
});

chromiumTests.test("a save made while the page reloads is shown too: the page ends on the newest version", async () => {
  await using t = await setUp();
  const tab = await t.context.newPage();
  await tab.goto(`${t.url}/`, { timeout: WAIT });
  await t.streaming();
  const reloading = tab.waitForResponse(
    (response) =>
      response.url() === `${t.url}/` && response.request().method() === "GET",
    { timeout: WAIT },
  );
  await Deno.writeTextFile(`${t.site}/index.html`, page("two"));
  await reloading;
  // The reloaded page is answered; its shared worker, and the stream the
  // change is told to, are being replaced.
  await Deno.writeTextFile(`${t.site}/index.html`, page("three"));
  await tab.waitForFunction(
    () =>
      (globalThis as unknown as {
        document: { getElementById(id: string): { textContent: string } };
      }).document.getElementById("text")?.textContent === "three",
    undefined,
    { timeout: WAIT },
  );
  await t.streaming();
});

chromiumTests.test("edit a stylesheet and the new style applies without a navigation", async () => {
  await using t = await setUp();
  const tab = await t.context.newPage();
  await tab.goto(`${t.url}/`, { timeout: WAIT });
  await t.streaming();
  assert.equal(await tab.evaluate(textColorIs, "rgb(255, 0, 0)"), true);
  let navigations = 0;
  tab.on("framenavigated", () => navigations++);
  await tab.evaluate(() => Object.assign(globalThis, { kept: "this page" }));
  await Deno.writeTextFile(
    `${t.site}/style.css`,
    "p { color: rgb(0, 0, 255); }\n",
  );
  await tab.waitForFunction(textColorIs, "rgb(0, 0, 255)", { timeout: WAIT });
  assert.equal(navigations, 0);
  assert.equal(
    await tab.evaluate(() => (globalThis as { kept?: string }).kept),
    "this page",
  );
  // One stylesheet: the old <link> goes once the new one has loaded (a
  // save told as two changes swaps twice).
  await tab.waitForFunction(
    () =>
      (globalThis as unknown as {
        document: { querySelectorAll(selector: string): { length: number } };
      }).document.querySelectorAll("link[rel=stylesheet]").length === 1,
    undefined,
    { timeout: WAIT },
  );
});

chromiumTests.test("ten tabs open at once all load and all reload on one stream, then the server shuts down at once", async () => {
  await using t = await setUp();
  const tabs = await Promise.all(
    Array.from({ length: 10 }, () => t.context.newPage()),
  );
  await Promise.all(
    tabs.map((tab) => tab.goto(`${t.url}/`, { timeout: WAIT })),
  );
  await t.streaming();
  assert.equal(LiveReload.of(t.site).streams, 1, "one stream for the browser");
  const reloads = tabs.map((tab) =>
    tab.waitForEvent("load", { timeout: WAIT })
  );
  await Deno.writeTextFile(`${t.site}/index.html`, page("ten"));
  await Promise.all(reloads);
  for (const tab of tabs) {
    assert.equal(await tab.textContent("#text", { timeout: WAIT }), "ten");
  }
  await t.streaming();
  await within(t.server.shutdown(), 2_000, "the shutdown");
});
