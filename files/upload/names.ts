/**
 * The names an upload may take: a PUT's file name holds no control
 * characters, a form's is a plain, visible file name (or a path of them in
 * a folder uploaded whole), neither is longer than file systems take, and a
 * target that is a folder, or a file unless `overwrite`, is refused.
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { isHiddenName } from "../hidden.ts";
import { WINDOWS_SPECIAL } from "../paths.ts";
import { SEP, WINDOWS } from "../../util/platform.ts";

/**
 * What no name holds: C0 and C1 controls, DEL, and the bidirectional
 * embedding, override and isolate controls, which make a name show as
 * another (`rtl\u202Egpj.exe` shows as `rtlexe.jpg`).
 */
const UNSHOWABLE = "\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069";
/** What a PUT's file name may not hold. */
export const CONTROL = new RegExp(`[${UNSHOWABLE}]`);
/** What a form's file name may not hold: separators too. */
const NOT_A_PLAIN_NAME = new RegExp(`[${UNSHOWABLE}/\\\\]`);
/** The longest name file systems take, in bytes (NAME_MAX). */
const MAX_NAME_BYTES = 255;
const encoder = new TextEncoder();

/** Refuses a target that is a folder, or a file unless `overwrite`. */
export function checkTarget(target: string, overwrite: boolean): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(target);
  } catch {
    return;
  }
  if (info.isDirectory) throw conflict("A folder has this name");
  if (!overwrite) throw nameTaken(target);
}

/** Where a form's file goes: see {@link formTarget}. */
export interface FormTarget {
  /** The file's path. */
  target: string;
  /**
   * The folders on its way below the form's folder, outermost first: none
   * for a plain name.
   */
  folders: string[];
}

/**
 * Where a form's file goes in `folder`: its name must be a plain, visible
 * file name (no separators, control characters, `..`, leading `.`, nor what
 * Windows reads specially), or such names joined by `/`, the path of a file
 * of a folder picked or dropped whole, relative to the form's folder (its
 * folders are made as needed: see `makeFolders`); not taken (unless
 * `overwrite`) and not twice in the form.
 */
export function formTarget(
  folder: string,
  name: string,
  files: ReadonlyMap<string, unknown>,
  overwrite: boolean,
): FormTarget {
  const words = name.split("/");
  let target = folder.endsWith(SEP) ? folder.slice(0, -1) : folder;
  const folders: string[] = [];
  for (const [i, word] of words.entries()) {
    if (word === "" || (words.length > 1 && (word === "." || word === ".."))) {
      throw badName("A file's path has no empty, . or .. component");
    }
    checkName(word, NOT_A_PLAIN_NAME, "Upload files by their name alone");
    if (WINDOWS && WINDOWS_SPECIAL.test(word)) {
      throw badName("Upload files by their name alone");
    }
    if (isHiddenName(word)) throw hiddenName();
    target += SEP + word;
    if (i < words.length - 1) folders.push(target);
  }
  if (files.has(target)) throw conflict("The form has two files of one name");
  checkTarget(target, overwrite);
  return { target, folders };
}

/**
 * Refuses a file name that holds what `unfit` finds, or one longer than
 * file systems take: 400.
 */
export function checkName(name: string, unfit: RegExp, explain: string): void {
  if (unfit.test(name)) throw badName(explain);
  if (encoder.encode(name).length > MAX_NAME_BYTES) {
    throw new HttpError("bad-path", "File name too long", {
      explain: `A file name has at most ${MAX_NAME_BYTES} bytes of UTF-8`,
    });
  }
}

/** A 409 Conflict saying `message`. */
export function conflict(message: string): HttpError {
  return new HttpError("conflict", message);
}

/** The 409 Conflict for a `target` that exists already. */
export function nameTaken(target: string): HttpError {
  return new HttpError("conflict", "File exists", {
    explain: `${target.slice(target.lastIndexOf(SEP) + 1)} exists already`,
  });
}

/** The 400 for a name that is not a plain file name, with `explain`. */
export function badName(explain: string): HttpError {
  return new HttpError("bad-path", "Not a plain file name", { explain });
}

/** The 403 for a hidden name (see `isHiddenName`). */
export function hiddenName(): HttpError {
  return new HttpError("forbidden", "Hidden names cannot be uploaded");
}
