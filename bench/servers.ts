/**
 * The servers under test: each is a command line, a fixed 127.0.0.1 port and
 * a readiness probe, and {@link startServer} turns one into a running process
 * whose memory can be read from `/proc` and which {@link RunningServer.stop}
 * (or {@link stopAll}, on error or Ctrl-C) always ends, children included.
 *
 * Past the house's 400 lines: most of it is the table of servers compared,
 * one entry each with its command line, next to the code that starts and
 * measures them.
 *
 * ```ts ignore
 * const server = await startServer(SERVERS[0], "bench/fixtures");
 * try {
 *   console.log(server.startupMs, server.peakRssKiB());
 * } finally {
 *   await server.stop();
 * }
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { connectWithin } from "./net.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = Deno.execPath();

/**
 * What a server is, for choosing the scenarios it runs: `ours` is the
 * Python face on our own server, `fetch` the fetch face on `Deno.serve`.
 */
export type ServerGroup = "python" | "floor" | "nginx" | "ours" | "fetch";

/** A process to spawn, and what to remove once it has stopped. */
export interface Launch {
  /** The command line, program first. */
  argv: string[];
  /** Removes what was made for this launch (a config file, a folder). */
  cleanup?: () => Promise<void>;
}

/** One server under test. */
export interface ServerSpec {
  /** Short name used by `--only` and in the tables. */
  name: string;
  /** What it is, in a few words. */
  description: string;
  /** Its kind: floors answer a fixed response instead of serving files. */
  group: ServerGroup;
  /** The 127.0.0.1 port it listens on; each server has its own. */
  port: number;
  /** Why it cannot run here, or `undefined` when it can. */
  unavailable(): Promise<string | undefined>;
  /** The command line that serves `root`. */
  launch(root: string): Promise<Launch>;
  /** The command line that serves `root` with CGI on `/cgi-bin/`, if it can. */
  launchCgi?: (root: string) => Promise<Launch>;
}

/** What a program prints (whatever its exit code), or `undefined` if missing. */
async function output(argv: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return (decoder.decode(stdout) + decoder.decode(stderr)).trim();
  } catch {
    return undefined;
  }
}

/** The first line a tool prints about its version, or `undefined` if missing. */
export async function toolVersion(
  argv: string[],
): Promise<string | undefined> {
  return (await output(argv))?.split("\n")[0];
}

let pythonPath: Promise<string | undefined> | undefined;

/**
 * The real interpreter behind `python3`, so that a version-manager shim
 * (pyenv) neither adds to the startup time nor sits between us and the pid.
 */
function python(): Promise<string | undefined> {
  pythonPath ??= output([
    "python3",
    "-c",
    "import sys; print(sys.executable)",
  ]).then((path) => path?.startsWith("/") ? path : undefined);
  return pythonPath;
}

/** `python3 -m http.server` with `extra` arguments, on `port`. */
export function pythonServer(
  name: string,
  description: string,
  port: number,
  extra: string[],
): ServerSpec {
  const argv = async (root: string, cgi: string[]) => [
    (await python())!,
    "-m",
    "http.server",
    ...cgi,
    ...extra,
    "-b",
    "127.0.0.1",
    "-d",
    root,
    String(port),
  ];
  return {
    name,
    description,
    group: "python",
    port,
    async unavailable() {
      return await python() ? undefined : "python3 is not installed";
    },
    async launch(root) {
      return { argv: await argv(root, []) };
    },
    async launchCgi(root) {
      return { argv: await argv(root, ["--cgi"]) };
    },
  };
}

function floorServer(
  name: string,
  description: string,
  port: number,
  file: string,
): ServerSpec {
  return {
    name,
    description,
    group: "floor",
    port,
    unavailable: () => Promise.resolve(undefined),
    launch: () =>
      Promise.resolve({
        argv: [
          DENO,
          "run",
          "--allow-net",
          `${ROOT}bench/${file}`,
          String(port),
        ],
      }),
  };
}

function nginxConfig(prefix: string, root: string, port: number): string {
  return `
${Deno.uid() === 0 ? "user root;" : ""}
worker_processes 1;
daemon off;
master_process on;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    autoindex on;
  }
}
`;
}

