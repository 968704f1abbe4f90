// With --workers, each worker would hold its own table of WebDAV locks, and a
// client's lock taken through one would be unknown to the next: the workers
// say DAV: 1 and answer LOCK 501, while the other methods that write stay.
import assert from "node:assert/strict";
import { BANNER, Cli, loopback, withFolder } from "../support/cli_process.ts";

Deno.test("--workers 2 with --upload --delete --mkdir speaks WebDAV class 1: no locks, COPY and PUT still answer", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      [
        "--unstable-net",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-write",
      ],
      loopback(dir, "--workers", "2", "--upload", "--delete", "--mkdir"),
    );
    const banner = await cli.waitFor(BANNER);
    const url = `http://127.0.0.1:${banner![2]}`;
    const ask = async (method: string, path: string, headers = {}) => {
      const response = await fetch(`${url}${path}`, { method, headers });
      await response.body?.cancel();
      return response;
    };
    const options = await ask("OPTIONS", "/");
    assert.equal(options.headers.get("dav"), "1");
    assert.ok(!options.headers.get("allow")!.includes("LOCK"));
    assert.equal((await ask("LOCK", "/hello.txt")).status, 501);
    assert.equal((await ask("PROPPATCH", "/hello.txt")).status, 501);
    assert.equal(
      (await ask("COPY", "/hello.txt", { Destination: "/copy.txt" })).status,
      201,
    );
    assert.equal(await Deno.readTextFile(`${dir}/copy.txt`), "hello\n");
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});
