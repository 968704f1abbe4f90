/**
 * Path traversal over the wire: one table of hostile request-targets, sent
 * raw to SimpleHTTPRequestHandler and to CGIHTTPRequestHandler serving a
 * folder that has a secret, a CGI folder and a literal `%2e%2e` folder
 * beside and inside it. Nothing outside the served folder may be read, no
 * script outside the CGI folders may run, and nothing is decoded twice.
 * `paths_test.ts` checks `translatePath` itself; `simple_test.ts` and
 * `cgi_test.ts` a few of these cases each.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CGIHTTPRequestHandler,
  type RequestHandlerClass,
  SimpleHTTPRequestHandler,
} from "../../mod.ts";
import { captureLogs, exchange, serve } from "../support/helpers.ts";

const SECRET = "SECRET-OUTSIDE-THE-FOLDER";
const EVIL = "A-SCRIPT-OUTSIDE-RAN";
const SOURCE = "A-SCRIPT-BUT-NOT-IN-CGI-BIN";

/**
 * `root/secret.txt` and `root/cgi-bin/evil.sh` outside, `root/marks` where a
 * script that runs leaves a file; the served folder
 * `root/served` with `inside.txt`, `cgi-bin/hello.sh`, `notcgi/run.sh`, and a
 * folder literally named `%2e%2e` holding its own `secret.txt`.
 */
