// HTTPSServer and ThreadingHTTPSServer over real TLS: a throwaway CA made
// with openssl, clients that trust only it (Deno's fetch, curl --cacert).
import assert from "node:assert/strict";
import {
  HTTPSServer,
  type HTTPSServerOptions,
  type RequestHandlerClass,
  SimpleHTTPRequestHandler,
  ThreadingHTTPSServer,
} from "../../mod.ts";
import {
  Cli,
  loopback,
  missingPermissions,
  run,
} from "../support/cli_process.ts";
import { captureLogs, RawClient } from "../support/helpers.ts";
import {
  type Certs,
  curl,
  fetchWithCa,
  makeCerts,
  tlsFlags,
} from "../support/tls_fixture.ts";
import { type Requiring, requiring } from "../support/tools.ts";

/** A test with its own throwaway PKI (made with openssl), removed when it ends. */
function tlsTest(
  name: string,
  fn: (certs: Certs) => void | Promise<void>,
  tools: Requiring = OPENSSL,
): void {
  tools.test(name, async () => {
    await using certs = await makeCerts();
    await fn(certs);
  });
}

const OPENSSL = requiring("openssl");
const OPENSSL_AND_CURL = requiring("openssl", "curl");

/** {@link tlsTest} for a test that also runs curl. */
function tlsCurlTest(
  name: string,
  fn: (certs: Certs) => void | Promise<void>,
): void {
  tlsTest(name, fn, OPENSSL_AND_CURL);
}

