/**
 * The platform the server runs on, asked once: whether it is Windows, its
 * path separator, and whether its usual file systems ignore case.
 *
 * @example
 * ```ts
 * import { SEP, WINDOWS } from "./platform.ts";
 *
 * const root = WINDOWS ? "C:\\srv" : "/srv";
 * console.log(root.endsWith(SEP) ? root : root + SEP); // "/srv/" on Unix
 * ```
 *
 * @module
 */

/** Whether the server runs on Windows. */
export const WINDOWS: boolean = Deno.build.os === "windows";

/** The separator of the paths the platform gives: `\` on Windows, else `/`. */
export const SEP: string = WINDOWS ? "\\" : "/";

/**
 * Whether the platform's usual file systems ignore case in names (NTFS,
 * APFS): Windows and macOS.
 */
export const CASE_INSENSITIVE_FILES: boolean = WINDOWS ||
  Deno.build.os === "darwin";
