// Accounts over the wire, on both faces (SimpleHTTPRequestHandler on our own
// server, createFileHandler on Deno.serve), configured by the same flags
// (--auth-file, --access) and asked the same raw bytes: every way round the
// rules that a request can try (encoded and doubled slashes, %2e%2e,
// absolute-form targets, HEAD, OPTIONS, Range, a symlink into the protected
// folder) is refused alike, and what is let in is answered alike. Then the
// same with curl -u and fetch, and CGI's AUTH_TYPE and REMOTE_USER.
import assert from "node:assert/strict";
import {
  ask,
  comparable,
  type Face,
  type FaceName,
  startFace,
} from "../support/faces.ts";
import { requiring } from "../support/tools.ts";
import { addCgiScript } from "../support/cli_process.ts";
import { CGIHTTPRequestHandler } from "../../handlers/cgi/cgi.ts";
import { SimpleHTTPRequestHandler } from "../../handlers/simple.ts";
import { parseAccounts } from "../../files/accounts/htpasswd.ts";
import { RawClient, serve, tempFolder } from "../support/helpers.ts";
import { USERS } from "../support/accounts.ts";

const basic = (user: string, password: string) =>
  `Authorization: Basic ${btoa(`${user}:${password}`)}`;
const ALICE = basic("alice", "wonderland");
const BOB = basic("bob", "builder");
const WRONG = basic("alice", "looking-glass");

/** The folder: public, private, and a symlink from one into the other. */
async function makeSite() {
  const folder = await tempFolder("httpserver-accounts-", {
    "users": USERS,
    "site/pub/a.txt": "public\n",
    "site/private/s.txt": "secret text\n",
    "site/private/sub/t.txt": "deeper\n",
    "site/top.txt": "top\n",
  });
  await Deno.symlink("../private", `${folder.root}/site/pub/inside`);
  await Deno.mkdir(`${folder.root}/site/pub/app`);
  await Deno.symlink(
    "../../private/s.txt",
    `${folder.root}/site/pub/app/index.html`,
  );
  return folder;
}

const request = (method: string, target: string, ...fields: string[]) =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${
    fields.map((field) => `${field}\r\n`).join("")
  }${method === "PUT" ? "Content-Length: 4\r\n\r\nnew\n" : "\r\n"}`;
const get = (target: string, ...fields: string[]) =>
  request("GET", target, ...fields);

const RULES = [
  "--access",
  "/pub:*=ro",
  "--access",
  "/private:alice=rw,bob=ro",
  "--access",
  "/private/sealed.txt:alice=ro",
];

/** A form's POST of one file named `name`, as the listing's form sends it. */
const form = (target: string, name: string, ...fields: string[]) => {
  const body =
    `--B\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\nnew\n\r\n--B--\r\n`;
  return `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${
    fields.map((field) => `${field}\r\n`).join("")
  }Content-Type: multipart/form-data; boundary=B\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
};

/** One request and the status both faces must answer. */
interface Case {
  name: string;
  request: string;
  status: number;
  /** Text the body must hold, or must not. */
  holds?: string;
  lacks?: string;
  /** A write: each face gets a fresh copy of the folder. */
  fresh?: boolean;
}

const SECRET = "secret text";

