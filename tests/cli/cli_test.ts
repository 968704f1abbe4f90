// The command line as people run it: a real `deno run mod.ts` child process
// with the narrowest permissions, talked to over 127.0.0.1.
import assert from "node:assert/strict";
import {
  addCgiScript,
  addHangingScript,
  BANNER,
  Cli,
  missingPermissions,
  run,
  secondSignalExits,
  uploadFinishesAfter,
  withFolder,
} from "../support/cli_process.ts";

const decoder = new TextDecoder();

Deno.test("the CLI serves a folder with only --allow-net and --allow-read for it, and SIGINT exits 0", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir],
    );
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, "banner printed");
    assert.equal(banner[1], "127.0.0.1");
    const port = Number(banner[2]);
    const res = await fetch(`http://127.0.0.1:${port}/hello.txt`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "hello\n");
    assert.equal(
      res.headers.get("server")?.startsWith("SimpleHTTP/0.6 Deno/"),
      true,
    );
    cli.kill("SIGINT");
    const { code, stdout, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.match(stdout, /\nKeyboard interrupt received, exiting\.\n$/);
    assert.match(stderr, /"GET \/hello\.txt HTTP\/1\.1" 200 -/);
  });
});

Deno.test("SIGTERM stops the CLI with exit 0 and no message", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      [
        "0",
        "--bind",
        "127.0.0.1",
        "--directory",
        dir,
      ],
    );
    assert.ok(await cli.waitFor(BANNER));
    cli.kill("SIGTERM");
    const { code, stdout } = await cli.finish();
    assert.equal(code, 0);
    assert.ok(!stdout.includes("Keyboard interrupt"));
  });
});

Deno.test("SIGHUP shuts the CLI down as SIGTERM does: the upload in flight finishes, no .part file is left", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, ["--upload"], [`--allow-write=${dir}`]);
    const stdout = await uploadFinishesAfter(
      cli,
      await cli.port(),
      dir,
      "SIGHUP",
    );
    assert.ok(!stdout.includes("Keyboard interrupt"));
  });
});

for (const [signal, status] of [["SIGINT", 130], ["SIGHUP", 129]] as const) {
  Deno.test(`a second ${signal} exits at once with ${status}, leaving no upload's .part file and no CGI process`, async () => {
    await withFolder(async (dir) => {
      await addHangingScript(dir);
      await using cli = Cli.serving(dir, ["--cgi", "--upload"], [
        `--allow-write=${dir}`,
        "--allow-run",
      ]);
      await secondSignalExits(cli, await cli.port(), dir, signal, status);
    });
  });
}

Deno.test("--protocol HTTP/1.1 answers with HTTP/1.1 and keeps connections alive", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, ["-p", "HTTP/1.1"]);
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: await cli.port(),
    });
    try {
      const request = "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n";
      const buf = new Uint8Array(4096);
      for (let i = 0; i < 2; i++) {
        await conn.write(new TextEncoder().encode(request));
        const n = await conn.read(buf);
        const text = decoder.decode(buf.subarray(0, n!));
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.ok(text.endsWith("\r\n\r\nhello\n"));
      }
    } finally {
      conn.close();
    }
  });
});

Deno.test("an IPv6 bind address is bracketed in the banner URL", async (t) => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
  } catch {
    return void t.step({
      name: "no IPv6 loopback here",
      ignore: true,
      fn: () => {},
    });
  }
  await withFolder(async (dir) => {
    await using cli = new Cli(["--allow-net", `--allow-read=${dir}`], [
      "0",
      "-b",
      "::1",
      "-d",
      dir,
    ]);
    const banner = await cli.waitFor(BANNER);
    assert.equal(banner![1], "::1");
    assert.equal(banner![3], "[::1]");
  });
});

Deno.test("--help prints argparse's help and exits 0", async () => {
  const { code, stdout } = await run([], ["--help"]);
  assert.equal(code, 0);
  assert.match(
    stdout,
    /^usage: httpserver \[-h\] \[--cgi\] \[-b ADDRESS\] \[-d DIRECTORY\] \[-p VERSION\]\n/,
  );
  for (
    const flag of [
      "-b ADDRESS, --bind ADDRESS",
      "-d DIRECTORY, --directory DIRECTORY",
      "-p VERSION, --protocol VERSION",
      "--cgi",
    ]
  ) {
    assert.ok(stdout.includes(flag), flag);
  }
});

