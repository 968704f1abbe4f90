/**
 * Headless Chromium (Debian's package) for the tests that need a real
 * browser, driven by playwright-core, in a profile of its own: the flags keep
 * it off the network (closed here: background requests would be refused, one
 * by one) and away from the GPU and the first-run pages. Tests that use it
 * are declared with `requiring("chromium")` (`tools.ts`).
 *
 * @module
 */

import { type BrowserContext, chromium } from "playwright-core";
import { tool } from "./tools.ts";

/** Flags for a headless Chromium that reaches only the server under test. */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How {@link openChromium} starts the browser. */
export interface ChromiumOptions {
  /** How long the start may take, in ms. */
  timeout: number;
  /** Trust any certificate (a test CA). */
  ignoreHTTPSErrors?: boolean;
  /** False: pages run no script, as with it off. */
  javaScriptEnabled?: boolean;
}

/** A running Chromium; disposing it closes it and removes its profile. */
export interface Chromium extends AsyncDisposable {
  /** The browser's one context, in its own profile. */
  readonly context: BrowserContext;
}

/**
 * Starts Chromium in a fresh profile of its own, for `await using`: the
 * profile folder is removed when it is closed, or at once if it fails to
 * start.
 */
export async function openChromium(
  { timeout, ignoreHTTPSErrors = false, javaScriptEnabled = true }:
    ChromiumOptions,
): Promise<Chromium> {
  const profile = await Deno.makeTempDir({ prefix: "chromium_profile_" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: tool("chromium")!,
      headless: true,
      ignoreHTTPSErrors,
      javaScriptEnabled,
      timeout,
      args: CHROMIUM_FLAGS,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true });
    throw error;
  }
  return {
    context,
    async [Symbol.asyncDispose]() {
      try {
        await context.close();
      } finally {
        await Deno.remove(profile, { recursive: true });
      }
    },
  };
}
