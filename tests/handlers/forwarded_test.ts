// The client's address behind trusted proxies: the list of proxies and the
// walk through `Forwarded` and `X-Forwarded-For`, table by table; then over
// real sockets, the one address that log lines and CGI's REMOTE_ADDR read,
// and the CLI's --trusted-proxy.
import assert from "node:assert/strict";
import {
  BaseHTTPRequestHandler,
  CGIHTTPRequestHandler,
  type RequestHandlerClass,
} from "../../mod.ts";
import { forwardedClient, TrustedProxies } from "../../http/forwarded.ts";
import { addCgiScript, Cli, run, withFolder } from "../support/cli_process.ts";
import { captureStderr, RawClient, serve } from "../support/helpers.ts";

Deno.test("trusted proxies: addresses, CIDR ranges, IPv4-mapped IPv6 peers, zones, and unix", () => {
  const proxies = new TrustedProxies([
    "192.0.2.1",
    "10.0.0.0/8",
    "2001:db8::/32",
    "::1",
    "172.16.0.0/12",
  ]);
  const cases: [string | null, boolean][] = [
    ["192.0.2.1", true],
    ["192.0.2.2", false],
    ["10.255.1.2", true],
    ["11.0.0.1", false],
    ["172.31.255.255", true],
    ["172.32.0.0", false],
    ["::ffff:10.1.2.3", true], // an IPv4 peer on a dual-stack socket
    ["::ffff:192.0.2.1", true],
    ["2001:db8:ffff::1", true],
    ["2001:db9::1", false],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["fe80::1%eth0", false],
    ["not an address", false],
    [null, false], // a Unix socket peer: only with `unix`
  ];
  for (const [address, trusted] of cases) {
    assert.equal(proxies.trusts(address), trusted, String(address));
  }
  assert.ok(new TrustedProxies(["unix"]).trusts(null));
  assert.ok(new TrustedProxies(["0.0.0.0/0"]).trusts("203.0.113.9"));
  assert.ok(new TrustedProxies(["::/0"]).trusts("2001:db8::1"));
  assert.ok(new TrustedProxies(["fe80::1"]).trusts("fe80::1%eth0"));
});

Deno.test("an entry that is no address, range or unix is refused", () => {
  for (
    const entry of [
      "",
      "localhost",
      "10.0.0.0/33",
      "10.0.0/8",
      "256.0.0.1",
      "01.2.3.4",
      "::1/129",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "10.0.0.0/-1",
      "10.0.0.0/",
    ]
  ) {
    assert.throws(
      () => new TrustedProxies([entry]),
      TypeError,
      JSON.stringify(entry),
    );
  }
});

Deno.test("the client is read from the right of the hops, past each trusted proxy, and only from a trusted peer", () => {
  const proxies = new TrustedProxies(["10.0.0.0/8", "unix"]);
  const cases: [
    string,
    string | null,
    string | null,
    string | null,
    string | null,
  ][] = [
    // what, peer, Forwarded, X-Forwarded-For, client
    ["untrusted peer", "198.51.100.1", null, "203.0.113.7", "198.51.100.1"],
    ["no header", "10.0.0.2", null, null, "10.0.0.2"],
    ["one hop", "10.0.0.2", null, "203.0.113.7", "203.0.113.7"],
    [
      "a spoofed hop left of the real one",
      "10.0.0.2",
      null,
      "1.1.1.1, 203.0.113.7",
      "203.0.113.7",
    ],
    [
      "a chain of trusted proxies",
      "10.0.0.2",
      null,
      "203.0.113.7, 10.0.0.9, 10.0.0.8",
      "203.0.113.7",
    ],
    ["all trusted", "10.0.0.2", null, "10.0.0.9", "10.0.0.9"],
    [
      "an IPv4 hop with a port",
      "10.0.0.2",
      null,
      "203.0.113.7:4711",
      "203.0.113.7",
    ],
    ["a bare IPv6 hop", "10.0.0.2", null, "2001:db8::7", "2001:db8::7"],
    ["a garbage hop", "10.0.0.2", null, "203.0.113.7, evil", "10.0.0.2"],
    [
      "a garbage hop past the client",
      "10.0.0.2",
      null,
      "evil, 203.0.113.7",
      "203.0.113.7",
    ],
    [
      "Forwarded",
      "10.0.0.2",
      "for=203.0.113.7;proto=https",
      null,
      "203.0.113.7",
    ],
    [
      "Forwarded wins over X-Forwarded-For",
      "10.0.0.2",
      "for=203.0.113.7",
      "198.51.100.1",
      "203.0.113.7",
    ],
    [
      "Forwarded, IPv6 quoted with a port",
      "10.0.0.2",
      'for="[2001:db8:cafe::17]:4711"',
      null,
      "2001:db8:cafe::17",
    ],
    [
      "Forwarded, case and spaces",
      "10.0.0.2",
      'by=10.0.0.2; For="203.0.113.7"',
      null,
      "203.0.113.7",
    ],
    [
      "Forwarded, elements",
      "10.0.0.2",
      "for=192.0.2.43, for=10.0.0.5;by=10.0.0.2",
      null,
      "192.0.2.43",
    ],
    [
      "Forwarded, quoted comma",
      "10.0.0.2",
      'for=192.0.2.43;x="a,b", for=10.0.0.5',
      null,
      "192.0.2.43",
    ],
    ["Forwarded unknown", "10.0.0.2", "for=unknown", null, "10.0.0.2"],
    [
      "Forwarded obfuscated",
      "10.0.0.2",
      "for=_hidden, for=203.0.113.7",
      null,
      "203.0.113.7",
    ],
    [
      "Forwarded without for",
      "10.0.0.2",
      "proto=https",
      "203.0.113.7",
      "10.0.0.2",
    ],
    [
      "Forwarded, an unclosed quote",
      "10.0.0.2",
      'for="203.0.113.7',
      null,
      "10.0.0.2",
    ],
    ["a Unix socket peer", null, null, "203.0.113.7", "203.0.113.7"],
    ["a Unix socket peer, no header", null, null, null, null],
  ];
  for (const [what, peer, forwarded, xff, client] of cases) {
    assert.equal(forwardedClient(peer, proxies, forwarded, xff), client, what);
  }
  assert.equal(
    forwardedClient(null, new TrustedProxies([]), null, "203.0.113.7"),
    null,
    "a Unix socket peer that is not trusted",
  );
});

