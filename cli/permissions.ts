/**
 * The permissions the command line needs: one table with a row for every
 * flag, saying which Deno permission that flag needs for the values given.
 * The check before the server starts and `--print-permissions` both read it,
 * so a new flag adds its row here and nowhere else.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "./args.ts";
 * import { neededPermissions, permissionFlags } from "./permissions.ts";
 * const options = parseCliArgs(["--upload", "-d", "site"])!;
 * console.log(permissionFlags(neededPermissions(options)));
 * // ["--allow-net=0.0.0.0:8000", "--allow-read=site", "--allow-write=site"]
 * ```
 *
 * @module
 */

import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CliOptions } from "./args.ts";

/** A permission one flag needs, and for what. */
export interface Need {
  /**
   * The permission: `--allow-<name>`; or `unstable-net`, Deno's
   * `--unstable-net`, which no permission grants: it enables the unstable
   * network APIs (a port shared by several listeners).
   */
  name: "net" | "read" | "write" | "run" | "unstable-net";
  /**
   * What it is needed for: `HOST:PORT` for net, a path for read and write;
   * undefined for the whole permission (`--allow-run`).
   */
  value?: string;
  /** Other values that would do as well (`[::]:8000` for `0.0.0.0:8000`). */
  alternatives?: string[];
  /** Why, for the message: "listen on port 8000 on all interfaces". */
  purpose: string;
}

/** One row of the table: a flag (as `--help` names it) and what it needs. */
export interface FlagPermission {
  /** The flag: `--upload`, `-d/--directory`, or `port` for the positional. */
  flag: string;
  /** The permissions it needs with these options; none for most flags. */
  needs(options: CliOptions): Need[];
}

const NOTHING = (): Need[] => [];

/**
 * `HOST:PORT`, with an IPv6 address in brackets, as `--allow-net` takes it;
 * `HOST` alone, for every port, without `port`.
 */
export function netHost(host: string, port?: number): string {
  const name = host.includes(":") ? `[${host}]` : host;
  return port === undefined ? name : `${name}:${port}`;
}

/**
 * The folder of this program's modules when they are local files (a clone):
 * each worker loads them again, which needs read access to them. Modules
 * from JSR, or compiled in, need none.
 */
const MODULES = import.meta.url.startsWith("file:") && !Deno.build.standalone
  ? fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "")
  : undefined;

/** Whether `path` lies under `folder`, as written (no file is read). */
function isUnder(path: string, folder: string): boolean {
  const rest = relative(resolve(folder), resolve(path));
  return rest !== "" && !/^\.\.(?:[/\\]|$)/.test(rest) && !isAbsolute(rest);
}

/** Reading a `--tls-*` file, when it is given. */
function readTlsFile(path: string | undefined, what: string): Need[] {
  return path === undefined
    ? []
    : [{ name: "read", value: path, purpose: `read the ${what} '${path}'` }];
}

