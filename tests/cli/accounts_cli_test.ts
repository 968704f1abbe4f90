// The command line's accounts: --auth-file and --access. A file that cannot
// be used is one line naming it (and its line), exit 2, before anything
// listens; the banner says what is served to whom, and warns of $apr1$
// hashes, of passwords over plain HTTP beyond loopback, and of an auth file
// that the folder serves.
import assert from "node:assert/strict";
import { BANNER, Cli, loopback, run } from "../support/cli_process.ts";
import { tempFolder } from "../support/helpers.ts";

const BCRYPT =
  "alice:$2y$05$4Obsky9VMGRoEriqHr3St.wWuIa1mdeYMR2TyRZxgf6zQHmS941kK\n";
const APR1 = "bob:$apr1$GNFE4rMf$/ADO0e3ban/BOjGKT0EIz.\n";

/** A folder to serve, and beside it an auth file holding `users`. */
async function withAuthFile(
  users: string,
  fn: (site: string, users: string) => Promise<void>,
) {
  await using folder = await tempFolder("httpserver-auth-cli-", {
    "site/hello.txt": "hello\n",
    "users": users,
  });
  await fn(`${folder.root}/site`, `${folder.root}/users`);
}

const refusals: [string, string, string[], (users: string) => RegExp][] = [
  [
    "an auth file that does not exist",
    BCRYPT,
    ["--auth-file", "MISSING"],
    () => /^httpserver: error: cannot read the auth file '\S+': No such file/,
  ],
  [
    "a line that is no htpasswd hash we take",
    BCRYPT + "carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
    [],
    (users) =>
      new RegExp(
        `^httpserver: error: ${users}:2: user 'carol': not a bcrypt \\(\\$2y\\$, htpasswd -B\\) or \\$apr1\\$ \\(htpasswd -m\\) hash\\n$`,
      ),
  ],
  [
    "a rule that names no user of the file",
    BCRYPT,
    ["--access", "/x:carol=ro"],
    () =>
      /^httpserver: error: an access rule names 'carol', who is not in the auth file\n$/,
  ],
];
for (const [what, users, more, message] of refusals) {
  Deno.test(`${what} is refused at start: one line, exit 2`, async () => {
    await withAuthFile(users, async (site, file) => {
      const args = more.includes("MISSING")
        ? ["--auth-file", `${file}.missing`]
        : ["--auth-file", file, ...more];
      const { code, stdout, stderr } = await run(
        ["--allow-net=127.0.0.1", "--allow-read"],
        loopback(site, ...args),
      );
      assert.equal(code, 2, stderr);
      assert.equal(stdout, "");
      assert.match(stderr, message(file));
      assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    });
  });
}

