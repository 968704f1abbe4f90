// The single binary: `deno task compile` builds dist/httpserver, which is run
// as people run it (banner, a served file, --help, Ctrl-C). `deno compile`
// needs the `denort` runtime of this Deno version: from DENORT_BIN, from Deno's
// download cache, or downloaded from dl.deno.land. When none of these can be
// had (an offline machine), the test is skipped, and its name says why.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  BANNER,
  Cli,
  loopback,
  missingPermissions,
  withFolder,
} from "../support/cli_process.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const VERSION = Deno.version.deno;
const DENORT = `denort-${Deno.build.target}.zip`;
const DENORT_URL = `https://dl.deno.land/release/v${VERSION}/${DENORT}`;
const decoder = new TextDecoder();

/** Why the runtime cannot be had, or null when `deno compile` can run. */
async function unobtainable(): Promise<string | null> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    // Set but wrong is an error to fix, not a reason to skip.
    assert.ok(
      (await Deno.stat(bin).catch(() => null))?.isFile,
      `DENORT_BIN=${bin} is not a file`,
    );
    return null;
  }
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stderr: "null",
  }).output();
  const denoDir: string = JSON.parse(decoder.decode(stdout)).denoDir;
  const cached = `${denoDir}/dl/release/v${VERSION}/${DENORT}`;
  if (await Deno.stat(cached).catch(() => null)) return null;
  try {
    const response = await fetch(DENORT_URL, {
      method: "HEAD",
      signal: AbortSignal.timeout(5_000),
    });
    if (response.ok) return null;
    return `${DENORT_URL} answered ${response.status}`;
  } catch (error) {
    // fetch's message is "fetch failed"; its cause says what failed.
    const cause = (error as Error).cause ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return `DENORT_BIN is not set, ${cached} does not exist, and ${DENORT_URL} cannot be fetched (${
      reason.replace(/^error sending request for url \([^)]*\): /, "")
        .split("\n")[0]
    })`;
  }
}

const skip = await unobtainable();

/** Runs `deno task <task>` in the repository; fails the test on an error. */
async function task(name: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", name],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    signal: AbortSignal.timeout(300_000),
  }).output();
  assert.equal(code, 0, `deno task ${name}:\n${decoder.decode(stderr)}`);
}

Deno.test({
  name: skip === null
    ? "deno task compile builds dist/httpserver, which serves a folder with the permissions baked in"
    : `deno task compile: not run, as deno compile cannot get its runtime here: ${skip}; set DENORT_BIN to a denort ${VERSION} binary to run it`,
  ignore: skip !== null,
  async fn(t) {
    await task("compile");
    const binary = `${ROOT}dist/httpserver${
      Deno.build.os === "windows" ? ".exe" : ""
    }`;

    await t.step("--help prints the usage and exits 0", async () => {
      await using cli = Cli.binary(binary, ["--help"]);
      const { code, stdout } = await cli.finish();
      assert.equal(code, 0);
      assert.match(stdout, /^usage: httpserver \[-h\]/);
    });

    await t.step(
      "it prints the banner, serves a file, and exits 0 on Ctrl-C",
      async () => {
        await withFolder(async (dir) => {
          await using cli = Cli.binary(binary, loopback(dir));
          const response = await fetch(
            `http://127.0.0.1:${await cli.port()}/hello.txt`,
          );
          assert.equal(response.status, 200);
          assert.equal(await response.text(), "hello\n");
          cli.kill("SIGINT");
          const { code, stdout, stderr } = await cli.finish();
          assert.equal(code, 0, stderr);
          assert.match(stdout, /Keyboard interrupt received, exiting\.\n$/);
          assert.match(stderr, /"GET \/hello\.txt HTTP\/1\.1" 200 -/);
        });
      },
    );

    await t.step(
      "--workers 2 serves: the binary has --unstable-net and the workers' module",
      async () => {
        await withFolder(async (dir) => {
          await using cli = Cli.binary(binary, loopback(dir, "--workers", "2"));
          const banner = await cli.waitFor(BANNER);
          assert.ok(banner, `banner printed: ${cli.out}`);
          assert.match(banner[0], / with 2 workers \.\.\.\n$/);
          const response = await fetch(
            `http://127.0.0.1:${banner[2]}/hello.txt`,
          );
          assert.equal(await response.text(), "hello\n");
          cli.kill("SIGTERM");
          const { code, stderr } = await cli.finish();
          assert.equal(code, 0, stderr);
        });
      },
    );

    await t.step(
      "--upload, which needs --allow-write, names the flag and the deno compile command that has it",
      async () => {
        await withFolder(async (dir) => {
          await using cli = Cli.binary(binary, loopback(dir, "--upload"));
          const { code, stderr } = await cli.finish();
          assert.equal(code, 1, stderr);
          const missing = missingPermissions(stderr);
          assert.deepEqual(missing.flags, [`--allow-write=${dir}`]);
          assert.match(
            missing.command,
            /^deno compile --allow-net=127\.0\.0\.1:0 --allow-read=\S+ --allow-write=\S+ --output httpserver mod\.ts$/,
          );
        });
      },
    );

    await t.step(
      "deno task compile:cgi builds dist/httpserver-cgi",
      async () => {
        await task("compile:cgi");
        await using cli = Cli.binary(`${ROOT}dist/httpserver-cgi`, ["--help"]);
        const { code, stdout } = await cli.finish();
        assert.equal(code, 0);
        assert.match(stdout, /--cgi/);
      },
    );
  },
});