/** Every flag of the command line and the permission it needs. */
export const FLAG_PERMISSIONS: readonly FlagPermission[] = [
  {
    flag: "port",
    needs: ({ bind, port, socketPath }) =>
      socketPath !== undefined
        ? [] // a Unix socket has no port: see -b/--bind
        : [
          bind === undefined
            ? {
              // The server listens on `::` when that is permitted, else 0.0.0.0.
              name: "net",
              value: netHost("0.0.0.0", port),
              alternatives: [netHost("::", port)],
              purpose: `listen on port ${port} on all interfaces (${
                netHost("::", port)
              } adds IPv6)`,
            }
            : {
              name: "net",
              value: netHost(bind, port),
              purpose: `listen on ${bind} port ${port}`,
            },
        ],
  },
  {
    flag: "-b/--bind",
    // An address is in the row of `port`. A Unix socket is a file, whose
    // net permission Deno takes only with an absolute path.
    needs: ({ socketPath }) => {
      if (socketPath === undefined) return [];
      const purpose = `listen on the Unix socket '${socketPath}'`;
      return [
        { name: "net", value: `unix:${resolve(socketPath)}`, purpose },
        { name: "read", value: socketPath, purpose },
        { name: "write", value: socketPath, purpose },
      ];
    },
  },
  {
    flag: "-d/--directory",
    needs: ({ directory }) => [{
      name: "read",
      value: directory,
      purpose: `serve the folder '${directory}'`,
    }],
  },
  {
    flag: "--upload",
    needs: ({ upload, directory }) =>
      upload
        ? [{
          name: "write",
          value: directory,
          purpose: `store uploads in '${directory}' (--upload)`,
        }]
        : [],
  },
  {
    flag: "--delete",
    needs: ({ delete: on, directory }) =>
      on
        ? [{
          name: "write",
          value: directory,
          purpose: `delete and move files in '${directory}' (--delete)`,
        }]
        : [],
  },
  {
    flag: "--mkdir",
    needs: ({ mkdir, directory }) =>
      mkdir
        ? [{
          name: "write",
          value: directory,
          purpose: `create folders in '${directory}' (--mkdir)`,
        }]
        : [],
  },
  // PROPFIND reads as GET does.
  { flag: "--webdav", needs: NOTHING },
  {
    flag: "--cgi",
    // Scripts are any file under cgi-bin or htbin: no narrower flag fits.
    needs: ({ cgi }) =>
      cgi
        ? [{
          name: "run",
          purpose: "run the scripts in cgi-bin and htbin (--cgi)",
        }]
        : [],
  },
  {
    flag: "--tls-cert",
    needs: ({ tlsCert }) => readTlsFile(tlsCert, "TLS certificate"),
  },
  {
    flag: "--tls-key",
    needs: ({ tlsKey }) => readTlsFile(tlsKey, "TLS key"),
  },
  {
    flag: "--tls-password-file",
    needs: ({ tlsPasswordFile }) =>
      readTlsFile(tlsPasswordFile, "TLS key's password in"),
  },
  {
    flag: "--workers",
    // Workers are threads of this process, with its permissions: they need
    // no --allow-run.
    needs: ({ workers, bind, port }): Need[] =>
      workers > 1
        ? [
          {
            name: "unstable-net",
            purpose: "let the workers share the port (--workers)",
          },
          // Port 0 is the main thread's: the workers listen on the port it
          // got, which a grant of port 0 does not cover.
          ...port !== 0 ? [] : [{
            name: "net" as const,
            value: netHost(bind ?? "0.0.0.0"),
            alternatives: bind === undefined ? [netHost("::")] : undefined,
            purpose:
              "let the workers listen on the port that port 0 gets (--workers)",
          }],
          ...MODULES === undefined ? [] : [{
            name: "read" as const,
            value: MODULES,
            purpose: "load the server's modules in each worker (--workers)",
          }],
        ]
        : [],
  },
  { flag: "-p/--protocol", needs: NOTHING },
  // Deno.serve reads the folder and listens as our own server does.
  { flag: "--engine", needs: NOTHING },
  { flag: "-H/--header", needs: NOTHING },
  { flag: "--cors", needs: NOTHING },
  { flag: "--gzip", needs: NOTHING },
  { flag: "--cache", needs: NOTHING },
  { flag: "--no-cache", needs: NOTHING },
  { flag: "--spa", needs: NOTHING },
  {
    flag: "--404",
    // Usually a page of the site, which the folder's read covers.
    needs: ({ notFoundPage, directory }) =>
      notFoundPage === undefined || isUnder(notFoundPage, directory) ? [] : [{
        name: "read",
        value: notFoundPage,
        purpose: `send '${notFoundPage}' for what is not found (--404)`,
      }],
  },
  { flag: "--clean-urls", needs: NOTHING },
  // Deno.watchFs needs the folder's read permission, which serving has.
  { flag: "--live-reload", needs: NOTHING },
  { flag: "--no-listing", needs: NOTHING },
  { flag: "--hidden", needs: NOTHING },
  { flag: "--no-hidden", needs: NOTHING },
  { flag: "--pretty-listing", needs: NOTHING },
  // The walk reads the folder with its read permission, as listings do.
  { flag: "--search", needs: NOTHING },
  // Archives read the folder as files and listings do.
  { flag: "--archive", needs: NOTHING },
  { flag: "--overwrite", needs: NOTHING },
  { flag: "--max-upload", needs: NOTHING },
  { flag: "--allowed-host", needs: NOTHING },
  { flag: "--trust-uploads", needs: NOTHING },
  // Fewer reads, never more: the folder's grant covers them.
  { flag: "--symlinks", needs: NOTHING },
  { flag: "-q/--quiet", needs: NOTHING },
  { flag: "--log-format", needs: NOTHING },
  {
    flag: "--log-file",
    needs: ({ logFile }) =>
      logFile === undefined ? [] : [{
        name: "write",
        value: logFile,
        purpose: `append the log to '${logFile}' (--log-file)`,
      }],
  },
  { flag: "--trusted-proxy", needs: NOTHING },
  {
    flag: "--auth-file",
    // Inside the folder, the folder's read covers it (the banner warns).
    needs: ({ authFile, directory }) =>
      authFile === undefined || isUnder(authFile, directory) ? [] : [{
        name: "read",
        value: authFile,
        purpose: `read the accounts in '${authFile}' (--auth-file)`,
      }],
  },
  { flag: "--access", needs: NOTHING },
  { flag: "--print-permissions", needs: NOTHING },
  { flag: "-h/--help", needs: NOTHING },
];

/** Everything the command line needs with these options, row by row. */
export function neededPermissions(options: CliOptions): Need[] {
  return FLAG_PERMISSIONS.flatMap((row) => row.needs(options));
}

