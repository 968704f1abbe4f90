/**
 * The layers of ARCHITECTURE.md, enforced: every source file's imports are
 * read and each arrow is checked against the table below.
 */

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The layers from the bottom up; a layer may import itself and those below. */
export const LAYERS = [
  { name: "util", holds: (path: string) => path.startsWith("util/") },
  { name: "wire", holds: (path: string) => path.startsWith("http/") },
  {
    name: "servers",
    holds: (path: string) => path === "server.ts" || path.startsWith("server/"),
  },
  { name: "core", holds: (path: string) => path.startsWith("files/") },
  { name: "faces", holds: (path: string) => path.startsWith("handlers/") },
  // Beside the Python classes, not on them: the two faces never meet.
  { name: "fetch face", holds: (path: string) => path.startsWith("fetch/") },
  {
    name: "cli",
    holds: (path: string) => path === "cli.ts" || path.startsWith("cli/"),
  },
  { name: "module", holds: (path: string) => path === "mod.ts" },
] as const;

/** One import of one file. */
export interface Arrow {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** What is wrong with an arrow, or null when the layers allow it. */
export function violation({ from, to, typeOnly }: Arrow): string | null {
  const source = layerOf(from);
  const target = layerOf(to);
  if (source === -1 || target === -1) return null;
  if (to === "cli.ts" && from !== "mod.ts") {
    return `${from} imports cli.ts: only mod.ts may`;
  }
  if (
    from === "handlers/base.ts" &&
    (to === "handlers/simple.ts" || to.startsWith("handlers/cgi/"))
  ) {
    return `${from} imports ${to}: the base handler knows no subclass`;
  }
  // The servers make handlers, so they name the base handler's type.
  if (LAYERS[source].name === "servers" && to === "handlers/base.ts") {
    return typeOnly ? null : `${from} imports ${to} for more than its type`;
  }
  if (target > source) {
    return `${from} (${LAYERS[source].name}) imports ${to} (${
      LAYERS[target].name
    }), a layer above it`;
  }
  // The core knows neither sockets nor the Python classes.
  if (LAYERS[source].name === "core" && LAYERS[target].name === "servers") {
    return `${from} (core) imports ${to} (servers)`;
  }
  // The fetch face adapts the core to `Deno.serve`: it needs neither our
  // sockets nor the Python classes.
  if (
    LAYERS[source].name === "fetch face" &&
    (LAYERS[target].name === "faces" || LAYERS[target].name === "servers")
  ) {
    return `${from} (fetch face) imports ${to} (${LAYERS[target].name})`;
  }
  return null;
}

function layerOf(path: string): number {
  return LAYERS.findIndex((layer) => layer.holds(path));
}

const IMPORT =
  /^\s*(import|export)(\s+type)?\b[^'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/** The relative imports of one file's source, JSDoc examples left out. */
export function arrowsOf(from: string, source: string): Arrow[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "");
  const arrows: Arrow[] = [];
  for (const match of code.matchAll(IMPORT)) {
    const specifier = match[3] ?? match[4] ?? match[5];
    if (!specifier.startsWith(".")) continue;
    const to = normalize(join(dirname(from), specifier)).replaceAll("\\", "/");
    arrows.push({ from, to, typeOnly: match[2] !== undefined });
  }
  return arrows;
}

function sourceFiles(dir = ROOT): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path).replaceAll("\\", "/");
    if (entry.isDirectory) {
      if (layerOf(rel + "/") !== -1) files.push(...sourceFiles(path));
    } else if (entry.name.endsWith(".ts") && layerOf(rel) !== -1) {
      files.push(rel);
    }
  }
  return files;
}

Deno.test("every import of every source file points down the layers", () => {
  const files = sourceFiles();
  assert.ok(files.length > 40, `only ${files.length} source files found`);
  const wrong = files.flatMap((file) =>
    arrowsOf(file, Deno.readTextFileSync(join(ROOT, file)))
      .map(violation)
      .filter((message) => message !== null)
  );
  assert.deepEqual(wrong, []);
});

Deno.test("the layer check refuses each kind of forbidden import", () => {
  const cases: [string, string, string | null][] = [
    ["http/parser.ts", 'import { x } from "../handlers/base.ts";', "above"],
    ["http/body.ts", 'import { x } from "../server.ts";', "above"],
    ["http/body.ts", 'export { x } from "../cli.ts";', "only mod.ts"],
    ["util/errors.ts", 'import type { X } from "../http/parser.ts";', "above"],
    ["files/ranges.ts", 'import { x } from "../handlers/simple.ts";', "above"],
    ["files/ranges.ts", 'import { x } from "../server/deadline.ts";', "core"],
    ["handlers/base.ts", 'import { x } from "./simple.ts";', "no subclass"],
    ["server.ts", 'import { x } from "./handlers/base.ts";', "its type"],
    ["server.ts", 'import type { X } from "./handlers/base.ts";', null],
    ["handlers/simple.ts", 'import { x } from "../files/ranges.ts";', null],
    [
      "fetch/serve.ts",
      'import { x } from "../handlers/base.ts";',
      "fetch face",
    ],
    ["fetch/serve.ts", 'import { x } from "../server/tls.ts";', "fetch face"],
    ["handlers/simple.ts", 'import { x } from "../fetch/serve.ts";', "above"],
    ["fetch/serve.ts", 'import { x } from "../files/serve.ts";', null],
    ["cli/denoserve.ts", 'import { x } from "../fetch/serve.ts";', null],
    ["mod.ts", 'export { main } from "./cli.ts";', null],
    [
      "http/parser.ts",
      '/** ```ts\n import { x } from "../mod.ts";\n``` */',
      null,
    ],
  ];
  for (const [from, source, expected] of cases) {
    const found = arrowsOf(from, source).map(violation).find((m) => m !== null);
    if (expected === null) assert.equal(found, undefined, `${from}: ${source}`);
    else assert.match(found ?? "", new RegExp(expected), `${from}: ${source}`);
  }
});
