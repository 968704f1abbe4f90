// The command line's `--engine serve` over TLS in headless Chromium
// (Debian's package), as a person's browser reaches it: the page and what it
// fetches arrive over HTTP/2, negotiated by ALPN, and a video-style range
// request is answered with 206. The test CA is trusted by this browser
// profile alone (ignoreHTTPSErrors). Skipped where chromium, openssl or the
// npm package playwright-core is missing.
import assert from "node:assert/strict";
import { openChromium } from "../support/browser.ts";
import { BANNER, Cli, loopback } from "../support/cli_process.ts";
import { makeCerts, tlsFlags } from "../support/tls_fixture.ts";
import { requiring } from "../support/tools.ts";

const WAIT = 10_000;

requiring("chromium", "openssl").test(
  "Chromium gets the page and its fetches over HTTP/2 from --engine serve with --tls-cert",
  async () => {
    const certs = await makeCerts();
    try {
      await Deno.writeTextFile(
        `${certs.root}/index.html`,
        `<!doctype html><title>h2</title><p id="text">loading</p>
<script type="module">
const part = await fetch("/hello.txt", { headers: { range: "bytes=0-3" } });
document.getElementById("text").textContent =
  part.status + " " + (await part.text());
</script>
`,
      );
      await using cli = new Cli(
        ["--allow-net=127.0.0.1", `--allow-read=${certs.dir}`],
        loopback(certs.root, "--engine", "serve", ...tlsFlags(certs), "-q"),
      );
      const banner = await cli.waitFor(BANNER);
      assert.ok(banner, cli.out);
      // A block of its own: the browser and its connections are gone before
      // the server is asked to stop.
      {
        await using chromium = await openChromium({
          timeout: WAIT,
          ignoreHTTPSErrors: true,
        });
        const { context } = chromium;
        const page = await context.newPage();
        await page.goto(`https://127.0.0.1:${banner[2]}/`, { timeout: WAIT });
        // Run in the page, where the DOM is: given as source text.
        await page.waitForFunction(
          `document.getElementById("text").textContent !== "loading"`,
          undefined,
          { timeout: WAIT },
        );
        assert.equal(await page.textContent("#text"), "206 hell");
        // The navigation and every resource, the fetch among them.
        const protocols: string[] = await page.evaluate(
          `performance.getEntries().filter((entry) => "nextHopProtocol" in entry)
            .map((entry) => entry.name + " " + entry.nextHopProtocol)`,
        );
        assert.ok(
          protocols.some((p) => p.endsWith("/hello.txt h2")),
          `${protocols}`,
        );
        assert.deepEqual(
          protocols.filter((entry) => !entry.endsWith(" h2")),
          [],
        );
      }
      cli.kill("SIGINT");
      assert.equal((await cli.finish()).code, 0);
    } finally {
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
);