const CASES: Case[] = [
  { name: "a public file", request: get("/pub/a.txt"), status: 200 },
  {
    name: "a private file without credentials",
    request: get("/private/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "a path no rule names, without credentials",
    request: get("/top.txt"),
    status: 401,
  },
  {
    name: "a path no rule names, as a user",
    request: get("/top.txt", BOB),
    status: 200,
  },
  {
    name: "a private file, as alice",
    request: get("/private/s.txt", ALICE),
    status: 200,
    holds: SECRET,
  },
  {
    name: "a private file, as bob, read-only",
    request: get("/private/s.txt", BOB),
    status: 200,
    holds: SECRET,
  },
  {
    name: "a wrong password, even for a public file",
    request: get("/pub/a.txt", WRONG),
    status: 401,
  },
  {
    name: "credentials that are not Basic",
    request: get("/private/s.txt", "Authorization: Bearer abc"),
    status: 401,
  },
  {
    name: "a doubled slash",
    request: get("//private/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "slashes doubled inside",
    request: get("/pub//..//private//s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "an encoded dot-dot",
    request: get("/pub/%2e%2e/private/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "encoded slashes and dots",
    request: get("/pub%2F%2E%2E%2Fprivate%2Fs.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "an encoded letter",
    request: get("/%70rivate/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "an absolute-form target",
    request: get("http://127.0.0.1/private/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "an absolute-form target through a public path",
    request: get("http://127.0.0.1/pub/../private/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "a HEAD",
    request: request("HEAD", "/private/s.txt"),
    status: 401,
  },
  {
    name: "a range",
    request: get("/private/s.txt", "Range: bytes=0-5"),
    status: 401,
    lacks: "secret",
  },
  {
    name: "a range, as bob",
    request: get("/private/s.txt", "Range: bytes=0-5", BOB),
    status: 206,
  },
  {
    name: "an OPTIONS that is no preflight",
    request: request("OPTIONS", "/private/s.txt"),
    status: 401,
  },
  {
    name: "a CORS preflight, which carries no credentials",
    request: request(
      "OPTIONS",
      "/private/s.txt",
      "Origin: http://other.example",
      "Access-Control-Request-Method: GET",
    ),
    status: 204,
    lacks: SECRET,
  },
  {
    name: "a symlink into the private folder",
    request: get("/pub/inside/s.txt"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "a symlink into the private folder, its listing",
    request: get("/pub/inside/"),
    status: 401,
  },
  {
    name: "a symlink into the private folder, as bob",
    request: get("/pub/inside/sub/t.txt", BOB),
    status: 200,
  },
  {
    name: "an index page that is a symlink into the private folder",
    request: get("/pub/app/"),
    status: 401,
    lacks: SECRET,
  },
  {
    name: "an index page that is a symlink into the private folder, as bob",
    request: get("/pub/app/", BOB),
    status: 200,
    holds: SECRET,
  },
  {
    name: "the public listing leaves out the symlink into the private folder",
    request: get("/pub/"),
    status: 200,
    holds: "a.txt",
    lacks: "inside",
  },
  {
    name: "the public listing as bob shows it",
    request: get("/pub/", BOB),
    status: 200,
    holds: "inside",
  },
  {
    name: "the root's listing as bob, in JSON",
    request: get("/?format=json", BOB),
    status: 200,
    holds: '"private"',
  },
  {
    name: "an upload without credentials",
    request: request("PUT", "/pub/new.txt"),
    status: 401,
    fresh: true,
  },
  {
    name: "an upload to a read-only path",
    request: request("PUT", "/pub/new.txt", ALICE),
    status: 403,
    fresh: true,
  },
  {
    name: "an upload by a read-only user",
    request: request("PUT", "/private/new.txt", BOB),
    status: 403,
    fresh: true,
  },
  {
    name: "an upload through the symlink by a read-only user",
    request: request("PUT", "/pub/inside/new.txt", BOB),
    status: 403,
    fresh: true,
  },
  {
    name: "a form's file under a name that has a rule of its own",
    request: form("/private/", "sealed.txt", ALICE),
    status: 403,
    fresh: true,
  },
  {
    name: "a form's file, by alice",
    request: form("/private/", "note.txt", ALICE),
    status: 303,
    fresh: true,
  },
  {
    name: "an upload by alice",
    request: request("PUT", "/private/new.txt", ALICE),
    status: 201,
    fresh: true,
  },
];

/** One face's answer to one case, over a fresh connection. */
async function answer(name: FaceName, root: string, c: Case) {
  await using face = startFace(name, `${root}/site`, [
    "--auth-file",
    `${root}/users`,
    ...RULES,
    "--upload",
    "--cors",
  ]);
  return comparable(await ask(face, c.request));
}

Deno.test("both faces refuse every way round the access rules alike, and let in what the rules allow", async (t) => {
  await using shared = await makeSite();
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const sites = c.fresh
        ? [await makeSite(), await makeSite()]
        : [shared, shared];
      try {
        const python = await answer("python", sites[0].root, c);
        const fetched = await answer("fetch", sites[1].root, c);
        assert.equal(python.status, c.status, python.body);
        assert.deepEqual(fetched, python);
        if (c.holds) assert.ok(python.body.includes(c.holds), python.body);
        if (c.lacks) assert.ok(!python.body.includes(c.lacks), python.body);
        if (c.status === 401) {
          assert.ok(
            python.headers.some(([name, value]) =>
              name === "www-authenticate" &&
              value === 'Basic realm="httpserver", charset="UTF-8"'
            ),
            `${python.headers}`,
          );
        }
      } finally {
        if (c.fresh) {
          for (const site of sites) await site[Symbol.asyncDispose]();
        }
      }
    });
  }
});

// Deno.serve sends its own 100 Continue before any handler runs: the Python
// face alone decides.
Deno.test("access rules without accounts guard nothing: every request is refused (500), never served as if they did", async () => {
  await using site = await makeSite();
  class RulesAlone extends SimpleHTTPRequestHandler {
    override accessRules = ["/private:"];
    override logMessage(): void {}
    override logError(): void {}
  }
  await using server = serve(RulesAlone, { directory: `${site.root}/site` });
  const response = await fetch(`${server.url}/private/s.txt`);
  await response.body?.cancel();
  assert.equal(response.status, 500);
});

Deno.test("the gate asks about the file a handler's own translatePath finds, not the URL's default mapping", async () => {
  await using site = await makeSite();
  const accounts = parseAccounts(USERS);
  // A subclass that serves /docs/ from the private folder.
  class Routed extends SimpleHTTPRequestHandler {
    override accounts = accounts;
    override accessRules = ["/:*=ro", "/private:alice=ro"];
    override logMessage(): void {}
    override translatePath(path: string): string {
      return super.translatePath(path.replace(/^\/docs\//, "/private/"));
    }
  }
  await using server = serve(Routed, { directory: `${site.root}/site` });
  const status = async (headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}/docs/s.txt`, { headers });
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await status(), 401);
  const alice = ALICE.slice("Authorization: ".length);
  assert.equal(await status({ authorization: alice }), 200);
});

Deno.test("a 401 comes before 100 Continue: the body of a refused upload is never asked for", async () => {
  await using site = await makeSite();
  await using face = startFace("python", `${site.root}/site`, [
    "--auth-file",
    `${site.root}/users`,
    ...RULES,
    "--upload",
  ]);
  using client = await RawClient.connect(face.port);
  await client.send(
    "PUT /private/x.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
  );
  // Everything up to the close: a 401, and no 100 Continue before it.
  assert.match(await client.readAll(), /^HTTP\/1\.1 401 /);
});

/** Runs `curl` with `args`: its stdout. */
async function curl(...args: string[]): Promise<string> {
  const { stdout, success } = await new Deno.Command("curl", {
    args: ["-s", ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(success);
  return new TextDecoder().decode(stdout);
}

/** Serves the site on both faces, one after the other. */
async function eachFace(
  check: (face: Face, url: string) => Promise<void>,
  flags: string[] = [],
) {
  await using site = await makeSite();
  for (const name of ["python", "fetch"] as const) {
    await using face = startFace(name, `${site.root}/site`, [
      "--auth-file",
      `${site.root}/users`,
      ...RULES,
      ...flags,
    ]);
    await check(face, `http://127.0.0.1:${face.port}`);
  }
}

requiring("curl").test(
  "curl -u signs in, keep-alive and all, and without it gets the challenge",
  async () => {
    await eachFace(async (_face, url) => {
      const code = ["-o", "/dev/null", "-w", "%{http_code}"];
      assert.equal(await curl(...code, `${url}/private/s.txt`), "401");
      assert.equal(
        await curl("-u", "alice:wonderland", `${url}/private/s.txt`),
        "secret text\n",
      );
      // Two requests on one connection: the second is checked from memory.
      assert.equal(
        await curl(
          "-u",
          "bob:builder",
          `${url}/private/s.txt`,
          `${url}/private/sub/t.txt`,
        ),
        "secret text\ndeeper\n",
      );
      assert.equal(
        await curl(...code, "-u", "bob:wrong", `${url}/private/s.txt`),
        "401",
      );
      assert.equal(
        await curl(...code, "--path-as-is", `${url}/pub/../private/s.txt`),
        "401",
      );
    });
  },
);

Deno.test("fetch with credentials reads what its user may, and an upload still needs --upload", async () => {
  await eachFace(async (_face, url) => {
    const headers = { authorization: ALICE.slice("Authorization: ".length) };
    const read = await fetch(`${url}/private/s.txt`, { headers });
    assert.equal(await read.text(), "secret text\n");
    const put = await fetch(`${url}/private/new.txt`, {
      method: "PUT",
      headers,
      body: "x",
    });
    await put.body?.cancel();
    assert.equal(put.status, 501);
  });
});

requiring("python3").test(
  "a CGI script behind the accounts gets AUTH_TYPE=Basic and REMOTE_USER, and only its users reach it",
  async () => {
    await using folder = await tempFolder("httpserver-accounts-cgi-");
    await addCgiScript(
      folder.root,
      "who.sh",
      '#!/bin/sh\nprintf \'Content-Type: text/plain\\r\\n\\r\\n[%s] [%s] [%s]\\n\' "$AUTH_TYPE" "$REMOTE_USER" "$HTTP_AUTHORIZATION"\n',
    );
    // htpasswd -nbm zoë pässwörd
    const accounts = parseAccounts(
      USERS + "zoë:$apr1$D/72iYP0$mJkqYhw41aqrbkBIZGvJp0\n",
    );
    class Handler extends CGIHTTPRequestHandler {
      override accounts = accounts;
      override accessRules = [
        "/cgi-bin:alice=ro,*=ro",
        "/cgi-bin/who.sh:alice=ro,zoë=ro",
      ];
      override quiet = true;
    }
    await using running = serve(Handler, { directory: folder.root });
    const url = `${running.url}/cgi-bin/who.sh`;
    const as = (line: string) => ({
      authorization: line.slice("Authorization: ".length),
    });
    const alice = await fetch(url, { headers: as(ALICE) });
    assert.equal(await alice.text(), "[Basic] [alice] []\n");
    // A name beyond ASCII, which Python's reading of the header drops.
    const credentials = new TextEncoder().encode("zoë:pässwörd");
    const zoe = await fetch(url, {
      headers: {
        authorization: `Basic ${btoa(String.fromCharCode(...credentials))}`,
      },
    });
    assert.equal(await zoe.text(), "[Basic] [zoë] []\n");
    const bob = await fetch(url, { headers: as(BOB) });
    await bob.body?.cancel();
    assert.equal(bob.status, 403);
    const anonymous = await fetch(url);
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 401);
    // A POST changes: read-only users do not run scripts with it.
    const post = await fetch(url, {
      method: "POST",
      headers: as(ALICE),
      body: "x",
    });
    await post.body?.cancel();
    assert.equal(post.status, 403);
  },
);

for (const [name, client] of [["python", 1], ["fetch", 2]] as const) {
  Deno.test(`${name} face: behind a trusted proxy that writes X-Forwarded-For, a Forwarded the client made up buys it no more guesses`, async () => {
    await using site = await makeSite();
    await using face = startFace(name, `${site.root}/site`, [
      "--auth-file",
      `${site.root}/users`,
      ...RULES,
      "--trusted-proxy",
      "127.0.0.1",
    ]);
    const url = `http://127.0.0.1:${face.port}/pub/a.txt`;
    // As nginx passes them on: the client's own Forwarded, and the
    // X-Forwarded-For that nginx ends with the client's address.
    const status = async (credentials: string, headers: HeadersInit) => {
      const response = await fetch(url, {
        headers: {
          ...headers,
          authorization: credentials.slice("Authorization: ".length),
        },
      });
      await response.body?.cancel();
      return response.status;
    };
    const guesser = `203.0.113.${client}`;
    for (let i = 0; i < 10; i++) {
      const made = { forwarded: `for=198.51.100.${10 * client + i}` };
      assert.equal(
        await status(WRONG, { ...made, "x-forwarded-for": guesser }),
        401,
      );
    }
    assert.equal(
      await status(ALICE, {
        forwarded: "for=198.51.100.99",
        "x-forwarded-for": guesser,
      }),
      429,
    );
    assert.equal(await status(ALICE, { "x-forwarded-for": guesser }), 429);
    // Another client behind the proxy signs in meanwhile.
    assert.equal(
      await status(ALICE, { "x-forwarded-for": `203.0.113.${client + 10}` }),
      200,
    );
  });
}

for (const name of ["python", "fetch"] as const) {
  Deno.test(`${name} face: a request on a connection where another signed in is checked afresh, after an upload's 100 Continue too`, async () => {
    await using site = await makeSite();
    await using face = startFace(name, `${site.root}/site`, [
      "--auth-file",
      `${site.root}/users`,
      ...RULES,
      "--upload",
    ]);
    {
      // Pipelined: the second carries no credentials.
      using client = await RawClient.connect(face.port);
      await client.send(get("/private/s.txt", ALICE) + get("/private/s.txt"));
      assert.equal((await client.readResponse()).status, 200);
      assert.equal((await client.readResponse()).status, 401);
    }
    using client = await RawClient.connect(face.port);
    await client.send(
      `PUT /private/new.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n${ALICE}\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n`,
    );
    assert.equal((await client.readResponse(true)).status, 100);
    await client.send("new\n" + get("/private/s.txt"));
    assert.equal((await client.readResponse()).status, 201);
    assert.equal((await client.readResponse()).status, 401);
  });
}