const usageErrors: [string, string[], RegExp][] = [
  [
    "a port that is not a number",
    ["abc"],
    /argument port: invalid port: 'abc'/,
  ],
  ["a port out of range", ["70000"], /argument port: invalid port: '70000'/],
  ["an unknown flag", ["--foo"], /unrecognized arguments: --foo/],
  [
    "a flag without its value",
    ["-b"],
    /argument -b\/--bind: expected one argument/,
  ],
  ["two ports", ["1", "2"], /unrecognized arguments: 2/],
  ["an unknown protocol", ["-p", "HTTP/2"], /invalid version: 'HTTP\/2'/],
  [
    "a missing folder",
    ["-d", "/nonexistent-httpserver-dir"],
    /no such directory/,
  ],
];
for (const [what, args, message] of usageErrors) {
  Deno.test(`${what} is a usage error: one line and exit 2`, async () => {
    const { code, stderr } = await run(["--allow-read"], args);
    assert.equal(code, 2);
    assert.match(stderr, /^usage: httpserver /);
    assert.match(stderr, message);
    assert.ok(!stderr.includes("    at "), "no stack trace");
  });
}

Deno.test("without --allow-net the CLI names the flag and exits 1", async () => {
  await withFolder(async (dir) => {
    const { code, stderr } = await run([`--allow-read=${dir}`], [
      "0",
      "-d",
      dir,
    ]);
    assert.equal(code, 1);
    assert.deepEqual(missingPermissions(stderr).flags, [
      "--allow-net=0.0.0.0:0",
    ]);
  });
});

Deno.test("without --allow-read for the folder the CLI names the flag and exits 1", async () => {
  await withFolder(async (dir) => {
    const { code, stderr } = await run(["--allow-net"], ["0", "-d", dir]);
    assert.equal(code, 1);
    assert.deepEqual(missingPermissions(stderr).flags, [`--allow-read=${dir}`]);
  });
});

Deno.test("a port already in use is a runtime error: exit 1", async () => {
  await withFolder(async (dir) => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String(taken.addr.port);
    const { code, stderr } = await run([
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}`,
    ], [port, "-b", "127.0.0.1", "-d", dir]);
    assert.equal(code, 1);
    assert.match(stderr, /already in use/);
  });
});

Deno.test("--cgi without --allow-run names the flag and exits 1", async () => {
  await withFolder(async (dir) => {
    const { code, stderr } = await run(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--cgi"],
    );
    assert.equal(code, 1);
    assert.deepEqual(missingPermissions(stderr).flags, ["--allow-run"]);
  });
});

Deno.test("--cgi runs a script in cgi-bin", async () => {
  await withFolder(async (dir) => {
    await addCgiScript(
      dir,
      "hi.sh",
      '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nhi from cgi\\n"\n',
    );
    await using cli = Cli.serving(dir, ["--cgi"], ["--allow-run"]);
    const res = await fetch(
      `http://127.0.0.1:${await cli.port()}/cgi-bin/hi.sh`,
    );
    const text = await res.text();
    cli.kill("SIGINT");
    const { stderr } = await cli.finish();
    assert.equal(res.status, 200, stderr);
    assert.equal(text, "hi from cgi\n");
  });
});

Deno.test("a bind address that does not resolve is a usage error that names the -b argument: exit 2", async () => {
  await withFolder(async (dir) => {
    for (const address of ["no-such-host.invalid", "999.1.1.1"]) {
      const { code, stderr } = await run(
        ["--allow-net", `--allow-read=${dir}`],
        ["0", "-b", address, "-d", dir],
      );
      assert.equal(code, 2, stderr);
      assert.match(stderr, /^usage: httpserver /);
      assert.ok(
        stderr.includes(
          `\nhttpserver: error: argument -b/--bind: cannot listen on '${address}': `,
        ),
        stderr,
      );
    }
  });
});
