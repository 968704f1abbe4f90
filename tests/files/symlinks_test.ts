// `--symlinks follow|inside|never` (the handler's and the fetch face's
// `symlinks`): the sandbox's one decision, `followsLink`, as archives and
// search ask it, the command line's checks, and a folder-only read grant,
// which `never` narrows further. The faces' answers are in
// tests/fetch/faces_test.ts.
import assert from "node:assert/strict";
import { parseCliArgs, UsageError } from "../../cli/args.ts";
import { resolveOptions } from "../../fetch/options.ts";
import { Sandbox, type SymlinkPolicy } from "../../files/sandbox.ts";
import { Cli } from "../support/cli_process.ts";
import { RawClient, tempFolder } from "../support/helpers.ts";

/** A folder with a file, and symlinks to it, to a folder in it, and out. */
async function linkedFolder() {
  const folder = await tempFolder("httpserver-symlinks-", {
    "site/a.txt": "a\n",
    "site/docs/b.txt": "b\n",
    "outside.txt": "secret\n",
  });
  const site = `${folder.root}/site`;
  await Deno.symlink("a.txt", `${site}/in.txt`);
  await Deno.symlink("docs", `${site}/linked`);
  await Deno.symlink("../outside.txt", `${site}/out.txt`);
  await Deno.symlink("missing.txt", `${site}/dangling.txt`);
  return { folder, site };
}

Deno.test("followsLink answers for each policy which paths may be read through their symlinks", async () => {
  const { folder, site } = await linkedFolder();
  await using _ = folder;
  const paths = [
    "a.txt",
    "docs/b.txt",
    "in.txt",
    "linked/b.txt",
    "out.txt",
    "dangling.txt",
  ];
  const answers: Record<string, boolean[]> = {};
  for (const policy of ["follow", "inside", "never"] as SymlinkPolicy[]) {
    const sandbox = new Sandbox(site, () => {}, policy);
    answers[policy] = paths.map((path) =>
      sandbox.followsLink(`${site}/${path}`)
    );
  }
  // Full read permission: `follow` is Python's, even for a dangling link,
  // whose reading then fails as any missing file's.
  assert.deepEqual(answers, {
    follow: [true, true, true, true, true, true],
    inside: [true, true, true, true, false, false],
    never: [true, true, false, false, false, false],
  });
});

Deno.test("--symlinks never refuses a symlink inside the folder under a folder-only read grant, which follows it by default", async () => {
  const { folder, site } = await linkedFolder();
  await using _ = folder;
  const statuses: Record<string, number[]> = {};
  for (const policy of ["follow", "never"]) {
    await using cli = Cli.serving(site, ["--symlinks", policy]);
    const port = await cli.port();
    statuses[policy] = [];
    for (const target of ["/a.txt", "/in.txt", "/linked/b.txt", "/out.txt"]) {
      using client = await RawClient.connect(port);
      await client.send(`GET ${target} HTTP/1.0\r\n\r\n`);
      statuses[policy].push((await client.readResponse()).status);
    }
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    if (policy === "never") {
      assert.match(
        stderr,
        /refused \S+\/in\.txt: its real path \S+\/a\.txt is not allowed by --symlinks never/,
      );
    }
  }
  assert.deepEqual(statuses, {
    follow: [200, 200, 200, 404],
    never: [200, 404, 404, 404],
  });
});

Deno.test("--symlinks takes follow, inside or never, follow by default; --trust-uploads needs --upload", () => {
  assert.equal(parseCliArgs([])!.symlinks, "follow");
  assert.equal(parseCliArgs(["--symlinks", "never"])!.symlinks, "never");
  assert.equal(parseCliArgs(["--symlinks=inside"])!.symlinks, "inside");
  assert.throws(
    () => parseCliArgs(["--symlinks", "none"]),
    new UsageError(
      "argument --symlinks: invalid choice: 'none' (choose from 'follow', 'inside', 'never')",
    ),
  );
  assert.equal(parseCliArgs(["--upload"])!.trustUploads, false);
  assert.equal(
    parseCliArgs(["--upload", "--trust-uploads"])!.trustUploads,
    true,
  );
  assert.throws(
    () => parseCliArgs(["--trust-uploads"]),
    new UsageError("argument --trust-uploads: only with --upload"),
  );
  assert.equal(resolveOptions().serve.symlinks, "follow");
  assert.throws(
    // A caller in plain JavaScript may pass anything.
    () => resolveOptions({ symlinks: "no" as SymlinkPolicy }),
    new TypeError("symlinks: one of follow, inside, never: no"),
  );
});
