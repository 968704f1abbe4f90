// Least privilege, stated and tested: each row of README.md's permissions
// table is run here with exactly its permission flags and no more
// (`--no-prompt`, so nothing ever prompts), and proven to work; for the
// command line, each flag is also left out in turn, and the message must
// name it (and only it), with exit status 1. The README's command is checked to be
// in README.md verbatim, so the table and these tests cannot drift apart.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  addCgiScript,
  BANNER,
  Cli,
  missingPermissions,
  run,
  withFolder,
} from "../support/cli_process.ts";
import { RawClient, tempFolder } from "../support/helpers.ts";
import { makeCerts, pemFolder } from "../support/tls_fixture.ts";
import { requiring } from "../support/tools.ts";

/** The tests that make a certificate with openssl. */
const openssl = requiring("openssl");
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG = `${ROOT}deno.json`;
const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const README = await Deno.readTextFile(`${ROOT}README.md`);
const PERMISSIONS = README.slice(
  README.indexOf("\n## Permissions\n"),
  README.indexOf("\n## ", README.indexOf("\n## Permissions\n") + 1),
);

/** Asserts that README.md's permissions table has `text` in a row. */
function documented(text: string): void {
  assert.ok(
    PERMISSIONS.split("\n").some((row) =>
      row.startsWith("|") && row.includes(text)
    ),
    `README.md's permissions table lists ${text}`,
  );
}

/** A port that was free a moment ago on every interface. */
function freePort(): number {
  using listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  return listener.addr.port;
}

/**
 * A folder to serve: `hello.txt`, `sub/`, and an executable
 * `cgi-bin/hello.sh`, readable by anyone (CGI scripts run as `nobody` when
 * the tests run as root).
 */
async function withSite(fn: (dir: string) => Promise<void>): Promise<void> {
  await withFolder(async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    await addCgiScript(
      dir,
      "hello.sh",
      "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhello from %s\\n' \"$REQUEST_METHOD\"\n",
    );
    await fn(dir);
  });
}

