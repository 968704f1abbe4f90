// The share against litmus, the WebDAV compliance suite (Debian's `litmus`),
// on both faces with --upload --delete --mkdir: its `basic`, `copymove` and
// `http` suites pass in full; `props` and `locks` fail only where they store
// dead properties (PROPPATCH) or take shared locks, which this server does
// not. Skipped where litmus is missing.
import assert from "node:assert/strict";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { requiring } from "../support/tools.ts";

/** The suites that pass in full. */
const SUITES = ["basic", "copymove", "http"];

/** The tests of `props` and `locks` that fail, and why. */
const EXPECTED_FAILURES = [
  "lock_shared", // a shared lock, refused
  "owner_modify", // a PROPPATCH under a lock: no property is kept
  "propget", // the dead properties set before
  "propmanyns", // PROPPATCH
  "propset", // PROPPATCH
];

/**
 * Runs litmus's `suites` against `face` serving a share of its own with
 * --upload --delete --mkdir; its output and exit code.
 */
async function litmus(
  face: FaceName,
  suites: string[],
  ...flags: string[]
): Promise<{ code: number; text: string }> {
  await using share = await tempFolder("litmus_share_", { "dav/.keep": "" });
  // litmus writes its debug.log where it runs.
  await using work = await tempFolder("litmus_work_");
  await using server = startFace(face, share.root, [
    "--upload",
    "--delete",
    "--mkdir",
  ]);
  const { code, stdout } = await new Deno.Command("litmus", {
    args: [...flags, `http://127.0.0.1:${server.port}/dav/`],
    cwd: work.root,
    env: { TESTS: suites.join(" ") },
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(30_000),
  }).output();
  return { code, text: new TextDecoder().decode(stdout) };
}

for (const face of ["python", "fetch"] as FaceName[]) {
  requiring("litmus").test(
    `litmus's ${
      SUITES.join(", ")
    } suites pass in full through the ${face} face`,
    async () => {
      const { code, text } = await litmus(face, SUITES);
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

for (const face of ["python", "fetch"] as FaceName[]) {
  requiring("litmus").test(
    `litmus's props and locks suites fail through the ${face} face only where they keep dead properties or take shared locks`,
    async () => {
      // -k: the second suite runs though the first fails.
      const { text } = await litmus(face, ["props", "locks"], "-k");
      const failed = new Set(
        [...text.matchAll(/^ *\d+\. (\w+)\.+ .*FAIL/gm)].map(([, test]) =>
          test
        ),
      );
      assert.deepEqual([...failed].sort(), EXPECTED_FAILURES, text);
      assert.match(text, /summary for `locks': of 30 tests run: 27 passed/);
    },
  );
}