/** The needs that this process has not been granted. */
export function missingPermissions(needs: readonly Need[]): Need[] {
  return needs.filter((need) =>
    ![need.value, ...need.alternatives ?? []].some((value) =>
      granted(need.name, value)
    )
  );
}

/**
 * Whether `--allow-<name>` covers `value` (the whole permission without
 * one); for `unstable-net`, whether Deno runs with `--unstable-net`.
 */
export function granted(name: Need["name"], value?: string): boolean {
  // One of the APIs that only --unstable-net defines.
  if (name === "unstable-net") return "listenDatagram" in Deno;
  const descriptor: Deno.PermissionDescriptor = name === "net"
    ? { name, host: value }
    : name === "run"
    ? { name, command: value }
    : { name, path: value };
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** The flag for one need: `--allow-read=site`, `--allow-run`. */
function needFlag(need: Need): string {
  return `${flagName(need.name)}${
    need.value === undefined ? "" : `=${need.value}`
  }`;
}

/** `--allow-read` for `read`; `--unstable-net` for `unstable-net`. */
function flagName(name: Need["name"]): string {
  return name === "unstable-net" ? "--unstable-net" : `--allow-${name}`;
}

const ORDER: readonly Need["name"][] = [
  "unstable-net",
  "net",
  "read",
  "write",
  "run",
];

/**
 * The `--allow-*` flags that grant all of `needs` and nothing more: one flag
 * per permission, its values joined with commas, in Deno's order; a host's
 * ports are left out when the host is there alone (every port).
 */
export function permissionFlags(needs: readonly Need[]): string[] {
  return ORDER.flatMap((name) => {
    const of = needs.filter((need) => need.name === name);
    if (of.length === 0) return [];
    if (of.some((need) => need.value === undefined)) return [flagName(name)];
    const values = new Set(of.map((need) => need.value!));
    const kept = [...values].filter((value) => {
      const host = value.replace(/:\d+$/, "");
      return name !== "net" || host === value || !values.has(host);
    });
    return [`${flagName(name)}=${kept.join(",")}`];
  });
}

/**
 * The command that runs this program again with exactly `needs` and `args`:
 * `deno run <flags> <module> <args>`, the module as it was started (a path,
 * or `jsr:@x/httpserver`); for a compiled program, the `deno compile`
 * command that builds it with them from a clone. Words are quoted for a
 * POSIX shell.
 */
export function commandLine(
  needs: readonly Need[],
  args: readonly string[],
): string {
  const flags = permissionFlags(needs);
  const words = Deno.build.standalone
    ? ["deno", "compile", ...flags, "--output", programName(), "mod.ts"]
    : ["deno", "run", ...flags, moduleSpecifier(Deno.mainModule), ...args];
  return words.map(shellQuote).join(" ");
}

/** The name this program was run as, for `deno compile --output`. */
function programName(): string {
  return Deno.execPath().split(/[\\/]/).at(-1)!.replace(/\.exe$/, "");
}

/**
 * How a user names the main module: a file as its path; anything else
 * (`jsr:@x/httpserver`, a URL) as Deno has it, which is as it was typed.
 */
export function moduleSpecifier(url: string): string {
  return url.startsWith("file:") ? fileURLToPath(url) : url;
}

/** `word` as a POSIX shell reads it back: quoted unless it is plain. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The message for missing permissions: one line per flag to add, with what
 * it is for (each purpose, when several flags need the same grant), then
 * the command that has everything.
 */
export function missingMessage(
  missing: readonly Need[],
  needs: readonly Need[],
  args: readonly string[],
): string {
  const sorted = missing.toSorted((a, b) =>
    ORDER.indexOf(a.name) - ORDER.indexOf(b.name)
  );
  // One line per flag: the purposes of the flags that need the same grant
  // (--upload, --delete and --mkdir: write to the folder) joined on it.
  const purposes = new Map<string, string[]>();
  for (const need of sorted) {
    const flag = needFlag(need);
    purposes.set(flag, [...purposes.get(flag) ?? [], need.purpose]);
  }
  const width = Math.max(...[...purposes.keys()].map((flag) => flag.length));
  const lines = [...purposes].map(([flag, why]) =>
    `  ${flag.padEnd(width)}  to ${why.join(" and to ")}`
  );
  const again = Deno.build.standalone
    ? "this program was compiled without them; in a clone, build it with all it needs:"
    : "run it with all it needs:";
  return `missing permissions:\n${lines.join("\n")}\n${again}\n  ${
    commandLine(needs, args)
  }`;
}

/**
 * The message for a missing `--unstable-net`, on one line: what needs it,
 * and the command that has everything.
 */
export function unstableMessage(
  needs: readonly Need[],
  args: readonly string[],
): string {
  const again = Deno.build.standalone
    ? "this program was compiled without it; in a clone, build it with"
    : "run it as";
  return `--workers needs Deno's --unstable-net flag, which lets the workers share the port: ${again} ${
    commandLine(needs, args)
  }`;
}
