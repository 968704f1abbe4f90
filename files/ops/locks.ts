/**
 * WebDAV's class 2 (RFC 4918 §6, §9.10, §9.11): exclusive write locks, so
 * that clients that lock before they write (macOS Finder, Windows Explorer)
 * mount the share writable. A lock is a token in a table of the process
 * (at most {@link MAX_LOCKS}, each for at most {@link MAX_TIMEOUT_SECONDS}),
 * keyed by the served folder and the path it locks there: a file, or a folder (`Depth: 0`,
 * its own name and list, or `infinity`, all it holds). While it lasts, a
 * request that changes a locked path (or a folder holding one) must submit
 * its token in an `If` header (else 423 Locked); and every `If` header is
 * evaluated (§10.4: lists of tokens and entity tags, `Not`, tagged by the
 * resource they apply to), a false one answering 412.
 *
 * Locks are neither shared (`lockscope` `shared` is refused) nor kept: a
 * restart forgets them, as clients expect of a lock that timed out.
 *
 * @example
 * ```ts ignore
 * import { lockTarget } from "./locks.ts";
 *
 * // site: an OpsSite for `LOCK /notes.txt` with a lockinfo body (see site.ts)
 * const answer = await lockTarget(site);
 * console.log(answer.status); // 200, with a Lock-Token
 * ```
 *
 * @module
 */

import { HttpError } from "../../util/errors.ts";
import { escapeText } from "../../util/html.ts";
import { weakETag } from "../conditional.ts";
import { fileNotFound } from "../sandbox.ts";
import { refuseForeignHost } from "../upload/host.ts";
import { UploadFile } from "../upload/uploadfile.ts";
import {
  type Changed,
  checkChange,
  lstatOrNull,
  type OpsAnswer,
  type OpsSite,
} from "./site.ts";
import { contentEnd, davTag, readBody, tagsOf } from "./xml.ts";
import { type Condition, ifLists } from "./ifheader.ts";

/** The most locks held at once, by all the servers of the process. */
export const MAX_LOCKS = 1024;

/** The longest a lock lasts unrefreshed, and what `Infinite` gets. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** One lock. */
interface Lock {
  /** Its token, `urn:uuid:...`. */
  readonly token: string;
  /** What it locks: see {@link lockKey}. */
  readonly key: string;
  /** Its href (the lock root, §14.12). */
  readonly href: string;
  /** `0` or `infinity`. */
  readonly depth: "0" | "infinity";
  /** The `owner` the client gave, as XML text. */
  readonly owner: string;
  /** Its timeout in seconds. */
  seconds: number;
  /** When it ends, in ms since the epoch. */
  expires: number;
}

/** The locks, by token. */
const locks = new Map<string, Lock>();

/** Forgets the locks that timed out. */
function prune(now: number): void {
  for (const [token, lock] of locks) {
    if (lock.expires <= now) locks.delete(token);
  }
}

/**
 * What a lock of `served` (a path in the served folder) of the server
 * serving `directory` is keyed by: those of a folder begin with its key
 * and a `/`.
 */
export function lockKey(directory: string, served: string): string {
  return `${directory}\n${served}`;
}

/** Whether `lock` covers `key`: its own, or one below a Depth infinity. */
function covers(lock: Lock, key: string): boolean {
  return lock.key === key ||
    (lock.depth === "infinity" && key.startsWith(lock.key + "/"));
}

/**
 * The locks a change of `path` must hold the tokens of: those covering it,
 * those below it (a folder moved or deleted with all it holds), and a
 * `Depth: 0` lock of its folder, whose list the change alters.
 */
function locksOver(key: string): Lock[] {
  prune(Date.now());
  const holder = key.slice(0, key.lastIndexOf("/"));
  return [...locks.values()].filter((lock) =>
    covers(lock, key) || lock.key.startsWith(key + "/") ||
    (lock.key === holder && lock.depth === "0")
  );
}

/**
 * The path of a URL (an `If` header's resource tag, a request's),
 * percent-decoded (clients encode alike differently), no `/` at its end.
 */
function urlPath(url: string): string {
  let path = url;
  try {
    path = new URL(url, "http://localhost").pathname;
    path = decodeURIComponent(path);
  } catch {
    // Not a URL, or not UTF-8 once decoded: compared as it is.
  }
  return path.replace(/\/+$/, "");
}

/**
 * Checks a change of `changed`, which the request names by `url` (its
 * path with the mount point): the `If` header's lists that apply to it
 * (untagged ones to the request's own target, tagged ones to the resource
 * they name) must hold, one of them at least (else 412, §10.4.1); and the
 * token of every lock over it (see {@link locksOver}) must be submitted in
 * the `If` header (else 423, §7.4).
 *
 * @param own whether `url` is the request's target, which untagged lists
 *   are about (a `Destination` is not)
 * @throws {HttpError} 400 (a bad `If`), 412, 423
 */
