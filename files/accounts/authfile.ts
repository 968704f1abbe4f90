/**
 * The auth file, wherever the served folder holds it or leads to it: its
 * hashes are no one's to download. `gate.ts` finds its path in the folder
 * (refused by every `Access` it makes) and its identity, which the files
 * about to be sent or archived are compared with (a symlink out of the
 * folder, a hard link).
 *
 * @module
 */

import type { Access } from "../access.ts";
import { realComponents } from "../sandbox.ts";

/** The identity of the auth file of the gate that made each {@link Access}. */
const AUTH_FILES = new WeakMap<Access, string>();

/** Tells that `access` was made by a gate whose auth file is `identity`. */
export function markAuthFile(access: Access, identity: string): void {
  AUTH_FILES.set(access, identity);
}

/** A file's device and inode, which each path to it shares; null without. */
export function fileIdentity(file: string | Deno.FileInfo): string | null {
  let info: Deno.FileInfo;
  try {
    info = typeof file === "string" ? Deno.statSync(file) : file;
  } catch {
    return null;
  }
  return info.ino === null ? null : `${info.dev}:${info.ino}`;
}

/**
 * Whether `info`, the `stat` of a file about to be sent, is of the auth
 * file of the gate that made `access`: by whatever path it was reached
 * (a symlink out of the folder, a hard link), its hashes are no one's.
 */
export function isAuthFile(
  access: Access | undefined,
  info: Deno.FileInfo,
): boolean {
  const id = access === undefined ? undefined : AUTH_FILES.get(access);
  return id !== undefined && fileIdentity(info) === id;
}

/**
 * The path in the served folder `directory` of the file at `file`, by its
 * real path: null when it lies outside, or cannot be resolved.
 */
export function pathInFolder(directory: string, file: string): string | null {
  let real: string;
  try {
    real = Deno.realPathSync(file);
  } catch {
    return null;
  }
  const components = realComponents(directory, real);
  return components === null ? null : "/" + components.join("/");
}
