/**
 * The command line, whose workers answer `GET /crash` and then throw an
 * uncaught error: a worker that really dies, for the tests of its
 * replacement. Run as a program it is the command line, and each of its
 * workers runs this module too.
 *
 * @module
 */

import { main } from "../../cli.ts";
import { handlerFor } from "../../cli/serve.ts";
import type { SimpleHTTPRequestHandler } from "../../handlers/simple.ts";
import { runWorker } from "../../cli/worker_entry.ts";

if (import.meta.main) {
  if ("WorkerGlobalScope" in globalThis) {
    runWorker((options) =>
      class extends (handlerFor(options) as typeof SimpleHTTPRequestHandler) {
        override async do_GET(): Promise<void> {
          if (this.path === "/crash") {
            setTimeout(() => {
              throw new Error("crash requested");
            });
          }
          await super.do_GET();
        }
      }
    );
  } else {
    Deno.exit(await main(Deno.args, new URL(import.meta.url)));
  }
}
