// The command line's permissions: one table (cli/permissions.ts) that the
// check before starting and `--print-permissions` both read. Every missing
// permission is named at once, and the command the CLI suggests, or prints,
// is run as printed and must work.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  commandLine,
  FLAG_PERMISSIONS,
  moduleSpecifier,
  type Need,
  permissionFlags,
  shellQuote,
} from "../../cli/permissions.ts";
import {
  BANNER,
  Cli,
  missingPermissions,
  MOD,
  run,
  withFolder,
} from "../support/cli_process.ts";

/** Runs a command line as printed, through `sh`, as a user pasting it would. */
function shell(command: string, cwd: string): Cli {
  return Cli.binary("/bin/sh", ["-c", `exec ${command}`], {
    cwd,
    env: { PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}` },
  });
}

Deno.test("every flag of --help has its row in the permission table, and every row a flag", async () => {
  const { stdout } = await run([], ["--help"]);
  // The flags start the option lines; their descriptions may name others.
  const helpFlags = new Set(
    stdout.split("\n").filter((line) => line.startsWith("  -"))
      .flatMap((line) => line.trim().split(/ {2,}/)[0].match(/--[a-z0-9-]+/g)!),
  );
  const tableFlags = new Set(
    FLAG_PERMISSIONS.flatMap((row) =>
      row.flag.match(/--[a-z0-9][a-z0-9-]*/g) ?? []
    ),
  );
  for (const flag of helpFlags) {
    assert.ok(
      tableFlags.has(flag),
      `${flag} has no row in FLAG_PERMISSIONS (cli/permissions.ts): add one, with needs: NOTHING if it needs no permission`,
    );
  }
  assert.deepEqual([...tableFlags].filter((flag) => !helpFlags.has(flag)), []);
});

Deno.test("with no permission at all, one message names every missing flag, one line each, and a command that works", async () => {
  await withFolder(async (dir) => {
    await Deno.mkdir(`${dir}/cgi-bin`);
    const args = ["0", "-b", "127.0.0.1", "-d", dir, "--upload", "--cgi"];
    const { code, stdout, stderr } = await run([], args, { cwd: dir });
    assert.equal(code, 1, stderr);
    assert.equal(stdout, "");
    const missing = missingPermissions(stderr);
    assert.deepEqual(missing.flags, [
      "--allow-net=127.0.0.1:0",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-run",
    ]);
    assert.match(
      stderr,
      /--allow-write=\S+ +to store uploads in '.*' \(--upload\)\n/,
    );
    assert.equal(
      missing.command,
      `deno run --allow-net=127.0.0.1:0 --allow-read=${dir} --allow-write=${dir} --allow-run ${MOD} ${
        args.join(" ")
      }`,
    );

    await using cli = shell(missing.command, dir);
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, `the suggested command serves: ${cli.out}`);
    const put = await fetch(`http://127.0.0.1:${banner[2]}/new.txt`, {
      method: "PUT",
      body: "new\n",
    });
    assert.equal(put.status, 201, await put.text());
    assert.equal(await Deno.readTextFile(`${dir}/new.txt`), "new\n");
    cli.kill("SIGINT");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("a permission given too narrowly is named with the rest, and the ones granted are not", async () => {
  await withFolder(async (dir) => {
    const { code, stderr } = await run(
      ["--allow-net=127.0.0.1:1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--upload"],
    );
    assert.equal(code, 1, stderr);
    assert.deepEqual(missingPermissions(stderr).flags, [
      "--allow-net=127.0.0.1:0",
      `--allow-write=${dir}`,
    ]);
  });
});

Deno.test("--print-permissions prints the narrowest deno run line for the other flags, with no permission needed", async (t) => {
  const cases: [string[], string][] = [
    [[], "--allow-net=0.0.0.0:8000 --allow-read=."],
    [
      ["--upload", "-d", "site"],
      "--allow-net=0.0.0.0:8000 --allow-read=site --allow-write=site",
    ],
    [
      ["--delete", "--mkdir", "-d", "site"],
      "--allow-net=0.0.0.0:8000 --allow-read=site --allow-write=site",
    ],
    [["--webdav", "-d", "site"], "--allow-net=0.0.0.0:8000 --allow-read=site"],
    [
      ["8080", "-b", "127.0.0.1", "--cgi"],
      "--allow-net=127.0.0.1:8080 --allow-read=. --allow-run",
    ],
    [
      ["-b", "::1", "--gzip", "--cors"],
      "'--allow-net=[::1]:8000' --allow-read=.",
    ],
    [
      ["--tls-cert", "pem/cert.pem", "--tls-key", "pem/key.pem"],
      "--allow-net=0.0.0.0:8000 --allow-read=.,pem/cert.pem,pem/key.pem",
    ],
    [["-d", "my site"], "--allow-net=0.0.0.0:8000 '--allow-read=my site'"],
  ];
  for (const [args, flags] of cases) {
    await t.step(args.join(" ") || "no flags", async () => {
      const { code, stdout, stderr } = await run(
        [],
        [...args, "--print-permissions"],
      );
      assert.equal(code, 0, stderr);
      assert.equal(
        stdout,
        `deno run ${flags} ${MOD} ${args.map(shellQuote).join(" ")}`.trimEnd() +
          "\n",
      );
    });
  }
});

Deno.test("the line --print-permissions prints serves, run as printed", async () => {
  await withFolder(async (dir) => {
    const { stdout } = await run([], [
      "0",
      "-b",
      "127.0.0.1",
      "-d",
      dir,
      "--print-permissions",
    ]);
    await using cli = shell(stdout.trim(), dir);
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, cli.out);
    const response = await fetch(`http://127.0.0.1:${banner[2]}/hello.txt`);
    assert.equal(await response.text(), "hello\n");
    cli.kill("SIGINT");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("permission flags: one per permission, values joined, in Deno's order; plain when one need has no value", () => {
  const needs: Need[] = [
    { name: "run", purpose: "" },
    { name: "read", value: ".", purpose: "" },
    { name: "net", value: "127.0.0.1:80", purpose: "" },
    { name: "read", value: "cert.pem", purpose: "" },
    { name: "read", value: ".", purpose: "" },
  ];
  assert.deepEqual(permissionFlags(needs), [
    "--allow-net=127.0.0.1:80",
    "--allow-read=.,cert.pem",
    "--allow-run",
  ]);
  // A host alone covers its ports.
  assert.deepEqual(
    permissionFlags([
      { name: "net", value: "127.0.0.1:0", purpose: "" },
      { name: "net", value: "[::1]:8000", purpose: "" },
      { name: "net", value: "127.0.0.1", purpose: "" },
    ]),
    ["--allow-net=[::1]:8000,127.0.0.1"],
  );
});

Deno.test("the module is named as a user names it: a file as its path, jsr: as typed", () => {
  assert.equal(
    moduleSpecifier("file:///srv/httpserver/mod.ts"),
    "/srv/httpserver/mod.ts",
  );
  assert.equal(moduleSpecifier("jsr:@x/httpserver"), "jsr:@x/httpserver");
  assert.equal(
    commandLine([], []),
    `deno run ${moduleSpecifier(Deno.mainModule)}`,
  );
});

Deno.test("shell quoting leaves plain words alone and quotes the rest so sh reads them back", async () => {
  assert.equal(
    shellQuote("--allow-read=/srv/www,./a_b@1+2%"),
    "--allow-read=/srv/www,./a_b@1+2%",
  );
  const words = ["my site", "it's", "[::1]:80", "$HOME", 'a"b', "*"];
  const { stdout } = await new Deno.Command("/bin/sh", {
    args: ["-c", `printf '%s\\n' ${words.map(shellQuote).join(" ")}`],
  }).output();
  assert.equal(new TextDecoder().decode(stdout), words.join("\n") + "\n");
});

Deno.test("README.md's example of the message is what the CLI prints", async () => {
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  const example = readme.match(
    /Run with no flags at all, `httpserver --upload` says:\n\n```text\n([^`]*)```/,
  );
  assert.ok(example, "README.md has the example");
  await withFolder(async (dir) => {
    const { code, stderr } = await run([], ["--upload"], { cwd: dir });
    assert.equal(code, 1);
    assert.equal(stderr, example[1].replace("jsr:@x/httpserver", MOD));
  });
});
