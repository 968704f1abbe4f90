/**
 * For `sandbox_test.ts`: the `Sandbox` of the folder given as the first
 * argument, run with read permission for that folder only, asked for a file
 * inside, a symlink to a file outside and a symlink to a folder outside.
 * Prints one JSON object: what each call answered, and the lines logged.
 *
 * @module
 */

import { FileCache } from "../../files/filebody.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { HttpError } from "../../util/errors.ts";

const [root] = Deno.args;
const logged: string[] = [];
const sandbox = new Sandbox(root, (format) => logged.push(format));
const cache = new FileCache({ maxEntryBytes: 1024, maxTotalBytes: 4096 });

const inside = await sandbox.lookup(`${root}/in.txt`);
if (inside === null) throw new Error("in.txt not found");
const opened = await sandbox.open(`${root}/in.txt`, inside);
opened.file.close();
const check = sandbox.checkRead(root, Deno.statSync(root));
check?.();

/** The status of the HttpError that `call` throws, or "no error". */
async function refusal(call: () => unknown): Promise<number | string> {
  try {
    await call();
    return "no error";
  } catch (error) {
    return error instanceof HttpError ? error.status : String(error);
  }
}

console.log(JSON.stringify({
  inside: inside.size,
  opened: opened.info.size,
  small: sandbox.loadSmall(cache, `${root}/in.txt`, inside)?.body.length,
  checkRead: typeof check,
  leak: await sandbox.lookup(`${root}/leak.txt`),
  quiet: sandbox.stat(`${root}/out/secret.txt`, false),
  // Given the stat of the file inside: what is opened is not that file.
  openLeak: await refusal(() => sandbox.open(`${root}/leak.txt`, inside)),
  loadLeak: await refusal(() =>
    sandbox.loadSmall(cache, `${root}/leak.txt`, inside)
  ),
  logged,
}));
