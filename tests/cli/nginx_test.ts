// README.md's "Scaling out" recipe, run: two instances on Unix sockets
// behind nginx, with README's nginx configuration and command line; one
// instance is stopped with SIGTERM in the middle of a load, and no request
// fails. Runs where nginx is installed (Debian's package); elsewhere it is
// skipped, its name saying why.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cli, withFolder } from "../support/cli_process.ts";
import { RawClient, until } from "../support/helpers.ts";
import { requiring, tool } from "../support/tools.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README = await Deno.readTextFile(`${ROOT}README.md`);
const SCALING = README.slice(README.indexOf("\n## Scaling out\n"));

/** README's nginx site for the instances on Unix sockets. */
function readmeSite(): string {
  const block = SCALING.match(
    /```nginx\n(upstream httpserver \{\n {4}server unix:[\s\S]*?)```/,
  );
  assert.ok(
    block,
    "README.md's Scaling out has the nginx site for Unix sockets",
  );
  return block[1];
}

/** README's command for instance NAME, as words, in `run`'s shape. */
const INSTANCE =
  "deno run --allow-net=unix:/run/httpserver/$name.sock --allow-read=/run/httpserver/$name.sock,/srv/www --allow-write=/run/httpserver/$name.sock jsr:@x/httpserver -b unix:/run/httpserver/$name.sock -d /srv/www -p HTTP/1.1 --log-format combined --trusted-proxy unix";

/** The instance `name` with its sockets in `dir`, serving `dir`. */
function instance(name: string, dir: string): Cli {
  const words = INSTANCE.replaceAll(
    "/run/httpserver/$name.sock",
    `${dir}/${name}.sock`,
  )
    .replaceAll("/srv/www", dir).split(" ");
  const module = words.indexOf("jsr:@x/httpserver");
  return new Cli(words.slice(2, module), words.slice(module + 1));
}

/** A port that was free a moment ago on 127.0.0.1. */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

const CONNECTIONS = 4;
const PER_CONNECTION = 100;
/** How many responses come back before the first instance is stopped. */
const STOP_AFTER = 100;

requiring("nginx").test(
  "README's recipe: two instances behind nginx over Unix sockets, one stopped mid-load, no request lost",
  async () => {
    assert.ok(
      SCALING.includes(INSTANCE),
      "README.md's Scaling out has the instances' command",
    );
    await withFolder(async (dir) => {
      // nginx's workers run as nobody when the tests run as root: they must
      // reach the sockets.
      await Deno.chmod(dir, 0o755);
      await using a = instance("a", dir);
      await using b = instance("b", dir);
      for (const [name, cli] of [["a", a], ["b", b]] as const) {
        assert.ok(await cli.waitFor(/^Serving HTTP on unix:/), cli.out);
        await Deno.chmod(`${dir}/${name}.sock`, 0o666);
      }
      const port = freePort();
      await Deno.mkdir(`${dir}/nginx`);
      await Deno.writeTextFile(
        `${dir}/nginx/nginx.conf`,
        `daemon off;
worker_processes 1;
pid ${dir}/nginx/nginx.pid;
error_log ${dir}/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ${dir}/nginx/body;
    proxy_temp_path ${dir}/nginx/proxy;
    fastcgi_temp_path ${dir}/nginx/fastcgi;
    uwsgi_temp_path ${dir}/nginx/uwsgi;
    scgi_temp_path ${dir}/nginx/scgi;
${
          readmeSite().replaceAll("/run/httpserver/", `${dir}/`)
            .replace("listen 80;", `listen 127.0.0.1:${port};`)
        }}
`,
      );
      const nginx = new Deno.Command(tool("nginx")!, {
        args: [
          "-p",
          `${dir}/nginx/`,
          "-c",
          `${dir}/nginx/nginx.conf`,
          "-e",
          `${dir}/nginx/error.log`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const errorLog = () =>
        Deno.readTextFile(`${dir}/nginx/error.log`).catch(() => "");
      try {
        await until(async () => {
          try {
            (await Deno.connect({ hostname: "127.0.0.1", port })).close();
            return true;
          } catch {
            return undefined;
          }
        }, `nginx listening on ${port}`);

        let answered = 0;
        const failures: string[] = [];
        const halfway = Promise.withResolvers<void>();
        const stopped = halfway.promise.then(() => {
          a.kill("SIGTERM");
          return a.finish();
        });
        const load = async () => {
          using client = await RawClient.connect(port);
          for (let i = 0; i < PER_CONNECTION; i++) {
            try {
              await client.send(
                `GET /hello.txt HTTP/1.1\r\nHost: www.example\r\n\r\n`,
              );
              const response = await client.readResponse();
              if (response.status !== 200 || response.text !== "hello\n") {
                failures.push(`${response.statusLine}: ${response.text}`);
              }
            } catch (error) {
              failures.push(String(error));
              return;
            }
            if (++answered === STOP_AFTER) halfway.resolve();
          }
        };
        await Promise.all(Array.from({ length: CONNECTIONS }, load));
        assert.deepEqual(failures, [], await errorLog());
        assert.equal(answered, CONNECTIONS * PER_CONNECTION);
        const first = await stopped;
        assert.equal(first.code, 0, first.stderr);
        b.kill("SIGTERM");
        const second = await b.finish();
        assert.equal(second.code, 0, second.stderr);

        // Each instance logged its share of whole responses, the client
        // behind nginx by its address. A request that arrived on a
        // keep-alive connection as the stopping instance closed it is logged
        // with no byte sent ("200 -"): nginx retried it on the other one.
        const whole =
          /^127\.0\.0\.1 - - \[.*\] "GET \/hello\.txt HTTP\/1\.1" 200 6 "-" "-"$/;
        const cut =
          /^127\.0\.0\.1 - - \[.*\] "GET \/hello\.txt HTTP\/1\.1" 200 - "-" "-"$/;
        const [ofA, ofB] = [first.stderr, second.stderr].map((text) =>
          text.split("\n").filter((line) => line !== "")
        );
        for (const line of ofB) assert.match(line, whole);
        for (const line of ofA) {
          assert.match(line, new RegExp(`${whole.source}|${cut.source}`));
        }
        const served = ofA.filter((line) => whole.test(line)).length;
        assert.ok(served > 0, "the first instance served until stopped");
        assert.equal(served + ofB.length, CONNECTIONS * PER_CONNECTION);
      } finally {
        nginx.kill("SIGQUIT");
        await nginx.status;
      }
    });
  },
);
