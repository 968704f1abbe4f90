/**
 * The benchmark (`deno task bench`): builds the fixtures, then for each
 * scenario starts each server in turn on its own 127.0.0.1 port, drives it
 * with `wrk`, `curl` or the load generators in `bench/`, reads its peak
 * memory and CPU time from `/proc`, and stops it. Scenarios run server after
 * server so the figures compared in one table were measured minutes apart at
 * most. Then two comparisons run two servers in interleaved pairs:
 * `--workers 2` against one worker, and the download against Python. Prints
 * a markdown report and writes it to `bench/results/latest.md`.
 *
 * Past the house's 400 lines: the runner's one job, scenario after
 * scenario, with its command line and report steps; the servers, load
 * generators, pairs and report tables are modules of their own.
 *
 * ```sh
 * deno task bench                      # everything, about 8 minutes
 * deno task bench --quick              # a smoke run, 2 s per measurement
 * deno task bench --only python,floor-listen,ours --scenario small-keepalive
 * deno task bench --duration 20
 * ```
 *
 * When run as root it installs a missing `wrk`, `nginx` or `curl` with
 * apt-get; otherwise what needs them is skipped with the reason.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { compareDownloads, download } from "./download.ts";
import { ensureFixtures, FILE_SIZES } from "./fixtures.ts";
import { idleConnections } from "./idle.ts";
import { loadHttp10, quantile } from "./load10.ts";
import type { LoadResult } from "./load10.ts";
import {
  type Figure,
  type ScenarioReport,
  scenarioTable,
  targetsTable,
} from "./report.ts";
import {
  type RunningServer,
  SERVERS,
  type ServerSpec,
  startServer,
  stopAll,
  toolVersion,
} from "./servers.ts";
import { compareWorkers } from "./workers.ts";
import { runWrk } from "./wrk.ts";

/** Settings of one run, from the command line. */
interface Settings {
  /** Seconds of each load measurement. */
  seconds: number;
  /** Seconds of unmeasured load before each measurement (JIT warm-up). */
  warmup: number;
  /** Downloads of the 100 MiB file per server. */
  downloads: number;
  /** Measured starts per server (after one unmeasured start). */
  starts: number;
  /** Idle keep-alive connections to hold. */
  idle: number;
  /** Pairs of measurements in each comparison. */
  pairs: number;
  /** Seconds of each load of a comparison's pair. */
  pairSeconds: number;
  /** The fixtures folder. */
  root: string;
  /** Tools found on this machine. */
  tools: { wrk: boolean; curl: boolean };
}

/** A scenario: what it measures and how, for one server at a time. */
interface Scenario {
  name: string;
  title: string;
  what: string;
  unit: string;
  /** Why `spec` does not take part, or `undefined`. */
  skip?(spec: ServerSpec, settings: Settings): string | undefined;
  run(spec: ServerSpec, settings: Settings): Promise<Figure>;
}

/**
 * Two servers measured in interleaved pairs (`bench/pairs.ts`), reported in
 * a section of their own.
 */
interface Comparison {
  name: string;
  title: string;
  what: string;
  /** Why it cannot run, or `undefined`. */
  skip?(settings: Settings): string | undefined;
  /** Runs it; resolves to its markdown. */
  run(settings: Settings): Promise<string>;
}

const CONNECTIONS = 50;
const NOT_A_FILE_SERVER = "answers a fixed response: not a file server";

/**
 * The server's CPU microseconds per request during `load`, which resolves to
 * what it answered.
 */
async function measured(
  server: RunningServer,
  load: () => Promise<LoadResult>,
): Promise<[LoadResult, number | undefined]> {
  const cpu = server.cpuSeconds();
  const result = await load();
  const seconds = server.cpuSeconds() - cpu;
  return [
    result,
    result.requests > 0 ? seconds * 1e6 / result.requests : undefined,
  ];
}

/** Starts `spec`, runs `body` against it, and always stops it. */
async function withServer<T>(
  spec: ServerSpec,
  settings: Settings,
  body: (server: RunningServer) => Promise<T>,
  cgi = false,
): Promise<T> {
  const server = await startServer(spec, settings.root, { cgi });
  try {
    const result = await body(server);
    // A server that died mid-run leaves figures that measure nothing.
    if (server.exited) {
      const tail = server.logTail(3).replaceAll("\n", " / ") || "no output";
      throw new Error(`${spec.name} exited during the measurement: ${tail}`);
    }
    return result;
  } finally {
    await server.stop();
  }
}

