/**
 * A server for `sandbox_race_test.ts`, run with read and write permission
 * for the served folder (the first argument) only: SimpleHTTPRequestHandler
 * with uploads, whose handler does what a local user racing it could. For a
 * request with `X-Swap: <name>`, it swaps `<name>` in the folder for
 * `.swap/<name>` (a symlink the test made) at the instant between the check
 * of a path and its use: after a file's `stat`, before its open; before a
 * folder is listed; after an upload's folder is checked, before its file is
 * created. Prints the port it listens on.
 *
 * @module
 */

import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "../../mod.ts";

const [directory] = Deno.args;

class Swapping extends SimpleHTTPRequestHandler {
  override upload = true;

  constructor(
    ...args: ConstructorParameters<typeof SimpleHTTPRequestHandler>
  ) {
    super(...args);
    // Uploads read it after the folder's check, before creating the file.
    const limit = this.maxUploadBytes;
    Object.defineProperty(this, "maxUploadBytes", {
      get: () => (this.#swap(), limit),
    });
  }

  override guessType(path: string): string {
    this.#swap();
    return super.guessType(path);
  }

  override listDirectory(path: string): Promise<Uint8Array> {
    this.#swap();
    return super.listDirectory(path);
  }

  /** Swaps the name the request asks for, once. */
  #swap(): void {
    const name = this.headers?.get("x-swap");
    if (!name) return;
    const spare = `${directory}/.swap/${name}`;
    try {
      Deno.lstatSync(spare);
    } catch {
      return; // Swapped already.
    }
    Deno.renameSync(`${directory}/${name}`, `${spare}.was`);
    Deno.renameSync(spare, `${directory}/${name}`);
  }
}

const server = new ThreadingHTTPServer(
  { hostname: "127.0.0.1", port: 0 },
  Swapping,
  { directory },
);
console.log(server.serverPort);
await server.serveForever();