/** Answers every GET with the client address it sees, and logs as Python. */
class Whoami extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";
  async do_GET() {
    const body = this.addressString();
    this.sendResponse(200);
    this.sendHeader("Content-Length", String(body.length));
    this.endHeaders();
    await this.wfile.write(body);
  }
}

function trusting(proxies: string[], Base: RequestHandlerClass = Whoami) {
  return class extends (Base as typeof Whoami) {
    override trustedProxies = proxies;
  };
}

async function get(port: number, headers: string): Promise<string> {
  using client = await RawClient.connect(port);
  await client.send(`GET / HTTP/1.1\r\nHost: t\r\n${headers}\r\n`);
  return (await client.readResponse()).text;
}

Deno.test("from a trusted peer, the log line and addressString show the forwarded client; from another, the peer", async () => {
  const lines = await captureStderr(async () => {
    {
      await using server = serve(trusting(["127.0.0.1"]));
      assert.equal(
        await get(server.port, "X-Forwarded-For: 203.0.113.7\r\n"),
        "203.0.113.7",
      );
      assert.equal(
        await get(server.port, "Forwarded: for=198.51.100.4\r\n"),
        "198.51.100.4",
      );
    }
    {
      await using server = serve(trusting(["10.0.0.0/8"]));
      assert.equal(
        await get(server.port, "X-Forwarded-For: 203.0.113.7\r\n"),
        "127.0.0.1",
      );
    }
    {
      await using server = serve(Whoami);
      assert.equal(
        await get(server.port, "X-Forwarded-For: 203.0.113.7\r\n"),
        "127.0.0.1",
      );
    }
  });
  assert.deepEqual(
    lines.map((line) => line.split(" - - ")[0]),
    ["203.0.113.7", "198.51.100.4", "127.0.0.1", "127.0.0.1"],
  );
});

Deno.test("each request of a keep-alive connection names its own client", async () => {
  const seen: string[] = [];
  await captureStderr(async () => {
    await using server = serve(trusting(["127.0.0.1"]));
    using client = await RawClient.connect(server.port);
    for (const address of ["203.0.113.1", "203.0.113.2", null]) {
      const header = address === null ? "" : `X-Forwarded-For: ${address}\r\n`;
      await client.send(`GET / HTTP/1.1\r\nHost: t\r\n${header}\r\n`);
      seen.push((await client.readResponse()).text);
    }
  });
  assert.deepEqual(seen, ["203.0.113.1", "203.0.113.2", "127.0.0.1"]);
});

Deno.test("CGI's REMOTE_ADDR is the forwarded client from a trusted proxy, the peer otherwise", async () => {
  await withFolder(async (dir) => {
    await addCgiScript(
      dir,
      "addr.sh",
      "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s' \"$REMOTE_ADDR\"\n",
    );
    const ask = async (proxies: string[]) => {
      class Quiet extends CGIHTTPRequestHandler {
        override trustedProxies = proxies;
        override logMessage(): void {}
      }
      await using server = serve(Quiet, { directory: dir });
      const response = await fetch(`${server.url}/cgi-bin/addr.sh`, {
        headers: { "X-Forwarded-For": "203.0.113.7" },
      });
      return await response.text();
    };
    assert.equal(await ask(["127.0.0.1"]), "203.0.113.7");
    assert.equal(await ask([]), "127.0.0.1");
  });
});

Deno.test("--trusted-proxy takes addresses, ranges and unix, repeated; the banner names them and the log shows the client", async () => {
  await withFolder(async (dir) => {
    await using cli = Cli.serving(dir, [
      "--trusted-proxy",
      "127.0.0.0/8",
      "--trusted-proxy",
      "unix",
    ]);
    const port = await cli.port();
    assert.ok(
      await cli.waitFor(/trusted proxies: 127\.0\.0\.0\/8, unix\n/),
      cli.out,
    );
    const response = await fetch(`http://127.0.0.1:${port}/hello.txt`, {
      headers: { "X-Forwarded-For": "203.0.113.7" },
    });
    assert.equal(await response.text(), "hello\n");
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /^203\.0\.113\.7 - - \[.*\] "GET \/hello\.txt HTTP\/1\.1" 200 -\n$/,
    );
  });
});

Deno.test("--trusted-proxy with something that is no address is a usage error: exit 2", async () => {
  const { code, stderr } = await run([], ["--trusted-proxy", "proxy.lan"]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /\nhttpserver: error: argument --trusted-proxy: invalid trusted proxy: 'proxy\.lan' \(an IP address, a CIDR range such as 10\.0\.0\.0\/8, or unix\)\n$/,
  );
});
