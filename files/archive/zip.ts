/**
 * The ZIP format (PKWARE's APPNOTE 6.3), written as a folder is walked: a
 * {@link ZipWriter} gives the bytes around each member's data, which the
 * caller sends as it reads the file. Each member is stored (method 0) and
 * followed by a data descriptor (flag bit 3), so nothing is needed before
 * its bytes are read but its name; its CRC-32 and size come after them, as
 * Go's `archive/zip` writes. Names are UTF-8 (flag bit 11). ZIP64 records
 * are written only where a value needs them: a member of 4 GiB or more, an
 * offset past 4 GiB, more than 65,535 members.
 *
 * Stored, not deflated: most of what large shared folders hold (photos,
 * video, archives) is compressed already, and storing keeps a download as
 * fast as the disk and the network with one CPU-light pass; `tar.gz` is the
 * compressed choice.
 *
 * What a writer holds is the central directory, about 60 bytes and the name
 * per member: it is written at the end, as the format wants.
 *
 * @example
 * ```ts
 * import { ZipWriter } from "./zip.ts";
 *
 * const zip = new ZipWriter();
 * const data = new TextEncoder().encode("hello");
 * const parts = [
 *   zip.begin({ name: "a.txt", directory: false, mtime: null, size: 5 }),
 *   data,
 * ];
 * zip.update(data);
 * parts.push(zip.end(), ...zip.finish());
 * console.log(parts.reduce((sum, part) => sum + part.length, 0)); // 135
 * ```
 *
 * @module
 */

/** One member, as its local header says it. */
export interface ZipMember {
  /** Its path in the archive, `/`-separated; a folder's ends with `/`. */
  readonly name: string;
  /** Whether it is a folder (no data). */
  readonly directory: boolean;
  /** Its modification time, or null for now. */
  readonly mtime: Date | null;
  /**
   * Its size as the `stat` before reading said: 4 GiB or more gets ZIP64
   * sizes in the data descriptor, decided before the data.
   */
  readonly size: number;
}

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;

/** Flag bits: 3, sizes and CRC in the data descriptor; 11, UTF-8 names. */
const FLAGS = 0x0808;
/** Version 2.0 (folders, stored data); 4.5 where ZIP64 is used. */
const VERSION = 20;
const VERSION_ZIP64 = 45;
/** Made by: Unix (3), so that the high half of the attributes is a mode. */
const MADE_BY = (3 << 8) | VERSION_ZIP64;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
/** Unix modes: what the archive's user gets, not the server's own. */
const FILE_MODE = 0o100644;
const FOLDER_MODE = 0o40755;
/** The MS-DOS attribute of a folder. */
const DOS_DIRECTORY = 0x10;

const encoder = new TextEncoder();

/** What the central directory keeps of a member being written. */
interface Current {
  name: Uint8Array;
  directory: boolean;
  time: number;
  date: number;
  offset: number;
  zip64: boolean;
  crc: number;
  size: number;
}

/**
 * Writes one archive: {@link begin} a member, give its data to
 * {@link update} as it is sent, {@link end} it; {@link finish} once all
 * are written. Each call returns the bytes to send at that point.
 */
export class ZipWriter {
  /** Bytes of the archive so far. */
  #offset = 0;
  #count = 0;
  #central: Uint8Array[] = [];
  #centralBytes = 0;
  #current: Current | null = null;

