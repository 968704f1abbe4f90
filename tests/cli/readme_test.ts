// The documentation cannot rot: every fenced `ts` block of README.md is
// type-checked against this repository's mod.ts (one `deno check` for all),
// the blocks marked `ts run <flags>` are run with exactly those flags and
// their output compared with the `text` block that follows them; the command
// line reference names every flag of `--help`; every TypeScript name of the
// Python table exists; every export of mod.ts has an example.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { MOD, run } from "../support/cli_process.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG = `${ROOT}deno.json`;
const README = await Deno.readTextFile(`${ROOT}README.md`);
const MOD_URL = new URL("../../mod.ts", import.meta.url).href;

/** A fenced code block of README.md. */
interface Block {
  /** The README line of the block's first line of code (1-based). */
  line: number;
  /** The info string's words: `["ts", "run", "--allow-net=127.0.0.1"]`. */
  info: string[];
  code: string;
  /** The `text` block right after a `ts run` block: its expected stdout. */
  output?: string;
}

function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  let lastEnd = -2;
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(`{3,})(.*)$/);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== open[1]; i++) {
      body.push(lines[i]);
    }
    const block: Block = {
      line: start + 2,
      info: open[2].trim().split(/\s+/).filter(Boolean),
      code: body.join("\n") + "\n",
    };
    const previous = blocks.at(-1);
    const adjacent = lines.slice(lastEnd + 1, start).every((l) => !l.trim());
    if (
      block.info[0] === "text" && previous?.info[1] === "run" && adjacent
    ) {
      previous.output = block.code;
    }
    blocks.push(block);
    lastEnd = i;
  }
  return blocks;
}

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README.md has a "## ${title}" section`);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

const blocks = fencedBlocks(README).filter((b) => b.info[0] === "ts");

/** The block as a module importing this repository instead of JSR. */
function asModule(block: Block): string {
  return block.code.replace(
    /(["'])jsr:@x\/httpserver(?:@[^"'/]*)?\1/g,
    JSON.stringify(MOD_URL),
  ) + "export {};\n";
}

const decoder = new TextDecoder();

Deno.test("every ts block of README.md type-checks against mod.ts", async () => {
  assert.ok(blocks.length >= 4, "README.md has its examples");
  const dir = await Deno.makeTempDir({ prefix: "httpserver-readme-" });
  try {
    const files = [];
    for (const block of blocks) {
      const file = `${dir}/readme_line_${block.line}.ts`;
      await Deno.writeTextFile(file, asModule(block));
      files.push(file);
    }
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", CONFIG, ...files],
      env: { NO_COLOR: "1" },
      stdout: "null",
    }).output();
    assert.equal(
      code,
      0,
      `README.md examples do not type-check (readme_line_N.ts is the block whose code starts at line N):\n${
        decoder.decode(stderr)
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The folder the `ts run` blocks run in: `public/hello.txt`,
 * `public/private/plan.txt`, `users` (alice, password `wonderland`, as
 * `htpasswd -cB -C 10 users alice` makes it) and an executable
 * `cgi-bin/hello.sh`, readable by anyone (CGI scripts run as `nobody` when
 * the tests run as root).
 */
async function exampleFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "httpserver-readme-run-" });
  await Deno.mkdir(`${dir}/public/private`, { recursive: true });
  await Deno.mkdir(`${dir}/cgi-bin`);
  await Deno.writeTextFile(`${dir}/public/hello.txt`, "hello\n");
  await Deno.writeTextFile(`${dir}/public/private/plan.txt`, "plan\n");
  await Deno.writeTextFile(
    `${dir}/users`,
    "alice:$2y$10$FS/0NU8Ve.lpU/C/S9VdK.MXrZJNDR5ZqfDkr.t8USzcavtAAV5oq\n",
  );
  await Deno.writeTextFile(
    `${dir}/cgi-bin/hello.sh`,
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhello from %s\\n' \"$REQUEST_METHOD\"\n",
  );
  await Deno.chmod(`${dir}/cgi-bin/hello.sh`, 0o755);
  for (const folder of [dir, `${dir}/public`, `${dir}/cgi-bin`]) {
    await Deno.chmod(folder, 0o755);
  }
  return dir;
}

const runnable = blocks.filter((b) => b.info[1] === "run");

Deno.test("the README.md examples marked `ts run` run with their flags and print their output", async (t) => {
  assert.ok(runnable.length >= 3, "README.md has runnable examples");
  const cwd = await exampleFolder();
  try {
    const results = await Promise.all(runnable.map(async (block) => {
      const flags = block.info.slice(2);
      const file = `${cwd}/readme_line_${block.line}.ts`;
      await Deno.writeTextFile(file, asModule(block));
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--config", CONFIG, ...flags, file],
        cwd,
        env: { NO_COLOR: "1" },
        signal: AbortSignal.timeout(30_000),
      }).output();
      return { block, flags, output };
    }));
    for (const { block, flags, output } of results) {
      await t.step(
        `README.md line ${block.line}: deno run ${flags.join(" ")}`,
        () => {
          const stderr = decoder.decode(output.stderr);
          assert.equal(
            output.code,
            0,
            `exit status ${output.code}; stderr:\n${stderr}`,
          );
          if (block.output !== undefined) {
            assert.equal(
              decoder.decode(output.stdout).trimEnd(),
              block.output.trimEnd(),
              stderr,
            );
          }
        },
      );
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the README.md command line reference names every flag of --help", async () => {
  const { code, stdout } = await run([], ["--help"]);
  assert.equal(code, 0);
  const flags = new Set(
    stdout.match(/(?<![\w-])(?:--?[a-zA-Z]|--\d)[\w-]*/g),
  );
  assert.ok(flags.has("--bind"));
  const reference = section("Command line");
  const missing = [...flags].filter((flag) => !reference.includes(`\`${flag}`));
  assert.deepEqual(missing, [], "flags missing from README.md's Command line");
});

