/**
 * What the file operations (`DELETE`, `MOVE`, `MKCOL`, `COPY`, `PROPFIND`,
 * `PROPPATCH`, `LOCK`, `UNLOCK`: see `change.ts`, `copy.ts`, `propfind.ts`,
 * `proppatch.ts`, `locks.ts`) need of a face, what they answer, which
 * methods a server with these settings answers, and the checks every change
 * makes of a path it touches: the `Host`, the served folder itself, hidden
 * names, the access rules, and the folder it lies in (in the served folder
 * once symlinks are resolved, writable: `checkFolder`, as for uploads).
 *
 * @example
 * ```ts
 * import { fileMethods } from "./site.ts";
 *
 * const settings = { upload: false, delete: true, mkdir: false, webdav: false };
 * fileMethods(settings);
 * // ["DELETE", "GET", "HEAD", "LOCK", "MOVE", "OPTIONS", "PROPFIND", "PROPPATCH", "UNLOCK"]
 * ```
 *
 * @module
 */

import type { RequestBody } from "../../http/body.ts";
import { HttpError } from "../../util/errors.ts";
import { SEP } from "../../util/platform.ts";
import {
  type Access,
  childPath,
  EVERYONE,
  folderPath,
  servedPath,
} from "../access.ts";
import { refusal } from "../accounts/gate.ts";
import { changesHiddenName, hasHiddenComponent } from "../hidden.ts";
import { isUtf8Path } from "../paths.ts";
import { fileNotFound, type Sandbox } from "../sandbox.ts";
import type { HostPolicy } from "../upload/host.ts";
import { badName, checkName, CONTROL } from "../upload/names.ts";
import { checkFolder } from "../upload/uploadfile.ts";

/** The switches of the file operations, as the handler's fields name them. */
export interface OpsSettings {
  /** Uploads (`PUT`, `POST`). */
  readonly upload: boolean;
  /** `DELETE` and `MOVE` (the CLI's `--delete`). */
  readonly delete: boolean;
  /** `MKCOL` (the CLI's `--mkdir`). */
  readonly mkdir: boolean;
  /**
   * WebDAV: `PROPFIND` and `OPTIONS` (the CLI's `--webdav`), read-only
   * without a switch that writes.
   */
  readonly webdav: boolean;
}

/**
 * What an operation needs of its face: the request (its method, target,
 * header fields and body), the settings, and the face's hooks.
 */
export interface OpsSite extends HostPolicy, OpsSettings {
  /** The served folder. */
  readonly directory: string;
  /**
   * The mount point the face serves the folder under (`""` or `/static`),
   * which {@link HostPolicy.path} no longer carries: hrefs and a
   * `Destination` include it.
   */
  readonly urlRoot: string;
  /** Whether dotfiles are served and listed. */
  readonly showHidden: boolean;
  /** Whether folders are listed (a `PROPFIND` of `Depth: 1` is a listing). */
  readonly listing: boolean;
  /** The request body. */
  readonly rfile: Pick<RequestBody, "readChunk">;
  /** What the request's user may do; left out, everything. */
  readonly access?: Access;
  /** The reads of the served folder. */
  readonly sandbox: Sandbox;
  /** The file system path of a request-target's path (no mount point). */
  translatePath(target: string): string;
  /** A file's `Content-Type`. */
  guessType(path: string): string;
}

