/**
 * Starting and stopping CGI script processes: as `nobody` when the server
 * runs as root (Python's `nobody_uid`), in a process group of their own so
 * that a script killed for hanging takes its children with it, and a
 * watchdog that kills a script which makes no progress.
 *
 * @example
 * ```ts ignore
 * import { killScript, spawnScript, Watchdog } from "./process.ts";
 *
 * const child = spawnScript("/srv/cgi-bin/hello.sh", { stdout: "piped" });
 * const watchdog = new Watchdog(30_000, () => killScript(child));
 * await child.output();
 * watchdog.stop();
 * ```
 *
 * @module
 */

import { WINDOWS } from "../../util/platform.ts";

/** A user and group to run scripts as. */
export interface Identity {
  /** The user id. */
  uid: number;
  /** The group id. */
  gid: number;
}

/**
 * `nobody`'s user and group from the text of `/etc/passwd`, as Python's
 * `nobody_uid` finds the user: the `nobody` entry, else one more than the
 * largest user id (a user nobody is), with a group id of the same number.
 * Without the file (unreadable, or no permission to read it), the usual
 * 65534.
 *
 * @example
 * ```ts
 * import { nobodyIdentity } from "./process.ts";
 * nobodyIdentity("root:x:0:0::/root:/bin/sh\nnobody:x:65534:65533::/:/bin/false\n");
 * // { uid: 65534, gid: 65533 }
 * ```
 *
 * @param passwd the text of `/etc/passwd`, or null when it cannot be read
 * @returns the identity to run scripts as
 */
export function nobodyIdentity(passwd: string | null): Identity {
  if (passwd === null) return { uid: 65534, gid: 65534 };
  let largest = 0;
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    const u = Number(uid);
    if (uid === undefined || !Number.isInteger(u)) continue;
    if (name === "nobody") return { uid: u, gid: Number(gid) };
    largest = Math.max(largest, u);
  }
  return { uid: largest + 1, gid: largest + 1 };
}

let nobody: Identity | undefined;

function nobodyFromSystem(): Identity {
  if (nobody === undefined) {
    let passwd: string | null = null;
    try {
      passwd = Deno.readTextFileSync("/etc/passwd");
    } catch {
      // Not there, or no read permission for it: take the usual ids.
    }
    nobody = nobodyIdentity(passwd);
  }
  return nobody;
}

/**
 * Whether scripts run as `nobody`: unknown until the first spawn, then
 * whether switching user worked. Only root may switch (`setuid` fails with
 * EPERM otherwise), and knowing whether we are root would need
 * `--allow-sys`; Python, too, just tries and carries on when it fails.
 */
let switchUser: boolean | undefined;

/**
 * Spawns a script: on Unix in a new process group ({@link killScript} kills
 * the group), and as `nobody` (user and group, and no supplementary groups)
 * when the server may switch user, that is when it runs as root. Python
 * switches only the user and leaves the script in root's group.
 *
 * @param command the program to run
 * @param options as for `Deno.Command`
 * @returns the running process
 * @throws what `Deno.Command.spawn` throws (NotCapable without run
 *   permission, PermissionDenied for a file that may not be executed, ...)
 */
export function spawnScript(
  command: string,
  options: Deno.CommandOptions,
): Deno.ChildProcess {
  if (WINDOWS) return new Deno.Command(command, options).spawn();
  options = { ...options, detached: true };
  if (switchUser !== false) {
    try {
      const child = new Deno.Command(command, {
        ...options,
        ...nobodyFromSystem(),
      }).spawn();
      switchUser = true;
      return child;
    } catch (error) {
      if (switchUser === true || !isEPERM(error)) throw error;
      switchUser = false;
    }
  }
  return new Deno.Command(command, options).spawn();
}

function isEPERM(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied &&
    (error as { code?: string }).code === "EPERM";
}

/**
 * Kills a script and, on Unix, every process of its group, so that a
 * `sleep` started by a hanging shell script does not live on holding the
 * output pipe open. Never throws: the script may be gone already.
 */
export function killScript(child: Deno.ChildProcess): void {
  try {
    if (WINDOWS) child.kill("SIGKILL");
    else Deno.kill(-child.pid, "SIGKILL");
  } catch {
    // Already exited.
  }
}

/**
 * The exit code as Python's `os.waitstatus_to_exitcode` gives it: the
 * code, or minus the signal number for a script killed by a signal (Deno
 * reports those as 128 + the signal number).
 */
export function exitCode(status: Deno.CommandStatus): number {
  return status.signal === null ? status.code : 128 - status.code;
}

/**
 * Calls `onExpire` once when the script has made no progress for `ms`
 * milliseconds: Apache's `CGIScriptTimeout`, which limits the wait for
 * more output rather than a script's whole run, so that a script that
 * streams for minutes is not cut off. Time spent waiting on the client (a
 * slow upload, a slow reader) is not the script's and does not count:
 * {@link pause} around it, {@link resume} after.
 */
export class Watchdog {
  #ms: number;
  #onExpire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #paused = 0;
  #done = false;

  /**
   * Starts the clock.
   *
   * @param ms the most time without progress; 0 or less: no limit
   * @param onExpire called once when that time has passed
   */
  constructor(ms: number, onExpire: () => void) {
    this.#ms = ms;
    this.#onExpire = onExpire;
    this.#arm();
  }

  /** The script made progress: the wait starts again. */
  touch(): void {
    this.#arm();
  }

  /** Stops the clock while we wait on something other than the script. */
  pause(): void {
    this.#paused++;
    clearTimeout(this.#timer);
  }

  /** Starts the clock again, from zero, after {@link pause}. */
  resume(): void {
    this.#paused--;
    this.#arm();
  }

  /** Stops for good. */
  stop(): void {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#done || this.#paused > 0 || this.#ms <= 0) return;
    this.#timer = setTimeout(() => {
      this.#done = true;
      this.#onExpire();
    }, this.#ms);
  }
}
