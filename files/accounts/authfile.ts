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

/**
 * The auth file of the gate that made each {@link Access}: its path, and
 * its identity when the accounts were read.
 */
const AUTH_FILES = new WeakMap<
  Access,
  { readonly file: string; readonly identity: string | null }
>();

/**
 * Tells that `access` was made by a gate whose auth file is `file`, of
 * `identity` when its accounts were read.
 */
export function markAuthFile(
  access: Access,
  file: string,
  identity: string | null,
): void {
  AUTH_FILES.set(access, { file, identity });
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
  const auth = access === undefined ? undefined : AUTH_FILES.get(access);
  if (auth === undefined) return false;
  const id = fileIdentity(info);
  // The file read, and the one that has its name now (a new file renamed
  // over it, as `sed -i` and editors save): both hold hashes.
  return id !== null &&
    (id === auth.identity || id === fileIdentity(auth.file));
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
