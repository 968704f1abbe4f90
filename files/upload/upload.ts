/**
 * Opt-in uploads for `SimpleHTTPRequestHandler` (its `upload` field, the
 * CLI's `--upload`): `PUT /path` with the file as the body, and a
 * `multipart/form-data` POST from the listing page's form to a folder.
 *
 * Every file streams to a temporary file in its target folder, bounded by
 * `maxUploadBytes`, and takes its name only once complete: a hard link,
 * which fails if the name is taken, or with `overwrite` a rename over it.
 * An aborted, oversized or refused upload leaves nothing behind (see
 * `uploadfile.ts`). Targets stay in the served folder (symlinks followed, as
 * for reads), never have a hidden component (`.git/hooks`, `.ssh`; a PUT
 * to a WebDAV server may write Finder's files, see `changesHiddenName`), and a
 * form's file names must be plain names, or paths of them for a folder
 * uploaded whole (see `names.ts`). A form posted from another site (its `Origin`) is refused, and so
 * is any upload through a host name the server does not know (see
 * `host.ts`).
 *
 * @example
 * ```ts
 * import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "../../mod.ts";
 *
 * class Uploads extends SimpleHTTPRequestHandler {
 *   override upload = true;
 *   override maxUploadBytes = 10 * 1024 * 1024;
 * }
 * await using server = new ThreadingHTTPServer(
 *   { hostname: "127.0.0.1", port: 0 },
 *   Uploads,
 *   { directory: "." },
 * );
 * // curl -T notes.txt http://127.0.0.1:<port>/notes.txt  -> 201 Created
 * ```
 *
 * @module
 */

import type { RequestBody } from "../../http/body.ts";
import { HttpError } from "../../util/errors.ts";
import { multipartBoundary, MultipartParser } from "./multipart.ts";
import { createsOnly, preconditionsHold, weakETag } from "../conditional.ts";
import { changesHiddenName, hasHiddenComponent } from "../hidden.ts";
import { type HostPolicy, refuseForeignHost } from "./host.ts";
import {
  badName,
  checkName,
  checkTarget,
  conflict,
  CONTROL,
  formTarget,
  hiddenName,
} from "./names.ts";
import {
  checkFolder,
  exists,
  makeFolders,
  removeFolders,
  UploadFile,
  type UploadSite,
} from "./uploadfile.ts";
import { ABSOLUTE_FORM, isUtf8Path } from "../paths.ts";
import { SEP } from "../../util/platform.ts";
import { type Access, folderPath } from "../access.ts";
import { checkLocks } from "../ops/locks.ts";
import { speaksDav } from "../ops/site.ts";
import { checkAccess } from "../accounts/gate.ts";

/** What the upload code needs of its handler (`SimpleHTTPRequestHandler`). */
export interface UploadHandler extends HostPolicy, UploadSite {
  /** The request body. */
  rfile: Pick<RequestBody, "readChunk">;
  /**
   * What the request's user may change (see `access.ts`); left out,
   * everything.
   */
  readonly access?: Access;
  /** The most bytes one request may upload (a PUT body, a form's parts). */
  maxUploadBytes: number;
  /** Whether an upload may replace an existing file. */
  overwrite: boolean;
  /**
   * The switches of WebDAV (see `OpsSettings`): a server that speaks it
   * lets a PUT replace a file, as its clients save one. Left out, off.
   */
  readonly webdav?: boolean;
  /** `DELETE` and `MOVE` on (the CLI's `--delete`). */
  readonly delete?: boolean;
  /** `MKCOL` on (the CLI's `--mkdir`). */
  readonly mkdir?: boolean;
  /** The file system path a request-target names under {@link directory}. */
  translatePath(path: string): string;
  /** Starts a response. */
  sendResponse(code: number, message?: string): void;
  /** Adds a header field. */
  sendHeader(keyword: string, value: string): void;
  /** Ends the header block. */
  endHeaders(): void;
}

