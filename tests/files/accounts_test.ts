// Accounts in the core: htpasswd files as Debian's htpasswd writes them,
// the access rules, and the gate every request passes (files/accounts/),
// without a socket. The faces are tested over the wire in
// tests/handlers/accounts_test.ts.
import assert from "node:assert/strict";
import {
  decoyHash,
  loadAccounts,
  MAX_PASSWORD_BYTES,
  MAX_VERIFIED,
  parseAccounts,
} from "../../files/accounts/htpasswd.ts";
import { parseAccessRules } from "../../files/accounts/rules.ts";
import {
  AccountGate,
  basicCredentials,
  CHALLENGE,
  type GateRequest,
} from "../../files/accounts/gate.ts";
import {
  failureTable,
  FailureThrottle,
  MAX_ADDRESSES,
  MAX_CHECKING,
  MAX_FAILURES,
  throttleKey,
} from "../../files/accounts/throttle.ts";
import type { Access } from "../../files/access.ts";
import { HttpError } from "../../util/errors.ts";
import { listFolder } from "../../files/listing/service.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { requiring } from "../support/tools.ts";
import { tempFolder } from "../support/helpers.ts";
import { ALICE_LINE } from "../support/accounts.ts";

/** `user:hash` as `htpasswd -nb<flag>` prints it. */
async function htpasswd(flag: string, user: string, password: string) {
  const { stdout, success } = await new Deno.Command("htpasswd", {
    args: [`-nb${flag}`, user, password],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(success);
  return new TextDecoder().decode(stdout).trim();
}

const basic = (user: string, password: string) =>
  "Basic " + btoa(String.fromCharCode(
    ...new TextEncoder().encode(`${user}:${password}`),
  ));

requiring("htpasswd").test(
  "hashes made by Debian's htpasswd -B (bcrypt) and -m ($apr1$) verify, and wrong passwords do not",
  async () => {
    const text = [
      await htpasswd("B", "alice", "correct horse"),
      await htpasswd("m", "bob", "bobs pass"),
      await htpasswd("B", "zoë", "pässwörd"),
      await htpasswd("m", "zaïd", "mötley crüe"),
    ].join("\n") + "\n";
    assert.match(text, /^alice:\$2y\$/);
    assert.match(text, /\nbob:\$apr1\$/);
    const accounts = parseAccounts(text, "users");
    assert.deepEqual(accounts.users, ["alice", "bob", "zoë", "zaïd"]);
    assert.deepEqual(accounts.weakUsers, ["bob", "zaïd"]);
    assert.equal(await accounts.verify("alice", "correct horse"), true);
    assert.equal(await accounts.verify("alice", "correct horse "), false);
    assert.equal(await accounts.verify("bob", "bobs pass"), true);
    assert.equal(await accounts.verify("bob", "bobs pas"), false);
    assert.equal(await accounts.verify("zoë", "pässwörd"), true);
    assert.equal(await accounts.verify("zaïd", "mötley crüe"), true);
    assert.equal(await accounts.verify("zaïd", "motley crue"), false);
    assert.equal(await accounts.verify("carol", "correct horse"), false);
    // A second check of the same credentials is remembered, and still true.
    assert.equal(await accounts.verify("alice", "correct horse"), true);
  },
);

requiring("htpasswd").test(
  "a password as long as htpasswd takes verifies; a longer one is wrong, never hashed",
  async () => {
    const longest = "pässwörd".repeat(25) +
      "x".repeat(MAX_PASSWORD_BYTES - 250);
    assert.equal(new TextEncoder().encode(longest).length, MAX_PASSWORD_BYTES);
    const accounts = parseAccounts(await htpasswd("m", "bob", longest));
    assert.equal(await accounts.verify("bob", longest), true);
    assert.equal(await accounts.verify("bob", longest + "x"), false);
    // MD5-crypt hashes the password a thousand times: a header's worth of
    // it is refused before, not hashed (it overflowed the stack too).
    assert.equal(await accounts.verify("bob", "x".repeat(200_000)), false);
    assert.equal(await accounts.verify("carol", "x".repeat(200_000)), false);
  },
);

Deno.test("an unknown user is checked against a hash as costly as the costliest user's, whoever comes first", async () => {
  const apr1 = "$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0";
  const cost10 = "$2y$10$nSG9Qrx9IgcmCmW.nuCMj.oZrORMODoTpLCWQr5FAYZNVz/1/GXTK";
  const cost12 = "$2b$12$" + "x".repeat(53);
  assert.equal(decoyHash([apr1, cost10, cost12]).slice(0, 7), "$2b$12$");
  assert.equal(decoyHash([cost12, apr1, cost10]).slice(0, 7), "$2b$12$");
  assert.match(decoyHash([apr1]), /^\$apr1\$/);
  // The decoy is a well-formed hash of its format, which no password meets.
  const accounts = parseAccounts(`bob:${apr1}\nalice:${cost10}\n`);
  assert.equal(await accounts.verify("carol", ""), false);
});

Deno.test("a wrong password of a user whose hash is cheaper than the costliest answers no sooner than a name not in the file", async () => {
  // htpasswd -nbB -C 11 carol pw: about 100 times the cost of apr1's check.
  const cost11 = "$2y$11$zl/26VGFYiRjRloEtq5LwOU8nmQ2EY8tPLXkT7Qxe6p2RBPgG8iIm";
  const accounts = parseAccounts(
    `bob:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\nalice:${
      ALICE_LINE.slice("alice:".length)
    }\ncarol:${cost11}\n`,
  );
  // Taken in turns, so that a loaded machine slows each alike: the least
  // time of five wrong passwords of each, in ms.
  const users = ["nobody", "bob", "alice"];
  const least = new Map(users.map((user) => [user, Infinity]));
  for (let i = 0; i < 5; i++) {
    for (const user of users) {
      const start = performance.now();
      assert.equal(await accounts.verify(user, `wrong ${i}`), false);
      least.set(user, Math.min(least.get(user)!, performance.now() - start));
    }
  }
  const unknown = least.get("nobody")!;
  // A third: without the decoy, a twentieth or less.
  for (const user of ["bob", "alice"]) {
    const known = least.get(user)!;
    assert.ok(
      known > unknown / 3,
      `${user}: ${known} ms, unknown ${unknown} ms`,
    );
  }
});

Deno.test("checks that come together share one run, a remembered one answers at once, and a changed hash is checked afresh", async () => {
  // htpasswd -nbB -C 10 alice pw
  const hash = "$2y$10$nSG9Qrx9IgcmCmW.nuCMj.oZrORMODoTpLCWQr5FAYZNVz/1/GXTK";
  const accounts = parseAccounts(`alice:${hash}\n`);
  const together = [1, 2, 3].map(() => accounts.verify("alice", "pw"));
  assert.equal(together[0], together[1]);
  assert.equal(together[0], together[2]);
  assert.deepEqual(await Promise.all(together), [true, true, true]);
  // Remembered: settled before any timer can fire, so no bcrypt ran.
  const first = await Promise.race([
    accounts.verify("alice", "pw").then((ok) => ok ? "remembered" : "wrong"),
    new Promise((resolve) => setTimeout(() => resolve("timer"), 0)),
  ]);
  assert.equal(first, "remembered");
  // The same password against another hash (another salt) is not taken
  // from memory.
  const other = parseAccounts(`alice:${hash.replace("nSG9", "nSG8")}\n`);
  assert.equal(await other.verify("alice", "pw"), false);
  assert.ok(MAX_VERIFIED >= 1);
});

Deno.test("any other line of an auth file is refused, naming the file and line", () => {
  const cases: [string, RegExp][] = [
    ["alice:plaintext\n", /^users:1: user 'alice': not a bcrypt/],
    [
      "# a comment\n\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
      /^users:3: user 'bob': not a bcrypt/,
    ],
    ["carol:abJnggxhB/yWI\n", /^users:1: user 'carol'/],
    ["no colon here\n", /^users:1: not a user:hash line/],
    [":$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\n", /^users:1: not a user/],

    [
      "a:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\na:$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0\n",
      /^users:2: user 'a' is named twice/,
    ],
    [
      "\n# nobody\n",
      /^users: no user \(htpasswd -B -C 10 FILE NAME adds one\)$/,
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseAccounts(text, "users"),
      (error: Error) =>
        error.name === "AccountsError" && message.test(error.message),
      text,
    );
  }
});

Deno.test("loadAccounts names a file it cannot read", () => {
  assert.throws(
    () => loadAccounts("/nonexistent/users"),
    /^AccountsError: cannot read the auth file '\/nonexistent\/users': No such file/,
  );
});

Deno.test("the rule of the longest path wins, by whole components, and its list is complete", () => {
  const rules = parseAccessRules([
    "/:*=ro",
    "/private:alice=rw,bob=ro",
    "/private/bob:bob=rw",
    "/shut:",
    "/%70ub/../drop/:*=rw",
  ]);
  const table: [string | null, string, string | null][] = [
    [null, "/", "ro"],
    [null, "/docs/a.txt", "ro"],
    ["carol", "/docs/a.txt", "ro"],
    [null, "/private", null],
    [null, "/private/a.txt", null],
    ["alice", "/private/a.txt", "rw"],
    ["bob", "/private/a.txt", "ro"],
    ["carol", "/private/a.txt", null],
    ["bob", "/private/bob/x", "rw"],
    ["alice", "/private/bob/x", null],
    // "/priv" and "/privateer" are not under "/private".
    ["carol", "/privateer", "ro"],
    ["alice", "/shut/a", null],
    [null, "/drop/x", "rw"],
  ];
  for (const [user, path, mode] of table) {
    assert.equal(rules.mode(user, path), mode, `${user} at ${path}`);
  }
  // Without any rule: every user may change everything, no one else anything.
  const open = parseAccessRules([]);
  assert.equal(open.mode("alice", "/x"), "rw");
  assert.equal(open.mode(null, "/x"), null);
  assert.deepEqual(rules.users.sort(), ["alice", "bob"]);
});

Deno.test("the rules tell whether every rule inside a path grants a user a level, the path's own rule left out", () => {
  const rules = parseAccessRules([
    "/:*=ro",
    "/inbox:*=rw",
    "/inbox/archive:*=ro,bob=rw",
    "/inbox/box/keep:alice=rw",
  ], false);
  const table: [string | null, string, "ro" | "rw", boolean][] = [
    ["alice", "/inbox", "rw", false],
    ["bob", "/inbox", "rw", false],
    ["bob", "/inbox/archive", "rw", true],
    ["alice", "/inbox/archive", "rw", true],
    ["alice", "/inbox/box", "rw", true],
    [null, "/inbox/box", "ro", false],
    [null, "/inbox/bo", "ro", true],
    ["alice", "/", "ro", true],
    [null, "/", "ro", false],
    ["alice", "/inbox/a.txt", "rw", true],
  ];
  for (const [user, path, level, granted] of table) {
    assert.equal(
      rules.grantsInside(user, path, level),
      granted,
      `${user} inside ${path}`,
    );
  }
  const folded = parseAccessRules(["/a/B:alice=ro"], true);
  assert.equal(folded.grantsInside("alice", "/A", "rw"), false);
  assert.equal(folded.grantsInside("alice", "/A", "ro"), true);
});

Deno.test("where the file system ignores case, so do the rules", () => {
  const folded = parseAccessRules(["/private:alice=ro"], true);
  assert.equal(folded.mode(null, "/PRIVATE/s.txt"), null);
  assert.equal(folded.mode("alice", "/Private/s.txt"), "ro");
  assert.equal(folded.mode("bob", "/Private/s.txt"), null);
  assert.throws(
    () => parseAccessRules(["/a:*=ro", "/A:*=rw"], true),
    /\/A has a rule already/,
  );
});

Deno.test("where the file system may ignore case or Unicode form, a path is governed by the lesser of its own rule and the rule of its folded form", () => {
  // Linux serves vfat, exFAT, SMB shares and casefold folders too, which
  // find /PRIVATE and an NFD /privé by these names, whatever the platform.
  const rules = parseAccessRules(
    ["/:*=ro,alice=rw,bob=rw", "/private:alice=rw", "/priv\u00e9:alice=ro"],
    false,
  );
  assert.equal(rules.mode(null, "/PRIVATE/s.txt"), null);
  assert.equal(rules.mode("bob", "/Private/s.txt"), null);
  assert.equal(rules.mode("alice", "/PRIVATE/s.txt"), "rw");
  assert.equal(rules.mode("bob", "/prive\u0301/s.txt"), null);
  assert.equal(rules.mode("alice", "/PRIVE\u0301/s.txt"), "ro");
  assert.equal(rules.mode("bob", "/privateer"), "rw");
  // Rules for two names of one folded form: each path gets the lesser.
  const both = parseAccessRules(["/a:*=ro,bob=rw", "/A:bob=ro"], false);
  assert.equal(both.mode("bob", "/a/x"), "ro");
  assert.equal(both.mode(null, "/A/x"), null);
  assert.equal(both.mode(null, "/b"), null);
  assert.equal(both.mode("bob", "/b"), "rw");
});

Deno.test("a rule that cannot be read is refused with what is wrong", () => {
  const cases: [string[], RegExp][] = [
    [
      ["private:alice=rw"],
      /PATH is the path in URLs, from \/: \/private:alice=rw/,
    ],
    [["/private"], /a rule is PATH:WHO=MODE/],
    [["/private:alice=rx"], /'alice=rx' is not WHO=ro or WHO=rw/],
    [["/private:alice=rw,alice=ro"], /alice is named twice/],
    [["/a:*=ro", "/a/:alice=rw"], /\/a has a rule already/],
  ];
  for (const [texts, message] of cases) {
    assert.throws(() => parseAccessRules(texts), message, texts.join(" "));
  }
});

Deno.test("Basic credentials are base64 of UTF-8 user:password; anything else is none", () => {
  assert.deepEqual(basicCredentials(basic("zoë", "a:b")), {
    user: "zoë",
    password: "a:b",
  });
  assert.deepEqual(basicCredentials("basic " + btoa("u:")), {
    user: "u",
    password: "",
  });
  for (
    const value of [
      "Bearer abc",
      "Basic",
      "Basic !!!",
      "Basic " + btoa("no colon"),
      "Basic " + btoa("\xff\xfe:x"),
    ]
  ) {
    assert.equal(basicCredentials(value), null, value);
  }
});

Deno.test("an address is refused for a while after repeated failures, and a success of the user they named starts the count again", () => {
  const throttle = new FailureThrottle();
  for (let i = 1; i < MAX_FAILURES; i++) {
    assert.equal(throttle.failed("a", i, "alice"), false);
  }
  throttle.succeeded("a", "alice", 50);
  for (let i = 1; i < MAX_FAILURES; i++) throttle.failed("a", 100 + i);
  assert.equal(throttle.blockedFor("a", 200), 0);
  assert.equal(throttle.failed("a", 200), true);
  assert.equal(throttle.blockedFor("a", 200), 60);
  assert.equal(throttle.blockedFor("b", 200), 0);
  assert.equal(throttle.blockedFor("a", 60_200), 0);
  // Failures a minute apart never add up.
  for (let i = 0; i < 2 * MAX_FAILURES; i++) {
    assert.equal(throttle.failed("c", i * 61_000), false);
  }
});

Deno.test("throttles on one table count one address's failures together; each other throttle counts alone", () => {
  const table = failureTable();
  const [one, two] = [new FailureThrottle(table), new FailureThrottle(table)];
  const alone = new FailureThrottle();
  for (let i = 1; i < MAX_FAILURES; i++) {
    assert.equal((i % 2 ? one : two).failed("a", i, "alice"), false);
    alone.failed("a", i, "alice");
  }
  assert.equal(two.failed("a", 20, "bob"), true);
  assert.equal(one.blockedFor("a", 20), 60);
  assert.equal(alone.blockedFor("a", 20), 0);
  // A success seen by one is seen by the other.
  for (let i = 1; i < MAX_FAILURES; i++) one.failed("b", i, "alice");
  two.succeeded("b", "alice", 50);
  assert.equal(one.failed("b", 60, "alice"), false);
});

Deno.test("the table holds a bounded number of addresses, the least recently failing replaced", () => {
  const throttle = new FailureThrottle();
  for (let i = 1; i < MAX_FAILURES; i++) throttle.failed("kept", i);
  for (let i = 0; i < 4 * MAX_ADDRESSES; i++) {
    throttle.failed(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 100 + i);
  }
  // Failing again starts afresh: its failures were replaced.
  assert.equal(throttle.failed("kept", 50_000), false);
  for (let i = 1; i < MAX_FAILURES - 1; i++) throttle.failed("kept", 50_000);
  assert.equal(throttle.failed("kept", 50_000), true);
});

Deno.test("failures are counted by an IPv6 address's /64, which one host holds whole; IPv4 and IPv4-mapped by the address", () => {
  assert.equal(throttleKey("2001:db8:0:1::7"), "2001:db8:0:1::/64");
  assert.equal(throttleKey("2001:DB8:0:0001:ffff:1:2:3"), "2001:db8:0:1::/64");
  assert.equal(throttleKey("[2001:db8::1]"), "2001:db8:0:0::/64");
  assert.equal(throttleKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(throttleKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(throttleKey("::ffff:c000:201"), "192.0.2.1");
  assert.equal(throttleKey("192.0.2.9"), "192.0.2.9");
  for (const other of ["-", "/run/http.sock", "1:2:3:4:5:6:7:8:9", "1:::2"]) {
    assert.equal(throttleKey(other), other);
  }
});

Deno.test("signing in to one's own account does not start the count again for guesses at another's", () => {
  const throttle = new FailureThrottle();
  for (let i = 1; i < MAX_FAILURES; i++) throttle.failed("a", i, "alice");
  throttle.succeeded("a", "mallory", 50);
  assert.equal(throttle.failed("a", 60, "alice"), true);
  // Nor does a success while blocked lift the block.
  throttle.succeeded("a", "alice", 70);
  assert.equal(throttle.blockedFor("a", 70), 60);
  // Failures naming several users: no one's success clears them.
  for (let i = 1; i < MAX_FAILURES; i++) {
    throttle.failed("b", i, i % 2 ? "alice" : "bob");
  }
  throttle.succeeded("b", "alice", 50);
  assert.equal(throttle.failed("b", 60, "alice"), true);
});

/** A folder with a public and a private part, a symlink from one to the other. */
async function site() {
  const folder = await tempFolder("accounts-", {
    "pub/a.txt": "a\n",
    "private/s.txt": "secret\n",
    "private/deep/d.txt": "deep\n",
  });
  await Deno.symlink(`${folder.root}/private`, `${folder.root}/pub/inside`);
  await Deno.symlink("../private/s.txt", `${folder.root}/pub/s-link.txt`);
  return folder;
}

const APR1 = "$apr1$sNTaozcN$acRCb7bEKXmX6LTv5lxMm0"; // "secret"

function gateFor(root: string, rules: string[]) {
  const accounts = parseAccounts(`alice:${APR1}\nbob:${APR1}\n`);
  return new AccountGate(accounts, parseAccessRules(rules), root);
}

function request(
  method: string,
  target: string,
  fields: Record<string, string> = {},
  client = "192.0.2.7",
): GateRequest {
  const headers = new Headers(fields);
  return { method, target, header: (name) => headers.get(name), client };
}

async function refusal(promise: Promise<Access>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return error;
  }
  assert.fail("let in");
}

Deno.test("the gate: 401 with the challenge without credentials, 403 without the right, and the real path of a symlink counts", async () => {
  await using folder = await site();
  const gate = gateFor(folder.root, ["/pub:*=ro", "/private:alice=rw"]);
  const log = () => {};
  const alice = { authorization: basic("alice", "secret") };
  const bob = { authorization: basic("bob", "secret") };

  const anonymous = await gate.admit(request("GET", "/pub/a.txt"), log);
  assert.equal(anonymous.user, null);
  assert.equal(anonymous.allows("/pub/a.txt", "read"), true);
  assert.equal(anonymous.allows("/pub/a.txt", "write"), false);

  const challenged = await refusal(
    gate.admit(request("GET", "/private/s.txt"), log),
  );
  assert.equal(challenged.status, 401);
  assert.deepEqual(challenged.headers, [["WWW-Authenticate", CHALLENGE]]);
  assert.equal(CHALLENGE, 'Basic realm="httpserver", charset="UTF-8"');

  for (
    const target of [
      "/pub/inside/s.txt",
      "/pub/s-link.txt",
      "/pub/inside/deep/",
      "/pub/inside/new.txt",
      "/pub/%2e%2e/private/s.txt",
      "http://evil.example/private/s.txt",
    ]
  ) {
    assert.equal(
      (await refusal(gate.admit(request("GET", target), log))).status,
      401,
      target,
    );
    assert.equal(
      (await refusal(gate.admit(request("GET", target, bob), log))).status,
      403,
      target,
    );
    assert.equal(
      (await gate.admit(request("GET", target, alice), log)).user,
      "alice",
    );
  }
  // Writing: only alice, only in /private; anonymous read does not write.
  assert.equal(
    (await refusal(gate.admit(request("PUT", "/pub/new.txt"), log))).status,
    401,
  );
  assert.equal(
    (await refusal(gate.admit(request("DELETE", "/pub/a.txt", alice), log)))
      .status,
    403,
  );
  await gate.admit(request("PUT", "/private/new.txt", alice), log);
  // Both the URL's path and the real one must allow it: /pub is read-only.
  assert.equal(
    (await refusal(
      gate.admit(request("MKCOL", "/pub/inside/new/", alice), log),
    ))
      .status,
    403,
  );
  // A preflight carries no credentials: let in, as no one.
  const preflight = await gate.admit(
    request("OPTIONS", "/private/s.txt", {
      origin: "http://other.example",
      "access-control-request-method": "GET",
    }),
    log,
  );
  assert.equal(preflight.allows("/private/s.txt", "read"), false);
  // A plain OPTIONS asks about the path: it needs the right to read it.
  assert.equal(
    (await refusal(gate.admit(request("OPTIONS", "/private/"), log))).status,
    401,
  );
});

Deno.test("the gate: wrong credentials are 401 even where anyone may read, and repeated ones from one address are refused with 429", async () => {
  await using folder = await site();
  const gate = gateFor(folder.root, ["/pub:*=ro"]);
  const lines: string[] = [];
  const log = (format: string, ...args: unknown[]) =>
    lines.push(`${format} ${args.join(" ")}`);
  const wrong = { authorization: basic("alice", "guess") };
  const client = "198.51.100.9";
  for (let i = 0; i < MAX_FAILURES; i++) {
    const error = await refusal(
      gate.admit(request("GET", "/pub/a.txt", wrong, client), log),
    );
    assert.equal(error.status, 401);
  }
  assert.ok(lines.some((line) => line.includes('user "alice"')), `${lines}`);
  assert.ok(
    lines.some((line) => line.startsWith("refusing credentials from %s")),
    `${lines}`,
  );
  const right = { authorization: basic("alice", "secret") };
  const blocked = await refusal(
    gate.admit(request("GET", "/pub/a.txt", right, client), log),
  );
  assert.equal(blocked.status, 429);
  assert.equal(blocked.headers[0][0], "Retry-After");
  assert.ok(Number(blocked.headers[0][1]) > 0);
  // Guesses sent at once: those whose check ends once the address is
  // blocked are 429, even the right one, so they learn no more than
  // guesses sent one by one. (Each checked afresh: none remembered.)
  const carol = new AccountGate(
    parseAccounts("carol:$apr1$W6xCH4dO$oa6h7/.MvFRXnPJgIzhCJ.\n"),
    parseAccessRules([]),
    folder.root,
  );
  const guess = (i: number) => ({
    authorization: basic("carol", `guess ${i}`),
  });
  const carols = { authorization: basic("carol", "carols pass") };
  const together = async (address: string, all: Record<string, string>[]) => {
    const statuses = [];
    const admits = all.map((fields) =>
      carol.admit(request("GET", "/pub/a.txt", fields, address), log)
    );
    for (const admit of admits) statuses.push((await refusal(admit)).status);
    return statuses;
  };
  const seeded = "198.51.100.11";
  assert.deepEqual(await together(seeded, [guess(-1)]), [401]);
  const rest = Array.from({ length: MAX_FAILURES - 1 }, (_, i) => guess(i));
  assert.deepEqual(
    await together(seeded, [...rest, carols]),
    [...Array(MAX_FAILURES - 1).fill(401), 429],
  );
  // Guesses from many addresses of one /64 are one guesser's.
  for (let i = 0; i < MAX_FAILURES; i++) {
    await refusal(
      gate.admit(request("GET", "/pub/a.txt", wrong, `2001:db8:7::${i}`), log),
    );
  }
  assert.equal(
    (await refusal(
      gate.admit(request("GET", "/pub/a.txt", right, "2001:db8:7::ff"), log),
    )).status,
    429,
  );
  // And no more than MAX_CHECKING checks of one address run at once: the
  // next is refused before it costs a hash.
  const many = Array.from({ length: MAX_CHECKING + 1 }, (_, i) => guess(i));
  lines.length = 0;
  const statuses = await together("198.51.100.12", many);
  assert.equal(statuses.at(-1), 429);
  assert.ok(
    lines.some((line) => line.includes("too many checks under way")),
    `${lines}`,
  );
  // Without credentials, what anyone may read stays readable; another
  // address is not blocked.
  await gate.admit(request("GET", "/pub/a.txt", {}, client), log);
  await gate.admit(request("GET", "/pub/a.txt", right, "198.51.100.10"), log);
});

Deno.test("the gate: ?login asks for credentials where anyone may read, so that a browser can sign in there, and is ignored once signed in", async () => {
  await using folder = await site();
  const gate = gateFor(folder.root, ["/:*=ro", "/private:alice=rw"]);
  const log = () => {};
  for (
    const target of ["/?login", "/pub/?sort=name&login=1", "/pub/a.txt?login"]
  ) {
    const challenged = await refusal(gate.admit(request("GET", target), log));
    assert.equal(challenged.status, 401, target);
    assert.deepEqual(challenged.headers, [["WWW-Authenticate", CHALLENGE]]);
  }
  const alice = { authorization: basic("alice", "secret") };
  assert.equal(
    (await gate.admit(request("GET", "/?login", alice), log)).user,
    "alice",
  );
  // Without it, anyone reads as before; a value named otherwise is no login.
  assert.equal((await gate.admit(request("GET", "/?q=login"), log)).user, null);
  assert.equal(
    (await gate.admit(request("GET", "/pub/#login"), log)).user,
    null,
  );
});

Deno.test("the auth file in the folder is no one's by a name of another case or Unicode form, which some file systems find it by", async () => {
  await using folder = await tempFolder("accounts-", {
    "htpasswd": `alice:${APR1}\n`,
    "Zoë/users": `alice:${APR1}\n`,
  });
  for (const file of ["htpasswd", "Zoë/users"]) {
    const accounts = loadAccounts(`${folder.root}/${file}`);
    for (const rules of [[], ["/:alice=rw"]]) {
      const gate = new AccountGate(
        accounts,
        parseAccessRules(rules, false),
        folder.root,
      );
      const access = await gate.admit(
        request("GET", "/", { authorization: basic("alice", "secret") }),
        () => {},
      );
      for (
        const path of file === "htpasswd"
          ? ["/htpasswd", "/HTPASSWD", "/htPasswd"]
          : ["/Zoë/users", "/zoe\u0308/USERS"]
      ) {
        assert.equal(access.allows(path, "read"), false, path);
      }
      assert.equal(access.allows("/other", "read"), true);
    }
  }
});

Deno.test("a rule that names a user the auth file lacks is refused", () => {
  assert.throws(
    () => gateFor("/tmp", ["/x:carol=ro"]),
    /an access rule names 'carol', who is not in the auth file/,
  );
});

Deno.test("a listing leaves out the entries its Access does not let the user read, symlinks by their real path", async () => {
  await using folder = await site();
  const options = {
    directory: folder.root,
    listing: true,
    jsonListing: true,
    prettyListing: false,
    showHidden: true,
    upload: false,
  };
  const sandbox = new Sandbox(folder.root, () => {});
  const hidden = (path: string) => path.startsWith("/private");
  const access: Access = {
    user: "bob",
    allows: (path) => !hidden(path),
  };
  const names = async (page: Promise<{ body: unknown }>) => {
    const { body } = await page;
    const text = new TextDecoder().decode(body as Uint8Array);
    return (JSON.parse(text) as { name: string }[]).map((e) => e.name);
  };
  const json = "application/json";
  assert.deepEqual(
    await names(listFolder(folder.root, "/", json, options, sandbox, access)),
    ["pub"],
  );
  // The hand-made Access reads URL paths only; the gate's reads real paths.
  const gate = gateFor(folder.root, ["/pub:*=ro,bob=ro", "/private:alice=ro"]);
  const bob = await gate.admit(
    request("GET", "/pub/", { authorization: basic("bob", "secret") }),
    () => {},
  );
  const pub = `${folder.root}/pub`;
  assert.deepEqual(
    await names(listFolder(pub, "/pub/", json, options, sandbox, bob)),
    ["a.txt"],
  );
  assert.deepEqual(
    await names(listFolder(pub, "/pub/", json, options, sandbox)),
    ["a.txt", "inside", "s-link.txt"],
  );
  // Python's page, filtered, is still measured right.
  const page = await listFolder(pub, "/pub/", null, options, sandbox, bob);
  const html = new TextDecoder().decode(page.body as Uint8Array);
  assert.ok(html.includes('href="a.txt"') && !html.includes("inside"), html);
});

Deno.test("the gate's Access tells whether a rule inside a folder keeps a path from the user, through the folder's real path too", async () => {
  await using folder = await site();
  const gate = gateFor(folder.root, [
    "/pub:alice=rw",
    "/private:alice=rw",
    "/private/deep:alice=ro",
  ]);
  const alice = await gate.admit(
    request("GET", "/pub/", { authorization: basic("alice", "secret") }),
    () => {},
  );
  assert.equal(alice.allowsInside?.("/private", "write"), false);
  assert.equal(alice.allowsInside?.("/private", "read"), true);
  assert.equal(alice.allowsInside?.("/private/deep", "write"), true);
  // /pub/inside is /private: its rules count.
  assert.equal(alice.allowsInside?.("/pub/inside", "write"), false);
  // What a symlink inside leads to is not looked at: DELETE walks for that.
  assert.equal(alice.allowsInside?.("/pub", "write"), true);
});

Deno.test("a listing's marks are the user's and are decided anew: a symlink led elsewhere changes them", async () => {
  await using folder = await site();
  const gate = gateFor(folder.root, ["/pub:alice=rw,bob=rw", "/private:*=ro"]);
  const options = {
    directory: folder.root,
    listing: true,
    jsonListing: false,
    prettyListing: false,
    showHidden: true,
    upload: false,
    delete: true,
  };
  const sandbox = new Sandbox(folder.root, () => {});
  const pub = `${folder.root}/pub`;
  const marked = async (user: string) => {
    const access = await gate.admit(
      request("GET", "/pub/", { authorization: basic(user, "secret") }),
      () => {},
    );
    const page = await listFolder(pub, "/pub/", null, options, sandbox, access);
    const html = new TextDecoder().decode(page.body as Uint8Array);
    return [...html.matchAll(/<a href="([^"]*)" data-fixed>/g)].map((
      [, href],
    ) => href);
  };
  // Both lead into /private, which no one may change.
  assert.deepEqual(await marked("alice"), ["inside/", "s-link.txt"]);
  await Deno.remove(`${pub}/s-link.txt`);
  await Deno.symlink("a.txt", `${pub}/s-link.txt`);
  assert.deepEqual(await marked("alice"), ["inside/"]);
  assert.deepEqual(await marked("bob"), ["inside/"]);
});