function loadNote(result: LoadResult, expectNon2xx = false): string {
  const notes = [];
  if (result.requests === 0) notes.push("no response completed");
  if (result.errors) {
    notes.push(
      `socket errors: ${result.errorKinds ?? result.errors}`,
    );
  }
  if (!expectNon2xx && result.non2xx) notes.push(`${result.non2xx} non-2xx`);
  if (expectNon2xx && result.non2xx < result.requests) {
    notes.push(`${result.requests - result.non2xx} answered 2xx/3xx`);
  }
  return notes.join("; ");
}

/** A scenario driven by `wrk -t1 -c50` on one path. */
function wrkScenario(
  fields: Omit<Scenario, "run" | "unit">,
  path: string,
  options: { headers?: string[]; expectNon2xx?: boolean; cgi?: boolean } = {},
): Scenario {
  return {
    ...fields,
    unit: "req/s",
    skip(spec, settings) {
      if (!settings.tools.wrk) return "wrk is not installed";
      return fields.skip?.(spec, settings);
    },
    run: (spec, settings) =>
      withServer(spec, settings, async (server) => {
        const url = `http://127.0.0.1:${spec.port}${path}`;
        const load = (seconds: number) =>
          runWrk({
            url,
            connections: CONNECTIONS,
            seconds,
            headers: options.headers,
          });
        if (settings.warmup) await load(settings.warmup);
        const [result, cpuUsPerRequest] = await measured(
          server,
          () => load(settings.seconds),
        );
        return {
          server: spec.name,
          value: result.rps,
          p99Ms: result.p99Ms,
          cpuUsPerRequest,
          peakRssKiB: server.peakRssKiB(),
          note: loadNote(result, options.expectNon2xx),
        };
      }, options.cgi),
  };
}

const skipFloors = (spec: ServerSpec) =>
  spec.group === "floor" ? NOT_A_FILE_SERVER : undefined;

function median(values: number[]): number | undefined {
  return quantile([...values], 0.5);
}

function range(values: number[]): string {
  return `${format(Math.min(...values))}-${format(Math.max(...values))}`;
}

function format(value: number): string {
  return value >= 100
    ? Math.round(value).toLocaleString("en-US")
    : value.toFixed(1);
}