/**
 * The upload form for a listing page: file inputs named `file`, posted to
 * the page's own URL.
 */
export const UPLOAD_FORM =
  '<form method="post" enctype="multipart/form-data">\n' +
  '<input type="file" name="file" multiple required>\n' +
  '<button type="submit">Upload</button>\n' +
  "</form>\n";

/** A form's framing beyond its files' bytes that a Content-Length may carry. */
const FORM_OVERHEAD = 1024 * 1024;

/**
 * `PUT /path`: stores the body as the file the path names. 201 Created for a
 * new file; 204 No Content when `overwrite`, or WebDAV (see
 * {@link putReplaces}), let it replace one. A path that a WebDAV lock
 * holds takes the lock's token in an `If` header (see `checkLocks`).
 *
 * @throws {HttpError} 400 (a path that is not UTF-8, a name with control
 *   characters or too long), 403 (a Host not allowed, hidden name but
 *   Finder's on a WebDAV server, outside the folder, no write permission),
 *   409 (name taken, a folder, parent
 *   folder missing), 412 (`If-Match`, `If-None-Match` or
 *   `If-Unmodified-Since` fails, RFC 9110 §13.2.2), 413 (larger than
 *   `maxUploadBytes`), 507 (disk full)
 */
export async function receivePut(h: UploadHandler): Promise<void> {
  refuseForeignHost(h);
  if (!isUtf8Path(h.path)) {
    throw badName("A file name is UTF-8, percent-encoded");
  }
  const path = h.translatePath(h.path);
  const cut = path.lastIndexOf(SEP);
  if (path.endsWith("/") || path === h.directory || cut < 0) {
    throw conflict("Cannot upload to a folder");
  }
  checkName(
    path.slice(cut + 1),
    CONTROL,
    "A file name holds no control characters",
  );
  if (changesHiddenName(h.directory, path, putSpeaksDav(h))) {
    throw hiddenName();
  }
  // The gate let the request in by its URL; this is the file it makes.
  checkAccess(h.access, h.directory, path, "write");
  const folder = path.slice(0, cut) || SEP;
  checkFolder(h, folder, "conflict");
  const replace = putReplaces(h);
  checkTarget(path, replace);
  // Again once the body is in: a LOCK may come while it does.
  const checkLocked = () =>
    checkLocks(
      h,
      { path, served: folderPath(h.directory, path) },
      h.path,
      true,
    );
  checkLocked();
  // Checked now, and again just before the file takes its name, since the
  // upload may take long; `If-None-Match: *` (create only) takes the name
  // with a hard link, which fails if it was taken meanwhile.
  const createOnly = createsOnly(h.headers.get("if-none-match"));
  // A dangling symlink is no file to GET, but its name is taken.
  if (createOnly && exists(path)) throw new HttpError("precondition-failed");
  checkPreconditions(h.headers, path);
  const length = h.headers.get("content-length");
  if (
    !h.headers.has("transfer-encoding") && length !== null &&
    Number(length) > h.maxUploadBytes
  ) {
    throw tooLarge(h.maxUploadBytes);
  }
  let replaced: boolean;
  try {
    replaced = await storeBody(
      h,
      folder,
      path,
      createOnly,
      replace,
      checkLocked,
    );
  } catch (error) {
    throw storageError(error);
  }
  if (replaced) {
    h.sendResponse(204);
  } else {
    h.sendResponse(201);
    h.sendHeader("Content-Length", "0");
  }
  h.endHeaders();
}

/**
 * Streams a PUT's body to `path` and gives it the name, once `checkLocked`
 * passes again; resolves to whether it replaced a file.
 */
