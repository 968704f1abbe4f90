// The file operations under narrow permissions, as a process run with
// `--allow-read=<folder>` and `--allow-write` for part of it: a change where
// the process may not write is 403 and its log line names the flag; PROPFIND
// lists only what the read grant's sandbox serves; nothing reaches through a
// symlink to a folder outside. And the command line: --delete and --mkdir
// each need --allow-write for the folder, and say so.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  Cli,
  missingPermissions,
  run,
  withFolder,
} from "../support/cli_process.ts";
import { tempFolder } from "../support/helpers.ts";

const CHILD = fileURLToPath(
  new URL("../support/ops_child.ts", import.meta.url),
);

Deno.test("without write permission for the folder a change is 403 and the log names --allow-write; the read sandbox keeps PROPFIND and MOVE inside", async () => {
  await using top = await tempFolder("ops_sandbox_", {
    "root/a.txt": "a",
    "root/sub/c.txt": "c",
    "outside/o.txt": "o",
  });
  const root = `${top.root}/root`;
  await Deno.symlink(`${top.root}/outside`, `${root}/escape`);
  await using cli = new Cli(
    [
      "--allow-net=127.0.0.1",
      `--allow-read=${root}`,
      `--allow-write=${root}/sub`,
    ],
    [root],
    { module: CHILD },
  );
  const url = `http://127.0.0.1:${await cli.port()}`;
  const call = async (
    method: string,
    target: string,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${url}${target}`, { method, headers });
    return { status: response.status, text: await response.text() };
  };
  assert.equal((await call("DELETE", "/a.txt")).status, 403);
  assert.equal((await call("MKCOL", "/new/")).status, 403);
  assert.equal((await call("DELETE", "/sub/c.txt")).status, 204);
  assert.equal((await call("MKCOL", "/sub/new/")).status, 201);
  assert.equal(
    (await call("MOVE", "/sub/new/", { destination: `${url}/escape/new/` }))
      .status,
    403,
  );
  const listing = await call("PROPFIND", "/", { depth: "1" });
  assert.equal(listing.status, 207);
  const hrefs = [...listing.text.matchAll(/<D:href>([^<]*)<\/D:href>/g)]
    .map((m) => m[1]);
  assert.deepEqual(hrefs, ["/", "/a.txt", "/sub/"]);
  assert.equal(
    (await call("PROPFIND", "/escape/o.txt", { depth: "0" })).status,
    404,
  );
  cli.kill("SIGTERM");
  const { stderr } = await cli.finish();
  assert.match(
    stderr,
    new RegExp(
      `refused DELETE ${root}: no write permission \\(start the server with --allow-write=${root}\\)`,
    ),
  );
  assert.deepEqual(
    [...Deno.readDirSync(`${top.root}/outside`)].map((e) => e.name),
    ["o.txt"],
  );
  assert.equal(await Deno.readTextFile(`${root}/a.txt`), "a");
});

Deno.test("CLI: --delete and --mkdir without --allow-write name the flag and what it is for, and exit 1", async () => {
  await withFolder(async (dir) => {
    for (
      const [flag, purpose] of [
        ["--delete", "delete and move files in"],
        ["--mkdir", "create folders in"],
      ]
    ) {
      const { code, stderr } = await run(
        ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
        ["0", "-b", "127.0.0.1", "-d", dir, flag],
      );
      assert.equal(code, 1, stderr);
      assert.deepEqual(missingPermissions(stderr).flags, [
        `--allow-write=${dir}`,
      ]);
      assert.ok(stderr.includes(`to ${purpose} '${dir}' (${flag})`), stderr);
    }
    // Flags that need the same grant share its line.
    const both = await run(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--upload", "--delete", "--mkdir"],
    );
    assert.deepEqual(missingPermissions(both.stderr).flags, [
      `--allow-write=${dir}`,
    ]);
    assert.ok(
      both.stderr.includes(
        `to store uploads in '${dir}' (--upload) and to delete and move files in '${dir}' (--delete) and to create folders in '${dir}' (--mkdir)\n`,
      ),
      both.stderr,
    );
    // --webdav alone reads: the folder's read grant is all it needs.
    await using cli = Cli.serving(dir, ["--webdav"]);
    const port = await cli.port();
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: "PROPFIND",
      headers: { depth: "1" },
    });
    assert.equal(response.status, 207);
    assert.match(await response.text(), /<D:href>\/hello\.txt<\/D:href>/);
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("CLI: --delete with --allow-write for the folder deletes and moves; --allowed-host takes a change flag", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, [
      "--delete",
      "--allowed-host",
      "nas.lan",
    ], [
      `--allow-write=${dir}`,
    ]);
    const url = `http://127.0.0.1:${await cli.port()}`;
    const move = await fetch(`${url}/hello.txt`, {
      method: "MOVE",
      headers: { destination: `${url}/moved.txt` },
    });
    assert.equal(move.status, 201);
    assert.equal(
      (await fetch(`${url}/moved.txt`, { method: "DELETE" })).status,
      204,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
  const refused = await run([], ["--allowed-host", "nas.lan"]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /argument --allowed-host: only with --upload, --delete or --mkdir/,
  );
});