/** A TLS server on 127.0.0.1 port 0, serving until disposed. */
function serveTls(
  certs: Certs,
  options: Partial<HTTPSServerOptions> = {},
  Server: typeof HTTPSServer | typeof ThreadingHTTPSServer =
    ThreadingHTTPSServer,
  Handler: RequestHandlerClass = SimpleHTTPRequestHandler,
) {
  const server = new Server({ hostname: "127.0.0.1", port: 0 }, Handler, {
    certfile: certs.cert,
    keyfile: certs.key,
    directory: certs.root,
    ...options,
  });
  const loop = server.serveForever();
  return {
    server,
    url: `https://127.0.0.1:${server.serverPort}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      server.serverClose();
      await loop;
    },
  };
}

const quiet = captureLogs(SimpleHTTPRequestHandler).Handler;

tlsTest(
  "ThreadingHTTPSServer serves files to fetch trusting the test CA",
  async (certs) => {
    await using running = serveTls(certs, {}, ThreadingHTTPSServer, quiet);
    assert.equal(running.server.certfile, certs.cert);
    assert.equal(running.server.keyfile, certs.key);
    const res = await fetchWithCa(certs, `${running.url}/hello.txt`);
    assert.equal(res.status, 200);
    assert.equal(res.text, "hello\n");
    assert.equal(res.headers.get("content-type"), "text/plain");
  },
);

tlsCurlTest("HTTPSServer serves curl --cacert", async (certs) => {
  await using running = serveTls(certs, {}, HTTPSServer, quiet);
  assert.ok(running.server instanceof HTTPSServer);
  const { code, stdout, stderr } = await curl(
    certs,
    "-w",
    "%{response_code}",
    `${running.url}/hello.txt`,
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "hello\n200");
});

tlsTest(
  "ALPN offers http/1.1 only, as Python's default: a client asking h2 first gets http/1.1",
  async (certs) => {
    await using running = serveTls(certs, {}, HTTPSServer, quiet);
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: running.server.serverPort,
      caCerts: [certs.caPem],
      alpnProtocols: ["h2", "http/1.1"],
    });
    try {
      assert.equal((await conn.handshake()).alpnProtocol, "http/1.1");
    } finally {
      conn.close();
    }
  },
);

tlsCurlTest(
  "curl over HTTPS keeps a HTTP/1.1 connection alive for two requests",
  async (certs) => {
    class Keep extends quiet {
      override protocolVersion = "HTTP/1.1";
    }
    await using running = serveTls(certs, {}, ThreadingHTTPSServer, Keep);
    const url = `${running.url}/hello.txt`;
    const { code, stdout } = await curl(
      certs,
      "-w",
      "%{num_connects}\n",
      url,
      url,
    );
    assert.equal(code, 0);
    assert.equal(stdout, "hello\n1\nhello\n0\n");
  },
);

tlsTest(
  "without keyfile the key is read from the certificate file",
  async (certs) => {
    await using running = serveTls(
      certs,
      {
        certfile: certs.combined,
        keyfile: undefined,
      },
      ThreadingHTTPSServer,
      quiet,
    );
    assert.equal(running.server.keyfile, undefined);
    const res = await fetchWithCa(certs, `${running.url}/hello.txt`);
    assert.equal(res.text, "hello\n");
  },
);

for (
  const [what, key] of [
    ["an encrypted PKCS#8 key", "encryptedKey"],
    ["a traditionally encrypted key", "legacyEncryptedKey"],
  ] as const
) {
  tlsTest(`${what} is decrypted with its password`, async (certs) => {
    await using running = serveTls(
      certs,
      {
        keyfile: certs[key],
        password: certs.password,
      },
      ThreadingHTTPSServer,
      quiet,
    );
    const res = await fetchWithCa(certs, `${running.url}/hello.txt`);
    assert.equal(res.text, "hello\n");
  });
}

tlsTest(
  "a password for a key that is not encrypted is ignored, as in Python",
  async (certs) => {
    await using running = serveTls(
      certs,
      { password: "unused" },
      ThreadingHTTPSServer,
      quiet,
    );
    assert.equal(
      (await fetchWithCa(certs, `${running.url}/hello.txt`)).status,
      200,
    );
  },
);

const loadErrors: [
  string,
  (certs: Certs) => Partial<HTTPSServerOptions>,
  RegExp,
][] = [
  [
    "a missing certificate file",
    (certs) => ({ certfile: `${certs.dir}/nope.pem` }),
    /^cannot read the TLS certificate file '.*\/nope\.pem': No such file or directory$/,
  ],
  [
    "a missing key file",
    (certs) => ({ keyfile: `${certs.dir}/nope.key` }),
    /^cannot read the TLS key file '.*\/nope\.key': No such file or directory$/,
  ],
  [
    "a certificate file without a certificate",
    (certs) => ({ certfile: certs.key }),
    /^no PEM certificate in '.*\/server\.key'$/,
  ],
  [
    "a certificate file without the key and no keyfile",
    () => ({ keyfile: undefined }),
    /^no PEM private key in '.*\/server\.pem'$/,
  ],
  [
    "an encrypted key without a password",
    (certs) => ({ keyfile: certs.encryptedKey }),
    /^the private key in '.*\/server\.enc\.key' is encrypted: its password is needed$/,
  ],
  [
    "an encrypted key with a wrong password",
    (certs) => ({ keyfile: certs.legacyEncryptedKey, password: "wrong" }),
    /^cannot decrypt the private key in '.*\/server\.legacy\.key': wrong password\?$/,
  ],
  [
    "a key that does not match the certificate",
    (certs) => ({ keyfile: certs.otherKey }),
    /^the private key in '.*\/ca\.key' does not match the certificate in '.*\/server\.pem'$/,
  ],
];
for (const [what, options, message] of loadErrors) {
  tlsTest(
    `${what}: the constructor throws, naming the file, and binds nothing`,
    (certs) => {
      for (const Server of [HTTPSServer, ThreadingHTTPSServer]) {
        assert.throws(
          () =>
            new Server({ hostname: "127.0.0.1", port: 0 }, quiet, {
              certfile: certs.cert,
              keyfile: certs.key,
              ...options(certs),
            }),
          (error: Error) => message.test(error.message),
        );
      }
    },
  );
}

/** A TLS server that records what reaches `handleError` (a stack trace in the log). */
function recordingServer() {
  const errors: unknown[] = [];
  class Recording extends ThreadingHTTPSServer {
    override handleError(_r: Deno.Conn, _a: Deno.NetAddr, error: unknown) {
      errors.push(error);
    }
  }
  return { errors, Recording };
}

tlsTest(
  "plain HTTP to the HTTPS port gets no HTTP answer and no stack trace, and the server goes on",
  async (certs) => {
    const { errors, Recording } = recordingServer();
    await using running = serveTls(certs, {}, Recording, quiet);
    using client = await RawClient.connect(running.server.serverPort);
    await client.send("GET /hello.txt HTTP/1.0\r\n\r\n");
    // A TLS alert at most, never an HTTP answer.
    assert.ok(!(await client.readAll()).includes("HTTP/"));
    const res = await fetchWithCa(certs, `${running.url}/hello.txt`);
    assert.equal(res.status, 200);
    assert.deepEqual(errors, []);
  },
);

tlsCurlTest(
  "a client that does not trust the certificate fails its handshake; the server goes on",
  async (certs) => {
    const { errors, Recording } = recordingServer();
    await using running = serveTls(certs, {}, Recording, quiet);
    await assert.rejects(fetch(`${running.url}/hello.txt`));
    const { code, stderr } = await new Deno.Command("curl", {
      args: ["-sS", "--max-time", "10", `${running.url}/hello.txt`],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 60, new TextDecoder().decode(stderr)); // peer certificate cannot be authenticated
    assert.equal(
      (await fetchWithCa(certs, `${running.url}/hello.txt`)).text,
      "hello\n",
    );
    assert.deepEqual(errors, []);
  },
);

/** A TLS server that records when and how each handshake ended. */
function handshakeRecorder(
  Base: typeof HTTPSServer | typeof ThreadingHTTPSServer = ThreadingHTTPSServer,
) {
  const ended: { ok: boolean; at: number }[] = [];
  // Both classes take the same arguments and verify alike.
  class Recording extends (Base as typeof ThreadingHTTPSServer) {
    override async verifyRequest(request: Deno.Conn): Promise<boolean> {
      const ok = await super.verifyRequest(request);
      ended.push({ ok, at: Date.now() });
      return ok;
    }
  }
  return { ended, Recording };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(condition(), "timed out");
}

// Deno 2.9 keeps the socket of a TLS connection closed before its
// handshake open until the client sends or closes (README, Security): these
// tests check that the server lets go of the connection, then close it.
tlsTest(
  "HTTPSServer, one connection at a time, gives up a handshake that never starts at headTimeout",
  async (certs) => {
    const { ended, Recording } = handshakeRecorder(HTTPSServer);
    await using running = serveTls(certs, { headTimeout: 200 }, Recording);
    const started = Date.now();
    using _client = await RawClient.connect(running.server.serverPort);
    await until(() => ended.length === 1);
    assert.equal(ended[0].ok, false);
    const waited = ended[0].at - started;
    assert.ok(waited >= 150 && waited < 5_000, `gave up after ${waited} ms`);
  },
);

tlsTest(
  "ThreadingHTTPSServer counts a handshake among maxConnections until the client sends or goes, and closes one that ends past headTimeout unanswered",
  async (certs) => {
    await using running = serveTls(
      certs,
      { headTimeout: 200, maxConnections: 1 },
      ThreadingHTTPSServer,
      quiet,
    );
    const port = running.server.serverPort;
    const errors: string[] = [];
    const consoleError = console.error;
    console.error = (message: string) => errors.push(message);
    try {
      const late = await Deno.connect({ hostname: "127.0.0.1", port });
      let served = false;
      const next = fetchWithCa(certs, `${running.url}/hello.txt`).finally(() =>
        served = true
      );
      // Deno holds the socket of the stalled handshake: it keeps the only
      // place, past headTimeout, and the next client waits.
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(served, false, "served while the handshake held the place");
      const tls = await Deno.startTls(late, {
        caCerts: [certs.caPem],
        hostname: "127.0.0.1",
      });
      try {
        await tls.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
        const answer = await tls.read(new Uint8Array(1024)).catch(() => null);
        assert.equal(answer, null, "no answer after headTimeout");
      } finally {
        tls.close();
      }
      const { status, text } = await next;
      assert.equal(status, 200);
      assert.equal(text, "hello\n");
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(errors, [
      "1 connections open (maxConnections): accepting waits until one closes",
    ]);
  },
);

tlsTest(
  "shutdown() gives up a connection stuck before its handshake at once",
  async (certs) => {
    const { ended, Recording } = handshakeRecorder();
    const running = serveTls(certs, { headTimeout: 60_000 }, Recording);
    using _client = await RawClient.connect(running.server.serverPort);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await running[Symbol.asyncDispose]();
    assert.ok(Date.now() - started < 2_000, "shutdown did not wait");
    assert.deepEqual(ended.map((end) => end.ok), [false]);
  },
);

// The command line: --tls-cert, --tls-key, --tls-password-file as Python
// 3.14 takes them, run with the narrowest permissions.

const HTTPS_BANNER =
  /Serving HTTPS on (\S+) port (\d+) \(https:\/\/(\S+):(\d+)\/\) \.\.\.\n/;

/** Read permission for the served folder and `files`, net for 127.0.0.1. */
function permissions(certs: Certs, ...files: string[]): string[] {
  return [
    "--allow-net=127.0.0.1",
    `--allow-read=${[certs.root, ...files].join(",")}`,
  ];
}

const cliCases: [string, (certs: Certs) => string[]][] = [
  [
    "a certificate and a key",
    (c) => ["--tls-cert", c.cert, "--tls-key", c.key],
  ],
  ["a certificate file that holds the key", (c) => ["--tls-cert", c.combined]],
  [
    "an encrypted key and a password file",
    (c) => [
      "--tls-cert",
      c.cert,
      "--tls-key",
      c.encryptedKey,
      "--tls-password-file",
      c.passwordFile,
    ],
  ],
];
for (const [what, flags] of cliCases) {
  tlsCurlTest(
    `the CLI serves HTTPS with ${what}; the banner says https://`,
    async (certs) => {
      const args = flags(certs);
      await using cli = new Cli(
        permissions(certs, ...args.filter((arg) => arg.startsWith("/"))),
        loopback(certs.root, ...args),
      );
      const banner = await cli.waitFor(HTTPS_BANNER);
      assert.ok(banner, cli.out);
      assert.equal(banner[1], "127.0.0.1");
      const { code, stdout } = await curl(
        certs,
        `https://127.0.0.1:${banner[2]}/hello.txt`,
      );
      assert.equal(code, 0);
      assert.equal(stdout, "hello\n");
      cli.kill("SIGINT");
      const done = await cli.finish();
      assert.equal(done.code, 0);
      assert.match(done.stderr, /"GET \/hello\.txt HTTP\/1\.1" 200 -/);
    },
  );
}

