/**
 * Turns the figures of one benchmark run into markdown: one table per
 * scenario, each figure beside its ratio to Python (HTTP/1.0), to the
 * `Deno.listen` floor and to nginx measured in the same run, and a table of
 * the targets for each mode of our server.
 *
 * @module
 */

/** One server's result in one scenario. */
export interface Figure {
  /** The server's name in `bench/servers.ts`. */
  server: string;
  /** The scenario's main figure, in its unit; absent when skipped or failed. */
  value?: number;
  /** 99th-percentile latency, in milliseconds. */
  p99Ms?: number;
  /**
   * The server's CPU time (user and system, from `/proc`) per request
   * answered, in microseconds: steadier than req/s on a shared machine.
   */
  cpuUsPerRequest?: number;
  /** Peak resident memory of the server (and its children), in KiB. */
  peakRssKiB?: number;
  /** Errors, skip reasons, ranges. */
  note?: string;
}

/** A scenario as the report shows it. */
export interface ScenarioReport {
  /** Its name, as `--scenario` takes it. */
  name: string;
  /** A heading. */
  title: string;
  /** What it measures, in one sentence. */
  what: string;
  /** The unit of {@link Figure.value}. */
  unit: string;
  /** One figure per server, in table order. */
  figures: Figure[];
}

/** The servers whose figures the ratio columns divide by. */
export const REFERENCES = [
  { server: "python", column: "x python" },
  { server: "floor-listen", column: "x floor" },
  { server: "floor-serve", column: "x serve floor" },
  { server: "nginx", column: "x nginx" },
] as const;