/** Everything `deno doc --json mod.ts` knows about the exports. */
async function apiDoc(): Promise<DocSymbol[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", MOD],
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, decoder.decode(stderr));
  const doc = JSON.parse(decoder.decode(stdout));
  return doc.nodes[MOD_URL].symbols;
}

interface DocSymbol {
  name: string;
  declarations: {
    kind: string;
    jsDoc?: { doc?: string; tags?: { kind: string }[] };
    def?: {
      extends?: string;
      properties?: { name: string }[];
      methods?: { name: string }[];
      constructors?: unknown[];
    };
  }[];
}

Deno.test("every TypeScript name in README.md's Python table exists in mod.ts", async () => {
  const symbols = await apiDoc();
  const byName = new Map(symbols.map((s) => [s.name, s]));
  /** The members of a class and the classes it extends. */
  const members = (name: string): Set<string> => {
    const names = new Set<string>();
    for (let cls = byName.get(name); cls;) {
      const def = cls.declarations.find((d) => d.kind === "class")?.def;
      for (const m of [...def?.properties ?? [], ...def?.methods ?? []]) {
        names.add(m.name);
      }
      if (def?.constructors?.length) names.add("constructor");
      cls = def?.extends ? byName.get(def.extends) : undefined;
    }
    return names;
  };
  const table = section("Python names in TypeScript");
  let scope: string[] = [];
  let checked = 0;
  const unknown: string[] = [];
  for (const line of table.split("\n")) {
    const heading = line.match(/^### (.*)/);
    if (heading) {
      scope = [...heading[1].matchAll(/`(\w+)`/g)].map((m) => m[1]);
      continue;
    }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.length < 2 || /^-+$/.test(cells[0])) continue;
    // Only a name, a call or a `new` expression is checked: not a command line.
    const ts = cells[1].match(/^`(new )?([A-Za-z_$][\w$]*)(\(.*\))?`/);
    if (!ts || cells[1].includes("<")) continue;
    const [, isNew, name] = ts;
    const ok = scope.length === 0 || isNew
      ? byName.has(name)
      : scope.some((cls) => members(cls).has(name));
    if (!ok) unknown.push(`${scope.join("/") || "mod.ts"}: ${name}`);
    checked++;
  }
  assert.ok(checked >= 60, `only ${checked} names found in the table`);
  assert.deepEqual(unknown, [], "names in README.md that mod.ts lacks");
});

Deno.test("every export of mod.ts has JSDoc with an @example", async () => {
  const missing = (await apiDoc())
    .filter((s) =>
      !s.declarations.some((d) =>
        d.jsDoc?.doc && d.jsDoc.tags?.some((tag) => tag.kind === "example")
      )
    )
    .map((s) => s.name);
  assert.deepEqual(missing, []);
});
