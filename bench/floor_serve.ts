/**
 * The `Deno.serve` floor: Deno's built-in HTTP server answering every request
 * with the same fixed 1 KiB body, so the least a server built on `Deno.serve`
 * can cost per request.
 *
 * ```sh
 * deno run --allow-net bench/floor_serve.ts 8000
 * ```
 *
 * @module
 */

const port = Number(Deno.args[0] ?? 8000);
const BODY = new Uint8Array(1024).fill(0x78);

Deno.serve(
  { hostname: "127.0.0.1", port, onListen() {} },
  () =>
    new Response(BODY, {
      headers: { "content-type": "application/octet-stream" },
    }),
);