/** A figure as the tables show it: three significant digits or so. */
export function format(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function ratio(value?: number, reference?: number): string {
  if (value === undefined || !reference) return "";
  return `${format(value / reference)}x`;
}

/**
 * A markdown table, without the columns that are empty in every row; the
 * first column and "notes" are left-aligned, figures right-aligned.
 */
export function table(header: string[], rows: string[][]): string {
  const keep = header.map((_, i) => i === 0 || rows.some((row) => row[i]));
  const pick = (row: string[]) => row.filter((_, i) => keep[i]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const align = header.map((name, i) =>
    i === 0 || name === "notes" ? "---" : "--:"
  );
  return [line(pick(header)), line(pick(align)), ...rows.map(pick).map(line)]
    .join("\n");
}

/** The markdown section of one scenario. */
export function scenarioTable(scenario: ScenarioReport): string {
  const valueOf = (server: string) =>
    scenario.figures.find((figure) => figure.server === server)?.value;
  const header = [
    "server",
    scenario.unit,
    ...REFERENCES.map((reference) => reference.column),
    "p99 ms",
    "CPU us/req",
    "peak RSS MiB",
    "notes",
  ];
  const rows = scenario.figures.map((figure) => [
    figure.server,
    figure.value === undefined ? "-" : format(figure.value),
    ...REFERENCES.map((reference) =>
      ratio(figure.value, valueOf(reference.server))
    ),
    figure.p99Ms === undefined ? "" : format(figure.p99Ms),
    figure.cpuUsPerRequest === undefined ? "" : format(figure.cpuUsPerRequest),
    figure.peakRssKiB ? format(figure.peakRssKiB / 1024) : "",
    figure.note ?? "",
  ]);
  return `### ${scenario.title} (\`${scenario.name}\`)\n\n${scenario.what}\n\n${
    table(header, rows)
  }\n`;
}

/** One of the targets, checked against a server's figures. */
interface Target {
  label: string;
  /** The measured quantity, or `undefined` when it was not measured. */
  measure(
    of: (scenario: string, server: string) => Figure | undefined,
    server: string,
  ): number | undefined;
  /** How the quantity is shown. */
  show(value: number): string;
  /** Whether the quantity meets the target; none for a figure shown beside them. */
  pass?(value: number): boolean;
}

function ratioTarget(
  label: string,
  scenario: string,
  reference: string,
  min: number,
): Target {
  return {
    label,
    measure(of, server) {
      const value = of(scenario, server)?.value;
      const base = of(scenario, reference)?.value;
      return value !== undefined && base ? value / base : undefined;
    },
    show: (value) => `${format(value)}x`,
    pass: (value) => value >= min,
  };
}

function limitTarget(
  label: string,
  scenario: string,
  unit: string,
  max: number,
): Target {
  return {
    label,
    measure: (of, server) => of(scenario, server)?.value,
    show: (value) => `${format(value)} ${unit}`,
    pass: (value) => value < max,
  };
}

/**
 * The loads of the memory target: serving files, as the issue measured
 * nginx, Python and Deno's std file server. CGI's peak is shown beside the
 * targets: there it is mostly the cost of Deno's process spawning, which a
 * bare Deno program spawning the same scripts as fast shares (bench/README).
 */
const LOAD_SCENARIOS = [
  "small-keepalive",
  "small-close",
  "small-http10",
  "not-found",
  "listing",
  "download",
];

/** The highest peak RSS of a server in `scenarios`, in MiB. */
function peakRss(scenarios: string[]): Target["measure"] {
  return (of, server) => {
    const peaks = scenarios.map((name) => of(name, server)?.peakRssKiB)
      .filter((kib): kib is number => kib !== undefined);
    return peaks.length ? Math.max(...peaks) / 1024 : undefined;
  };
}

/** The targets of bench/README.md, each a ratio or a limit within one run. */
const TARGETS: Target[] = [
  ratioTarget(
    "small file, keep-alive: >= 0.5x the Deno.listen floor",
    "small-keepalive",
    "floor-listen",
    0.5,
  ),
  ratioTarget(
    "small file, keep-alive: >= 30x python",
    "small-keepalive",
    "python",
    30,
  ),
  ratioTarget(
    "Connection: close: >= 5x python",
    "small-close",
    "python",
    5,
  ),
  ratioTarget("HTTP/1.0 client: >= 5x python", "small-http10", "python", 5),
  ratioTarget("100 MiB download: >= 0.9x nginx", "download", "nginx", 0.9),
  ratioTarget(
    "listing of 2,000 entries: >= 5x python",
    "listing",
    "python",
    5,
  ),
  limitTarget("startup to first byte: < 150 ms", "startup", "ms", 150),
  {
    label: "peak RSS serving files under load: < 80 MiB",
    measure: peakRss(LOAD_SCENARIOS),
    show: (value) => `${format(value)} MiB`,
    pass: (value) => value < 80,
  },
  {
    label: "(beside the targets) peak RSS running CGI scripts",
    measure: peakRss(["cgi"]),
    show: (value) => `${format(value)} MiB`,
  },
  limitTarget(
    "idle keep-alive connection: < 64 KiB each",
    "idle",
    "KiB",
    64,
  ),
];

/** The Python face that the fetch face's memory is held to. */
const PYTHON_FACE = "ours-start-1.1";

/**
 * The targets of the fetch face (`--engine serve`), each a ratio within one
 * run: to the `Deno.serve` floor, to nginx, and to the Python face's peak
 * memory with the same V8 flags.
 */
const FETCH_TARGETS: Target[] = [
  ratioTarget(
    "1 KiB file, keep-alive: >= 0.7x the Deno.serve floor",
    "small-keepalive",
    "floor-serve",
    0.7,
  ),
  ratioTarget("100 MiB download: >= 0.9x nginx", "download", "nginx", 0.9),
  {
    label:
      `peak RSS serving files under load: no higher than the Python face's (${PYTHON_FACE})`,
    measure(of, server) {
      const peak = peakRss(LOAD_SCENARIOS);
      const mine = peak(of, server);
      const python = peak(of, PYTHON_FACE);
      return mine !== undefined && python !== undefined
        ? mine / python
        : undefined;
    },
    show: (value) => `${format(value)}x`,
    pass: (value) => value <= 1,
  },
];

/**
 * The targets table for `servers` (the Python face's targets, or with
 * `fetch` the fetch face's), or "" when none of them has a figure.
 */
export function targetsTable(
  scenarios: ScenarioReport[],
  servers: string[],
  fetch = false,
): string {
  const of = (scenario: string, server: string) =>
    scenarios.find((s) => s.name === scenario)?.figures
      .find((figure) => figure.server === server && figure.value !== undefined);
  const measured = servers.filter((server) =>
    scenarios.some((s) => of(s.name, server))
  );
  if (measured.length === 0) return "";
  const rows = (fetch ? FETCH_TARGETS : TARGETS).map((target) => [
    target.label,
    ...measured.map((server) => {
      const value = target.measure(of, server);
      if (value === undefined) return "not measured";
      if (target.pass === undefined) return target.show(value);
      return `${target.show(value)} ${target.pass(value) ? "pass" : "FAIL"}`;
    }),
  ]);
  const title = fetch ? "Targets of the fetch face" : "Targets";
  return `### ${title}\n\n${table(["target", ...measured], rows)}\n`;
}
