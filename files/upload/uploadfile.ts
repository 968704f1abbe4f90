/**
 * An upload's file on the disk: a temporary file beside its target that
 * takes its name only once complete, and the checks that keep it in the
 * served folder while that folder may be swapped for a symlink to the
 * outside (the receiving folder by path up front, then what the paths
 * really reached once the file is created and once it has its name).
 *
 * Past the house's 400 lines: the file's life (made, written, named,
 * removed) and the checks between its steps belong together, since each
 * check is against what the step before reached.
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { type ExitCleanupEntry, exitCleanups } from "../../util/exitcleanup.ts";
import {
  isWithin,
  lstatUnder,
  sameFile,
  Sandbox,
  statOpen,
  statsOpenFiles,
  stillReaches,
  type SymlinkPolicy,
} from "../sandbox.ts";
import { conflict, nameTaken } from "./names.ts";
import { SEP } from "../../util/platform.ts";

/** What an upload's file needs of its handler (`SimpleHTTPRequestHandler`). */
export interface UploadSite {
  /** The served folder. */
  directory: string;
  /**
   * Which symlinks are followed: with `never`, none on the way to the
   * folder an upload goes into either. Left out, `follow`.
   */
  readonly symlinks?: SymlinkPolicy;
  /** Logs an error. */
  logError(format: string, ...args: unknown[]): void;
}

/**
 * Attempts in a row, and the longest pause between them in ms, to remove a
 * file of an upload that a swap of its folder put out of reach: see
 * `removeUnique`.
 */
const REMOVE_BURST = 16;
const MAX_REMOVE_PAUSE = 1024;

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
export class UploadFile implements AsyncDisposable {
  /** Bytes written so far. */
  bytes = 0;
  #h: UploadSite;
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
    h: UploadSite,
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
    h: UploadSite,
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
    // As `checkCreated`: the handle's own stat where Deno gives one (null
    // there means it was reached outside), else the file its real path names.
    const same = statsOpenFiles(servedRoot(this.#h))
      ? sameStat(statOpen(file), this.#created)
      : stillReaches(this.#temp, this.#created, inFolder(this.#h));
    if (!same) throw conflict("The folder changed during the upload");
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
    const opened = statOpen(file);
    // Replaced at once by another upload of the name: the file has no name
    // left but the temporary one.
    if (opened?.nlink === (this.#tempExists ? 1 : 0)) return;
    // Emptied only when the handle is known to be the file created.
    if (sameStat(opened, this.#created)) await file.truncate(0);
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
    try {
      if (this.#tempExists) {
        this.#tempExists = false;
        await removeUnique(this.#temp);
      }
    } finally {
      // Named or removed, the temporary file needs no clean-up at exit.
      exitCleanups.delete(this.#cleanup);
      this.#cleanup = null;
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
  h: UploadSite,
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
 * under it once symlinks are resolved (with `--symlinks never`, with no
 * symlink on the way), and be writable by the process. Returns its real
 * path. `action` names the change in the log line and the 403 (`upload
 * to`; the file operations name theirs).
 */
export function checkFolder(
  h: UploadSite,
  folder: string,
  missing: "conflict" | "not-found",
  action = "upload to",
): string {
  let real: string;
  try {
    if (!Deno.statSync(folder).isDirectory) throw new Error("not a folder");
    real = Deno.realPathSync(folder);
  } catch (error) {
    throw new HttpError(
      missing,
      missing === "conflict"
        ? action === "upload to"
          ? "No such folder to upload to"
          : "No such folder to put it in"
        : undefined,
      { cause: error },
    );
  }
  if (!isWithin(real, servedRoot(h))) {
    h.logError(
      "refused %s %s: its real path %s is outside",
      action,
      folder,
      real,
    );
    throw notPermitted(action);
  }
  if (
    h.symlinks === "never" &&
    !new Sandbox(h.directory, () => {}, "never").followsLink(folder)
  ) {
    h.logError(
      "refused %s %s: a symlink is on its way (--symlinks never)",
      action,
      folder,
    );
    throw notPermitted(action);
  }
  if (
    Deno.permissions.querySync({ name: "write", path: folder }).state !==
      "granted"
  ) {
    h.logError(
      "refused %s %s: no write permission (start the server with --allow-write=%s)",
      action,
      folder,
      h.directory,
    );
    throw notPermitted(action);
  }
  return real;
}

/**
 * Makes the folders of `paths` that are missing, each in the one before it,
 * the first in a folder that `checkFolder` passed, and checks each as the
 * folder an upload goes into (`checkFolder`: in the served folder once
 * symlinks are resolved, writable) once it is there. The folders made are
 * added to `made`, so that a failed upload can remove them again (see
 * `removeFolders`), one that a swap put out of the served folder too.
 *
 * @throws {HttpError} 409 for a name taken by a file, 403 outside the
 *   served folder or without write permission
 */
export async function makeFolders(
  h: UploadSite,
  paths: readonly string[],
  made: string[],
): Promise<void> {
  for (const path of paths) {
    try {
      await Deno.mkdir(path);
      made.push(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    checkFolder(h, path, "conflict");
  }
}

/**
 * Removes the folders `made` (see {@link makeFolders}), innermost first,
 * those still empty: another upload may have put a file in one meanwhile.
 */
export async function removeFolders(
  h: UploadSite,
  made: readonly string[],
): Promise<void> {
  for (const path of made.toReversed()) {
    await Deno.remove(path).catch((error) => {
      if (error?.code === "ENOTEMPTY" || error?.code === "EEXIST") return;
      if (error instanceof Deno.errors.NotFound) return;
      h.logError("form failed, but the folder %s stays: %s", path, error);
    });
  }
}

/** The real path of the served folder. */
function servedRoot(h: UploadSite): string {
  return Deno.realPathSync(h.directory);
}

/** The `lstat` of a real path in the served folder: see `lstatUnder`. */
function inFolder(h: UploadSite): (real: string) => Deno.FileInfo | null {
  const root = servedRoot(h);
  return (real) => lstatUnder(real, root, h.directory);
}

/** Whether anything, a dangling symlink too, has the name `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function notPermitted(action = "upload to"): HttpError {
  return new HttpError(
    "forbidden",
    action === "upload to"
      ? "Uploads are not permitted here"
      : "Changes are not permitted here",
  );
}

/** Whether `opened`, an open file's `stat` (null: none), is `created`. */
function sameStat(
  opened: Deno.FileInfo | null,
  created: Deno.FileInfo,
): boolean {
  return opened !== null && sameFile(opened, created);
}
