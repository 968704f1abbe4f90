/**
 * The `Deno.listen` floor: the least a JavaScript HTTP/1.1 server on raw TCP
 * can do per request, so the ceiling that every other server in the benchmark
 * is measured against. It answers every request with the same fixed 1 KiB
 * response, parses heads by splitting strings, writes each response with one
 * `conn.write`, keeps connections alive (HTTP/1.1 unless `Connection: close`;
 * HTTP/1.0 only with `Connection: keep-alive`) and ignores request bodies.
 *
 * ```sh
 * deno run --allow-net bench/floor_listen.ts 8000
 * ```
 *
 * @module
 */

const port = Number(Deno.args[0] ?? 8000);
const BODY = "x".repeat(1024);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function response(connection: "keep-alive" | "close"): Uint8Array {
  return encoder.encode(
    "HTTP/1.1 200 OK\r\n" +
      "Content-Type: application/octet-stream\r\n" +
      "Content-Length: 1024\r\n" +
      `Connection: ${connection}\r\n` +
      "\r\n" + BODY,
  );
}
const KEEP_ALIVE = response("keep-alive");
const CLOSE = response("close");

/** Whether the connection stays open after answering this head. */
function keepsAlive(head: string): boolean {
  const lines = head.split("\r\n");
  let keep = lines[0].endsWith("HTTP/1.1");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].toLowerCase();
    if (line.startsWith("connection:")) {
      const value = line.slice(11).trim();
      if (value === "close") keep = false;
      else if (value === "keep-alive") keep = true;
    }
  }
  return keep;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

async function serve(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  let pending = "";
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) return;
      pending += decoder.decode(buffer.subarray(0, n));
      let end: number;
      while ((end = pending.indexOf("\r\n\r\n")) !== -1) {
        const keep = keepsAlive(pending.slice(0, end));
        pending = pending.slice(end + 4);
        await writeAll(conn, keep ? KEEP_ALIVE : CLOSE);
        if (!keep) return;
      }
    }
  } catch {
    // A peer that resets the connection is not an error for a benchmark.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port });
for await (const conn of listener) serve(conn);