const cliUsageErrors: [string, (certs: Certs) => string[], RegExp][] = [
  [
    "--tls-key without --tls-cert",
    (c) => ["--tls-key", c.key],
    /: error: --tls-key requires --tls-cert to be set$/m,
  ],
  [
    "--tls-password-file without --tls-cert",
    (c) => ["--tls-password-file", c.passwordFile],
    /: error: --tls-password-file requires --tls-cert to be set$/m,
  ],
  [
    "--tls-cert without its value",
    () => ["--tls-cert"],
    /: error: argument --tls-cert: expected one argument$/m,
  ],
  [
    "a password file that cannot be read",
    (c) => [
      "--tls-cert",
      c.cert,
      "--tls-password-file",
      `${c.dir}/nope.txt`,
    ],
    /: error: Failed to read TLS password file: No such file or directory: '.*\/nope\.txt'$/m,
  ],
];
for (const [what, flags, message] of cliUsageErrors) {
  tlsTest(`${what} is a usage error, as in Python: exit 2`, async (certs) => {
    const { code, stderr } = await run(
      ["--allow-net", "--allow-read"],
      ["0", "-d", certs.root, ...flags(certs)],
    );
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^usage: httpserver /);
    assert.match(stderr, message);
  });
}

const cliStartupErrors: [string, (certs: Certs) => string[], RegExp][] = [
  [
    "a missing certificate file",
    (c) => ["--tls-cert", `${c.dir}/nope.pem`],
    /^httpserver: error: cannot read the TLS certificate file '.*\/nope\.pem': No such file or directory\n$/,
  ],
  [
    "an encrypted key without a password file",
    (c) => ["--tls-cert", c.cert, "--tls-key", c.encryptedKey],
    /^httpserver: error: the private key in '.*\/server\.enc\.key' is encrypted: its password is needed\n$/,
  ],
  [
    "a certificate file without a key, and no --tls-key",
    (c) => ["--tls-cert", c.cert],
    /^httpserver: error: no PEM private key in '.*\/server\.pem': give the key's file with --tls-key PATH\n$/,
  ],
  [
    "a wrong password",
    (c) => [
      "--tls-cert",
      c.cert,
      "--tls-key",
      c.encryptedKey,
      "--tls-password-file",
      c.cert,
    ],
    /^httpserver: error: cannot decrypt the private key in '.*\/server\.enc\.key': wrong password\?\n$/,
  ],
];
for (const [what, flags, message] of cliStartupErrors) {
  tlsTest(`the CLI names ${what} in one line: exit 1`, async (certs) => {
    const { code, stderr } = await run(
      ["--allow-net=127.0.0.1", "--allow-read"],
      loopback(certs.root, ...flags(certs)),
    );
    assert.equal(code, 1, stderr);
    assert.match(stderr, message);
  });
}