export function checkLocks(
  h: Pick<OpsSite, "headers" | "directory">,
  changed: Pick<Changed, "path" | "served">,
  url: string,
  own: boolean,
): void {
  const value = h.headers.get("if");
  const key = lockKey(h.directory, changed.served);
  const over = locksOver(key);
  if (value === null) {
    if (over.length > 0) throw locked(url);
    return;
  }
  const lists = ifLists(value);
  const path = urlPath(url);
  const applying = lists.filter((list) =>
    list.tag === null ? own : urlPath(list.tag) === path
  );
  if (applying.length > 0) {
    const info = lstatOrNull(changed.path);
    const etag = info === null || info.isDirectory
      ? null
      : weakETag(info.size, info.mtime?.getTime());
    const holds = (c: Condition) =>
      c.not !== (c.token !== null
        ? (locks.get(c.token) !== undefined &&
          covers(locks.get(c.token)!, key))
        : c.etag === etag);
    if (!applying.some((list) => list.conditions.every(holds))) {
      throw new HttpError("precondition-failed", "The If header fails", {
        explain: "No list of the If header holds for this resource",
      });
    }
  }
  const submitted = new Set(
    lists.flatMap((list) => list.conditions.map((c) => c.token)),
  );
  if (over.some((lock) => !submitted.has(lock.token))) throw locked(url);
}

/**
 * Ends the locks of `served` and of what it held, once it is deleted or
 * moved away (§9.6, §9.9.1): a lock stays with its resource, not its name.
 */
export function dropLocks(
  h: Pick<OpsSite, "directory">,
  served: string,
): void {
  const key = lockKey(h.directory, served);
  for (const [token, lock] of locks) {
    if (lock.key === key || lock.key.startsWith(key + "/")) {
      locks.delete(token);
    }
  }
}

/** The 423 of a path locked by a lock whose token was not submitted. */
function locked(url: string): HttpError {
  return new HttpError("locked", "Locked", {
    explain: `${url} is locked: submit its lock token in an If header`,
  });
}

/** The seconds a `Timeout` (§10.7) asks for, bounded; its first we know. */
function timeoutOf(value: string | null): number {
  for (const part of (value ?? "").split(",")) {
    const text = part.trim();
    const seconds = /^Second-(\d{1,12})$/i.exec(text)?.[1];
    if (seconds !== undefined) {
      return Math.max(1, Math.min(Number(seconds), MAX_TIMEOUT_SECONDS));
    }
    if (text.toLowerCase() === "infinite") return MAX_TIMEOUT_SECONDS;
  }
  return MAX_TIMEOUT_SECONDS;
}

/** The `Depth` of a lock (§9.10.3): 0, or infinity (the default). */
function lockDepth(value: string | null): "0" | "infinity" {
  const depth = value?.trim().toLowerCase() ?? "infinity";
  if (depth === "0" || depth === "infinity") return depth;
  throw new HttpError("bad-path", "Bad Depth", {
    explain: "A lock's Depth is 0 or infinity",
  });
}

/** A lock's `activelock` element (§14.1). */
function activeLock(lock: Lock): string {
  return "<D:activelock><D:locktype><D:write/></D:locktype>" +
    "<D:lockscope><D:exclusive/></D:lockscope>" +
    `<D:depth>${lock.depth}</D:depth>` +
    (lock.owner === "" ? "" : `<D:owner>${lock.owner}</D:owner>`) +
    `<D:timeout>Second-${lock.seconds}</D:timeout>` +
    `<D:locktoken><D:href>${lock.token}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeText(lock.href)}</D:href></D:lockroot>` +
    "</D:activelock>";
}

/**
 * The value of `lockdiscovery` (§15.8) of what {@link lockKey} names: the
 * locks that cover it.
 */
export function lockDiscovery(key: string): string {
  prune(Date.now());
  return [...locks.values()].filter((lock) => covers(lock, key))
    .map(activeLock).join("");
}

/** The value of `supportedlock` (§15.10): exclusive write locks. */
export const SUPPORTED_LOCK = "<D:lockentry><D:lockscope><D:exclusive/>" +
  "</D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>";

/** A `LOCK`'s 200 or 201: the lock's `lockdiscovery` in a `prop` (§9.10.1). */
function lockAnswer(lock: Lock, status: number, token: boolean): OpsAnswer {
  const body = '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<D:prop xmlns:D="DAV:"><D:lockdiscovery>' + activeLock(lock) +
    "</D:lockdiscovery></D:prop>\n";
  return {
    status,
    headers: [
      ["Content-Type", 'application/xml; charset="utf-8"'],
      ...token ? [["Lock-Token", `<${lock.token}>`] as const] : [],
    ],
    body: new TextEncoder().encode(body),
  };
}