/** An operation's answer: a status, its header fields and a body, if any. */
export interface OpsAnswer {
  /** 200, 201, 204 or 207. */
  readonly status: number;
  /** The header fields but `Content-Length`, which is the body's. */
  readonly headers: readonly (readonly [string, string])[];
  /**
   * The body (a 207's XML), or null; a large folder's 207 as a stream,
   * made as it is read, without a `Content-Length`.
   */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/**
 * Whether a server with these settings speaks WebDAV: `OPTIONS` says
 * `DAV: 1` and `PROPFIND` answers, read-only with `webdav` alone.
 */
export function speaksDav(settings: OpsSettings): boolean {
  return settings.webdav || settings.delete || settings.mkdir;
}

/** Whether this thread keeps no locks: see {@link withoutLocks}. */
let lockless = false;

/**
 * Takes WebDAV's locks away from the servers of this thread: a worker of
 * `--workers` holds its own table of locks, which the others never see, so
 * that a client's lock taken through one would be unknown to the next (412,
 * or no lock at all). Its servers say `DAV: 1` and answer `LOCK` 501.
 */
export function withoutLocks(): void {
  lockless = true;
}

/**
 * Whether a server with these settings takes WebDAV's locks (`LOCK`,
 * `UNLOCK`: class 2) and `PROPPATCH`: when it speaks WebDAV and changes
 * files, which is when clients that lock before they write need them (not
 * in a worker of several: see {@link withoutLocks}).
 */
export function locksFiles(settings: OpsSettings): boolean {
  return !lockless && speaksDav(settings) &&
    (settings.upload || settings.delete || settings.mkdir);
}

/** The methods of the file operations, each answered when `operates` says. */
export const OPS_METHODS = [
  "COPY",
  "DELETE",
  "LOCK",
  "MKCOL",
  "MOVE",
  "PROPFIND",
  "PROPPATCH",
  "UNLOCK",
] as const;

/**
 * Whether the switches in `settings` let a file operation answer `method`:
 * DELETE and MOVE with `delete`, MKCOL with `mkdir`, PROPFIND when it
 * speaks WebDAV, COPY with uploads too, the locks and PROPPATCH when
 * {@link locksFiles}.
 */
export function operates(method: string, settings: OpsSettings): boolean {
  switch (method) {
    case "DELETE":
    case "MOVE":
      return settings.delete;
    case "MKCOL":
      return settings.mkdir;
    case "PROPFIND":
      return speaksDav(settings);
    case "COPY":
      return speaksDav(settings) && settings.upload;
    case "LOCK":
    case "UNLOCK":
    case "PROPPATCH":
      return locksFiles(settings);
    default:
      return false;
  }
}

/**
 * The methods a file server with these settings answers, sorted: what
 * `Allow` and a CORS preflight list.
 */
export function fileMethods(settings: OpsSettings): string[] {
  return [
    "GET",
    "HEAD",
    "OPTIONS",
    ...settings.upload ? ["POST", "PUT"] : [],
    ...OPS_METHODS.filter((method) => operates(method, settings)),
  ].sort();
}

/**
 * The answer to `OPTIONS` of a server that speaks WebDAV (RFC 4918 §10.1,
 * §18): the class of compliance (2 when it takes locks) and the methods,
 * with no body.
 */
export function davOptions(methods: readonly string[]): OpsAnswer {
  return {
    status: 200,
    headers: [
      ["DAV", methods.includes("LOCK") ? "1, 2" : "1"],
      ["Allow", methods.join(", ")],
    ],
    body: null,
  };
}

/** A path a change touches, checked. */
export interface Changed {
  /** Its path in the served folder (see `folderPath`). */
  readonly served: string;
  /** Its name in its folder. */
  readonly name: string;
  /** The real path of its folder, checked to be in the served folder. */
  readonly folder: string;
  /** Its path through {@link folder}'s real path: what is changed. */
  readonly path: string;
}

/**
 * Checks a path that `method` changes (the request's own target, or a
 * `Destination`), before anything is changed: a UTF-8 path, not the served
 * folder itself (403), no hidden component (403, as uploads; but Finder's
 * files last, see `changesHiddenName`), allowed to the
 * request's user (403), in a folder that exists (else 404 for a path that
 * is there to change, 409 for a new name, RFC 4918 §9.3.1, §9.9.4), lies in
 * the served folder once symlinks are resolved and is writable (403,
 * logged). A new name holds no control characters (400), as uploads'.
 *
 * @param h the face
 * @param target the request-target's path (no mount point)
 * @param method the method, for the messages
 * @param name `existing` for what is changed, `new` for a name to take
 */
export function checkChange(
  h: OpsSite,
  target: string,
  method: string,
  name: "existing" | "new",
): Changed {
  if (!isUtf8Path(target)) {
    throw badName("A file name is UTF-8, percent-encoded");
  }
  const path = h.translatePath(target).replace(/[/\\]+$/, "");
  // The path as the file is found, as the gate names it: what the platform
  // drops (Windows' `c:`, `a\b`) is dropped here too.
  const served = folderPath(h.directory, path);
  if (served === "/") {
    throw new HttpError("forbidden", "The served folder itself stays", {
      explain: `${method} changes what is in the served folder, never itself`,
    });
  }
  if (changesHiddenName(h.directory, path, speaksDav(h))) {
    throw new HttpError("forbidden", "Hidden names cannot be changed");
  }
  // Adding, removing or renaming a name changes the folder that holds it:
  // a path under a rule of its own is not the user's to remove from a
  // folder they may only read.
  const access = h.access ?? EVERYONE;
  const slash = served.lastIndexOf("/");
  const holder = served.slice(0, slash) || "/";
  if (!changeableIn(access, holder)(served.slice(slash + 1))) {
    h.logError("refused %s %s: not allowed to this user", method, served);
    throw refusal(access);
  }
  const cut = path.lastIndexOf(SEP);
  const last = path.slice(cut + 1);
  if (name === "new") {
    checkName(last, CONTROL, "A file name holds no control characters");
    // A name the platform drops (Windows' `x:y`) would make the folder
    // around it the name to take, and replace it.
    if (served.slice(served.lastIndexOf("/") + 1) !== servedLast(target)) {
      throw badName("A new name is a plain name on this file system");
    }
  }
  const missing = name === "new" ? "conflict" : "not-found";
  const folder = checkFolder(h, path.slice(0, cut) || SEP, missing, method);
  return { served, name: last, folder, path: folder + SEP + last };
}

/**
 * Which names of the folder at `folder` (a served path, see `folderPath`)
 * the user of `access` may add, remove or rename: the name's path and the
 * folder that holds it must both be theirs to change. Every change checks
 * the paths it touches by it; the listing marks by it the entries whose
 * buttons would be refused.
 */
export function changeableIn(
  access: Access,
  folder: string,
): (name: string) => boolean {
  if (!access.allows(folder, "write")) return () => false;
  return (name) => access.allows(childPath(folder, name), "write");
}

/** A path a request reads, checked: see {@link checkRead}. */
export interface Read {
  /** Its file system path. */
  readonly path: string;
  /** Its path in the served folder (see `folderPath`). */
  readonly served: string;
  /** What the sandbox found there. */
  readonly info: Deno.FileInfo;
}

/**
 * Checks a path that a request reads as GET would: no hidden component
 * unless dotfiles are shown, readable to the request's user (else 403, or
 * 401 without a user, logged), there through the served folder's sandbox.
 *
 * @throws {HttpError} 401, 403, 404 (missing, hidden, outside the sandbox)
 */
export async function checkRead(h: OpsSite, target: string): Promise<Read> {
  const path = h.translatePath(target);
  if (!h.showHidden && hasHiddenComponent(h.directory, path)) {
    throw fileNotFound();
  }
  // As the gate names it: what the platform drops is dropped here too.
  const served = folderPath(h.directory, path);
  const access = h.access ?? EVERYONE;
  if (!access.allows(served, "read")) {
    h.logError("refused %s %s: not allowed to this user", h.command, served);
    throw refusal(access);
  }
  const info = await h.sandbox.lookup(path);
  if (info === null) throw fileNotFound();
  return { path, served, info };
}

/** The last component of the path a request-target names, as the URL has it. */
function servedLast(target: string): string {
  const served = servedPath(target);
  return served.slice(served.lastIndexOf("/") + 1);
}

/**
 * The `lstat` of what `path` names (a symlink itself, not what it leads
 * to), or null when nothing has that name.
 */
export function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
