/**
 * The least a file server that answers like Python's must do per request on
 * `Deno.serve`, for one small file: read the request's URL and method and
 * the three header fields a GET of a file depends on (`If-None-Match`,
 * `If-Modified-Since`, `Range`: reading any exposes `request.headers`),
 * `stat` the file (a changed file is served fresh on the next request),
 * answer its bytes, kept while the `stat` is unchanged, with Python's five
 * header fields, and log Python's line (written every 10 ms). It does no
 * more: no `304`, no range, no other path, no escaping. Run alone, beside
 * `bench/floor_serve.ts`, to see what is left between the fetch face and
 * the `Deno.serve` floor (bench/README.md):
 *
 * ```sh
 * deno run --allow-net --allow-read bench/floor_file.ts 8000 bench/fixtures
 * ```
 *
 * @module
 */

import { formatHttpDate, formatLogDate } from "../http/date.ts";

const port = Number(Deno.args[0] ?? 8000);
const root = Deno.args[1] ?? "bench/fixtures";
const encoder = new TextEncoder();

let kept: {
  path: string;
  mtime: number;
  size: number;
  bytes: Uint8Array<ArrayBuffer>;
} | null = null;
let pending = "";
let timer: ReturnType<typeof setTimeout> | null = null;

function flush(): void {
  timer = null;
  Deno.stderr.writeSync(encoder.encode(pending));
  pending = "";
}

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (request, info) => {
  const { url, method } = request;
  const target = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  const { headers } = request;
  headers.get("if-none-match");
  headers.get("if-modified-since");
  headers.get("range");
  const path = root + target;
  const stat = Deno.statSync(path);
  const mtime = stat.mtime!.getTime();
  if (kept?.path !== path || kept.mtime !== mtime || kept.size !== stat.size) {
    kept = { path, mtime, size: stat.size, bytes: Deno.readFileSync(path) };
  }
  const client = (info.remoteAddr as Deno.NetAddr).hostname;
  pending += `${client} - - [${formatLogDate()}] "${method} ${target}" 200 -\n`;
  timer ??= setTimeout(flush, 10);
  return new Response(kept.bytes, {
    headers: [
      ["Content-type", "application/octet-stream"],
      ["Content-Length", String(stat.size)],
      ["Last-Modified", formatHttpDate(mtime)],
      ["Accept-Ranges", "bytes"],
      ["ETag", `W/"${stat.size.toString(16)}-${mtime.toString(16)}"`],
    ],
  });
});
