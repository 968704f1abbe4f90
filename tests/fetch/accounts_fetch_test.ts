// The fetch face's accounts options, called with a Request alone: the rules
// are of the folder's paths, under whatever urlRoot mounts it, and options
// that cannot work are refused when the handler is made.
import assert from "node:assert/strict";
import { createFileHandler, serveDir } from "../../fetch/serve_dir.ts";
import { MAX_FAILURES } from "../../files/accounts/throttle.ts";
import { parseAccounts } from "../../files/accounts/htpasswd.ts";
import { tempFolder } from "../support/helpers.ts";

// htpasswd -nbm bob builder
const accounts = parseAccounts("bob:$apr1$GNFE4rMf$/ADO0e3ban/BOjGKT0EIz.\n");
const bob = { authorization: `Basic ${btoa("bob:builder")}` };

Deno.test("under a urlRoot, the rules name the folder's own paths", async () => {
  await using folder = await tempFolder("httpserver-accounts-fetch-", {
    "pub/a.txt": "public\n",
    "private/s.txt": "secret\n",
  });
  const files = createFileHandler({
    fsRoot: folder.root,
    urlRoot: "files",
    quiet: true,
    accounts,
    access: ["/pub:*=ro", "/private:bob=ro"],
  });
  const status = async (path: string, headers: HeadersInit = {}) => {
    const response = await files(
      new Request(`http://localhost${path}`, { headers }),
    );
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await status("/files/pub/a.txt"), 200);
  assert.equal(await status("/files/private/s.txt"), 401);
  assert.equal(await status("/files/private/s.txt", bob), 200);
  assert.equal(await status("/files/files/../private/s.txt"), 401);
  // Outside the mount point: 404, as without accounts.
  assert.equal(await status("/private/s.txt"), 404);
});

Deno.test("serveDir takes Deno.serve's info: failed sign-ins count by the peer's address, so one guesser blocks no one else", async () => {
  await using folder = await tempFolder("httpserver-accounts-fetch-", {
    "a.txt": "a\n",
  });
  const from = (hostname: string): Deno.ServeHandlerInfo => ({
    remoteAddr: { transport: "tcp", hostname, port: 40000 },
    completed: Promise.resolve(),
  });
  const status = async (
    headers: HeadersInit,
    info: Deno.ServeHandlerInfo,
  ) => {
    const response = await serveDir(
      new Request("http://localhost/a.txt", { headers }),
      { fsRoot: folder.root, quiet: true, accounts },
      info,
    );
    await response.body?.cancel();
    return response.status;
  };
  const guess = { authorization: `Basic ${btoa("bob:guess")}` };
  for (let i = 0; i < MAX_FAILURES; i++) {
    assert.equal(await status(guess, from("192.0.2.61")), 401);
  }
  assert.equal(await status(bob, from("192.0.2.61")), 429);
  assert.equal(await status(bob, from("192.0.2.62")), 200);
});

Deno.test("access rules without accounts, or naming no user of them, are refused when the handler is made", () => {
  assert.throws(
    () => createFileHandler({ access: ["/:*=ro"] }),
    /TypeError: access: rules need accounts/,
  );
  assert.throws(
    () => createFileHandler({ accounts, access: ["/:carol=ro"] }),
    /an access rule names 'carol'/,
  );
  assert.throws(
    () => createFileHandler({ accounts, access: ["/:bob=all"] }),
    /SyntaxError: '\/:bob=all': 'bob=all' is not WHO=ro or WHO=rw/,
  );
});
