/**
 * Opt-in uploads for `SimpleHTTPRequestHandler` (its `upload` field, the
 * CLI's `--upload`): `PUT /path` with the file as the body, and a
 * `multipart/form-data` POST from the listing page's form to a folder.
 *
 * Every file streams to a temporary file in its target folder, bounded by
 * `maxUploadBytes`, and takes its name only once complete: a hard link,
 * which fails if the name is taken, or with `overwrite` a rename over it.
 * An aborted, oversized or refused upload leaves nothing behind. Targets stay
 * in the served folder (symlinks followed, as for reads), never have a hidden
 * component (`.git/hooks`, `.ssh`), and a form's file names must be plain
 * names. A form posted from another site (its `Origin`) is refused, and so
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
import { type ExitCleanupEntry, exitCleanups } from "../../util/exitcleanup.ts";
import { multipartBoundary, MultipartParser } from "./multipart.ts";
import { createsOnly, preconditionsHold, weakETag } from "../conditional.ts";
import {
  isWithin,
  lstatUnder,
  sameFile,
  statOpen,
  statsOpenFiles,
  stillReaches,
} from "../sandbox.ts";
import { hasHiddenComponent, isHiddenName } from "../hidden.ts";
import { type HostPolicy, refuseForeignHost } from "./host.ts";
import { ABSOLUTE_FORM, isUtf8Path, WINDOWS_SPECIAL } from "../paths.ts";
import { SEP, WINDOWS } from "../../util/platform.ts";

/** What the upload code needs of its handler (`SimpleHTTPRequestHandler`). */
export interface UploadHandler extends HostPolicy {
  /** The served folder. */
  directory: string;
  /** The request body. */
  rfile: Pick<RequestBody, "readChunk">;
  /** The most bytes one request may upload (a PUT body, a form's parts). */
  maxUploadBytes: number;
  /** Whether an upload may replace an existing file. */
  overwrite: boolean;
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
 * Attempts in a row, and the longest pause between them in ms, to remove a
 * file of an upload that a swap of its folder put out of reach: see
 * `removeUnique`.
 */
const REMOVE_BURST = 16;
const MAX_REMOVE_PAUSE = 1024;

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
 * What no name holds: C0 and C1 controls, DEL, and the bidirectional
 * embedding, override and isolate controls, which make a name show as
 * another (`rtl\u202Egpj.exe` shows as `rtlexe.jpg`).
 */
const UNSHOWABLE = "\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069";
const CONTROL = new RegExp(`[${UNSHOWABLE}]`);
const NOT_A_PLAIN_NAME = new RegExp(`[${UNSHOWABLE}/\\\\]`);
/** The longest name file systems take, in bytes (NAME_MAX). */
const MAX_NAME_BYTES = 255;
const encoder = new TextEncoder();

/**
 * `PUT /path`: stores the body as the file the path names. 201 Created for a
 * new file; 204 No Content when `overwrite` let it replace one.
 *
 * @throws {HttpError} 400 (a path that is not UTF-8, a name with control
 *   characters or too long), 403 (a Host not allowed, hidden name, outside
 *   the folder, no write permission), 409 (name taken, a folder, parent
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
  if (hasHiddenComponent(h.directory, path)) throw hiddenName();
  const folder = path.slice(0, cut) || SEP;
  checkFolder(h, folder, "conflict");
  checkTarget(h, path);
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
    replaced = await storeBody(h, folder, path, createOnly);
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
 * Streams a PUT's body to `path` and gives it the name; resolves to whether
 * it replaced a file.
 */
async function storeBody(
  h: UploadHandler,
  folder: string,
  path: string,
  createOnly: boolean,
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
  try {
    return await file.commit(h.overwrite && !createOnly);
  } catch (error) {
    const taken = error instanceof HttpError && error.kind === "conflict";
    if (createOnly && taken) throw new HttpError("precondition-failed");
    throw error;
  }
}

/**
 * Refuses a PUT whose preconditions fail (see `preconditionsHold`) against
 * the file at `path` as GET would serve it, symlinks followed: 412.
 */
function checkPreconditions(headers: Headers, path: string): void {
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
 * part ends.
 *
 * @throws {HttpError} 400 (malformed form, no file, a name that is not a
 *   plain name, not UTF-8 or too long), 403 (a Host not allowed, another
 *   site's form, hidden name, outside the folder, no write permission), 404
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
          const target = formTarget(h, folder, event.head.filename, files);
          current = await UploadFile.create(h, folder, target);
          files.set(target, current);
        }
      }
    }
    if (files.size === 0) {
      throw new HttpError("bad-multipart", "The form holds no file");
    }
    await commitAll(h, files);
  } catch (error) {
    throw storageError(error);
  } finally {
    for (const file of files.values()) await file[Symbol.asyncDispose]();
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
 * A file being uploaded: a temporary file beside its target, renamed or
 * linked into place by {@link commit}; disposing of it before then removes it.
 *
 * The folder is checked by path before the upload (`checkFolder`), and can
 * be swapped for a symlink to the outside afterwards by anyone who may write
 * in the served folder. So what the paths reached is checked too: the
 * temporary file once created, before a byte is written, and the file once
 * it has its name. A temporary file created outside, or a file that took its
 * name outside, is removed and the upload refused.
 */
class UploadFile implements AsyncDisposable {
  /** Bytes written so far. */
  bytes = 0;
  #h: UploadHandler;
  /** Open while the file is written, and again while it takes its name. */
  #file: Deno.FsFile | null;
  #temp: string;
  #target: string;
  /** The temporary file's `stat`: the file its target must be once placed. */
  #created: Deno.FileInfo;
  #tempExists = true;
  /** Removes the temporary file if the process exits at once. */
  #cleanup: ExitCleanupEntry | null;

  private constructor(
    h: UploadHandler,
    file: Deno.FsFile,
    temp: string,
    target: string,
    created: Deno.FileInfo,
    cleanup: ExitCleanupEntry | null,
  ) {
    this.#h = h;
    this.#file = file;
    this.#temp = temp;
    this.#target = target;
    this.#created = created;
    this.#cleanup = cleanup;
  }

  /**
   * Creates the temporary file (hidden, unique) in `folder`, and checks that
   * it lies in the served folder.
   *
   * @throws {HttpError} 403 when it was created outside (and removed)
   */
  static async create(
    h: UploadHandler,
    folder: string,
    target: string,
  ): Promise<UploadFile> {
    const temp = `${folder}${
      folder.endsWith(SEP) ? "" : SEP
    }.upload-${crypto.randomUUID()}.part`;
    // Held before the file exists: an exit while it is being created
    // removes it too.
    const cleanup = exitCleanups.add(() => Deno.removeSync(temp));
    // Mode 0666 less the umask, as any new file: not makeTempFile's 0600.
    const file = await Deno.open(temp, {
      write: true,
      createNew: true,
      mode: 0o666,
    }).catch((error) => {
      exitCleanups.delete(cleanup);
      throw error;
    });
    const created = checkCreated(h, temp, file);
    if (created !== null) {
      return new UploadFile(h, file, temp, target, created, cleanup);
    }
    file.close();
    // Empty: nothing was written to it.
    const removed = await removeUnique(temp);
    exitCleanups.delete(cleanup);
    h.logError(
      "refused upload to %s: its folder was swapped for a symlink meanwhile%s",
      folder,
      removed ? "" : `; could not remove the empty ${temp} it created there`,
    );
    throw notPermitted();
  }

  /** Appends `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    const file = this.#file!;
    for (let done = 0; done < bytes.length;) {
      done += await file.write(bytes.subarray(done));
    }
    this.bytes += bytes.length;
  }

  /**
   * Writes the bytes through to the disk and closes the file, so that a form
   * of many files holds one open at a time.
   */
  async finish(): Promise<void> {
    const file = this.#file;
    if (file === null) return;
    await file.syncData();
    file.close();
    this.#file = null;
  }

  /**
   * Puts the complete file in place (after {@link finish}, which it calls
   * if need be): with `overwrite` a rename, which replaces an existing file
   * atomically; otherwise a hard link, which fails if the name was taken
   * meanwhile. Resolves to whether a file was replaced.
   *
   * @throws {HttpError} 409 when the name is taken and not `overwrite`, or
   *   the folder changed meanwhile; 403 when the file took its name outside
   *   the served folder (and was removed)
   */
  async commit(overwrite: boolean): Promise<boolean> {
    await this.finish();
    await this.#reopen();
    const target = this.#target;
    const taken = exists(target);
    if (taken && !overwrite) throw nameTaken(target);
    try {
      if (overwrite) {
        await this.#rename();
      } else {
        try {
          await Deno.link(this.#temp, target);
        } catch (error) {
          if (error instanceof Deno.errors.AlreadyExists) {
            throw nameTaken(target);
          }
          if (error instanceof Deno.errors.NotFound) throw error;
          // A file system without hard links (FAT): a rename, which could
          // replace a file created in the instant since `exists` above.
          await this.#rename();
        }
      }
    } catch (error) {
      // The temporary file is not where its path leads now.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw conflict("The folder changed during the upload");
    }
    await this.#checkPlaced();
    await this[Symbol.asyncDispose]();
    return taken;
  }

  /**
   * Opens the finished file again, to empty it wherever it lands should its
   * folder be swapped while it takes its name: it must still be the file
   * created, or the folder changed meanwhile.
   */
  async #reopen(): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.#temp, { write: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw conflict("The folder changed during the upload");
    }
    this.#file = file;
    const opened = statOpen(file);
    if (opened !== null && !sameFile(opened, this.#created)) {
      throw conflict("The folder changed during the upload");
    }
  }

  async #rename(): Promise<void> {
    await Deno.rename(this.#temp, this.#target);
    this.#tempExists = false;
  }

  /**
   * Checks that the file took its name in the served folder: a rename or a
   * link resolves its two paths one after the other, and the folder can be
   * swapped in between. If not, the file is emptied through its handle,
   * wherever it is, its name removed, and the upload refused.
   */
  async #checkPlaced(): Promise<void> {
    const target = this.#target;
    if (stillReaches(target, this.#created, inFolder(this.#h))) return;
    const file = this.#file!;
    // Replaced at once by another upload of the name: the file has no name
    // left but the temporary one.
    if (statOpen(file)?.nlink === (this.#tempExists ? 1 : 0)) return;
    await file.truncate(0);
    const removed = await removeUnique(target, this.#created);
    this.#h.logError(
      "refused upload to %s: its folder was swapped for a symlink meanwhile%s",
      target,
      removed ? "" : "; could not remove the file, emptied, where it landed",
    );
    throw notPermitted();
  }

  /** Closes and removes the temporary file, if still there. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#file?.close();
    this.#file = null;
    if (!this.#tempExists) return;
    this.#tempExists = false;
    try {
      await removeUnique(this.#temp);
    } finally {
      exitCleanups.delete(this.#cleanup);
    }
  }
}

/**
 * The `stat` of the file just created at `path`, a name no other file has,
 * when it lies in the served folder: the real path of `path` resolved after
 * the creation must be in the folder, and be the file created. Null when it
 * is not (the folder was swapped for a symlink to the outside).
 */
function checkCreated(
  h: UploadHandler,
  path: string,
  file: Deno.FsFile,
): Deno.FileInfo | null {
  const look = inFolder(h);
  if (statsOpenFiles(servedRoot(h))) {
    const created = statOpen(file);
    return created !== null && stillReaches(path, created, look)
      ? created
      : null;
  }
  // Deno cannot stat the open file: the name is unique, so the file at its
  // real path is this one.
  try {
    return look(Deno.realPathSync(path));
  } catch {
    return null;
  }
}

/**
 * Removes `path`, which names a file of this upload only (`file`, when
 * given, is that file's `stat`), trying again while it is not there, in
 * bursts with growing pauses between (about 2 s in all): its folder may be
 * swapped back and forth with a symlink, and the file is reachable only
 * while the path leads to where it is. Resolves to whether it was removed.
 */
async function removeUnique(
  path: string,
  file?: Deno.FileInfo,
): Promise<boolean> {
  for (let pause = 0; pause <= MAX_REMOVE_PAUSE; pause = 2 * pause || 1) {
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    for (let attempt = 0; attempt < REMOVE_BURST; attempt++) {
      try {
        if (file === undefined || sameFile(Deno.lstatSync(path), file)) {
          Deno.removeSync(path);
          return true;
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }
  return false;
}

/**
 * The folder receiving a file must exist (else `missing`: 409 for a PUT, as
 * RFC 9110 §9.3.4 allows, 404 for a form's page), be the served folder or
 * under it once symlinks are resolved, and be writable by the process.
 */
function checkFolder(
  h: UploadHandler,
  folder: string,
  missing: "conflict" | "not-found",
): void {
  let real: string;
  try {
    if (!Deno.statSync(folder).isDirectory) throw new Error("not a folder");
    real = Deno.realPathSync(folder);
  } catch (error) {
    throw new HttpError(
      missing,
      missing === "conflict" ? "No such folder to upload to" : undefined,
      { cause: error },
    );
  }
  if (!isWithin(real, servedRoot(h))) {
    h.logError(
      "refused upload to %s: its real path %s is outside",
      folder,
      real,
    );
    throw notPermitted();
  }
  if (
    Deno.permissions.querySync({ name: "write", path: folder }).state !==
      "granted"
  ) {
    h.logError(
      "refused upload to %s: no write permission (start the server with --allow-write=%s)",
      folder,
      h.directory,
    );
    throw notPermitted();
  }
}

/** Refuses a target that is a folder, or a file unless `overwrite`. */
function checkTarget(h: UploadHandler, target: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(target);
  } catch {
    return;
  }
  if (info.isDirectory) throw conflict("A folder has this name");
  if (!h.overwrite) throw nameTaken(target);
}

/**
 * The path a form's file goes to: its name must be a plain, visible file
 * name (no separators, control characters, `..`, leading `.`, nor what
 * Windows reads specially), not taken (unless `overwrite`) and not twice in
 * the form.
 */
function formTarget(
  h: UploadHandler,
  folder: string,
  name: string,
  files: Map<string, UploadFile>,
): string {
  checkName(name, NOT_A_PLAIN_NAME, "Upload files by their name alone");
  if (WINDOWS && WINDOWS_SPECIAL.test(name)) {
    throw badName("Upload files by their name alone");
  }
  if (isHiddenName(name)) throw hiddenName();
  const target = `${folder}${folder.endsWith(SEP) ? "" : SEP}${name}`;
  if (files.has(target)) throw conflict("The form has two files of one name");
  checkTarget(h, target);
  return target;
}

/**
 * Refuses a file name that holds what `unfit` finds, or one longer than
 * file systems take: 400.
 */
function checkName(name: string, unfit: RegExp, explain: string): void {
  if (unfit.test(name)) throw badName(explain);
  if (encoder.encode(name).length > MAX_NAME_BYTES) {
    throw new HttpError("bad-path", "File name too long", {
      explain: `A file name has at most ${MAX_NAME_BYTES} bytes of UTF-8`,
    });
  }
}

/**
 * A file system error as the answer it calls for: a full disk or quota is
 * 507 (RFC 4918 §11.5), a name too long for the file system 400; any other
 * stays as it is (500).
 */
function storageError(error: unknown): unknown {
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

/** The real path of the served folder. */
function servedRoot(h: UploadHandler): string {
  return Deno.realPathSync(h.directory);
}

/** The `lstat` of a real path in the served folder: see `lstatUnder`. */
function inFolder(h: UploadHandler): (real: string) => Deno.FileInfo | null {
  const root = servedRoot(h);
  return (real) => lstatUnder(real, root, h.directory);
}

/** The page a form came from, as a `Location` that never names another host. */
function pageOf(requestPath: string): string {
  const path = requestPath.split("#", 1)[0];
  return ABSOLUTE_FORM.test(path) ? path : "/" + path.replace(/^[/\\]+/, "");
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function conflict(message: string): HttpError {
  return new HttpError("conflict", message);
}

function nameTaken(target: string): HttpError {
  return new HttpError("conflict", "File exists", {
    explain: `${target.slice(target.lastIndexOf(SEP) + 1)} exists already`,
  });
}

function badName(explain: string): HttpError {
  return new HttpError("bad-path", "Not a plain file name", { explain });
}

function hiddenName(): HttpError {
  return new HttpError("forbidden", "Hidden names cannot be uploaded");
}

function tooLarge(limit: number): HttpError {
  return new HttpError("body-too-large", "Upload too large", {
    explain: `The upload limit is ${limit} bytes`,
  });
}

function notPermitted(): HttpError {
  return new HttpError("forbidden", "Uploads are not permitted here");
}