/** Every scenario, in report order. */
const SCENARIOS: Scenario[] = [
  wrkScenario({
    name: "small-keepalive",
    title: "Small file, keep-alive",
    what:
      "`wrk -t1 -c50` on `/small.bin` (1 KiB); HTTP/1.0 servers close each connection anyway.",
  }, "/small.bin"),
  wrkScenario(
    {
      name: "small-close",
      title: "Small file, Connection: close",
      what:
        '`wrk -t1 -c50 -H "Connection: close"` on `/small.bin`: a new connection per request.',
    },
    "/small.bin",
    { headers: ["Connection: close"] },
  ),
  {
    name: "small-http10",
    title: "Small file, HTTP/1.0 client",
    what:
      "`bench/load10.ts`, 50 connections sending `GET /small.bin HTTP/1.0` and reading to EOF (a Deno client: it tops out far below wrk, so only slow servers are measured exactly).",
    unit: "req/s",
    run: (spec, settings) =>
      withServer(spec, settings, async (server) => {
        const load = (seconds: number) =>
          loadHttp10({
            port: spec.port,
            path: "/small.bin",
            connections: CONNECTIONS,
            seconds,
          });
        if (settings.warmup) await load(settings.warmup);
        const [result, cpuUsPerRequest] = await measured(
          server,
          () => load(settings.seconds),
        );
        return {
          server: spec.name,
          value: result.rps,
          p99Ms: result.p99Ms,
          cpuUsPerRequest,
          peakRssKiB: server.peakRssKiB(),
          note: loadNote(result),
        };
      }),
  },
  wrkScenario(
    {
      name: "not-found",
      title: "404s",
      what:
        "`wrk -t1 -c50` on `/missing.bin`, which does not exist (the floors answer their fixed 200: the ceiling of a small answer).",
    },
    "/missing.bin",
    { expectNon2xx: true },
  ),
  wrkScenario({
    name: "listing",
    title: "Directory listing",
    what: "`wrk -t1 -c50` on `/many/`, a folder of 2,000 entries.",
    skip: skipFloors,
  }, "/many/"),
  {
    name: "download",
    title: "100 MiB download",
    what:
      "`curl -o /dev/null` of `/large.bin` (100 MiB), one download at a time; the best of several (other processes on the machine only ever slow a download down), in MB/s (10^6 bytes/s), and the range.",
    unit: "MB/s",
    skip(spec, settings) {
      if (!settings.tools.curl) return "curl is not installed";
      return skipFloors(spec);
    },
    run: (spec, settings) =>
      withServer(spec, settings, async (server) => {
        const result = await download(
          `http://127.0.0.1:${spec.port}/large.bin`,
          settings.downloads,
          FILE_SIZES["large.bin"],
        );
        const notes = [];
        if (result.mbps.length) notes.push(`range ${range(result.mbps)}`);
        if (result.errors) notes.push(`${result.errors} failed`);
        return {
          server: spec.name,
          value: result.mbps.length ? Math.max(...result.mbps) : undefined,
          peakRssKiB: server.peakRssKiB(),
          note: notes.join("; "),
        };
      }),
  },
  wrkScenario(
    {
      name: "cgi",
      title: "CGI",
      what:
        "`wrk -t1 -c50` on `/cgi-bin/hello.sh`, a shell script that prints `hello` (each request forks).",
      skip(spec) {
        if (spec.group === "floor") return NOT_A_FILE_SERVER;
        return spec.launchCgi
          ? undefined
          : "no CGI command line (launchCgi) in bench/servers.ts";
      },
    },
    "/cgi-bin/hello.sh",
    { cgi: true },
  ),
  {
    name: "startup",
    title: "Startup to first served byte",
    what:
      "From spawn to the first byte of a `GET /small.bin` answer, polling connect with a short backoff; the median of several starts after one unmeasured start. Peak RSS here is the server's memory right after that first request.",
    unit: "ms",
    async run(spec, settings) {
      const times: number[] = [];
      let peakRssKiB = 0;
      for (let i = 0; i <= settings.starts; i++) {
        await withServer(spec, settings, (server) => {
          if (i > 0) times.push(server.startupMs);
          peakRssKiB = server.peakRssKiB();
          return Promise.resolve();
        });
      }
      return {
        server: spec.name,
        value: median(times),
        peakRssKiB,
        note: `range ${range(times)}`,
      };
    },
  },
  {
    name: "idle",
    title: "Idle keep-alive connections",
    what:
      "Opens 1,000 connections, one `GET /small.bin HTTP/1.1` on each, holds those the server keeps open, reads the server's RSS, checks with a second request which are still open, and divides the RSS growth by their number (KiB per connection). Peak RSS here is the RSS with them held.",
    unit: "KiB/conn",
    run: (spec, settings) =>
      withServer(spec, settings, async (server) => {
        const result = await idleConnections(
          spec.port,
          settings.idle,
          () => server.rssKiB(),
        );
        const mib = (kib: number) => (kib / 1024).toFixed(1);
        return {
          server: spec.name,
          value: result.perConnectionKiB,
          peakRssKiB: result.loadedKiB,
          note: [
            result.held
              ? `${result.stillOpen} of ${settings.idle} held open`
              : `held none (${result.answered} answered, then closed)`,
            result.held > result.stillOpen
              ? `${result.held - result.stillOpen} more closed early`
              : "",
            result.unanswered
              ? `opening stopped: ${result.unanswered} got no response`
              : "",
            `RSS ${mib(result.baselineKiB)} -> ${mib(result.loadedKiB)} MiB`,
          ].filter(Boolean).join("; "),
        };
      }),
  },
];

/** Every comparison, in report order. */
const COMPARISONS: Comparison[] = [
  {
    name: "workers",
    title: "`--workers 2` against one worker",
    what:
      "Our command line with the flags of `deno task start` and `-p HTTP/1.1`, once with `--workers 2` and once without, `wrk -t2 -c100` on `/small.bin` (the client shares the two cores), in interleaved pairs; CPU is the server's user and system time per request, from `/proc`.",
    skip: (settings) => settings.tools.wrk ? undefined : "wrk is not installed",
    run: (settings) =>
      compareWorkers({
        workers: 2,
        pairs: settings.pairs,
        seconds: settings.pairSeconds,
        root: settings.root,
      }),
  },
  {
    name: "download-pairs",
    title: "100 MiB download against Python, in pairs",
    what:
      "`curl -o /dev/null` of `/large.bin` from `python` and from `ours-start-1.1`, one download each per pair, in interleaved pairs; CPU is the server's per download, from `/proc`.",
    skip: (settings) =>
      settings.tools.curl ? undefined : "curl is not installed",
    run: (settings) => compareDownloads(settings.pairs, settings.root),
  },
];

