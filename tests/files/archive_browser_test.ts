// A folder archive as a person gets it: headless Chromium (Debian's
// package) opens a listing page of the command line's --archive, clicks its
// zip link, and the file it downloads passes `unzip -t`. Skipped where
// chromium, unzip or the npm package playwright-core is missing.
import assert from "node:assert/strict";
import { openChromium } from "../support/browser.ts";
import { BANNER, Cli, loopback } from "../support/cli_process.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";
import { readZip, unzipTest } from "../support/archives.ts";

const WAIT = 10_000;

requiring("chromium", "unzip", "python3").test(
  "clicking a listing's zip link in Chromium downloads the folder as a zip that unzip accepts",
  async () => {
    await using dir = await tempFolder("archive_browser_", {
      "docs/guide.md": "# Guide\n",
      "docs/img/日本.txt": "nihon\n",
    });
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir.root}`],
      loopback(dir.root, "--archive", "-q"),
    );
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, cli.out);
    await using chromium = await openChromium({ timeout: WAIT });
    const { context } = chromium;
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${banner[2]}/docs/`, {
      timeout: WAIT,
    });
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: WAIT }),
      page.click("text=zip", { timeout: WAIT }),
    ]);
    assert.equal(download.suggestedFilename(), "docs.zip");
    const path = `${dir.root}/downloaded.zip`;
    await download.saveAs(path);
    await unzipTest(path);
    const names = (await readZip(path, true)).members.map((m) => m.name);
    assert.deepEqual(names, [
      "docs/",
      "docs/guide.md",
      "docs/img/",
      "docs/img/日本.txt",
    ]);
  },
);