async function fixture(): Promise<AsyncDisposable & { root: string }> {
  const root = await Deno.makeTempDir({ prefix: "httpserver-traversal-" });
  // Run as root, the server runs scripts as nobody: let nobody in, and let
  // a script that runs leave its mark.
  await Deno.chmod(root, 0o755);
  await Deno.mkdir(`${root}/marks`);
  await Deno.chmod(`${root}/marks`, 0o777);
  const script = async (path: string, body: string) => {
    await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(path, 0o755);
  };
  await Deno.writeTextFile(`${root}/secret.txt`, SECRET);
  await Deno.mkdir(`${root}/cgi-bin`);
  await script(
    `${root}/cgi-bin/evil.sh`,
    `touch "${root}/marks/ran"; printf 'Content-Type: text/plain\\n\\n${EVIL}'`,
  );
  const served = `${root}/served`;
  for (const dir of ["cgi-bin", "notcgi", "%2e%2e"]) {
    await Deno.mkdir(`${served}/${dir}`, { recursive: true });
  }
  await Deno.writeTextFile(`${served}/inside.txt`, "inside");
  await Deno.writeTextFile(`${served}/%2e%2e/secret.txt`, "literal");
  await script(
    `${served}/cgi-bin/hello.sh`,
    "printf 'Content-Type: text/plain\\n\\nhello'",
  );
  await script(
    `${served}/notcgi/run.sh`,
    `touch "${root}/marks/ran"; echo ${SOURCE}`,
  );
  return {
    root,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** Targets that must not leave the folder, in the encodings attackers use. */
const HOSTILE = [
  "/../secret.txt",
  "/../../../../../../secret.txt",
  "/inside.txt/../../secret.txt",
  "/./../secret.txt",
  "/a/b/../../../secret.txt",
  "/..%2fsecret.txt",
  "/%2e%2e/secret.txt",
  "/%2E%2E/secret.txt",
  "/.%2e/secret.txt",
  "/%2e%2e%2fsecret.txt",
  "/..\\secret.txt",
  "/..%5csecret.txt",
  "/%2e%2e%5csecret.txt",
  // Overlong UTF-8 for "." and "/": invalid, decoded as U+FFFD, not as dots.
  "/%c0%ae%c0%ae/secret.txt",
  "/%c0%ae%c0%ae%c0%afsecret.txt",
  "/%e0%80%ae%e0%80%ae/secret.txt",
  // Look-alikes: one dot leader, fullwidth full stop and solidus, division slash.
  "/%e2%80%a4%e2%80%a4/secret.txt",
  "/%ef%bc%8e%ef%bc%8e/secret.txt",
  "/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt",
  "/..%e2%88%95secret.txt",
  // NUL ends a C string: refused before any file system call.
  "/secret.txt%00",
  "/%00/../secret.txt",
  "/inside.txt%00/../../secret.txt",
  // Absolute and host forms.
  "http://t/../secret.txt",
  "http://t/%2e%2e/secret.txt",
  "HTTP://t/../../secret.txt",
  "//t/../secret.txt",
  "//../secret.txt",
  "/%2f%2e%2e%2fsecret.txt",
  "secret.txt",
  "../secret.txt",
  "/etc/passwd",
  "/../../../../etc/passwd",
  // Through the CGI folders, to a script outside them or outside the root.
  "/cgi-bin/../../cgi-bin/evil.sh",
  "/cgi-bin/..%2f..%2fcgi-bin/evil.sh",
  "/cgi-bin/%2e%2e/%2e%2e/cgi-bin/evil.sh",
  "/htbin/../../cgi-bin/evil.sh",
  "/cgi-bin/../notcgi/run.sh",
  "/cgi-bin/..%2fnotcgi/run.sh",
  "/notcgi/run.sh",
  "/cgi-bin/hello.sh/../../secret.txt",
  "/cgi-bin/hello.sh/..%2f..%2fsecret.txt",
];

const HANDLERS: [string, RequestHandlerClass][] = [
  ["SimpleHTTPRequestHandler", SimpleHTTPRequestHandler],
  ["CGIHTTPRequestHandler", CGIHTTPRequestHandler],
];

for (const [name, Handler] of HANDLERS) {
  Deno.test({
    name:
      `traversal: ${name} reads nothing outside its folder and runs no script outside cgi-bin, whatever the encoding`,
    ignore: Deno.build.os === "windows",
    async fn() {
      await using fx = await fixture();
      const { Handler: Quiet } = captureLogs(Handler);
      await using s = serve(Quiet, { directory: `${fx.root}/served` });
      for (const target of HOSTILE) {
        const response = await exchange(
          s.port,
          `GET ${target} HTTP/1.0\r\n\r\n`,
        );
        const status = Number(response.split(" ")[1]);
        assert.ok(status >= 200 && status < 500, `${target}: ${status}`);
        assert.ok(!response.includes(SECRET), `${target} read the secret`);
        assert.ok(!response.includes(EVIL), `${target} ran a script outside`);
      }
      await assert.rejects(
        Deno.stat(`${fx.root}/marks/ran`),
        Deno.errors.NotFound,
      );
    },
  });
}

Deno.test({
  name:
    "traversal: a double-encoded %252e%252e stays the literal folder %2e%2e",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using fx = await fixture();
    const { Handler } = captureLogs(SimpleHTTPRequestHandler);
    await using s = serve(Handler, { directory: `${fx.root}/served` });
    const response = await exchange(
      s.port,
      "GET /%252e%252e/secret.txt HTTP/1.0\r\n\r\n",
    );
    assert.match(response, /^HTTP\/1\.0 200 /);
    assert.ok(response.endsWith("\r\n\r\nliteral"));
  },
});

Deno.test({
  name:
    "traversal: the CGI handler runs its own scripts, and serves a script elsewhere as a file",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using fx = await fixture();
    const { Handler } = captureLogs(CGIHTTPRequestHandler);
    await using s = serve(Handler, { directory: `${fx.root}/served` });
    const ran = await exchange(
      s.port,
      "GET /cgi-bin/hello.sh HTTP/1.0\r\n\r\n",
    );
    assert.ok(ran.endsWith("\r\n\r\nhello"), ran);
    const shown = await exchange(s.port, "GET /notcgi/run.sh HTTP/1.0\r\n\r\n");
    assert.ok(shown.includes(SOURCE), "served as a file");
    await assert.rejects(
      Deno.stat(`${fx.root}/marks/ran`),
      Deno.errors.NotFound,
    );
  },
});