/**
 * `LOCK` (§9.10): an exclusive write lock of the target, 200 with its
 * `Lock-Token`; of a name not yet taken, an empty file made (with uploads
 * on) and locked, 201. Without a body, a refresh of the lock whose token
 * the `If` header submits (§9.10.2).
 *
 * @throws {HttpError} 400 (a bad body, `Depth`, `If`), 403 (as the other
 *   changes; `shared` locks), 404 (a new name without uploads), 409 (its
 *   folder is missing), 412 (an `If` that fails; a refresh of no lock), 423
 *   (locked already), 503 (the table is full)
 */
export async function lockTarget(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const body = await readBody(h);
  const seconds = timeoutOf(h.headers.get("timeout"));
  const url = h.urlRoot + h.path.split("?", 1)[0];
  const target = checkChange(h, h.path, "LOCK", "new");
  const key = lockKey(h.directory, target.served);
  const now = Date.now();
  prune(now);
  if (body.trim() === "") {
    const value = h.headers.get("if");
    const tokens = value === null
      ? []
      : ifLists(value).flatMap((list) => list.conditions)
        .map((c) => c.token);
    const lock = tokens.map((token) => token && locks.get(token))
      .find((lock) => lock && covers(lock, key));
    if (!lock) {
      throw new HttpError("precondition-failed", "No lock to refresh", {
        explain: "A refresh submits the lock's token in an If header",
      });
    }
    lock.seconds = seconds;
    lock.expires = now + seconds * 1000;
    return lockAnswer(lock, 200, false);
  }
  const tags = tagsOf(body);
  if (davTag(tags, "lockinfo") < 0 || davTag(tags, "write") < 0) {
    throw new HttpError("bad-path", "Bad LOCK body", {
      explain: "A LOCK body is a DAV: lockinfo of a write lock",
    });
  }
  if (davTag(tags, "exclusive") < 0) {
    throw new HttpError("forbidden", "Only exclusive locks", {
      explain: "This server takes exclusive write locks, not shared ones",
    });
  }
  const depth = lockDepth(h.headers.get("depth"));
  checkLocks(h, target, url, true);
  // An exclusive lock conflicts with any other over the same paths (whose
  // token the request may hold: it is still another's lock).
  if (
    [...locks.values()].some((lock) =>
      covers(lock, key) ||
      (depth === "infinity" && lock.key.startsWith(key + "/"))
    )
  ) {
    throw locked(url);
  }
  if (locks.size >= MAX_LOCKS) {
    throw new HttpError("too-many-locks", "Too many locks", {
      explain: `At most ${MAX_LOCKS} locks are held at once`,
    });
  }
  const owner = davTag(tags, "owner");
  const lock: Lock = {
    token: `urn:uuid:${crypto.randomUUID()}`,
    key,
    href: url,
    depth,
    owner: owner < 0 ? "" : ownerOf(body, tags[owner]),
    seconds,
    expires: now + seconds * 1000,
  };
  // Held from its checks on: another LOCK while the file below is made
  // must find it.
  locks.set(lock.token, lock);
  let status = 200;
  if (lstatOrNull(target.path) === null) {
    try {
      // §9.10.4: a lock of an unmapped URL makes it an empty resource.
      if (!h.upload) throw fileNotFound();
      // Made as an upload is: in the served folder, never over a file
      // made meanwhile (409).
      await using empty = await UploadFile.create(
        h,
        target.folder,
        target.path,
      );
      await empty.commit(false);
    } catch (error) {
      locks.delete(lock.token);
      throw error;
    }
    status = 201;
  }
  return lockAnswer(lock, status, true);
}

/**
 * The `owner` a lock request gave, to send back: its content as it came
 * when it is text alone, else escaped (its elements' prefixes may be
 * declared where it does not go).
 */
function ownerOf(body: string, tag: ReturnType<typeof tagsOf>[number]): string {
  const content = body.slice(tag.end, contentEnd(body, tag)).trim();
  return /[<&]/.test(content) ? escapeText(content) : content;
}

/**
 * `UNLOCK` (§9.11): ends the lock its `Lock-Token` names, which must cover
 * the target; 204.
 *
 * @throws {HttpError} 400 (no `Lock-Token`), 403 (as the other changes),
 *   409 (no such lock over the target)
 */
export function unlockTarget(h: OpsSite): Promise<OpsAnswer> {
  refuseForeignHost(h);
  const value = h.headers.get("lock-token")?.trim() ?? "";
  if (!value.startsWith("<") || !value.endsWith(">")) {
    throw new HttpError("bad-path", "Bad Lock-Token", {
      explain: "UNLOCK names its lock as Lock-Token: <token>",
    });
  }
  const target = checkChange(h, h.path, "UNLOCK", "existing");
  prune(Date.now());
  const lock = locks.get(value.slice(1, -1));
  if (
    lock === undefined || !covers(lock, lockKey(h.directory, target.served))
  ) {
    throw new HttpError("conflict", "No such lock here", {
      explain: "The Lock-Token names no lock of this resource",
    });
  }
  locks.delete(lock.token);
  return Promise.resolve({ status: 204, headers: [], body: null });
}