/** GET `path` from 127.0.0.1:`port`: status and body. */
async function get(port: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** POST to `cgi-bin/hello.sh` of {@link withSite} runs it; files are served. */
async function runsHelloScript(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/cgi-bin/hello.sh`, {
    method: "POST",
    body: "x",
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "hello from POST\n");
  assert.equal((await get(port, "/hello.txt")).body, "hello\n");
}

/**
 * A README command line made runnable here: `jsr:@x/httpserver` is this
 * repository's mod.ts, its port is `port`, `/srv/www` is `folder`,
 * `/etc/httpserver` is `pem`.
 */
function localize(
  command: string,
  port: number,
  folder: string,
  pem = "/etc/httpserver",
) {
  const words = command.replaceAll("/srv/www", folder)
    .replaceAll("/etc/httpserver", pem)
    .replace(/:(8000|8080|8443)\b/g, `:${port}`)
    .split(" ")
    .map((word) => /^(8000|8080|8443)$/.test(word) ? String(port) : word);
  assert.deepEqual(words.slice(0, 2), ["deno", "run"]);
  const module = words.indexOf("jsr:@x/httpserver");
  assert.ok(module > 0);
  const permissions = words.slice(2, module);
  const args = words.slice(module + 1);
  // The README's port is a default or an argument; here it must be given.
  if (!args.includes(String(port))) args.unshift(String(port));
  return { permissions, args };
}

/** Starts the CLI as README's `command` says, checks it serves, stops it. */
async function serves(
  command: string,
  dir: string,
  check: (port: number) => Promise<void>,
) {
  const port = freePort();
  const { permissions, args } = localize(command, port, dir);
  await using cli = new Cli(permissions, args, { cwd: dir });
  const banner = await cli.waitFor(BANNER);
  assert.ok(banner, `banner printed: ${cli.out}`);
  assert.equal(Number(banner[2]), port);
  await check(port);
  cli.kill("SIGINT");
  const { code, stderr } = await cli.finish();
  assert.equal(code, 0, stderr);
}

/**
 * Runs README's `command` without `flag`: exit status 1 and a message that
 * names `expected`, the flag to add, and nothing else, and a command with it.
 */
async function refuses(
  command: string,
  dir: string,
  flag: string,
  expected: (port: number) => string,
) {
  const port = freePort();
  const { permissions, args } = localize(command, port, dir);
  const left = permissions.filter((p) => !p.startsWith(flag));
  assert.equal(left.length, permissions.length - 1, `${flag} in ${command}`);
  const { code, stdout, stderr } = await run(left, args, { cwd: dir });
  assert.equal(code, 1, stderr);
  assert.equal(stdout, "");
  const missing = missingPermissions(stderr);
  assert.deepEqual(missing.flags, [expected(port)]);
  assert.ok(
    missing.command.split(" ").includes(expected(port)),
    missing.command,
  );
}

/** One step per flag of `rows`: README's `command` without it is refused. */
async function refusesEach(
  t: Deno.TestContext,
  command: string,
  dir: string,
  rows: readonly (readonly [string, (port: number) => string])[],
) {
  for (const [flag, expected] of rows) {
    await t.step(`without ${flag} the message names it`, async () => {
      await refuses(command, dir, flag, expected);
    });
  }
}

const SERVE_HERE =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. jsr:@x/httpserver";

Deno.test("serving the current folder needs only --allow-net=0.0.0.0:PORT and --allow-read=.", async (t) => {
  documented(SERVE_HERE);
  await withSite(async (dir) => {
    await t.step("files and listings are served", async () => {
      await serves(SERVE_HERE, dir, async (port) => {
        assert.deepEqual(await get(port, "/hello.txt"), {
          status: 200,
          body: "hello\n",
        });
        const listing = await get(port, "/");
        assert.equal(listing.status, 200);
        assert.ok(listing.body.includes('<a href="sub/">sub/</a>'));
        assert.equal((await get(port, "/sub/")).status, 200);
        assert.equal((await get(port, "/missing")).status, 404);
      });
    });
    await t.step("without --allow-read=. the message names it", async () => {
      await refuses(SERVE_HERE, dir, "--allow-read", () => "--allow-read=.");
    });
    await t.step("without --allow-net the message names it", async () => {
      await refuses(
        SERVE_HERE,
        dir,
        "--allow-net",
        (port) => `--allow-net=0.0.0.0:${port}`,
      );
    });
  });
});

const SERVE_THERE =
  "deno run --allow-net=127.0.0.1:8080 --allow-read=/srv/www jsr:@x/httpserver 8080 -b 127.0.0.1 -d /srv/www";

Deno.test("serving another folder on localhost needs only --allow-net=127.0.0.1:PORT and --allow-read=FOLDER", async (t) => {
  documented(SERVE_THERE);
  await withSite(async (dir) => {
    await t.step("files and listings are served", async () => {
      await serves(SERVE_THERE, dir, async (port) => {
        assert.equal((await get(port, "/hello.txt")).body, "hello\n");
        assert.ok((await get(port, "/")).body.includes("hello.txt"));
      });
    });
    await t.step(
      "without --allow-read=FOLDER the message names it",
      async () => {
        await refuses(
          SERVE_THERE,
          dir,
          "--allow-read",
          () => `--allow-read=${dir}`,
        );
      },
    );
    await t.step("without --allow-net the message names it", async () => {
      await refuses(
        SERVE_THERE,
        dir,
        "--allow-net",
        (port) => `--allow-net=127.0.0.1:${port}`,
      );
    });
  });
});

const DUAL_STACK =
  "deno run --allow-net=[::]:8000 --allow-read=. jsr:@x/httpserver";

Deno.test({
  name: "IPv4 and IPv6 need only --allow-net=[::]:PORT and --allow-read=.",
  ignore: !ipv6(),
  async fn() {
    documented(DUAL_STACK);
    await withSite(async (dir) => {
      await serves(DUAL_STACK, dir, async (port) => {
        assert.equal((await get(port, "/hello.txt")).body, "hello\n");
        const v6 = await fetch(`http://[::1]:${port}/hello.txt`);
        assert.equal(await v6.text(), "hello\n");
      });
    });
  },
});

