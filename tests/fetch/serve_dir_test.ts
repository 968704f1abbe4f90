// The fetch face as Deno people use it: serveDir and createFileHandler
// inside Deno.serve beside API routes, as the fallback of a small router,
// mounted under a URL prefix; std's defaults; bodies that stream from the
// file and close it when the client goes away.
import assert from "node:assert/strict";
import { createFileHandler, serveDir } from "../../mod.ts";
import { tempFolder, until } from "../support/helpers.ts";

/** A folder with a few files, removed after `fn`. */
async function withSite(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "httpserver-fetch-" }),
  );
  try {
    await Deno.writeTextFile(`${dir}/hello.txt`, "hello\n");
    await Deno.writeTextFile(`${dir}/.env`, "SECRET=1\n");
    await Deno.mkdir(`${dir}/docs`);
    await Deno.writeTextFile(`${dir}/docs/guide.md`, "# Guide\n");
    await Deno.writeTextFile(`${dir}/index.html`, "<h1>home</h1>\n");
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `handler` on Deno.serve, 127.0.0.1 port 0, until `fn` ends. */
async function withServer(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

async function text(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text(), response };
}

Deno.test("serveDir keeps std's defaults: no dotfiles, no listings, no CORS, index.html served", async () => {
  await withSite(async (dir) => {
    const at = (path: string) =>
      serveDir(new Request(`http://localhost${path}`), {
        fsRoot: dir,
        quiet: true,
      });
    const env = await at("/.env");
    assert.equal(env.status, 404);
    await env.body?.cancel();
    const listing = await at("/docs/");
    assert.equal(listing.status, 404);
    await listing.body?.cancel();
    const file = await at("/hello.txt");
    assert.equal(await file.text(), "hello\n");
    assert.equal(file.headers.get("access-control-allow-origin"), null);
    assert.equal(await (await at("/")).text(), "<h1>home</h1>\n");
  });
});

Deno.test("std's option names turn on what they name: showDotfiles, showDirListing, enableCors, headers, showIndex", async () => {
  await withSite(async (dir) => {
    const files = createFileHandler({
      fsRoot: dir,
      showDotfiles: true,
      showDirListing: true,
      showIndex: false,
      enableCors: true,
      headers: ["X-Site: one"],
      quiet: true,
    });
    const at = (path: string) => files(new Request(`http://localhost${path}`));
    assert.equal(await (await at("/.env")).text(), "SECRET=1\n");
    const listing = await at("/docs/");
    assert.match(await listing.text(), /<a href="guide\.md">guide\.md<\/a>/);
    assert.equal(listing.headers.get("access-control-allow-origin"), "*");
    assert.equal(listing.headers.get("x-site"), "one");
    const root = await at("/");
    assert.match(await root.text(), /Directory listing for \//);
  });
});

Deno.test("options that cannot be used are a TypeError at once", () => {
  assert.throws(
    () => createFileHandler({ headers: ["Content-Length: 1"] }),
    /'Content-Length' is set by the server/,
  );
  assert.throws(
    () => createFileHandler({ headers: ["no colon"] }),
    /invalid header/,
  );
  assert.throws(() => createFileHandler({ cacheMaxAge: -1 }), TypeError);
});

Deno.test("inside Deno.serve beside API routes", async () => {
  await withSite(async (dir) => {
    await withServer((request) => {
      const { pathname } = new URL(request.url);
      if (pathname === "/api/time") return Response.json({ now: 1 });
      return serveDir(request, { fsRoot: dir, quiet: true });
    }, async (url) => {
      assert.deepEqual(await (await fetch(`${url}/api/time`)).json(), {
        now: 1,
      });
      assert.equal((await text(`${url}/hello.txt`)).text, "hello\n");
      assert.equal((await text(`${url}/nothing`)).status, 404);
    });
  });
});

Deno.test("as the fallback of a small router, by plain function composition", async () => {
  await withSite(async (dir) => {
    type Handler = (request: Request) => Response | Promise<Response>;
    const route = (
      routes: Record<string, Handler>,
      fallback: Handler,
    ): Handler =>
    (request) => (routes[new URL(request.url).pathname] ?? fallback)(request);
    const app = route(
      { "/api/hello": () => new Response("hi from the API\n") },
      createFileHandler({ fsRoot: dir, quiet: true }),
    );
    await withServer(app, async (url) => {
      assert.equal((await text(`${url}/api/hello`)).text, "hi from the API\n");
      assert.equal((await text(`${url}/docs/guide.md`)).text, "# Guide\n");
    });
  });
});

Deno.test("mounted under a URL prefix with urlRoot: redirects, listings and 404 outside it", async () => {
  await withSite(async (dir) => {
    const files = createFileHandler({
      fsRoot: dir,
      urlRoot: "static",
      showDirListing: true,
      quiet: true,
    });
    await withServer(files, async (url) => {
      assert.equal((await text(`${url}/static/hello.txt`)).text, "hello\n");
      assert.equal((await text(`${url}/static/`)).text, "<h1>home</h1>\n");
      const redirect = await fetch(`${url}/static/docs`, {
        redirect: "manual",
      });
      await redirect.body?.cancel();
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.get("location"), "/static/docs/");
      const listing = await text(`${url}/static/docs/`);
      assert.match(listing.text, /Directory listing for \/static\/docs\//);
      assert.equal((await text(`${url}/hello.txt`)).status, 404);
      assert.equal((await text(`${url}/statichello.txt`)).status, 404);
    });
  });
});

/** The open descriptors of this process that name `path` (Linux). */
function openDescriptors(path: string): number {
  let count = 0;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${entry.name}`) === path) count++;
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
}

Deno.test({
  name:
    "a download the client aborts closes the file; Range, HEAD and 304 as on the Python face",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await withSite(async (dir) => {
      // Sparse, and larger than any buffer between the server and the
      // client: the file is still being sent when the client goes away.
      const path = `${dir}/big.bin`;
      const size = 256 * 1024 * 1024;
      await Deno.writeTextFile(path, "a".repeat(100));
      await Deno.truncate(path, size);
      // Long unchanged: sent with its validators (see `validatable`).
      await Deno.utime(path, 1_700_000_000, 1_700_000_000);
      await withServer(
        createFileHandler({ fsRoot: dir, quiet: true }),
        async (url) => {
          const response = await fetch(`${url}/big.bin`);
          assert.equal(response.headers.get("content-length"), String(size));
          const reader = response.body!.getReader();
          try {
            const first = await reader.read();
            assert.ok(first.value!.length > 0);
            // Deno may hold a copy of the descriptor while it reads.
            assert.ok(openDescriptors(path) >= 1, "the file is open");
          } finally {
            await reader.cancel();
          }
          await until(
            () => openDescriptors(path) === 0 ? true : undefined,
            "the file closed after the client went away",
          );

          const part = await fetch(`${url}/big.bin`, {
            headers: { range: "bytes=10-19" },
          });
          assert.equal(part.status, 206);
          assert.equal(
            part.headers.get("content-range"),
            `bytes 10-19/${size}`,
          );
          assert.equal(await part.text(), "a".repeat(10));

          const head = await fetch(`${url}/big.bin`, { method: "HEAD" });
          assert.equal(head.headers.get("content-length"), String(size));
          assert.equal(await head.text(), "");

          const etag = head.headers.get("etag")!;
          const fresh = await fetch(`${url}/big.bin`, {
            headers: { "if-none-match": etag },
          });
          assert.equal(fresh.status, 304);
          assert.equal(fresh.headers.get("etag"), etag);
          await fresh.body?.cancel();
          assert.equal(openDescriptors(path), 0, "no file left open");
        },
      );
    });
  },
});

Deno.test("file operations under a urlRoot: hrefs and Destinations carry the mount point, a Destination outside it is 403", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${root}/docs`);
    await Deno.writeTextFile(`${root}/docs/a.txt`, "a");
    const files = createFileHandler({
      fsRoot: root,
      urlRoot: "static",
      showDirListing: true,
      delete: true,
      mkdir: true,
      quiet: true,
    });
    const ask = async (
      method: string,
      path: string,
      headers: Record<string, string> = {},
    ) => {
      const response = await files(
        new Request(`http://127.0.0.1${path}`, { method, headers }),
      );
      return { status: response.status, text: await response.text() };
    };
    const listing = await ask("PROPFIND", "/static/docs/", { depth: "1" });
    assert.equal(listing.status, 207);
    assert.deepEqual(
      [...listing.text.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]),
      ["/static/docs/", "/static/docs/a.txt"],
    );
    assert.equal((await ask("MKCOL", "/static/made/")).status, 201);
    assert.equal(
      (await ask("MOVE", "/static/docs/a.txt", {
        destination: "http://127.0.0.1/elsewhere/a.txt",
      })).status,
      403,
    );
    assert.equal(
      (await ask("MOVE", "/static/docs/a.txt", {
        destination: "/static/made/a.txt",
      })).status,
      201,
    );
    assert.equal(await Deno.readTextFile(`${root}/made/a.txt`), "a");
    assert.equal((await ask("DELETE", "/static/docs/")).status, 204);
    assert.equal((await ask("DELETE", "/static/")).status, 403);
    assert.equal((await ask("DELETE", "/other/made/")).status, 404);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["made"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a PUT whose file is locked while its body comes is 423 and changes nothing: the lock is checked again before the file takes its name", async () => {
  await using folder = await tempFolder("httpserver-put-lock-", {
    "a.txt": "a",
  });
  const files = createFileHandler({
    fsRoot: folder.root,
    quiet: true,
    upload: true,
    webdav: true,
  });
  const url = "http://localhost/a.txt";
  const body = Promise.withResolvers<
    ReadableStreamDefaultController<Uint8Array>
  >();
  const put = files(
    new Request(url, {
      method: "PUT",
      body: new ReadableStream({
        start: (controller) => body.resolve(controller),
      }),
    }),
  );
  const controller = await body.promise;
  controller.enqueue(new TextEncoder().encode("b"));
  const lock = await files(
    new Request(url, {
      method: "LOCK",
      body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">' +
        "<D:lockscope><D:exclusive/></D:lockscope>" +
        "<D:locktype><D:write/></D:locktype></D:lockinfo>",
    }),
  );
  await lock.body?.cancel();
  assert.equal(lock.status, 200);
  controller.close();
  const answer = await put;
  await answer.body?.cancel();
  assert.equal(answer.status, 423);
  assert.equal(await Deno.readTextFile(`${folder.root}/a.txt`), "a");
  const unlock = await files(
    new Request(url, {
      method: "UNLOCK",
      headers: { "Lock-Token": lock.headers.get("lock-token")! },
    }),
  );
  assert.equal(unlock.status, 204);
});