tlsTest(
  "without read permission for a TLS file the CLI names the flag to add: exit 1",
  async (certs) => {
    const { code, stderr } = await run(
      permissions(certs, certs.cert),
      loopback(certs.root, ...tlsFlags(certs)),
    );
    assert.equal(code, 1);
    const missing = missingPermissions(stderr);
    assert.deepEqual(missing.flags, [`--allow-read=${certs.key}`]);
    assert.ok(
      missing.command.includes(
        ` --allow-read=${certs.root},${certs.cert},${certs.key} `,
      ),
      missing.command,
    );
  },
);

Deno.test("--help lists the TLS flags", async () => {
  const { code, stdout } = await run([], ["--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--tls-cert PATH       path to the TLS certificate chain file",
      "--tls-key PATH        path to the TLS key file",
      "--tls-password-file PATH\n",
      "[--tls-cert PATH]",
      "[--tls-key PATH]",
    ]
  ) {
    assert.ok(stdout.includes(flag), flag);
  }
});

tlsTest(
  "a key inside the served folder is served, as in Python, with a warning",
  async (certs) => {
    const key = `${certs.root}/key.pem`;
    await Deno.copyFile(certs.key, key);
    await using cli = new Cli(
      permissions(certs, certs.cert),
      loopback(certs.root, ...tlsFlags(certs, key)),
    );
    assert.ok(await cli.waitFor(HTTPS_BANNER));
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.ok(
      stderr.startsWith(
        `httpserver: warning: '${key}' is inside the served folder: anyone can download it\n`,
      ),
      stderr,
    );
  },
);

