/**
 * The client's address behind a reverse proxy. A proxy that the operator
 * trusts (the CLI's `--trusted-proxy`) says who its client was in
 * `Forwarded` (RFC 7239) or `X-Forwarded-For`; from any other peer these
 * headers are ignored, since any client can send them. The proxies are IP
 * addresses, CIDR ranges, and `unix` for every peer on a Unix socket (which
 * has no address).
 *
 * The list of hops is read from the right, the end the trusted peer wrote:
 * each address that is itself a trusted proxy passes the question on to the
 * hop before it, and the first one that is not, is the client. A hop that
 * is no IP address (`unknown`, an obfuscated `_name`, garbage) ends the walk
 * at the last address known.
 *
 * @example
 * ```ts
 * import { forwardedClient, TrustedProxies } from "./forwarded.ts";
 *
 * const proxies = new TrustedProxies(["10.0.0.0/8", "unix"]);
 * forwardedClient("10.0.0.2", proxies, null, "203.0.113.7, 10.0.0.3");
 * // "203.0.113.7"
 * forwardedClient(null, proxies, 'for="[2001:db8::17]:4711"', null);
 * // "2001:db8::17"
 * forwardedClient("198.51.100.9", proxies, null, "203.0.113.7");
 * // "198.51.100.9": not a trusted peer, the header is ignored
 * ```
 *
 * @module
 */

/** One entry of the list: an address range, bytes and prefix length. */
interface Range {
  bytes: Uint8Array;
  prefix: number;
}

/** The word that trusts every peer on a Unix socket. */
const UNIX = "unix";

/**
 * Trusted proxies: IP addresses (`192.0.2.1`, `::1`), CIDR ranges
 * (`10.0.0.0/8`, `fd00::/8`) and `unix`. An IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, as a dual-stack socket reports an IPv4 peer) matches
 * as the IPv4 address it maps.
 */
export class TrustedProxies {
  #ranges: Range[] = [];
  #unix = false;

  /**
   * @param entries the proxies, as the CLI's `--trusted-proxy` takes them
   * @throws {TypeError} for an entry that is none of these
   */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (entry === UNIX) {
        this.#unix = true;
        continue;
      }
      const range = parseRange(entry);
      if (range === null) {
        throw new TypeError(
          `invalid trusted proxy: '${entry}' (an IP address, a CIDR range such as 10.0.0.0/8, or unix)`,
        );
      }
      this.#ranges.push(range);
    }
  }

  /**
   * Whether `address` is a trusted proxy.
   *
   * @param address an IP address, or null for a peer on a Unix socket
   */
  trusts(address: string | null): boolean {
    if (address === null) return this.#unix;
    const bytes = parseAddress(address);
    return bytes !== null &&
      this.#ranges.some((range) => inRange(bytes, range));
  }
}

/**
 * The client's address: `peer` itself unless `proxies` trusts it, else the
 * first address, from the right, of `Forwarded`'s `for=` parameters (when
 * the request has that header) or of `X-Forwarded-For` that is no trusted
 * proxy.
 *
 * @param peer the connection's peer address; null on a Unix socket
 * @param proxies the trusted proxies
 * @param forwarded the `Forwarded` fields, joined with `, `, or null
 * @param xForwardedFor the `X-Forwarded-For` fields, joined, or null
 * @returns the client's address as the header wrote it, without brackets
 *   or port; null for a Unix peer that forwarded none
 */
export function forwardedClient(
  peer: string | null,
  proxies: TrustedProxies,
  forwarded: string | null,
  xForwardedFor: string | null,
): string | null {
  if (!proxies.trusts(peer)) return peer;
  const hops = forwarded !== null
    ? forwardedFor(forwarded)
    : xForwardedFor?.split(",") ?? [];
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const address = hopAddress(hops[i].trim());
    if (address === null) break;
    client = address;
    if (!proxies.trusts(address)) break;
  }
  return client;
}

