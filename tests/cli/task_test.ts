// `deno task start`, as README shows it: run from the folder to serve with
// `--config <clone>/deno.json`, its arguments go to the command line, and
// the relative paths among them name files of that folder, as they would in
// `deno run ... mod.ts` there, not of the clone the task runs from.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BANNER, Cli } from "../support/cli_process.ts";
import { tempFolder } from "../support/helpers.ts";

const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

const BCRYPT =
  "alice:$2y$05$4Obsky9VMGRoEriqHr3St.wWuIa1mdeYMR2TyRZxgf6zQHmS941kK\n";

Deno.test("deno task start from another folder finds a relative --auth-file there", async () => {
  await using folder = await tempFolder("httpserver-task-", {
    "site/hello.txt": "hello\n",
    "users": BCRYPT,
  });
  const cli = Cli.binary(
    Deno.execPath(),
    [
      "task",
      "--config",
      CONFIG,
      "start",
      "--auth-file",
      "../users",
      "-b",
      "127.0.0.1",
      "0",
    ],
    {
      cwd: `${folder.root}/site`,
      // deno task keeps an INIT_CWD it inherits, and this suite runs under
      // one: the folder's, as a shell there would start it with none.
      env: { NO_COLOR: "1", INIT_CWD: `${folder.root}/site` },
    },
  );
  const banner = await cli.waitFor(BANNER);
  if (banner === null) assert.fail((await cli.finish()).stderr);
  try {
    const response = await fetch(`http://127.0.0.1:${banner[2]}/hello.txt`);
    await response.body?.cancel();
    assert.equal(response.status, 401);
  } finally {
    // SIGTERM, which deno task passes on: a SIGKILL would leave the server.
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
  }
});
