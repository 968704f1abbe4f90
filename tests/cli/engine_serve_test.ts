// The command line's `--engine serve`: the same folder served through the
// fetch face on Deno.serve, with the narrowest permissions, Python's banner
// and log lines, keep-alive, and over TLS HTTP/2 as well as HTTP/1.1
// (curl --http2; headless Chromium in tests/fetch/browser_test.ts).
import assert from "node:assert/strict";
import {
  BANNER,
  Cli,
  loopback,
  refused,
  run,
  withFolder,
} from "../support/cli_process.ts";
import { RawClient } from "../support/helpers.ts";
import {
  type Certs,
  curl,
  makeCerts,
  tlsFlags,
} from "../support/tls_fixture.ts";
import { requiring } from "../support/tools.ts";

const usageErrors: [string, string[], RegExp][] = [
  [
    "an engine that does not exist",
    ["--engine", "nginx"],
    /argument --engine: invalid choice: 'nginx' \(choose from 'python', 'serve'\)$/m,
  ],
  [
    "--engine serve with an explicit -p HTTP/1.0",
    ["--engine", "serve", "-p", "HTTP/1.0"],
    /argument -p\/--protocol: HTTP\/1\.0 not allowed with --engine serve, which keeps connections alive/,
  ],
  [
    "--engine serve with --cgi",
    ["--cgi", "--engine", "serve"],
    /argument --cgi: not allowed with --engine serve, which runs no CGI scripts: use --engine python$/m,
  ],
  [
    "--engine serve with --workers",
    ["--engine", "serve", "--workers", "2"],
    /argument --workers: not allowed with --engine serve/,
  ],
];
for (const [what, args, message] of usageErrors) {
  Deno.test(`${what} is a usage error, said plainly: exit 2`, async () => {
    const { code, stderr } = await run([], args);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^usage: httpserver /);
    assert.match(stderr, message);
  });
}

Deno.test("--engine serve serves the folder with --allow-read for it and --allow-net alone, keeps connections alive, and logs Python's lines", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--engine", "serve"],
    );
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, cli.out);
    assert.equal(banner[1], "127.0.0.1");
    assert.ok(
      await cli.waitFor(
        /\nEngine: Deno\.serve \(--engine serve\), keep-alive\n/,
      ),
    );
    using client = await RawClient.connect(Number(banner[2]));
    await client.send(
      "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    const first = await client.readResponse();
    const second = await client.readResponse();
    assert.equal(first.status, 200);
    assert.equal(first.text, "hello\n");
    assert.equal(first.headers.get("etag")?.startsWith('W/"'), true);
    assert.equal(second.status, 404);
    assert.match(second.text, /<p>Message: File not found\.<\/p>/);
    client.close();
    cli.kill("SIGINT");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/hello\.txt" 200 -\n127\.0\.0\.1 - - \[[^\]]+\] code 404, message File not found\n127\.0\.0\.1 - - \[[^\]]+\] "GET \/missing" 404 -\n$/,
    );
  });
});