/**
 * The client that `X-Forwarded-For` names when a trusted peer sent
 * `Forwarded` too and that names another ({@link forwardedClient} takes
 * `Forwarded`'s); else null. A proxy writes one of the two and passes the
 * other on as its client sent it (nginx writes `X-Forwarded-For` alone):
 * which one cannot be told, so whatever holds a client to account (failed
 * sign-ins) counts both.
 */
export function otherForwardedClient(
  peer: string | null,
  proxies: TrustedProxies,
  forwarded: string | null,
  xForwardedFor: string | null,
): string | null {
  if (forwarded === null || xForwardedFor === null) return null;
  if (!proxies.trusts(peer)) return null;
  const other = forwardedClient(peer, proxies, null, xForwardedFor);
  return other === forwardedClient(peer, proxies, forwarded, null)
    ? null
    : other;
}

/**
 * The `for` parameter of each element of a `Forwarded` value (RFC 7239 §4),
 * unquoted; "" for an element without one.
 */
function forwardedFor(value: string): string[] {
  return splitOutsideQuotes(value, ",").map((element) => {
    for (const pair of splitOutsideQuotes(element, ";")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === "for") {
        return unquote(pair.slice(eq + 1).trim());
      }
    }
    return "";
  });
}

/** `text` split at each `separator` that is not inside a quoted string. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === "\\") i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** A quoted-string's content (RFC 9110 §5.6.4); any other text as it is. */
function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"')
    ? text.slice(1, -1).replace(/\\(.)/g, "$1")
    : text;
}

/**
 * A hop's address without brackets or port (`[2001:db8::1]:80`,
 * `192.0.2.1:80`, or a bare IPv6 address as some proxies write it in
 * `X-Forwarded-For`); null when it is no IP address.
 */
function hopAddress(hop: string): string | null {
  let address = hop;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed !== null) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(hop)) address = hop.slice(0, hop.indexOf(":"));
  return parseAddress(address) === null ? null : address;
}

/** `ADDRESS` or `ADDRESS/PREFIX`; null when it is neither. */
function parseRange(text: string): Range | null {
  const slash = text.indexOf("/");
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (bytes === null) return null;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits)) return null;
    // An IPv4-mapped range was turned into IPv4: its prefix too.
    prefix = Number(digits) - (text.includes(":") && bits === 32 ? 96 : 0);
    if (prefix < 0 || prefix > bits) return null;
  }
  return { bytes, prefix };
}

function inRange(bytes: Uint8Array, range: Range): boolean {
  if (bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const mask = 0xff00 >> Math.min(8, range.prefix - bit) & 0xff;
    const i = bit / 8;
    if ((bytes[i] & mask) !== (range.bytes[i] & mask)) return false;
  }
  return true;
}

/**
 * An IP address as bytes: 4 for IPv4 and for an IPv4-mapped IPv6 address,
 * 16 for other IPv6 ones (a zone, `%eth0`, is ignored); null for anything
 * else.
 */
function parseAddress(text: string): Uint8Array | null {
  if (!text.includes(":")) return parseIPv4(text);
  const bytes = parseIPv6(text.replace(/%[^%]*$/, ""));
  if (bytes === null) return null;
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) &&
    bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseIPv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = halves.map((half) => half === "" ? [] : half.split(":"));
  const words: number[][] = [];
  for (const [h, half] of groups.entries()) {
    const out: number[] = [];
    for (const [g, group] of half.entries()) {
      const last = h === groups.length - 1 && g === half.length - 1;
      if (last && group.includes(".")) {
        const v4 = parseIPv4(group);
        if (v4 === null) return null;
        out.push(v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(group)) {
        out.push(parseInt(group, 16));
      } else return null;
    }
    words.push(out);
  }
  const count = words.reduce((n, half) => n + half.length, 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const all = [
    ...words[0],
    ...Array(8 - count).fill(0),
    ...(words[1] ?? []),
  ];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = all[i] >> 8;
    bytes[2 * i + 1] = all[i] & 0xff;
  }
  return bytes;
}
