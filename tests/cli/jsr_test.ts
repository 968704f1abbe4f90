// The package as people get it from JSR, proven without JSR: `deno publish`
// uploads this repository to a stand-in registry on 127.0.0.1
// (jsr_registry.ts), which serves the uploaded files as JSR would; then, with
// `JSR_URL` naming it and a throwaway DENO_DIR and HOME, the README's ways in
// run as a user runs them. Whatever works from a clone but not once published
// (a file left out of `publish.include`, an import map entry that publishing
// does not carry, a file read next to `import.meta.url`) fails here.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { BANNER, Cli, loopback, withFolder } from "../support/cli_process.ts";
import { JsrStandIn, publish } from "../support/jsr_registry.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
const PACKAGE: string = CONFIG.name;
const decoder = new TextDecoder();

/**
 * The module specifiers of a module's static imports and re-exports
 * (`from "..."`) and its dynamic imports (`import("...")`).
 */
const IMPORTS =
  /\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** The program of README's "A handler of your own", importing `from`. */
function helloApp(from: string): string {
  return `import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "${from}";

class Hello extends BaseHTTPRequestHandler {
  async do_GET() {
    const body = new TextEncoder().encode(\`hello \${this.path}\\n\`);
    this.sendResponse(200);
    this.sendHeader("Content-Type", "text/plain; charset=utf-8");
    this.sendHeader("Content-Length", String(body.length));
    this.endHeaders();
    await this.wfile.write(body);
  }
}

await using server = new ThreadingHTTPServer({ hostname: "127.0.0.1", port: 0 }, Hello);
server.serveForever();
const response = await fetch(\`http://127.0.0.1:\${server.serverPort}/world\`);
console.log((await response.text()).trim());
`;
}

/**
 * A fresh HOME with a DENO_DIR inside it. The npm packages the package
 * depends on are copied from this machine's Deno cache when it has them, so
 * the test does not wait for the npm registry; nothing from JSR is.
 */
async function freshHome(): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "httpserver-jsr-home-" });
  await Deno.mkdir(`${home}/deno`);
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stderr: "null",
  }).output();
  const npm = `${JSON.parse(decoder.decode(stdout)).denoDir}/npm`;
  if (await Deno.stat(npm).catch(() => null)) {
    const { code } = await new Deno.Command("cp", {
      args: ["-R", npm, `${home}/deno/npm`],
    }).output();
    assert.equal(code, 0, `copy ${npm}`);
  }
  return home;
}

/** Runs `deno <args>` in `cwd` with `env`; fails the test on an error. */
async function deno(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert.equal(
    code,
    0,
    `deno ${args.join(" ")}:\n${decoder.decode(stderr)}`,
  );
  return decoder.decode(stdout);
}

/**
 * Writes README's handler, importing `from`, to `file` in `dir`, and runs it
 * with `deno run ...flags --allow-net=127.0.0.1 <file>`: it prints the answer
 * it got.
 */
async function runsHello(
  dir: string,
  env: Record<string, string>,
  file: string,
  from: string,
  flags: string[] = [],
): Promise<void> {
  await Deno.writeTextFile(`${dir}/${file}`, helloApp(from));
  const out = await deno(
    ["run", ...flags, "--allow-net=127.0.0.1", file],
    dir,
    env,
  );
  assert.equal(out, "hello /world\n");
}

/** Waits for the banner, GETs `/hello.txt` and the listing, stops it with Ctrl-C. */
async function servesFolder(cli: Cli): Promise<void> {
  const banner = await cli.waitFor(BANNER);
  assert.ok(banner, `banner printed: ${cli.out}`);
  const base = `http://127.0.0.1:${banner[2]}`;
  const file = await fetch(`${base}/hello.txt`);
  assert.equal(await file.text(), "hello\n");
  const listing = await fetch(`${base}/`);
  assert.ok((await listing.text()).includes('<a href="hello.txt">'));
  cli.kill("SIGINT");
  const { code, stderr } = await cli.finish();
  assert.equal(code, 0, stderr);
}