const USAGE = `usage: deno task bench [--quick] [--duration <s>]
  [--only <server,...>] [--scenario <name,...>]

servers:   ${SERVERS.map((spec) => spec.name).join(", ")}
           (a prefix before "-" selects several: --only ours,python)
scenarios: ${
  [...SCENARIOS, ...COMPARISONS].map((scenario) => scenario.name).join(", ")
}
           (the comparisons, workers and download-pairs, start their own
           servers: --only does not apply to them)`;

/** A bad command line: printed with {@link USAGE}, exit status 2. */
class UsageError extends Error {}

/** The items named in a comma list, by exact name or "-" prefix. */
function select<T extends { name: string }>(
  items: readonly T[],
  list: string | undefined,
): T[] {
  if (list === undefined) return [...items];
  const names = list.split(",").map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`no name in "${list}"`);
  for (const name of names) {
    if (!items.some((item) => matches(item.name, name))) {
      throw new UsageError(`unknown name "${name}"`);
    }
  }
  return items.filter((item) => names.some((name) => matches(item.name, name)));
}

function matches(name: string, selector: string): boolean {
  return name === selector || name.startsWith(`${selector}-`);
}

async function aptInstall(packages: string[]): Promise<boolean> {
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdin: "null",
    }).output().then((result) => result.success, () => false);
  if (await apt(["install", "-y", "-q", ...packages])) return true;
  return await apt(["update", "-q"]) &&
    await apt(["install", "-y", "-q", ...packages]);
}

/** Finds wrk, nginx and curl, installing the missing ones when root. */
async function ensureTools(): Promise<Settings["tools"]> {
  const probes = {
    wrk: ["wrk", "-v"],
    nginx: ["nginx", "-v"],
    curl: ["curl", "--version"],
  };
  const missing = [];
  for (const [name, argv] of Object.entries(probes)) {
    if (!await toolVersion(argv)) missing.push(name);
  }
  if (missing.length && Deno.uid() === 0) {
    console.log(`installing ${missing.join(", ")} with apt-get ...`);
    if (!await aptInstall(missing)) console.log("apt-get install failed");
  } else if (missing.length) {
    console.log(
      `missing ${missing.join(", ")}: apt-get install ${missing.join(" ")}`,
    );
  }
  return {
    wrk: Boolean(await toolVersion(probes.wrk)),
    curl: Boolean(await toolVersion(probes.curl)),
  };
}

async function environment(settings: Settings): Promise<string> {
  const git = await new Deno.Command("git", {
    args: ["rev-parse", "--short", "HEAD"],
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stderr: "null",
  }).output().then((r) => new TextDecoder().decode(r.stdout).trim(), () => "");
  const versions = await Promise.all([
    toolVersion([Deno.execPath(), "--version"]),
    toolVersion(["python3", "--version"]),
    toolVersion(["nginx", "-v"]),
    toolVersion(["wrk", "-v"]).then((v) => v?.split(" [")[0]),
  ]);
  return [
    `- date: ${new Date().toISOString()}; commit ${git || "unknown"}`,
    `- machine: ${navigator.hardwareConcurrency} cores, load average ${
      Deno.loadavg().map((n) => n.toFixed(2)).join(" ")
    } at the start`,
    `- ${versions.filter(Boolean).join("; ")}`,
    `- ${settings.seconds} s per load measurement after ${settings.warmup} s of warm-up, ${CONNECTIONS} connections; ${settings.downloads} downloads; ${settings.starts} starts; ${settings.idle} idle connections`,
  ].join("\n");
}

function parseOptions() {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        quick: { type: "boolean", default: false },
        duration: { type: "string" },
        only: { type: "string" },
        scenario: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    // parseArgs names the unknown option or the missing value.
    throw new UsageError((error as Error).message);
  }
}