function nginxServer(port: number): ServerSpec {
  return {
    name: "nginx",
    description: "nginx, one worker, sendfile on, access log off",
    group: "nginx",
    port,
    async unavailable() {
      return await toolVersion(["nginx", "-v"])
        ? undefined
        : "nginx is not installed (apt-get install nginx, or run as root)";
    },
    async launch(root) {
      const prefix = await Deno.makeTempDir({ prefix: "httpserver-bench-" });
      await Deno.writeTextFile(
        `${prefix}/nginx.conf`,
        nginxConfig(prefix, root, port),
      );
      return {
        argv: [
          "nginx",
          "-p",
          prefix,
          "-e",
          `${prefix}/error.log`,
          "-c",
          `${prefix}/nginx.conf`,
        ],
        cleanup: () => Deno.remove(prefix, { recursive: true }),
      };
    },
  };
}

async function oursUnavailable(): Promise<string | undefined> {
  try {
    await Deno.stat(`${ROOT}mod.ts`);
    return undefined;
  } catch {
    return "mod.ts does not exist yet (the server has not landed)";
  }
}

/** The V8 flags of `deno task start` and the compiled binaries. */
export const START_V8_FLAGS = "--max-semi-space-size=2,--memory-saver-mode";

/**
 * `ThreadingHTTPServer` through the CLI, as `python3 -m http.server` is;
 * `v8Flags` as `deno run --v8-flags=` takes them; with `workers`, the CLI's
 * `--workers` (and `--unstable-net`, which it needs).
 */
export function oursCli(
  name: string,
  port: number,
  protocol: string,
  v8Flags?: string,
  workers?: number,
): ServerSpec {
  const argv = (root: string, cgi: string[]) => [
    DENO,
    "run",
    ...v8Flags ? [`--v8-flags=${v8Flags}`] : [],
    ...workers === undefined ? [] : ["--unstable-net"],
    "--allow-net",
    "--allow-read",
    ...cgi.length ? ["--allow-run"] : [],
    `${ROOT}mod.ts`,
    ...workers === undefined ? [] : ["--workers", String(workers)],
    ...cgi,
    String(port),
    "-b",
    "127.0.0.1",
    "-d",
    root,
    "-p",
    protocol,
  ];
  return {
    name,
    description: `ours, CLI (ThreadingHTTPServer), ${protocol}${
      v8Flags ? `, --v8-flags=${v8Flags}` : ""
    }${workers === undefined ? "" : `, --workers ${workers}`}`,
    group: "ours",
    port,
    unavailable: oursUnavailable,
    launch: (root) => Promise.resolve({ argv: argv(root, []) }),
    launchCgi: (root) => Promise.resolve({ argv: argv(root, ["--cgi"]) }),
  };
}

/**
 * The fetch face through the CLI's `--engine serve` (`createFileHandler` on
 * `Deno.serve`), with the V8 flags of `deno task start`.
 */
function oursServe(name: string, port: number): ServerSpec {
  return {
    name,
    description:
      `ours, CLI --engine serve (the fetch face on Deno.serve), --v8-flags=${START_V8_FLAGS}`,
    group: "fetch",
    port,
    unavailable: oursUnavailable,
    launch: (root) =>
      Promise.resolve({
        argv: [
          DENO,
          "run",
          `--v8-flags=${START_V8_FLAGS}`,
          "--allow-net",
          "--allow-read",
          `${ROOT}mod.ts`,
          "--engine",
          "serve",
          String(port),
          "-b",
          "127.0.0.1",
          "-d",
          root,
        ],
      }),
  };
}

/** `HTTPServer` through the public API, started by `bench/ours_single.ts`. */
function oursSingle(name: string, port: number, protocol: string): ServerSpec {
  const argv = (root: string, cgi: boolean) => [
    DENO,
    "run",
    "--allow-net",
    "--allow-read",
    ...cgi ? ["--allow-run"] : [],
    `${ROOT}bench/ours_single.ts`,
    String(port),
    root,
    protocol,
    ...cgi ? ["cgi"] : [],
  ];
  return {
    name,
    description: `ours, HTTPServer via the API, ${protocol}`,
    group: "ours",
    port,
    unavailable: oursUnavailable,
    launch: (root) => Promise.resolve({ argv: argv(root, false) }),
    launchCgi: (root) => Promise.resolve({ argv: argv(root, true) }),
  };
}