Deno.test("an auth file that cannot be read is one line, exit 2", async () => {
  // Root reads any file whatever its mode: a folder cannot be read as text.
  await withAuthFile(BCRYPT, async (site) => {
    const { code, stderr } = await run(
      ["--allow-net=127.0.0.1", "--allow-read"],
      loopback(site, "--auth-file", site),
    );
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^httpserver: error: cannot read the auth file '/);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  });
});

const usageErrors: [string, string[], RegExp][] = [
  [
    "--access without --auth-file",
    ["--access", "/:*=ro"],
    /only with --auth-file/,
  ],
  [
    "a rule that cannot be read",
    ["--auth-file", "users", "--access", "/x:alice=write"],
    /argument --access: '\/x:alice=write': 'alice=write' is not WHO=ro or WHO=rw/,
  ],
];
for (const [what, args, message] of usageErrors) {
  Deno.test(`${what} is a usage error, exit 2`, async () => {
    const { code, stderr } = await run([], args);
    assert.equal(code, 2);
    assert.match(stderr, /^usage: httpserver /);
    assert.match(stderr, message);
  });
}

Deno.test("the banner counts users and rules, says a rule for / governs every path, and warns of $apr1$ hashes and bcrypt of cost 5, and says the auth file in the folder is no one's", async () => {
  await using folder = await tempFolder("httpserver-auth-banner-", {
    "hello.txt": "hello\n",
    ".users": BCRYPT + APR1,
  });
  await using cli = new Cli(
    ["--allow-net=127.0.0.1", `--allow-read=${folder.root}`],
    loopback(
      folder.root,
      "--auth-file",
      `${folder.root}/.users`,
      "--access",
      "/:*=ro",
    ),
  );
  const banner = await cli.waitFor(BANNER);
  assert.ok(banner, cli.out);
  assert.ok(
    await cli.waitFor(/served folder: no one may read or change it there\n/),
  );
  assert.match(
    cli.out,
    /\nAccounts: 2 users from \S+\/\.users, 1 access rules, which govern every path\n/,
  );
  assert.match(cli.out, /\nWarning: \$apr1\$ \(MD5\) hashes, .* for bob: /);
  assert.match(
    cli.out,
    /\nWarning: bcrypt hashes of cost below 10, .* for alice: make them again with htpasswd -B -C 10\n/,
  );
  // The rule names "/", which the folder is: no typo to warn of.
  assert.doesNotMatch(cli.out, /--access names/);
  // Bound to 127.0.0.1: no warning about plain HTTP.
  assert.doesNotMatch(cli.out, /over plain HTTP/);
  const response = await fetch(`http://127.0.0.1:${banner[2]}/hello.txt`);
  assert.equal(await response.text(), "hello\n");
  cli.kill("SIGINT");
  assert.equal((await cli.finish()).code, 0);
});

Deno.test("accounts over plain HTTP on all interfaces are warned of in the banner", async () => {
  await withAuthFile(BCRYPT, async (site, users) => {
    await using cli = new Cli(
      ["--allow-net=0.0.0.0:0,[::]:0", "--allow-read"],
      ["0", "-d", site, "--auth-file", users],
    );
    assert.ok(
      await cli.waitFor(
        /^Warning: passwords cross the network readable over plain HTTP on \S+: serve HTTPS \(--tls-cert\) or bind to 127\.0\.0\.1$/m,
      ),
      cli.out,
    );
    assert.match(
      cli.out,
      /^Accounts: 1 users from \S+, no access rules: every path needs a user$/m,
    );
    cli.kill("SIGINT");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("a folder anyone on the network may change is warned of in the banner; with --auth-file or on loopback it is not", async () => {
  await withAuthFile(BCRYPT, async (site, users) => {
    const WARNING =
      /^Warning: anyone who can reach this machine may change the folder \(--upload --delete\): make them sign in with --auth-file, or bind to 127\.0\.0\.1$/m;
    const cases: [string, string[], boolean][] = [
      ["all interfaces", ["0", "-d", site], true],
      ["accounts", ["0", "-d", site, "--auth-file", users], false],
      ["loopback", loopback(site), false],
    ];
    for (const [what, args, warned] of cases) {
      await using cli = new Cli(
        [
          "--allow-net=0.0.0.0:0,[::]:0,127.0.0.1",
          "--allow-read",
          "--allow-write",
        ],
        [...args, "--upload", "--delete"],
      );
      assert.ok(await cli.waitFor(BANNER), cli.out);
      cli.kill("SIGINT");
      const { code, stdout } = await cli.finish();
      assert.equal(code, 0);
      assert.equal(WARNING.test(stdout), warned, `${what}: ${stdout}`);
    }
  });
});

Deno.test("the banner says that the paths no rule governs need a user", async () => {
  await withAuthFile(BCRYPT, async (site, users) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", "--allow-read"],
      loopback(site, "--auth-file", users, "--access", "/pub:*=ro"),
    );
    assert.ok(await cli.waitFor(BANNER), cli.out);
    assert.ok(
      await cli.waitFor(
        /^Accounts: 1 users from \S+, 1 access rules; the paths they do not govern need a user$/m,
      ),
      cli.out,
    );
    cli.kill("SIGINT");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("the banner warns of an --access rule for a path the folder does not hold, as a typo would name", async () => {
  await withAuthFile(BCRYPT, async (site, users) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${site},${users}`],
      loopback(
        site,
        "--auth-file",
        users,
        "--access",
        "/hello.txt:*=ro",
        "--access",
        "/privat:alice=rw",
      ),
    );
    assert.ok(
      await cli.waitFor(
        /^Warning: --access names what the served folder does not hold: \/privat \(a typo\?\)$/m,
      ),
      cli.out,
    );
    cli.kill("SIGINT");
    assert.equal((await cli.finish()).code, 0);
  });
});
