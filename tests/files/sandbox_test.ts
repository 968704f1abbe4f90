// files/sandbox.ts: which real paths lie within a root, and the Sandbox of a
// served folder, in full read permission (this process) and with read
// permission for the folder only (a child process).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  fileNotFound,
  isBelow,
  isWithin,
  Sandbox,
} from "../../files/sandbox.ts";
import { FileCache } from "../../files/filebody.ts";

/** [real path, root, within (the root counts), below (it does not)]. */
const PATHS: [string, string, boolean, boolean][] = [
  ["/srv/www", "/srv/www", true, false],
  ["/srv/www/a.txt", "/srv/www", true, true],
  ["/srv/www/sub/a.txt", "/srv/www/", true, true],
  ["/srv/wwwx/a.txt", "/srv/www", false, false],
  ["/srv", "/srv/www", false, false],
  ["/etc/passwd", "/", true, true],
];

for (const [real, root, within, below] of PATHS) {
  Deno.test(`${real} is ${within ? "" : "not "}within ${root}, ${below ? "" : "not "}below it`, () => {
    assert.equal(isWithin(real, root), within);
    assert.equal(isBelow(real, root), below);
  });
}

Deno.test("a 404 without a cause is one frozen error; with a cause, an error of its own that keeps it", () => {
  const plain = fileNotFound();
  assert.equal(fileNotFound(), plain);
  assert.ok(Object.isFrozen(plain));
  assert.ok(
    Object.isFrozen(plain.headers),
    "no field can be added to all 404s",
  );
  assert.equal(plain.status, 404);
  assert.equal(plain.kind, "not-found");
  assert.equal(plain.reason, "File not found");
  assert.equal(plain.cause, undefined);
  const cause = new Deno.errors.PermissionDenied("Permission denied");
  const caused = fileNotFound(cause);
  assert.notEqual(caused, plain);
  assert.equal(caused.cause, cause);
  assert.equal(caused.status, 404);
  assert.equal(caused.reason, "File not found");
  assert.equal(fileNotFound().cause, undefined, "the shared one stays bare");
});

/** `<tmp>/root/in.txt`, `<tmp>/out/secret.txt`, and links out of root. */
async function fixture(): Promise<
  { top: string; root: string } & AsyncDisposable
> {
  const top = Deno.realPathSync(await Deno.makeTempDir());
  const root = `${top}/root`;
  await Deno.mkdir(root);
  await Deno.mkdir(`${top}/out`);
  await Deno.writeTextFile(`${root}/in.txt`, "inside");
  await Deno.writeTextFile(`${top}/out/secret.txt`, "secret!");
  await Deno.symlink(`${top}/out/secret.txt`, `${root}/leak.txt`);
  await Deno.symlink(`${top}/out`, `${root}/out`);
  return {
    top,
    root,
    [Symbol.asyncDispose]: () => Deno.remove(top, { recursive: true }),
  };
}

Deno.test("with full read permission the sandbox follows symlinks anywhere, as Python", async () => {
  await using fx = await fixture();
  const logged: string[] = [];
  const sandbox = new Sandbox(fx.root, (format) => logged.push(format));
  const leak = await sandbox.lookup(`${fx.root}/leak.txt`);
  assert.equal(leak?.size, "secret!".length);
  assert.equal(sandbox.stat(`${fx.root}/missing`, true), null);
  const opened = await sandbox.open(`${fx.root}/leak.txt`, leak!);
  opened.file.close();
  assert.equal(opened.info, leak);
  const cache = new FileCache({ maxEntryBytes: 1024, maxTotalBytes: 4096 });
  const small = sandbox.loadSmall(cache, `${fx.root}/leak.txt`, leak!);
  assert.equal(new TextDecoder().decode(small?.body), "secret!");
  assert.equal(sandbox.checkRead(fx.root, Deno.statSync(fx.root)), undefined);
  assert.deepEqual(logged, []);
});

Deno.test("with read permission for the folder only, the sandbox refuses what lies outside, and logs it", async () => {
  await using fx = await fixture();
  const child = fileURLToPath(
    new URL("../support/sandbox_child.ts", import.meta.url),
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", `--allow-read=${fx.root}`, child, fx.root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  assert.deepEqual(JSON.parse(decoder.decode(stdout)), {
    inside: "inside".length,
    opened: "inside".length,
    small: "inside".length,
    checkRead: "function",
    leak: null,
    quiet: null,
    openLeak: 404,
    loadLeak: 404,
    logged: [
      "refused %s: its real path %s is outside the read permission",
      "refused %s: the file opened is not the file its real path names",
      "refused %s: the file opened is not the file its real path names",
    ],
  });
});
