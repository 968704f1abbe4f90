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

/**
 * Starts Chromium with a fresh profile in `profile`; the caller closes the
 * context and removes the folder.
 *
 * @param profile an empty folder for the profile
 * @param timeout how long the start may take, in ms
 * @param ignoreHTTPSErrors trust any certificate (a test CA)
 * @param javaScriptEnabled false: pages run no script, as with it off
 */
export function launchChromium(
  profile: string,
  timeout: number,
  ignoreHTTPSErrors = false,
  javaScriptEnabled = true,
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: tool("chromium")!,
    headless: true,
    ignoreHTTPSErrors,
    javaScriptEnabled,
    timeout,
    args: CHROMIUM_FLAGS,
  });
}