async function storeBody(
  h: UploadHandler,
  folder: string,
  path: string,
  createOnly: boolean,
  replace: boolean,
  checkLocked: () => void,
): Promise<boolean> {
  await using file = await UploadFile.create(h, folder, path);
  for (;;) {
    const chunk = await h.rfile.readChunk();
    if (chunk.length === 0) break;
    if (file.bytes + chunk.length > h.maxUploadBytes) {
      throw tooLarge(h.maxUploadBytes);
    }
    await file.write(chunk);
  }
  await file.finish();
  checkPreconditions(h.headers, path);
  checkLocked();
  try {
    return await file.commit(replace && !createOnly);
  } catch (error) {
    const taken = error instanceof HttpError && error.kind === "conflict";
    if (createOnly && taken) throw new HttpError("precondition-failed");
    throw error;
  }
}

/**
 * Whether a PUT may replace a file: with `overwrite`, or when the server
 * speaks WebDAV, whose clients (Finder, Explorer, rclone) save a file by a
 * PUT over it (RFC 9110 §9.3.4).
 */
function putReplaces(h: UploadHandler): boolean {
  return h.overwrite || putSpeaksDav(h);
}

/**
 * Whether the server of an upload speaks WebDAV (see `speaksDav`): its PUT
 * replaces a file, and may write Finder's files (see `changesHiddenName`).
 */
function putSpeaksDav(h: UploadHandler): boolean {
  return speaksDav({
    upload: true,
    webdav: h.webdav ?? false,
    delete: h.delete ?? false,
    mkdir: h.mkdir ?? false,
  });
}

/**
 * Refuses a PUT (or a DELETE, a MOVE) whose preconditions fail (see
 * `preconditionsHold`) against the file at `path` as GET would serve it,
 * symlinks followed: 412.
 */
export function checkPreconditions(headers: Headers, path: string): void {
  let current: Deno.FileInfo | null = null;
  try {
    current = Deno.statSync(path);
  } catch {
    // No file there (yet).
  }
  const mtimeMs = current?.mtime?.getTime();
  const hold = preconditionsHold(
    headers.get("if-match"),
    headers.get("if-unmodified-since"),
    headers.get("if-none-match"),
    current && { etag: weakETag(current.size, mtimeMs), mtimeMs },
  );
  if (!hold) throw new HttpError("precondition-failed");
}

/**
 * A `multipart/form-data` POST to a folder: stores every part that carries a
 * file name in that folder, all or (whatever fails) none, then answers 303
 * See Other back to the folder's page. Each part's file is closed when the
 * part ends. A file name may be a relative path (`photos/2026/a.jpg`: a
 * folder picked or dropped whole); its folders are made as needed, and
 * removed again if the form fails.
 *
 * @throws {HttpError} 400 (malformed form, no file, a name that is not a
 *   plain name, not UTF-8 or too long), 403 (a Host not allowed, another
 *   site's form, hidden name, outside the folder, no write permission), 401
 *   or 403 (a name the request's user may not change: see `access`), 404
 *   (not a folder), 409 (name taken), 413 (larger than `maxUploadBytes`), 415
 *   (not a form), 507 (disk full)
 */