  /**
   * The local header of a member; its data follows. A `\` in its name, which
   * a Linux file name may hold, is written `_`: ZIP's separator is `/`
   * alone (APPNOTE 4.4.17.1), and extractors on Windows take `\` for one,
   * so that `..\..\x` would be written outside the folder extracted to.
   */
  begin(member: ZipMember): Uint8Array {
    const name = encoder.encode(member.name.replaceAll("\\", "_"));
    const [time, date] = dosTime(member.mtime ?? new Date());
    const zip64 = member.size >= MAX32;
    this.#current = {
      name,
      directory: member.directory,
      time,
      date,
      offset: this.#offset,
      zip64,
      crc: 0,
      size: 0,
    };
    // APPNOTE 4.5.3: ZIP64 in the local header carries both sizes; with a
    // data descriptor they are 0 there and written after the data.
    const extra = zip64 ? 20 : 0;
    const out = new DataView(new ArrayBuffer(30 + name.length + extra));
    out.setUint32(0, LOCAL_HEADER, true);
    out.setUint16(4, zip64 ? VERSION_ZIP64 : VERSION, true);
    out.setUint16(6, FLAGS, true);
    out.setUint16(8, 0, true);
    out.setUint16(10, time, true);
    out.setUint16(12, date, true);
    // CRC-32 (14) and the sizes are the data descriptor's.
    if (zip64) {
      out.setUint32(18, MAX32, true);
      out.setUint32(22, MAX32, true);
    }
    out.setUint16(26, name.length, true);
    out.setUint16(28, extra, true);
    const bytes = new Uint8Array(out.buffer);
    bytes.set(name, 30);
    if (zip64) {
      out.setUint16(30 + name.length, ZIP64_EXTRA, true);
      out.setUint16(32 + name.length, 16, true);
    }
    this.#offset += bytes.length;
    return bytes;
  }

  /** Counts `data`, the next bytes of the current member, as sent. */
  update(data: Uint8Array): void {
    const current = this.#current!;
    current.crc = crc32(data, current.crc);
    current.size += data.length;
    this.#offset += data.length;
  }

  /** The data descriptor of the current member, its data all sent. */
  end(): Uint8Array {
    const current = this.#current!;
    this.#current = null;
    const { crc, size, zip64 } = current;
    const out = new DataView(new ArrayBuffer(zip64 ? 24 : 16));
    out.setUint32(0, DATA_DESCRIPTOR, true);
    out.setUint32(4, crc, true);
    if (zip64) {
      out.setBigUint64(8, BigInt(size), true);
      out.setBigUint64(16, BigInt(size), true);
    } else {
      out.setUint32(8, size, true);
      out.setUint32(12, size, true);
    }
    const bytes = new Uint8Array(out.buffer);
    this.#offset += bytes.length;
    this.#record(current);
    return bytes;
  }

  /** The central directory and the end records: the archive's last bytes. */
  finish(): Uint8Array[] {
    const start = this.#offset;
    const size = this.#centralBytes;
    const count = this.#count;
    const parts = this.#central;
    this.#central = [];
    if (count >= MAX16 || size >= MAX32 || start >= MAX32) {
      const end64 = new DataView(new ArrayBuffer(56 + 20));
      end64.setUint32(0, ZIP64_END, true);
      end64.setBigUint64(4, 44n, true);
      end64.setUint16(12, MADE_BY, true);
      end64.setUint16(14, VERSION_ZIP64, true);
      end64.setBigUint64(24, BigInt(count), true);
      end64.setBigUint64(32, BigInt(count), true);
      end64.setBigUint64(40, BigInt(size), true);
      end64.setBigUint64(48, BigInt(start), true);
      end64.setUint32(56, ZIP64_LOCATOR, true);
      end64.setBigUint64(64, BigInt(start + size), true);
      end64.setUint32(72, 1, true);
      parts.push(new Uint8Array(end64.buffer));
    }
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, END, true);
    end.setUint16(8, Math.min(count, MAX16), true);
    end.setUint16(10, Math.min(count, MAX16), true);
    end.setUint32(12, Math.min(size, MAX32), true);
    end.setUint32(16, Math.min(start, MAX32), true);
    parts.push(new Uint8Array(end.buffer));
    return parts;
  }

  /** Keeps the central directory header of a member written. */
  #record(member: Current): void {
    const { name, size, offset } = member;
    // APPNOTE 4.5.3: only the values that do not fit, in this order.
    const large = [size, size, offset].filter((value) => value >= MAX32);
    const extra = large.length === 0 ? 0 : 4 + 8 * large.length;
    const out = new DataView(new ArrayBuffer(46 + name.length + extra));
    out.setUint32(0, CENTRAL_HEADER, true);
    out.setUint16(4, MADE_BY, true);
    out.setUint16(
      6,
      extra > 0 || member.zip64 ? VERSION_ZIP64 : VERSION,
      true,
    );
    out.setUint16(8, FLAGS, true);
    out.setUint16(10, 0, true);
    out.setUint16(12, member.time, true);
    out.setUint16(14, member.date, true);
    out.setUint32(16, member.crc, true);
    out.setUint32(20, Math.min(size, MAX32), true);
    out.setUint32(24, Math.min(size, MAX32), true);
    out.setUint16(28, name.length, true);
    out.setUint16(30, extra, true);
    const attributes = member.directory
      ? FOLDER_MODE * 0x10000 + DOS_DIRECTORY
      : FILE_MODE * 0x10000;
    out.setUint32(38, attributes, true);
    out.setUint32(42, Math.min(offset, MAX32), true);
    const bytes = new Uint8Array(out.buffer);
    bytes.set(name, 46);
    if (extra > 0) {
      const at = 46 + name.length;
      out.setUint16(at, ZIP64_EXTRA, true);
      out.setUint16(at + 2, extra - 4, true);
      large.forEach((value, i) =>
        out.setBigUint64(at + 4 + 8 * i, BigInt(value), true)
      );
    }
    this.#central.push(bytes);
    this.#centralBytes += bytes.length;
    this.#count++;
  }
}

/** MS-DOS time and date, local time, two seconds apart, from 1980 on. */
function dosTime(when: Date): [number, number] {
  if (when.getFullYear() < 1980) return [0, (1 << 5) | 1];
  const time = (when.getHours() << 11) | (when.getMinutes() << 5) |
    (when.getSeconds() >> 1);
  const date = ((when.getFullYear() - 1980) << 9) |
    ((when.getMonth() + 1) << 5) | when.getDate();
  return [time, Math.min(date, MAX16)];
}

/**
 * CRC-32 (ISO 3309) of `data`, continuing from `crc`: `node:zlib`'s, native
 * code, loaded at the first archive (a static import would weigh on every
 * server).
 */
function crc32(data: Uint8Array, crc: number): number {
  zlib ??= process.getBuiltinModule("node:zlib");
  return zlib.crc32(data, crc);
}

let zlib: typeof import("node:zlib") | undefined;
