// The share against litmus, the WebDAV compliance suite (Debian's `litmus`),
// on both faces with --upload --delete --mkdir: its `basic`, `copymove` and
// `http` suites pass in full. (`props` and `locks` fail only where they
// store dead properties or take shared locks, which this server does not.)
// Skipped where litmus is missing.
import assert from "node:assert/strict";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

/** The suites that pass in full. */
const SUITES = ["basic", "copymove", "http"];

for (const face of ["python", "fetch"] as FaceName[]) {
  requiring("litmus").test(
    `litmus's ${
      SUITES.join(", ")
    } suites pass in full through the ${face} face`,
    async () => {
      await using share = await tempFolder("litmus_share_", {
        "dav/.keep": "",
      });
      // litmus writes its debug.log where it runs.
      await using work = await tempFolder("litmus_work_");
      await using server = startFace(face, share.root, [
        "--upload",
        "--delete",
        "--mkdir",
      ]);
      const { code, stdout } = await new Deno.Command("litmus", {
        args: [`http://127.0.0.1:${server.port}/dav/`],
        cwd: work.root,
        env: { TESTS: SUITES.join(" ") },
        stdout: "piped",
        stderr: "inherit",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const text = new TextDecoder().decode(stdout);
      const summaries = [...text.matchAll(/summary for `(\w+)': (.*)/g)]
        .map(([, suite, result]) => [suite, result]);
      assert.equal(code, 0, text);
      assert.deepEqual(summaries.map(([suite]) => suite), SUITES);
      for (const [suite, result] of summaries) {
        assert.match(result, / 0 failed\. 100\.0%/, `${suite}: ${result}`);
      }
    },
  );
}
