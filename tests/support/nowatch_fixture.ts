/**
 * The command line, on a folder (`-d`) that cannot be watched, as where no
 * inotify watch is left: for the test of live reload's banner line.
 *
 * @module
 */

import { main } from "../../cli.ts";
import { LiveReload } from "../../files/live/reload.ts";

if (import.meta.main) {
  LiveReload.of(Deno.args[Deno.args.indexOf("-d") + 1], () => {
    throw new Error("OS file watch limit reached. (os error 28)");
  });
  Deno.exit(await main(Deno.args));
}
