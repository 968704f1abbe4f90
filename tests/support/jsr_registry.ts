/**
 * A stand-in for a JSR registry on 127.0.0.1, served by this repository's own
 * `ThreadingHTTPServer`: `deno publish` uploads the package to its publishing
 * API, and it then serves the uploaded files as a registry does, so that
 * `jsr:` specifiers resolve against it when `JSR_URL` names it. The files
 * served are the tarball `deno publish` sends: exactly the published files,
 * with bare specifiers rewritten as publishing rewrites them.
 *
 * What Deno asks a registry for: `GET /@scope/name/meta.json` (the versions),
 * `GET /@scope/name/<version>_meta.json` (each file's size and checksum, and
 * the exports), then each module under `/@scope/name/<version>/`. What
 * `deno publish` asks the API (under `/api/`): whether the version exists
 * (404: not yet), whether the package exists, then the upload (a gzipped tar)
 * and the publishing task's status.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { BaseHTTPRequestHandler } from "../../mod.ts";
import { type RunningServer, serve } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A package published to the stand-in: its files by path (`/mod.ts`). */
interface Published {
  files: Map<string, Uint8Array>;
  /** The `exports` of the published deno.json. */
  exports: Record<string, string>;
}

/** A registry on 127.0.0.1 port 0 that takes one package; `await using` stops it. */
export class JsrStandIn implements AsyncDisposable {
  readonly scope: string;
  readonly name: string;
  readonly version: string;
  /** Every request it was sent, `METHOD /path`, for failure messages. */
  readonly requests: string[] = [];
  #published: Published | null = null;
  #server: RunningServer;

  /** Starts a registry for the package `@scope/name` at `version`. */
  constructor(scope: string, name: string, version: string) {
    this.scope = scope;
    this.name = name;
    this.version = version;
    // deno-lint-ignore no-this-alias
    const registry = this;
    this.#server = serve(
      class extends BaseHTTPRequestHandler {
        override protocolVersion = "HTTP/1.1";
        override logMessage(): void {}
        async do_GET() {
          registry.requests.push(`GET ${this.path}`);
          const [status, body] = registry.#get(this.path);
          await reply(this, status, body);
        }
        async do_POST() {
          registry.requests.push(`POST ${this.path}`);
          const body = await this.rfile.read();
          const [status, answer] = registry.#post(this.path, body);
          await reply(this, status, answer);
        }
      },
    );
  }

  /** The registry's address, for `JSR_URL`: `http://127.0.0.1:PORT/`. */
  get url(): string {
    return `${this.#server.url}/`;
  }

  /** The paths of the published files (`/mod.ts`, ...); empty before publishing. */
  get files(): string[] {
    return [...this.#published?.files.keys() ?? []].sort();
  }

  /** A published file's bytes; throws for a path that was not published. */
  file(path: string): Uint8Array {
    const bytes = this.#published?.files.get(path);
    if (bytes === undefined) throw new Error(`${path} was not published`);
    return bytes;
  }

  #get(path: string): [number, Uint8Array | object] {
    const api = `/api/scopes/${this.scope}/packages/${this.name}`;
    const pkg = `/@${this.scope}/${this.name}/`;
    const published = this.#published;
    if (path === api) return [200, { scope: this.scope, name: this.name }];
    if (path === `${api}/versions/${this.version}`) {
      return published ? [200, { version: this.version }] : [404, {}];
    }
    if (path.startsWith("/api/publish_status/")) {
      return [200, { id: "1", status: "success", error: null }];
    }
    if (published === null || !path.startsWith(pkg)) return [404, {}];
    const rest = path.slice(pkg.length);
    if (rest === "meta.json") {
      return [200, {
        scope: this.scope,
        name: this.name,
        latest: this.version,
        versions: { [this.version]: {} },
      }];
    }
    if (rest === `${this.version}_meta.json`) {
      return [200, {
        manifest: manifest(published.files),
        exports: published.exports,
      }];
    }
    const file = rest.startsWith(`${this.version}/`)
      ? published.files.get(rest.slice(this.version.length))
      : undefined;
    return file ? [200, file] : [404, {}];
  }

  #post(path: string, body: Uint8Array): [number, object] {
    const upload =
      `/api/scopes/${this.scope}/packages/${this.name}/versions/${this.version}`;
    if (path.split("?")[0] !== upload) return [404, {}];
    const files = untar(gunzipSync(body));
    const config = JSON.parse(decoder.decode(files.get("/deno.json")));
    this.#published = { files, exports: config.exports };
    return [200, { id: "1", status: "success", error: null }];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server[Symbol.asyncDispose]();
  }
}

/** A JSON object, or the bytes of a file, with its length. */
async function reply(
  handler: BaseHTTPRequestHandler,
  status: number,
  body: Uint8Array | object,
): Promise<void> {
  const bytes = body instanceof Uint8Array
    ? body
    : encoder.encode(JSON.stringify(body));
  handler.sendResponse(status);
  handler.sendHeader(
    "Content-Type",
    body instanceof Uint8Array
      ? "application/octet-stream"
      : "application/json",
  );
  handler.sendHeader("Content-Length", String(bytes.length));
  handler.endHeaders();
  await handler.wfile.write(bytes);
}

/** The version's manifest: each file's size and SHA-256, which Deno checks. */
function manifest(files: Map<string, Uint8Array>): object {
  return Object.fromEntries(
    [...files].map(([path, bytes]) => [path, {
      size: bytes.length,
      checksum: `sha256-${sha256(bytes)}`,
    }]),
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The regular files of a tar archive, by path with a leading slash. Only what
 * `deno publish` writes is read (ustar headers, regular files); anything else
 * throws, so a change in its tarballs shows here.
 */
function untar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const field = (header: Uint8Array, start: number, length: number) =>
    decoder.decode(header.subarray(start, start + length)).replace(
      /\0.*$/s,
      "",
    );
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = [field(header, 345, 155), field(header, 0, 100)]
      .filter(Boolean).join("/");
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = field(header, 156, 1) || "0";
    offset += 512;
    if (type === "0") {
      files.set(
        `/${name.replace(/^\.?\//, "")}`,
        tar.slice(offset, offset + size),
      );
    } else if (type !== "5") {
      throw new Error(`unexpected tar entry type '${type}' for '${name}'`);
    }
    offset += Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * Publishes this repository to `registry` with `deno publish`, as a release
 * would (the working tree as it is, type-checking left to `deno task check`).
 */
export async function publish(registry: JsrStandIn): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--token", "stand-in", "--allow-dirty", "--no-check"],
    cwd: ROOT,
    env: { JSR_URL: registry.url, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno publish failed (${code}):\n${decoder.decode(stderr)}\nrequests: ${
        registry.requests.join(", ")
      }`,
    );
  }
}