function ipv6(): boolean {
  try {
    Deno.listen({ hostname: "::", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** Runs `code` as `app.ts` in `dir` with exactly `permissions`. */
function app(
  dir: string,
  permissions: string[],
  code: string,
  args: string[] = [],
): Cli {
  Deno.writeTextFileSync(
    `${dir}/app.ts`,
    code.replaceAll('"jsr:@x/httpserver"', JSON.stringify(MOD_URL)),
  );
  // --config only resolves mod.ts's npm imports as JSR would; it grants
  // nothing.
  return new Cli(["--config", CONFIG, ...permissions], args, {
    cwd: dir,
    module: "app.ts",
  });
}

/**
 * Runs `code` as `app.ts` in `dir` with exactly `permissions` on `port`,
 * waits for its first line (the port it listens on), runs `check`, and stops
 * it: resolves to its stderr.
 */
async function appServes(
  dir: string,
  permissions: string[],
  code: string,
  port: number,
  check: () => Promise<void>,
): Promise<string> {
  await using child = app(dir, permissions, code, [String(port)]);
  try {
    const line = await child.waitFor(/^(.*)\n/);
    assert.equal(line?.[1] ?? child.out, String(port));
    await check();
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
  }
  return (await child.finish()).stderr;
}

Deno.test("importing mod.ts needs no permission and does nothing: no output, no listener", async () => {
  documented(
    "nothing: importing `jsr:@x/httpserver` starts nothing and reads nothing",
  );
  await withSite(async (dir) => {
    for (const permissions of [[], ["--allow-all"]]) {
      await using child = app(
        dir,
        permissions,
        'import * as httpserver from "jsr:@x/httpserver";\nif (!httpserver.HTTPServer) throw new Error("no HTTPServer");\n',
      );
      // A listener would keep the process alive: it must exit by itself.
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const { code, stdout, stderr } = await child.finish();
      clearTimeout(timer);
      assert.equal(code, 0, stderr);
      assert.equal(stdout, "", "nothing printed");
      assert.equal(stderr, "", "nothing logged");
    }
  });
});

const HELLO_APP =
  `import { BaseHTTPRequestHandler, HTTPServer } from "jsr:@x/httpserver";

class Hello extends BaseHTTPRequestHandler {
  async do_GET() {
    this.sendResponse(200);
    this.sendHeader("Content-Length", "6");
    this.endHeaders();
    await this.wfile.write("hello\\n");
  }
}
const server = new HTTPServer({ hostname: "127.0.0.1", port: Number(Deno.args[0]) }, Hello);
console.log(server.serverPort);
await server.serveForever();
`;

Deno.test("a handler of your own needs only --allow-net=127.0.0.1:PORT", async (t) => {
  documented("deno run --allow-net=127.0.0.1:8000 app.ts");
  await withSite(async (dir) => {
    await t.step("it serves", async () => {
      const port = freePort();
      await appServes(
        dir,
        [`--allow-net=127.0.0.1:${port}`],
        HELLO_APP,
        port,
        async () => {
          assert.deepEqual(await get(port, "/"), {
            status: 200,
            body: "hello\n",
          });
        },
      );
    });
    await t.step("without it Deno names --allow-net", async () => {
      const port = freePort();
      await using child = app(dir, [], HELLO_APP, [String(port)]);
      const { code, stderr } = await child.finish();
      assert.equal(code, 1);
      assert.match(stderr, /--allow-net/);
    });
  });
});

const FILES_APP =
  `import { SimpleHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";

const server = new ThreadingHTTPServer(
  { hostname: "127.0.0.1", port: Number(Deno.args[0]) },
  SimpleHTTPRequestHandler,
  { directory: "./public" },
);
console.log(server.serverPort);
await server.serveForever();
`;

const FETCH_APP = `import { serveDir } from "jsr:@x/httpserver";

const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.args[0]), onListen() {} },
  (request) => serveDir(request, { fsRoot: "./public" }),
);
console.log(server.addr.port);
`;

for (
  const [name, app, documentedLine] of [
    [
      "SimpleHTTPRequestHandler from code",
      FILES_APP,
      "deno run --allow-net=127.0.0.1:8000 --allow-read=./public app.ts",
    ],
    [
      "serveDir in Deno.serve",
      FETCH_APP,
      "| `serveDir` or `createFileHandler` in `Deno.serve` | `deno run --allow-net=127.0.0.1:8000 --allow-read=./public app.ts`",
    ],
  ] as const
) {
  Deno.test(`${name} needs only --allow-net=127.0.0.1:PORT and --allow-read=./public`, async (t) => {
    documented(documentedLine);
    await withSite(async (dir) => {
      await Deno.mkdir(`${dir}/public`);
      await Deno.writeTextFile(`${dir}/public/index.html`, "<p>hi</p>\n");
      await t.step("it serves the folder", async () => {
        const port = freePort();
        await appServes(
          dir,
          [`--allow-net=127.0.0.1:${port}`, "--allow-read=./public"],
          app,
          port,
          async () => {
            assert.deepEqual(await get(port, "/"), {
              status: 200,
              body: "<p>hi</p>\n",
            });
            // Outside the grant: not served, whatever the path says.
            assert.equal((await get(port, "/../hello.txt")).status, 404);
          },
        );
      });
      await t.step(
        "without --allow-read nothing is served, and the log says why",
        async () => {
          const port = freePort();
          const stderr = await appServes(
            dir,
            [`--allow-net=127.0.0.1:${port}`],
            app,
            port,
            async () => {
              assert.equal((await get(port, "/")).status, 404);
            },
          );
          assert.match(stderr, /refused \.\/public\/: no read permission/);
        },
      );
    });
  });
}

/** GET `path` over TLS from 127.0.0.1:`port`, trusting `caPem`: status and body. */
async function httpsGet(port: number, caPem: string, path: string) {
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [caPem],
  });
  await conn.write(
    new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`),
  );
  // HTTP/1.0: the server closes after the body; reading to the end closes ours.
  const response = await new Response(conn.readable).text();
  const [head, body] = response.split("\r\n\r\n", 2);
  return { status: Number(head.split(" ")[1]), body };
}

/** README.md's "Serving HTTPS from code" example, on the port given as argument. */
const HTTPS_APP =
  `import { SimpleHTTPRequestHandler, ThreadingHTTPSServer } from "jsr:@x/httpserver";

await using server = new ThreadingHTTPSServer(
  { hostname: "0.0.0.0", port: Number(Deno.args[0]) },
  SimpleHTTPRequestHandler,
  {
    certfile: "/etc/httpserver/fullchain.pem",
    keyfile: "/etc/httpserver/privkey.pem",
    password: Deno.env.get("KEY_PASSWORD"),
    directory: "public",
  },
);
console.log(server.serverPort);
await server.serveForever();
`;

openssl.test("ThreadingHTTPSServer from code needs only --allow-net, --allow-read for the folder and the PEM files, and --allow-env for the password", async (t) => {
  const command =
    "deno run --allow-net=0.0.0.0:8443 --allow-read=public,/etc/httpserver --allow-env=KEY_PASSWORD app.ts";
  documented(command);
  await using certs = await makeCerts();
  const pem = await pemFolder(certs, "fullchain.pem", "privkey.pem");
  const site = `${certs.dir}/site`;
  await Deno.mkdir(`${site}/public`, { recursive: true });
  await Deno.writeTextFile(`${site}/public/hello.txt`, "hello\n");
  const code = HTTPS_APP.replaceAll("/etc/httpserver", pem);
  const flags = (port: number) =>
    command.replaceAll("/etc/httpserver", pem).replace(":8443", `:${port}`)
      .split(" ").slice(2, -1);
  await t.step("it serves over TLS", async () => {
    const port = freePort();
    await appServes(site, flags(port), code, port, async () => {
      assert.deepEqual(await httpsGet(port, certs.caPem, "/hello.txt"), {
        status: 200,
        body: "hello\n",
      });
    });
  });
  await t.step(
    "without read permission for the PEM files Deno names --allow-read",
    async () => {
      const port = freePort();
      await using child = app(
        site,
        flags(port).map((flag) =>
          flag.startsWith("--allow-read=") ? "--allow-read=public" : flag
        ),
        code,
        [String(port)],
      );
      const { code: status, stderr } = await child.finish();
      assert.equal(status, 1);
      assert.match(stderr, /--allow-read/);
    },
  );
});

const CGI_APP =
  `import { CGIHTTPRequestHandler, ThreadingHTTPServer } from "jsr:@x/httpserver";

const server = new ThreadingHTTPServer(
  { hostname: "127.0.0.1", port: Number(Deno.args[0]) },
  CGIHTTPRequestHandler,
);
console.log(server.serverPort);
await server.serveForever();
`;

Deno.test("CGIHTTPRequestHandler from code needs only --allow-net=127.0.0.1:PORT, --allow-read=. and --allow-run", async (t) => {
  const command =
    "deno run --allow-net=127.0.0.1:8000 --allow-read=. --allow-run app.ts";
  documented(command);
  await withSite(async (dir) => {
    /** The app with `permissions`, on a free port, checked by `check`. */
    const cgiApp = (
      permissions: string[],
      check: (port: number) => Promise<void>,
    ) => {
      const port = freePort();
      return appServes(
        dir,
        permissions.map((p) => p.replace(":8000", `:${port}`)),
        CGI_APP,
        port,
        () => check(port),
      );
    };
    await t.step("it runs the script", async () => {
      await cgiApp(command.split(" ").slice(2, -1), runsHelloScript);
    });
    await t.step(
      "without --allow-run the script is 403 and the log names the flag",
      async () => {
        const stderr = await cgiApp(
          command.split(" ").slice(2, -1).filter((p) => p !== "--allow-run"),
          async (port) => {
            assert.equal((await get(port, "/cgi-bin/hello.sh")).status, 403);
          },
        );
        assert.match(stderr, /--allow-run/);
      },
    );
  });
});

const CGI =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. --allow-run jsr:@x/httpserver --cgi";

Deno.test("the CLI with --cgi needs --allow-run besides --allow-net and --allow-read", async (t) => {
  documented(CGI);
  await withSite(async (dir) => {
    await t.step("it runs scripts and serves files", async () => {
      await serves(CGI, dir, runsHelloScript);
    });
    await refusesEach(t, CGI, dir, [
      ["--allow-run", () => "--allow-run"],
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port: number) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const SEARCH =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. jsr:@x/httpserver --search";

Deno.test("the CLI with --search needs no more than --allow-net=0.0.0.0:PORT and --allow-read=.", async (t) => {
  documented(SEARCH);
  await withSite(async (dir) => {
    await t.step("it finds names below the folder", async () => {
      await serves(SEARCH, dir, async (port) => {
        const { status, body } = await get(port, "/?q=HELLO&format=json");
        assert.equal(status, 200);
        assert.deepEqual(
          JSON.parse(body).results.map((hit: { path: string }) => hit.path),
          ["hello.txt", "cgi-bin/hello.sh"],
        );
      });
    });
    await refusesEach(t, SEARCH, dir, [
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port: number) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const UPLOAD =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. --allow-write=. jsr:@x/httpserver --upload";

Deno.test("the CLI with --upload needs --allow-write=. besides --allow-net and --allow-read", async (t) => {
  documented(UPLOAD);
  await withSite(async (dir) => {
    await t.step("it stores an upload and serves it", async () => {
      await serves(UPLOAD, dir, async (port) => {
        const put = await fetch(`http://127.0.0.1:${port}/new.txt`, {
          method: "PUT",
          body: "new\n",
        });
        await put.body?.cancel();
        assert.ok(put.status === 200 || put.status === 201, `${put.status}`);
        assert.equal((await get(port, "/new.txt")).body, "new\n");
      });
    });
    await refusesEach(t, UPLOAD, dir, [
      ["--allow-write", () => "--allow-write=."],
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port: number) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const FILE_OPS =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. --allow-write=. jsr:@x/httpserver --delete --mkdir";

Deno.test("the CLI with --delete and --mkdir needs --allow-write=. besides --allow-net and --allow-read", async (t) => {
  documented(FILE_OPS);
  await withSite(async (dir) => {
    await t.step(
      "it makes a folder, moves a file into it and deletes both",
      async () => {
        await serves(FILE_OPS, dir, async (port) => {
          const url = `http://127.0.0.1:${port}`;
          const statuses = [];
          for (
            const [method, target, headers] of [
              ["MKCOL", "/made/", {}],
              ["MOVE", "/hello.txt", { destination: `${url}/made/hello.txt` }],
              ["DELETE", "/made/", {}],
            ] as const
          ) {
            const response = await fetch(`${url}${target}`, {
              method,
              headers,
            });
            await response.body?.cancel();
            statuses.push(response.status);
          }
          assert.deepEqual(statuses, [201, 201, 204]);
          assert.equal((await get(port, "/hello.txt")).status, 404);
        });
      },
    );
    await refusesEach(t, FILE_OPS, dir, [
      ["--allow-write", () => "--allow-write=."],
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port: number) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const WEBDAV =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. jsr:@x/httpserver --webdav";

Deno.test("the CLI with --webdav needs no more than --allow-net=0.0.0.0:PORT and --allow-read=.", async (t) => {
  documented(WEBDAV);
  await withSite(async (dir) => {
    await t.step("PROPFIND lists the folder", async () => {
      await serves(WEBDAV, dir, async (port) => {
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          method: "PROPFIND",
          headers: { depth: "1" },
        });
        assert.equal(response.status, 207);
        assert.match(await response.text(), /<D:href>\/hello\.txt<\/D:href>/);
      });
    });
    await refusesEach(t, WEBDAV, dir, [
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port: number) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const TLS =
  "deno run --allow-net=0.0.0.0:8443 --allow-read=.,/etc/httpserver jsr:@x/httpserver 8443 --tls-cert /etc/httpserver/cert.pem --tls-key /etc/httpserver/key.pem";

openssl.test("the CLI with --tls-cert and --tls-key needs --allow-read for the PEM files besides the folder", async (t) => {
  documented(TLS);
  await using certs = await makeCerts();
  const pem = await pemFolder(certs, "cert.pem", "key.pem");
  await t.step("it serves over TLS", async () => {
    const port = freePort();
    const { permissions, args } = localize(TLS, port, certs.root, pem);
    await using cli = new Cli(permissions, args, { cwd: certs.root });
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, `banner printed: ${cli.out}`);
    assert.match(banner[0], /^Serving HTTPS on .*\(https:\/\//);
    assert.deepEqual(await httpsGet(port, certs.caPem, "/hello.txt"), {
      status: 200,
      body: "hello\n",
    });
    cli.kill("SIGINT");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
  });
  await t.step(
    "without read permission for the PEM files the message names the file",
    async () => {
      const port = freePort();
      const { permissions, args } = localize(TLS, port, certs.root, pem);
      const { code, stdout, stderr } = await run(
        permissions.map((flag) =>
          flag.startsWith("--allow-read=") ? "--allow-read=." : flag
        ),
        args,
        { cwd: certs.root },
      );
      assert.equal(code, 1, stderr);
      assert.equal(stdout, "");
      assert.deepEqual(missingPermissions(stderr).flags, [
        `--allow-read=${pem}/cert.pem`,
        `--allow-read=${pem}/key.pem`,
      ]);
    },
  );
  await t.step("without --allow-net the message names it", async () => {
    await refuses(
      TLS.replaceAll("/etc/httpserver", pem),
      certs.root,
      "--allow-net",
      (port) => `--allow-net=0.0.0.0:${port}`,
    );
  });
});

const LOG_FILE =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. --allow-write=/var/log/www.log jsr:@x/httpserver --log-file /var/log/www.log";

Deno.test("the CLI with --log-file needs --allow-write for the file besides --allow-net and --allow-read", async (t) => {
  documented(LOG_FILE);
  await withSite(async (dir) => {
    const log = `${dir}/www.log`;
    const command = LOG_FILE.replaceAll("/var/log", dir);
    await t.step("it appends the log to the file", async () => {
      await serves(command, dir, async (port) => {
        assert.equal((await get(port, "/hello.txt")).body, "hello\n");
      });
      assert.match(
        await Deno.readTextFile(log),
        /"GET \/hello\.txt HTTP\/1\.1" 200 -\n$/,
      );
    });
    await refusesEach(t, command, dir, [
      ["--allow-write", () => `--allow-write=${log}`],
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port: number) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const UNIX_SOCKET =
  "deno run --allow-net=unix:/run/www.sock --allow-read=/run/www.sock,/srv/www --allow-write=/run/www.sock jsr:@x/httpserver -b unix:/run/www.sock -d /srv/www";

Deno.test("the CLI on a Unix socket needs --allow-net=unix:PATH, and --allow-read and --allow-write for the socket", async (t) => {
  documented(UNIX_SOCKET);
  await withSite(async (dir) => {
    const socket = `${dir}/www.sock`;
    const words = UNIX_SOCKET.replaceAll("/run/www.sock", socket)
      .replaceAll("/srv/www", dir).split(" ");
    const module = words.indexOf("jsr:@x/httpserver");
    const permissions = words.slice(2, module);
    const args = words.slice(module + 1);
    await t.step("it serves on the socket", async () => {
      await using cli = new Cli(permissions, args, { cwd: dir });
      assert.ok(await cli.waitFor(/^Serving HTTP on unix:/), cli.out);
      using client = await RawClient.connectUnix(socket);
      await client.send("GET /hello.txt HTTP/1.0\r\n\r\n");
      assert.equal((await client.readResponse()).text, "hello\n");
      cli.kill("SIGINT");
      const { code, stderr } = await cli.finish();
      assert.equal(code, 0, stderr);
    });
    for (
      const [flag, expected] of [
        ["--allow-net", [`--allow-net=unix:${socket}`]],
        ["--allow-read", [`--allow-read=${socket}`, `--allow-read=${dir}`]],
        ["--allow-write", [`--allow-write=${socket}`]],
      ] as const
    ) {
      await t.step(`without ${flag} the message names it`, async () => {
        const left = permissions.filter((p) => !p.startsWith(flag));
        const { code, stderr } = await run(left, args, { cwd: dir });
        assert.equal(code, 1, stderr);
        assert.deepEqual(missingPermissions(stderr).flags, expected);
      });
    }
  });
});

const ARCHIVE =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. jsr:@x/httpserver --archive";

Deno.test("the CLI with --archive needs no more than --allow-net=0.0.0.0:PORT and --allow-read=.", async (t) => {
  documented(ARCHIVE);
  await withSite(async (dir) => {
    await t.step("a folder is sent as a zip", async () => {
      await serves(ARCHIVE, dir, async (port) => {
        const response = await fetch(
          `http://127.0.0.1:${port}/?download=zip`,
        );
        assert.equal(response.status, 200);
        const bytes = new Uint8Array(await response.arrayBuffer());
        // The local header of the first member: the folder itself.
        assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 3, 4]);
      });
    });
    await refusesEach(t, ARCHIVE, dir, [
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const SERVE_ENGINE =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=. jsr:@x/httpserver --engine serve";

Deno.test("the CLI with --engine serve needs no more than --allow-net=0.0.0.0:PORT and --allow-read=.", async (t) => {
  documented(SERVE_ENGINE);
  await withSite(async (dir) => {
    await t.step("files and listings are served by Deno.serve", async () => {
      await serves(SERVE_ENGINE, dir, async (port) => {
        assert.deepEqual(await get(port, "/hello.txt"), {
          status: 200,
          body: "hello\n",
        });
        assert.ok((await get(port, "/")).body.includes("sub/"));
      });
    });
    await refusesEach(t, SERVE_ENGINE, dir, [
      ["--allow-read", () => "--allow-read=."],
      ["--allow-net", (port) => `--allow-net=0.0.0.0:${port}`],
    ]);
  });
});

const AUTH_FILE =
  "deno run --allow-net=0.0.0.0:8000 --allow-read=.,/etc/httpserver/users jsr:@x/httpserver --auth-file /etc/httpserver/users";

Deno.test("the CLI with --auth-file needs --allow-read for the file besides the folder", async (t) => {
  documented(AUTH_FILE);
  await withSite(async (dir) => {
    await using etc = await tempFolder("httpserver-etc-", {
      // htpasswd -nbB alice wonderland
      users:
        "alice:$2y$05$4Obsky9VMGRoEriqHr3St.wWuIa1mdeYMR2TyRZxgf6zQHmS941kK\n",
    });
    const port = freePort();
    const { permissions, args } = localize(AUTH_FILE, port, dir, etc.root);
    await t.step(
      "it serves to alice, and asks anyone else to sign in",
      async () => {
        await using cli = new Cli(permissions, args, { cwd: dir });
        assert.ok(await cli.waitFor(BANNER), cli.out);
        assert.equal((await get(port, "/hello.txt")).status, 401);
        const response = await fetch(`http://127.0.0.1:${port}/hello.txt`, {
          headers: { authorization: `Basic ${btoa("alice:wonderland")}` },
        });
        assert.equal(await response.text(), "hello\n");
        cli.kill("SIGINT");
        const { code, stderr } = await cli.finish();
        assert.equal(code, 0, stderr);
      },
    );
    await t.step(
      "without read permission for the file the message names it",
      async () => {
        const { code, stdout, stderr } = await run(
          permissions.map((flag) =>
            flag.startsWith("--allow-read=") ? "--allow-read=." : flag
          ),
          args,
          { cwd: dir },
        );
        assert.equal(code, 1, stderr);
        assert.equal(stdout, "");
        assert.deepEqual(missingPermissions(stderr).flags, [
          `--allow-read=${etc.root}/users`,
        ]);
        assert.match(
          stderr,
          /to read the accounts in '.*users' \(--auth-file\)/,
        );
      },
    );
  });
});
