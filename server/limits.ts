/**
 * The process's limit on open file descriptors (`ulimit -n`), and the
 * default `maxConnections` it allows. Deno does not raise the soft limit, so
 * on Linux a server usually has 1,024 descriptors for its sockets, the files
 * it sends and receives, and the runtime's own.
 *
 * @example
 * ```ts
 * import { defaultMaxConnections, descriptorLimit } from "./limits.ts";
 *
 * const limit = descriptorLimit();
 * console.log(limit.soft, limit.assumed); // 1024 "..." without --allow-all
 * console.log(defaultMaxConnections(1_024)); // 320
 * ```
 *
 * @module
 */

import { WINDOWS } from "../util/platform.ts";

/** Where Linux keeps the limits of the running process. */
const LIMITS_FILE = "/proc/self/limits";

/** The soft limit taken where it cannot be read: Linux's usual one. */
const ASSUMED_DESCRIPTOR_LIMIT = 1_024;

/**
 * Descriptors kept out of the connections' share: Deno's own (about 25:
 * stdio, its event loop, its caches), the listener, the pipes of CGI scripts
 * running, and the files that listings and small files open and close at
 * once.
 */
const RESERVED_DESCRIPTORS = 64;

/**
 * What one connection may hold at a time: its socket, the one file it is
 * sending (a download past the small-file cache) or receiving (an upload's
 * temporary file), and the copy of that file's descriptor that Deno makes
 * for each read or write in flight (its file I/O runs on another thread).
 */
const DESCRIPTORS_PER_CONNECTION = 3;

/** The default past which no limit raises it: what memory allows (README). */
const MOST_CONNECTIONS = 1_024;

/**
 * The soft limit on open descriptors, and whether it was read.
 *
 * @example
 * ```ts
 * import type { DescriptorLimit } from "./limits.ts";
 *
 * const unread: DescriptorLimit = {
 *   soft: 1_024,
 *   assumed: "reading /proc/self/limits needs --allow-all",
 * };
 * console.log(unread.soft);
 * ```
 */
export interface DescriptorLimit {
  /** The soft limit; `Infinity` where there is none (Windows, "unlimited"). */
  soft: number;
  /** Why {@link soft} is taken to be 1,024, not read; null when read. */
  assumed: string | null;
}

let cached: DescriptorLimit | undefined;

/**
 * The soft limit on this process's open descriptors, read once from
 * `/proc/self/limits`. Deno lets only `--allow-all` read it: with less, or
 * on a system without that file (macOS), it is taken to be 1,024, with the
 * reason. The permission is queried first, so there is never a prompt.
 */
export function descriptorLimit(): DescriptorLimit {
  return cached ??= readLimit();
}

function readLimit(): DescriptorLimit {
  if (WINDOWS) return { soft: Infinity, assumed: null };
  const assume = (assumed: string) => ({
    soft: ASSUMED_DESCRIPTOR_LIMIT,
    assumed,
  });
  if (Deno.build.os !== "linux") {
    return assume(`no ${LIMITS_FILE} on ${Deno.build.os}`);
  }
  const needs = `reading ${LIMITS_FILE} needs --allow-all`;
  try {
    const state = Deno.permissions.querySync({
      name: "read",
      path: LIMITS_FILE,
    }).state;
    if (state !== "granted") return assume(needs);
    const text = Deno.readTextFileSync(LIMITS_FILE);
    const soft = /^Max open files +(\d+|unlimited) /m.exec(text)?.[1];
    if (soft === undefined) {
      return assume(`no open-file limit in ${LIMITS_FILE}`);
    }
    return {
      soft: soft === "unlimited" ? Infinity : Number(soft),
      assumed: null,
    };
  } catch (error) {
    // Deno asks for all permissions for /proc even where read is granted.
    return assume(
      error instanceof Deno.errors.NotCapable
        ? needs
        : `cannot read ${LIMITS_FILE}`,
    );
  }
}

/**
 * The most connections that fit in `limit` descriptors with room for the
 * file each may have open: `(limit - 64) / 3`, at least 1 and at most
 * 1,024 (320 for Linux's usual 1,024; 1,024 from 3,136 on).
 */
export function defaultMaxConnections(limit: number): number {
  const fit = Math.floor(
    (limit - RESERVED_DESCRIPTORS) / DESCRIPTORS_PER_CONNECTION,
  );
  return Math.max(1, Math.min(MOST_CONNECTIONS, fit));
}

/**
 * The soft limit at which the default reaches its most, 3,136: what to
 * raise `ulimit -n` to.
 */
export const FULL_DESCRIPTOR_LIMIT: number = RESERVED_DESCRIPTORS +
  DESCRIPTORS_PER_CONNECTION * MOST_CONNECTIONS;