/**
 * Runs `deno task compile` with DENORT_BIN set to `denort` in a fresh folder
 * holding the repository's deno.json, deno.lock and compile.ts, and a
 * one-line mod.ts (quick to build), then removes the folder: the exit status,
 * stderr, and whether a `dist/` was left.
 */
async function compileCopy(
  denort: string | ((dir: string) => Promise<string>),
) {
  const dir = await Deno.makeTempDir({ prefix: "httpserver-compile-" });
  try {
    for (const file of ["deno.json", "deno.lock", "compile.ts"]) {
      await Deno.copyFile(`${ROOT}${file}`, `${dir}/${file}`);
    }
    await Deno.writeTextFile(`${dir}/mod.ts`, 'console.log("hello");\n');
    const bin = typeof denort === "string" ? denort : await denort(dir);
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: dir,
      env: { DENORT_BIN: bin, NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const dist = await Deno.stat(`${dir}/dist`).catch(() => null);
    return { code, stderr: decoder.decode(stderr), dist: dist !== null };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deno task compile refuses DENORT_BIN set to the deno command or to no file, says what denort is, and builds nothing", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "the deno command",
      Deno.execPath(),
      /is the deno command itself \('deno \d+\.\d+\.\d+ .*'\), not denort:\ndeno compile would build a program that runs as plain Deno\n/,
    ],
    [
      "no file",
      "/nonexistent/denort",
      /DENORT_BIN=\/nonexistent\/denort is not a file\n/,
    ],
  ];
  for (const [what, denort, message] of cases) {
    await t.step(what, async () => {
      const { code, stderr, dist } = await compileCopy(denort);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /^compile: error: DENORT_BIN=/m);
      assert.match(stderr, message);
      assert.match(
        stderr,
        /denort is the Deno runtime without the deno command's tools/,
      );
      assert.ok(stderr.includes(`denort-${Deno.build.target}.zip`), stderr);
      assert.ok(!dist, "no dist/ made");
    });
  }
});

Deno.test("a deno compile that fails leaves no dist/ behind", async () => {
  // Not a runtime deno compile can build on; it answers --version as denort
  // does, with an error, so only deno compile finds out.
  const { code, stderr, dist } = await compileCopy(async (dir) => {
    await Deno.writeTextFile(`${dir}/denort`, "#!/bin/sh\nexit 1\n");
    await Deno.chmod(`${dir}/denort`, 0o755);
    return `${dir}/denort`;
  });
  assert.notEqual(code, 0, stderr);
  assert.match(stderr, /Compile .*mod\.ts to .*dist\/httpserver\n/);
  assert.ok(!dist, `no dist/ left:\n${stderr}`);
});
