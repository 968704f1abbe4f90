/**
 * The tar format's headers (POSIX.1-2001 pax, over ustar): 512-byte blocks
 * before each member's data, which is padded to a block, and two zero
 * blocks at the end. A name that ustar cannot hold (over 100 bytes, or not
 * ASCII) or a size of 8 GiB or more gets a pax extended header first, whose
 * `path` and `size` records, UTF-8 by definition, win over the ustar
 * fields. Modes are the archive user's (0644, 0755), owners none: the
 * server's mean nothing to whoever downloads.
 *
 * Written here rather than taken from a library: the headers are a page of
 * a well-specified format, and the members' data is the walk's to stream.
 *
 * @example
 * ```ts
 * import { tarHeader, TAR_END } from "./tar.ts";
 *
 * const header = tarHeader({ name: "a.txt", directory: false, mtime: null, size: 5 });
 * console.log(header.length, TAR_END.length); // 512 1024
 * ```
 *
 * @module
 */

/** One member, as its header says it. */
export interface TarMember {
  /** Its path in the archive, `/`-separated; a folder's ends with `/`. */
  readonly name: string;
  /** Whether it is a folder (no data). */
  readonly directory: boolean;
  /** Its modification time, or null for the epoch. */
  readonly mtime: Date | null;
  /** The bytes of data that follow: exactly these many, then padding. */
  readonly size: number;
}

/** The size of a block. */
export const BLOCK = 512;

/** The archive's end: two zero blocks. */
export const TAR_END: Uint8Array = new Uint8Array(2 * BLOCK);

/** The largest size a ustar header holds: 11 octal digits. */
const MAX_USTAR_SIZE = 0o77777777777;

const encoder = new TextEncoder();

/**
 * The header blocks of a member: a pax extended header when ustar cannot
 * say it, then the ustar header.
 */
export function tarHeader(member: TarMember): Uint8Array {
  const { name, directory, size } = member;
  const mtime = Math.max(0, Math.floor((member.mtime?.getTime() ?? 0) / 1000));
  const records: string[] = [];
  const plainName = /^[\x20-\x7e]*$/.test(name) && name.length <= 100;
  if (!plainName) records.push(paxRecord("path", name));
  if (size > MAX_USTAR_SIZE) records.push(paxRecord("size", String(size)));
  const type = directory ? "5" : "0";
  const ustar = ustarBlock(
    plainName ? name : asciiName(name),
    directory ? 0o755 : 0o644,
    Math.min(size, MAX_USTAR_SIZE),
    mtime,
    type,
  );
  if (records.length === 0) return ustar;
  const pax = encoder.encode(records.join(""));
  const padded = padTo(pax.length);
  const out = new Uint8Array(BLOCK + padded + BLOCK);
  out.set(ustarBlock("PaxHeader", 0o644, pax.length, mtime, "x"));
  out.set(pax, BLOCK);
  out.set(ustar, BLOCK + padded);
  return out;
}

/** `length` rounded up to whole blocks. */
export function padTo(length: number): number {
  return Math.ceil(length / BLOCK) * BLOCK;
}

/**
 * A pax record, `"<length> <key>=<value>\n"`, whose length counts its own
 * digits (POSIX.1-2001, pax "Extended Header").
 */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const bytes = encoder.encode(rest).length;
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) {
    length = bytes + String(length).length;
  }
  return `${length}${rest}`;
}

/** What old readers that ignore pax see: the name's last 100 ASCII bytes. */
function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, "_").slice(-100);
}

/** One ustar header block. */
function ustarBlock(
  name: string,
  mode: number,
  size: number,
  mtime: number,
  type: string,
): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (at: number, text: string) => block.set(encoder.encode(text), at);
  put(0, name);
  put(100, octal(mode, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(Math.min(mtime, MAX_USTAR_SIZE), 12));
  put(148, "        ");
  put(156, type);
  put(257, "ustar\u000000");
  let sum = 0;
  for (const byte of block) sum += byte;
  put(148, octal(sum, 7) + " ");
  return block;
}

/** `value` in octal, zero-padded, ending with NUL, `width` bytes in all. */
function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}