Deno.test(`${PACKAGE} published with deno publish and fetched from a registry works the four ways README gives`, async (t) => {
  const [scope, name] = PACKAGE.slice(1).split("/");
  await using registry = new JsrStandIn(scope, name, CONFIG.version);
  await publish(registry);
  const home = await freshHome();
  const env = {
    JSR_URL: registry.url,
    DENO_DIR: `${home}/deno`,
    HOME: home,
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  try {
    await t.step(
      "the upload has the package's modules, each import rewritten to a full specifier",
      () => {
        const files = registry.files;
        for (
          const file of [
            "/mod.ts",
            "/cli.ts",
            "/deno.json",
            "/README.md",
            "/LICENSE",
          ]
        ) {
          assert.ok(files.includes(file), `${file} is published: ${files}`);
        }
        assert.ok(!files.some((file) => /^\/(tests|bench|\.ci)\//.test(file)));
        for (const file of files.filter((file) => file.endsWith(".ts"))) {
          const code = decoder.decode(registry.file(file));
          for (const [, from, dynamic] of code.matchAll(IMPORTS)) {
            const specifier = from ?? dynamic;
            assert.match(
              specifier,
              /^(\.\.?\/|npm:|node:|jsr:)/,
              `${file} imports '${specifier}'`,
            );
          }
        }
      },
    );

    await t.step(
      `deno run --allow-net --allow-read jsr:${PACKAGE} serves the folder it runs in`,
      async () => {
        await withFolder(async (dir) => {
          await using cli = Cli.binary(Deno.execPath(), [
            "run",
            "--allow-net",
            "--allow-read",
            `jsr:${PACKAGE}`,
            "0",
            "-b",
            "127.0.0.1",
          ], { cwd: dir, env });
          await servesFolder(cli);
        });
      },
    );

    await t.step(
      `--print-permissions names the module as jsr:${PACKAGE}`,
      async () => {
        // Outside the clone: in it, jsr:@x/httpserver is the clone's mod.ts.
        await withFolder(async (dir) => {
          const out = await deno(
            ["run", `jsr:${PACKAGE}`, "--print-permissions", "--upload"],
            dir,
            env,
          );
          assert.equal(
            out,
            `deno run --allow-net=0.0.0.0:8000 --allow-read=. --allow-write=. jsr:${PACKAGE} --upload\n`,
          );
        });
      },
    );

    await t.step(
      `a script that imports jsr:${PACKAGE} runs its handler`,
      async () => {
        await withFolder(async (dir) => {
          await runsHello(dir, env, "app.ts", `jsr:${PACKAGE}`);
        });
      },
    );

    await t.step(
      `deno add jsr:${PACKAGE}, then import from "${PACKAGE}"`,
      async () => {
        await withFolder(async (dir) => {
          await deno(["add", `jsr:${PACKAGE}`], dir, env);
          const config = JSON.parse(
            await Deno.readTextFile(`${dir}/deno.json`),
          );
          assert.equal(
            config.imports[PACKAGE],
            `jsr:${PACKAGE}@^${CONFIG.version}`,
          );
          await runsHello(dir, env, "main.ts", PACKAGE);
        });
      },
    );

    await t.step(
      `deno install -g jsr:${PACKAGE} gives an httpserver command`,
      async () => {
        await withFolder(async (dir) => {
          const root = `${home}/install`;
          await deno(
            [
              "install",
              "-g",
              "--root",
              root,
              "--allow-net",
              "--allow-read",
              `jsr:${PACKAGE}`,
            ],
            dir,
            env,
          );
          await using cli = Cli.binary(
            `${root}/bin/httpserver`,
            loopback(dir),
            {
              env,
            },
          );
          await servesFolder(cli);
        });
      },
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

const README = await Deno.readTextFile(`${ROOT}README.md`);

/**
 * A command of README.md, checked to be there verbatim, made runnable here:
 * `npx -y deno@2.9.6` is this Deno, `~/httpserver/` and
 * `/home/you/httpserver/` are this clone. Returns its words after `deno`.
 */
function fromReadme(command: string): string[] {
  assert.ok(README.includes(command), `README.md has: ${command}`);
  return command.replace(/^(npx -y deno@[\d.]+|deno) /, "")
    .replaceAll("~/httpserver/", ROOT)
    .replaceAll("/home/you/httpserver/", ROOT)
    .split(" ");
}

Deno.test("from a clone, README's forms of the same ways in work from another folder", async (t) => {
  const env = {
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
    NO_COLOR: "1",
  };

  await t.step("the quick start serves the folder it runs in", async () => {
    const words = fromReadme(
      "npx -y deno@2.9.6 run --allow-net --allow-read ~/httpserver/mod.ts",
    );
    await withFolder(async (dir) => {
      await using cli = Cli.binary(
        Deno.execPath(),
        [...words, "0", "-b", "127.0.0.1"],
        { cwd: dir, env },
      );
      await servesFolder(cli);
    });
  });

  await t.step(
    "--print-permissions prints the command README shows",
    async () => {
      const words = fromReadme(
        "deno run ~/httpserver/mod.ts --upload --print-permissions",
      );
      const printed = README.match(
        /^# (deno run .*\/home\/you\/httpserver\/mod\.ts --upload)$/m,
      );
      assert.ok(printed, "README.md shows what it prints");
      await withFolder(async (dir) => {
        const out = await deno(words, dir, env);
        assert.equal(
          out,
          `${["deno", ...fromReadme(printed[1])].join(" ")}\n`,
        );
      });
    },
  );

  await t.step(
    "a script importing mod.ts runs with --config <clone>/deno.json",
    async () => {
      assert.ok(
        README.includes(
          "`deno run --config ~/httpserver/deno.json ... app.ts`",
        ),
      );
      await withFolder(async (dir) => {
        await runsHello(dir, env, "app.ts", `${ROOT}mod.ts`, [
          "--config",
          `${ROOT}deno.json`,
        ]);
      });
    },
  );

  await t.step(
    `"${PACKAGE}" mapped to mod.ts in a project's deno.json, with the clone's mime and mime-db`,
    async () => {
      assert.ok(
        README.includes(
          `\`"${PACKAGE}": "/home/you/httpserver/mod.ts"\` and the clone's \`mime\` and \`mime-db\` entries`,
        ),
      );
      await withFolder(async (dir) => {
        const imports = {
          [PACKAGE]: `${ROOT}mod.ts`,
          mime: CONFIG.imports.mime,
          "mime-db": CONFIG.imports["mime-db"],
        };
        await Deno.writeTextFile(
          `${dir}/deno.json`,
          JSON.stringify({ imports }),
        );
        await runsHello(dir, env, "main.ts", PACKAGE);
      });
    },
  );

  await t.step(
    "deno install -g with --config gives an httpserver command",
    async () => {
      const words = fromReadme(
        "deno install -g --allow-net --allow-read -n httpserver --config ~/httpserver/deno.json ~/httpserver/mod.ts",
      );
      await withFolder(async (dir) => {
        const root = `${dir}/install`;
        await deno(
          [...words.slice(0, 2), "--root", root, ...words.slice(2)],
          dir,
          env,
        );
        await using cli = Cli.binary(`${root}/bin/httpserver`, loopback(dir), {
          env,
        });
        await servesFolder(cli);
      });
    },
  );
});