async function main(): Promise<void> {
  const { values } = parseOptions();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const servers = select(SERVERS, values.only);
  const chosen: { name: string }[] = select(
    [...SCENARIOS, ...COMPARISONS],
    values.scenario,
  );
  const scenarios = SCENARIOS.filter((item) => chosen.includes(item));
  const comparisons = COMPARISONS.filter((item) => chosen.includes(item));
  const seconds = values.duration !== undefined
    ? Number(values.duration)
    : values.quick
    ? 2
    : 8;
  if (!(seconds > 0)) {
    throw new UsageError(`bad --duration "${values.duration}": seconds > 0`);
  }

  const tools = await ensureTools();
  console.log("building fixtures ...");
  const settings: Settings = {
    seconds,
    warmup: values.quick ? 0 : 1,
    downloads: values.quick ? 2 : 5,
    starts: values.quick ? 2 : 5,
    idle: 1000,
    pairs: values.quick ? 3 : 10,
    pairSeconds: seconds / 2,
    root: await ensureFixtures(),
    tools,
  };
  const env = await environment(settings);

  // One start of each server up front: a server that cannot start is left
  // out once, with its reason, instead of failing in every scenario; the
  // start also warms Deno's module cache.
  const notRun: string[] = [];
  const runnable: ServerSpec[] = [];
  for (const spec of servers) {
    let why = await spec.unavailable();
    if (!why) {
      try {
        await (await startServer(spec, settings.root)).stop();
      } catch (error) {
        const message = error instanceof Error ? error.message : `${error}`;
        why = `failed to start: ${message.split("\n")[0]}`;
      }
    }
    if (why) {
      console.log(`not running ${spec.name}: ${why}`);
      notRun.push(`- not run: \`${spec.name}\`: ${why}`);
    } else {
      runnable.push(spec);
    }
  }
  if (!runnable.some((spec) => spec.name === "python")) {
    console.log('no "python" in this run: the "x python" ratios stay empty');
  }

  const reports: ScenarioReport[] = [];
  const started = performance.now();
  for (const scenario of scenarios) {
    const figures: Figure[] = [];
    for (const spec of runnable) {
      const why = scenario.skip?.(spec, settings);
      let figure: Figure;
      if (why) {
        figure = { server: spec.name, note: `skipped: ${why}` };
      } else {
        try {
          figure = await scenario.run(spec, settings);
        } catch (error) {
          const message = error instanceof Error ? error.message : `${error}`;
          console.log(`  ${spec.name} failed: ${message}`);
          figure = {
            server: spec.name,
            note: `failed: ${message.split("\n")[0]}`,
          };
        }
      }
      figures.push(figure);
      console.log(
        `${scenario.name} ${spec.name}: ${
          figure.value === undefined
            ? "-"
            : `${format(figure.value)} ${scenario.unit}`
        }${
          figure.p99Ms === undefined ? "" : `, p99 ${format(figure.p99Ms)} ms`
        }${
          figure.peakRssKiB
            ? `, peak RSS ${(figure.peakRssKiB / 1024).toFixed(1)} MiB`
            : ""
        }${figure.note ? ` (${figure.note})` : ""}`,
      );
    }
    reports.push({ ...scenario, figures });
  }
  const compared: string[] = [];
  for (const comparison of comparisons) {
    const why = comparison.skip?.(settings);
    let body: string;
    if (why) body = `skipped: ${why}\n`;
    else {
      try {
        body = await comparison.run(settings);
      } catch (error) {
        const message = error instanceof Error ? error.message : `${error}`;
        body = `failed: ${message.split("\n")[0]}\n`;
      }
    }
    console.log(`${comparison.name}:\n${body}`);
    compared.push(
      `### ${comparison.title} (\`${comparison.name}\`)\n\n${comparison.what}\n\n${body}`,
    );
  }
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);

  const markdown = [
    "## Benchmark results\n",
    env,
    `- the run took ${minutes} min`,
    ...notRun,
    "",
    "Ratios divide by the figure of `python` (python3 -m http.server, HTTP/1.0), `floor-listen` (the `Deno.listen` fixed-response floor), `floor-serve` (the `Deno.serve` one) or `nginx` in the same table; for ms and KiB lower is better.\n",
    ...reports.map(scenarioTable),
    ...compared,
    targetsTable(
      reports,
      runnable.filter((spec) => spec.group === "ours").map((spec) => spec.name),
    ),
    targetsTable(
      reports,
      runnable.filter((spec) => spec.group === "fetch").map((spec) =>
        spec.name
      ),
      true,
    ),
  ].join("\n");
  const results = fileURLToPath(new URL("./results", import.meta.url));
  await Deno.mkdir(results, { recursive: true });
  await Deno.writeTextFile(`${results}/latest.md`, markdown);
  console.log(`\n${markdown}`);
  console.log(`written to ${results}/latest.md`);
}

if (import.meta.main) {
  const interrupt = async () => {
    await stopAll();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);
  try {
    await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    Deno.exitCode = 2;
  } finally {
    await stopAll();
    Deno.removeSignalListener("SIGINT", interrupt);
    Deno.removeSignalListener("SIGTERM", interrupt);
  }
}