export async function receiveForm(h: UploadHandler): Promise<void> {
  refuseForeignHost(h);
  refuseCrossSite(h.headers);
  let folder = h.translatePath(h.path);
  if (hasHiddenComponent(h.directory, folder)) throw hiddenName();
  if (folder.length > 1 && folder.endsWith("/")) folder = folder.slice(0, -1);
  checkFolder(h, folder, "not-found");
  const boundary = multipartBoundary(h.headers.get("content-type"));
  if (boundary === null) {
    throw new HttpError(
      "unsupported-media-type",
      "Upload with multipart/form-data, or PUT the file",
    );
  }
  const length = h.headers.get("content-length");
  if (
    !h.headers.has("transfer-encoding") && length !== null &&
    Number(length) > h.maxUploadBytes + FORM_OVERHEAD
  ) {
    throw tooLarge(h.maxUploadBytes);
  }
  const parser = new MultipartParser(boundary, {
    maxBodyBytes: h.maxUploadBytes,
  });
  const files = new Map<string, UploadFile>();
  const made: string[] = [];
  let stored = false;
  try {
    let current: UploadFile | null = null;
    while (!parser.done) {
      const chunk = await h.rfile.readChunk();
      if (chunk.length === 0) {
        throw new HttpError("bad-multipart", "The form ended early");
      }
      for (const event of parser.feed(chunk)) {
        if (event.kind === "data") {
          await current?.write(event.bytes);
        } else if (event.kind === "end") {
          // Closed now: a form of many parts holds one file open at a time.
          await current?.finish();
          current = null;
        } else if (event.head.filename) {
          // A plain field, or a file input left empty (filename=""), is
          // skipped; the parser still counts its bytes.
          const { target, folders } = formTarget(
            folder,
            event.head.filename,
            files,
            h.overwrite,
          );
          // The folder was let in; its new folders and the name may have
          // rules of their own.
          for (const path of [...folders, target]) {
            checkAccess(h.access, h.directory, path, "write");
          }
          await makeFolders(h, folders, made);
          current = await UploadFile.create(
            h,
            folders.at(-1) ?? folder,
            target,
          );
          files.set(target, current);
        }
      }
    }
    if (files.size === 0) {
      throw new HttpError("bad-multipart", "The form holds no file");
    }
    await commitAll(h, files);
    stored = true;
  } catch (error) {
    throw storageError(error);
  } finally {
    // Each file is let go of, whatever one of the others throws.
    for (const file of files.values()) {
      await file[Symbol.asyncDispose]().catch((error) =>
        h.logError("could not remove an upload's temporary file: %s", error)
      );
    }
    if (!stored) await removeFolders(h, made);
  }
  h.sendResponse(303);
  h.sendHeader("Location", pageOf(h.path));
  h.sendHeader("Content-Length", "0");
  h.endHeaders();
}

/**
 * Gives every file of a form its name, or none: the names taken before a
 * failure are removed again. Every file is complete by then, so what can
 * still fail is rare (a name taken meanwhile, a full directory); a file that
 * `overwrite` already replaced cannot be brought back.
 */
async function commitAll(
  h: UploadHandler,
  files: Map<string, UploadFile>,
): Promise<void> {
  const created: string[] = [];
  try {
    for (const [target, file] of files) {
      if (!(await file.commit(h.overwrite))) created.push(target);
    }
  } catch (error) {
    for (const target of created) {
      await Deno.remove(target).catch((failure) =>
        h.logError("form failed, but %s stays: %s", target, String(failure))
      );
    }
    throw error;
  }
}

/**
 * A file system error as the answer it calls for: a full disk or quota is
 * 507 (RFC 4918 §11.5), a name too long for the file system 400; any other
 * stays as it is (500).
 */
export function storageError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new HttpError("insufficient-storage", "No space left", {
      cause: error,
    });
  }
  if (code === "ENAMETOOLONG") {
    return new HttpError("bad-path", "File name too long", { cause: error });
  }
  return error;
}

/** Refuses a form posted from another site's page (a browser sends `Origin`). */
function refuseCrossSite(headers: Headers): void {
  const origin = headers.get("origin");
  if (origin === null) return;
  let same = false;
  try {
    const url = new URL(origin);
    same = url.host === new URL(`${url.protocol}//${headers.get("host")}`).host;
  } catch {
    // `Origin: null` (a sandboxed or file: page), or no Host.
  }
  if (!same) throw new HttpError("forbidden", "Cross-site upload refused");
}

/** The page a form came from, as a `Location` that never names another host. */
function pageOf(requestPath: string): string {
  const path = requestPath.split("#", 1)[0];
  return ABSOLUTE_FORM.test(path) ? path : "/" + path.replace(/^[/\\]+/, "");
}

function tooLarge(limit: number): HttpError {
  return new HttpError("body-too-large", "Upload too large", {
    explain: `The upload limit is ${limit} bytes`,
  });
}