Deno.test("--engine serve keeps the CLI's defaults, Python's: dotfiles and listings served", async () => {
  await withFolder(async (dir) => {
    await Deno.writeTextFile(`${dir}/.env`, "SECRET=1\n");
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--engine", "serve", "-q"],
    );
    const port = (await cli.waitFor(BANNER))![2];
    const env = await fetch(`http://127.0.0.1:${port}/.env`);
    assert.equal(await env.text(), "SECRET=1\n");
    const listing = await fetch(`http://127.0.0.1:${port}/`);
    assert.match(await listing.text(), /<a href="\.env">\.env<\/a>/);
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("--engine serve with --allow-read=<folder> refuses a symlink out of it, as the Python face does", async () => {
  await withFolder(async (dir) => {
    const outside = await Deno.makeTempDir({ prefix: "httpserver-out-" });
    try {
      await Deno.writeTextFile(`${outside}/secret.txt`, "secret\n");
      await Deno.symlink(`${outside}/secret.txt`, `${dir}/link.txt`);
      await using cli = new Cli(
        ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
        ["0", "-b", "127.0.0.1", "-d", dir, "--engine", "serve"],
      );
      const port = (await cli.waitFor(BANNER))![2];
      const response = await fetch(`http://127.0.0.1:${port}/link.txt`);
      await response.body?.cancel();
      assert.equal(response.status, 404);
      cli.kill("SIGINT");
      const { stderr } = await cli.finish();
      assert.match(
        stderr,
        /refused .*link\.txt: its real path .* is outside the read permission/,
      );
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("--engine serve shuts down on SIGTERM: the port is closed, exit 0", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      ["0", "-b", "127.0.0.1", "-d", dir, "--engine", "serve", "-q"],
    );
    const port = Number((await cli.waitFor(BANNER))![2]);
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
    assert.equal(await refused(port), true);
  });
});

const TLS_AND_CURL = requiring("openssl", "curl");

/** A test with its own throwaway PKI, removed when it ends. */
function tlsTest(name: string, fn: (certs: Certs) => Promise<void>): void {
  TLS_AND_CURL.test(name, async () => {
    const certs = await makeCerts();
    try {
      await fn(certs);
    } finally {
      await Deno.remove(certs.dir, { recursive: true });
    }
  });
}

tlsTest(
  "--engine serve with --tls-cert negotiates HTTP/2 with curl --http2, and HTTP/1.1 with a client that asks for it",
  async (certs) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${certs.dir}`],
      loopback(
        certs.root,
        "--engine",
        "serve",
        ...tlsFlags(certs, certs.encryptedKey),
        "--tls-password-file",
        certs.passwordFile,
      ),
    );
    const banner = await cli.waitFor(BANNER);
    assert.ok(banner, cli.out);
    assert.match(banner[0], /^Serving HTTPS on 127\.0\.0\.1 port \d+ \(https:/);
    assert.ok(
      await cli.waitFor(
        /\nEngine: Deno\.serve \(--engine serve\), keep-alive, HTTP\/2 and HTTP\/1\.1\n/,
      ),
    );
    const url = `https://127.0.0.1:${banner[2]}/hello.txt`;
    const h2 = await curl(certs, "--http2", "-w", "\n%{http_version}", url);
    assert.equal(h2.code, 0, h2.stderr);
    assert.equal(h2.stdout, "hello\n\n2");
    const h1 = await curl(certs, "--http1.1", "-w", "\n%{http_version}", url);
    assert.equal(h1.stdout, "hello\n\n1.1");
    const range = await curl(
      certs,
      "--http2",
      "-H",
      "Range: bytes=1-3",
      "-w",
      "\n%{http_code}",
      url,
    );
    assert.equal(range.stdout, "ell\n206");
    cli.kill("SIGINT");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
    assert.equal(
      stderr.match(/"GET \/hello\.txt" 20[06] -/g)?.length,
      3,
      stderr,
    );
  },
);

Deno.test("--engine serve with --live-reload sends a change on the event stream, and SIGINT ends the stream and the server", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      [
        "0",
        "-b",
        "127.0.0.1",
        "-d",
        dir,
        "--engine",
        "serve",
        "-q",
        "--live-reload",
      ],
    );
    const port = (await cli.waitFor(BANNER))![2];
    const events = await fetch(
      `http://127.0.0.1:${port}/.well-known/httpserver/live-reload`,
    );
    assert.equal(events.headers.get("content-type"), "text/event-stream");
    const reader = events.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    try {
      await Deno.writeTextFile(`${dir}/hello.txt`, "changed\n");
      let seen = "";
      while (!seen.includes("hello.txt")) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended early: ${seen}`);
        seen += value;
      }
      cli.kill("SIGINT");
      // The server ends the stream as it shuts down.
      while (!(await reader.read()).done);
    } finally {
      await reader.cancel().catch(() => {});
    }
    assert.equal((await cli.finish()).code, 0);
  });
});