// README.md's permissions row for HTTPS, run with exactly its flags, then
// with read access to the TLS files left out.
const README_ROW =
  "`deno run --allow-net=0.0.0.0:8443 --allow-read=.,/etc/httpserver jsr:@x/httpserver 8443 --tls-cert /etc/httpserver/cert.pem --tls-key /etc/httpserver/key.pem`";

/** The README row's command, with its folders and port made local. */
async function readmeCommand(certs: Certs) {
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  assert.ok(readme.includes(`| ${README_ROW}`), "README.md has the HTTPS row");
  await Deno.copyFile(certs.cert, `${certs.dir}/cert.pem`);
  await Deno.copyFile(certs.key, `${certs.dir}/key.pem`);
  using listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = String(listener.addr.port);
  const words = README_ROW.slice(1, -1).replaceAll("/etc/httpserver", certs.dir)
    .replaceAll("8443", port).split(" ");
  const module = words.indexOf("jsr:@x/httpserver");
  return {
    permissions: words.slice(2, module),
    args: words.slice(module + 1),
    port,
  };
}

tlsTest(
  "README.md's HTTPS permissions row serves with exactly its flags",
  async (certs) => {
    const { permissions, args, port } = await readmeCommand(certs);
    await using cli = new Cli(permissions, args, { cwd: certs.root });
    const banner = await cli.waitFor(HTTPS_BANNER);
    assert.ok(banner, cli.out);
    assert.equal(banner[2], port);
    const res = await fetchWithCa(certs, `https://127.0.0.1:${port}/hello.txt`);
    assert.equal(res.text, "hello\n");
    cli.kill("SIGINT");
    assert.equal((await cli.finish()).code, 0);
  },
);

tlsTest(
  "README.md's HTTPS row without read access to the TLS files names them",
  async (certs) => {
    const { permissions, args } = await readmeCommand(certs);
    const narrowed = permissions.map((flag) =>
      flag.startsWith("--allow-read=") ? "--allow-read=." : flag
    );
    const { code, stderr } = await run(narrowed, args, { cwd: certs.root });
    assert.equal(code, 1);
    const missing = missingPermissions(stderr);
    assert.deepEqual(missing.flags, [
      `--allow-read=${certs.dir}/cert.pem`,
      `--allow-read=${certs.dir}/key.pem`,
    ]);
    assert.ok(
      missing.command.includes(
        ` --allow-read=.,${certs.dir}/cert.pem,${certs.dir}/key.pem `,
      ),
      missing.command,
    );
  },
);