/**
 * Every server under test, in table order. `python` (HTTP/1.0) is the
 * baseline of the "x python" ratios and `floor-listen` of the "x floor" ones.
 */
export const SERVERS: readonly ServerSpec[] = [
  pythonServer(
    "python",
    "python3 -m http.server (HTTP/1.0)",
    18101,
    [],
  ),
  pythonServer(
    "python-1.1",
    "python3 -m http.server --protocol HTTP/1.1",
    18102,
    ["--protocol", "HTTP/1.1"],
  ),
  floorServer(
    "floor-listen",
    "Deno.listen, fixed 1 KiB response",
    18103,
    "floor_listen.ts",
  ),
  floorServer(
    "floor-serve",
    "Deno.serve, fixed 1 KiB response",
    18104,
    "floor_serve.ts",
  ),
  nginxServer(18105),
  oursSingle("ours-single-1.0", 18106, "HTTP/1.0"),
  oursSingle("ours-single-1.1", 18107, "HTTP/1.1"),
  oursCli("ours-threading-1.0", 18108, "HTTP/1.0"),
  oursCli("ours-threading-1.1", 18109, "HTTP/1.1"),
  oursCli("ours-start-1.1", 18110, "HTTP/1.1", START_V8_FLAGS),
  oursServe("ours-serve", 18115),
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PROBE_TRIES = 1000;
const PROBE_DEADLINE_MS = 30_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One readiness try: connect, send `GET /small.bin HTTP/1.0`, and wait (at
 * most `timeoutMs`) for the first bytes of an HTTP response. Resolves the time
 * those bytes arrived, or `undefined` when nothing listens yet. The rest of
 * the response is read until the server closes, within the same timeout, so
 * the server never writes into a closed socket.
 */
async function answersGet(
  port: number,
  timeoutMs: number,
): Promise<number | undefined> {
  let conn: Deno.TcpConn;
  try {
    conn = await connectWithin(port, timeoutMs);
  } catch {
    return undefined;
  }
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(
      encoder.encode("GET /small.bin HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"),
    );
    const buffer = new Uint8Array(16 * 1024);
    const n = await conn.read(buffer);
    const answered = performance.now();
    if (n === null) return undefined;
    if (!decoder.decode(buffer.subarray(0, n)).startsWith("HTTP/")) {
      return undefined;
    }
    while (await conn.read(buffer) !== null) {
      // Drain until the server closes.
    }
    return answered;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // The timer closed it.
    }
  }
}

/** Pids of every live descendant of `pid`, children first. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: Iterable<Deno.DirEntry>;
    try {
      tasks = Deno.readDirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let text = "";
      try {
        text = Deno.readTextFileSync(
          `/proc/${parent}/task/${task.name}/children`,
        );
      } catch {
        continue;
      }
      for (const child of text.trim().split(/\s+/).filter(Boolean)) {
        found.push(Number(child));
        visit(Number(child));
      }
    }
  };
  visit(pid);
  return found;
}

/**
 * The CPU time a process has used, in seconds: user and system, its threads'
 * and its reaped children's (`/proc/<pid>/stat`, in the kernel's USER_HZ
 * ticks, 100 a second on Linux); 0 once it is gone.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The fields after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime: fields 14-17, here from field 3.
    return fields.slice(11, 15).reduce((sum, n) => sum + Number(n), 0) / 100;
  } catch {
    return 0;
  }
}

/** A field of `/proc/<pid>/status` in KiB, or 0 once the process is gone. */
function statusKiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const running = new Set<RunningServer>();

/** A started server process; always end it with {@link RunningServer.stop}. */
export class RunningServer {
  /** The server's process id (the program itself, not a shell). */
  readonly pid: number;
  /** Milliseconds from spawn to the first byte of a served `GET`. */
  startupMs: number = NaN;
  #child: Deno.ChildProcess;
  #exited = false;
  #launch: Launch;
  #log: string;

  /** Wraps a spawned `child` (see {@link startServer}), logging to `log`. */
  constructor(
    readonly spec: ServerSpec,
    child: Deno.ChildProcess,
    launch: Launch,
    log: string,
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.#launch = launch;
    this.#log = log;
    child.status.then(() => this.#exited = true);
    running.add(this);
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Peak resident memory (VmHWM) of the server and its children, in KiB. */
  peakRssKiB(): number {
    return [this.pid, ...descendants(this.pid)]
      .reduce((sum, pid) => sum + statusKiB(pid, "VmHWM"), 0);
  }

  /**
   * CPU seconds used so far by the server and its children, live or reaped:
   * read before and after a load, the difference is what the load cost.
   */
  cpuSeconds(): number {
    return [this.pid, ...descendants(this.pid)]
      .reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }

  /** Current resident memory (VmRSS) of the server and its children, in KiB. */
  rssKiB(): number {
    return [this.pid, ...descendants(this.pid)]
      .reduce((sum, pid) => sum + statusKiB(pid, "VmRSS"), 0);
  }

  /** The last lines the server wrote to stdout and stderr. */
  logTail(lines = 8): string {
    try {
      return Deno.readTextFileSync(this.#log).trimEnd().split("\n")
        .slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /**
   * Ends the server: SIGTERM, then SIGKILL after 3 s, then SIGKILL to any
   * child left behind; removes its log and launch files.
   */
  async stop(): Promise<void> {
    if (!running.delete(this)) return;
    const children = descendants(this.pid);
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // Ended meanwhile.
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        this.#child.status.then(() => true),
        new Promise<false>((r) => timer = setTimeout(() => r(false), 3000)),
      ]);
      clearTimeout(timer);
      if (!ended) {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // Ended meanwhile.
        }
        await this.#child.status;
      }
    }
    for (const pid of children) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await this.#launch.cleanup?.();
    await Deno.remove(this.#log).catch(() => {});
  }
}

/** Stops every server that is still running (for `finally` and Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Start the CGI-enabled command line (the spec must have one). */
  cgi?: boolean;
}

/**
 * Spawns `spec` serving `root`, with its output going to a temporary log, and
 * polls until a `GET` is answered (bounded in tries and time). Throws, with
 * the tail of the server's log, when it exits or never answers; the process
 * is stopped in that case.
 */
export async function startServer(
  spec: ServerSpec,
  root: string,
  options: StartOptions = {},
): Promise<RunningServer> {
  // A server already there (another benchmark run's) would answer the
  // probe and be measured in place of this one.
  if (await answersGet(spec.port, 1000) !== undefined) {
    throw new Error(
      `${spec.name}: port ${spec.port} is taken by another server (another benchmark run?)`,
    );
  }
  const launch = options.cgi
    ? await spec.launchCgi!(root)
    : await spec.launch(root);
  const log = await Deno.makeTempFile({ prefix: "httpserver-bench-log-" });
  const started = performance.now();
  // `exec` keeps one process: the pid we hold is the server's own.
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$@" >"$0" 2>&1', log, ...launch.argv],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server = new RunningServer(spec, child, launch, log);
  let backoff = 1;
  for (let tries = 0; tries < PROBE_TRIES; tries++) {
    if (server.exited) break;
    if (performance.now() - started > PROBE_DEADLINE_MS) break;
    const answered = await answersGet(spec.port, 5000);
    if (answered !== undefined) {
      server.startupMs = answered - started;
      return server;
    }
    await delay(backoff);
    backoff = Math.min(backoff * 2, 20);
  }
  const why = server.exited
    ? `exited with status ${(await child.status).code}`
    : "never answered a GET";
  const tail = server.logTail();
  await server.stop();
  // The first line says what happened; the log's tail follows.
  const error = tail.split("\n").find((line) => /error/i.test(line));
  throw new Error(
    `${spec.name} ${why}${error ? `: ${error.trim()}` : ""}\n${tail}`,
  );
}
