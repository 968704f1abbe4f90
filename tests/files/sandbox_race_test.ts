// The folder-only sandbox against a local user who can write in the served
// folder and swaps names for symlinks to the outside while requests run. The
// CLI as a child process with --allow-read=<folder>, a python3 swapper
// exchanging files with symlinks out as fast as it can (renameat2
// RENAME_EXCHANGE), and clients asking all along: not one byte from outside
// may be sent. Then swap_fixture.ts, run with permission for the folder only,
// swapping a file or folder at the very instant between a check and its use,
// for reads, listings and uploads: nothing from outside is sent, nothing is
// left outside. (A folder on the way swapped back and forth as fast as the
// swapper goes can still slip between the steps of a check: see README,
// Security.)
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cli } from "../support/cli_process.ts";

/** How long the clients race the swapper. */
const RACE_MS = 3_000;
/** Requests in flight at once. */
const CLIENTS = 4;

const SWAPPER = `
import ctypes, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
renameat2 = getattr(libc, "renameat2", None)
def exchange(a, b):
    # RENAME_EXCHANGE swaps two names atomically; else three renames.
    if renameat2 is not None and renameat2(-100, a.encode(), -100, b.encode(), 2) == 0:
        return
    os.rename(a, a + ".held")
    os.rename(b, a)
    os.rename(a + ".held", b)
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
# The test stops it; this bounds it should the test not.
deadline = time.monotonic() + 30
swaps = 0
print("swapping", flush=True)
while running and time.monotonic() < deadline:
    for a, b in pairs:
        exchange(a, b)
    swaps += 1
print(swaps, flush=True)
`;

/** A python3 child exchanging each pair of names until stopped. */
class Swapper implements AsyncDisposable {
  #child: Deno.ChildProcess;
  /** Resolves once the swapping has begun. */
  readonly started: Promise<void>;
  /** Resolves to the rounds of swaps made, once the swapper has ended. */
  readonly finished: Promise<number>;

  constructor(pairs: [string, string][]) {
    const child = new Deno.Command("python3", {
      args: ["-c", SWAPPER, ...pairs.flat()],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.started = promise;
    this.finished = (async () => {
      let text = "";
      for await (
        const chunk of child.stdout.pipeThrough(new TextDecoderStream())
      ) {
        text += chunk;
        if (text.startsWith("swapping\n")) resolve();
      }
      const { code } = await child.status;
      resolve();
      assert.equal(code, 0, "the swapper ran to its end");
      return Number(text.split("\n").at(-2));
    })();
    // Awaited by the test; marked handled so that a failure is reported there.
    this.finished.catch(() => {});
  }

  /** Stops the swapping; see {@link finished}. */
  stop(): void {
    this.#child.kill("SIGTERM");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.finished.catch(() => {});
  }
}

/**
 * `<tmp>/root`, served, beside `<tmp>/outside`, which stands for folders of
 * other users (never written to by the swapper), and `<tmp>/spare`, where
 * the swapper keeps what it exchanges with names in root.
 */
async function fixture() {
  const top = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "sandbox_race_" }),
  );
  for (const dir of ["root/sub", "outside/drop", "spare"]) {
    await Deno.mkdir(`${top}/${dir}`, { recursive: true });
  }
  return {
    top,
    root: `${top}/root`,
    outside: `${top}/outside`,
    spare: `${top}/spare`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(top, { recursive: true });
    },
  };
}

/**
 * Runs `ask` from {@link CLIENTS} loops for {@link RACE_MS} while `swapper`
 * swaps, then stops it: every response is in before the names stop moving.
 * Resolves to the number of requests and of swaps.
 */
async function race(
  swapper: Swapper,
  ask: (round: number) => Promise<void>,
): Promise<{ requests: number; swaps: number }> {
  await swapper.started;
  const end = Date.now() + RACE_MS;
  let requests = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) await ask(requests++);
    }),
  );
  swapper.stop();
  return { requests, swaps: await swapper.finished };
}

Deno.test({
  name:
    "with --allow-read=<folder>, a file swapped for a symlink out while being served never sends a byte from outside",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using fx = await fixture();
    const { root, outside, spare } = fx;
    const big = (text: string) => text.repeat(100 * 1024 / text.length);
    // Small files are served from memory, large ones streamed.
    await Deno.writeTextFile(`${root}/small.txt`, "public\n");
    await Deno.writeTextFile(`${root}/big.txt`, big("public! "));
    await Deno.writeTextFile(`${root}/sub/small.txt`, "public\n");
    // Sizes of their own: a listing must not show them either.
    await Deno.writeTextFile(`${outside}/small.txt`, "SECRET 4321\n".repeat(7));
    await Deno.writeTextFile(`${outside}/big.txt`, big("SECRET! "));
    for (const name of ["small.txt", "big.txt"]) {
      await Deno.symlink(`${outside}/${name}`, `${spare}/${name}`);
    }
    await Deno.symlink(`${outside}/small.txt`, `${spare}/sub-small.txt`);

    await using cli = Cli.serving(root);
    const url = `http://127.0.0.1:${await cli.port()}`;
    await using swapper = new Swapper([
      [`${root}/small.txt`, `${spare}/small.txt`],
      [`${root}/big.txt`, `${spare}/big.txt`],
      [`${root}/sub/small.txt`, `${spare}/sub-small.txt`],
    ]);
    const targets: [string, HeadersInit][] = [
      ["/small.txt", {}],
      ["/small.txt", { range: "bytes=0-2" }],
      ["/big.txt", {}],
      ["/big.txt", { range: "bytes=8-15,0-7" }],
      ["/sub/small.txt", {}],
      ["/?format=json", {}],
      ["/sub/?format=json", {}],
    ];
    const leaks: string[] = [];
    let served = 0;
    const { requests, swaps } = await race(swapper, async (round) => {
      const [path, headers] = targets[round % targets.length];
      const res = await fetch(url + path, { headers });
      const body = await res.text();
      if (res.ok) served++;
      if (/SECRET|"size":84\b/.test(body)) leaks.push(`${path} ${res.status}`);
    });
    assert.deepEqual(leaks, [], `${leaks.length} of ${requests} leaked`);
    // The race ran: both sides of each swap were seen.
    assert.ok(swaps > 100, `${swaps} swaps`);
    assert.ok(served > 0 && served < requests, `${served} of ${requests}`);
  },
});

Deno.test({
  name:
    "with --allow-write=<folder> --upload, a subfolder swapped for a symlink out while uploads go into it leaves no file outside",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using fx = await fixture();
    const { root, outside, spare } = fx;
    await Deno.symlink(`${outside}/drop`, `${spare}/sub`);
    await using cli = Cli.serving(root, ["--upload"], [
      `--allow-write=${root}`,
    ]);
    const url = `http://127.0.0.1:${await cli.port()}`;
    await using swapper = new Swapper([[`${root}/sub`, `${spare}/sub`]]);
    const statuses = new Map<number, number>();
    const { requests, swaps } = await race(swapper, async (round) => {
      const res = await fetch(`${url}/sub/up-${round}.txt`, {
        method: "PUT",
        body: `upload ${round}\n`,
      });
      await res.body?.cancel();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    });
    const landed = [...Deno.readDirSync(`${outside}/drop`)].map((e) => e.name);
    // A folder swapped out and back within the microseconds between a
    // check and a rename can still defeat the checks (README: Security), and
    // under load the swapper may hold the folder out for the 2 s the
    // removal retries: rarely, about 1 upload in 3,000. Without the checks,
    // 1 in 6 landed outside.
    assert.ok(
      landed.length * 1000 <= requests,
      `${landed.length} of ${requests} landed outside: ${landed}`,
    );
    // The race ran: uploads were both taken and refused.
    assert.ok(swaps > 100, `${swaps} swaps`);
    assert.ok(statuses.get(201), JSON.stringify([...statuses]));
  },
});

const FIXTURE = fileURLToPath(
  new URL("../support/swap_fixture.ts", import.meta.url),
);

/** `swap_fixture.ts` serving `root` with permission for it alone. */
class SwapServer implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #stdout: ReadableStreamDefaultReader<string>;
  #stderr: Promise<string>;
  /** `http://127.0.0.1:<port>`, once {@link start} resolved. */
  url = "";

  constructor(root: string) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        `--allow-read=${root}`,
        `--allow-write=${root}`,
        FIXTURE,
        root,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdout = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** Resolves once the server listens. */
  async start(): Promise<void> {
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await this.#stdout.read();
      assert.ok(!done, "the fixture printed its port");
      text += value;
    }
    this.url = `http://127.0.0.1:${text.trim()}`;
  }

  /** Stops the server; resolves to its log. */
  async stop(): Promise<string> {
    this.#child.kill("SIGTERM");
    await this.#child.status;
    await this.#stdout.cancel();
    return await this.#stderr;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Stopped already.
    }
    await this.#child.status;
    await this.#stdout.cancel();
    await this.#stderr;
  }
}

for (const through of [false, true]) {
  Deno.test({
    name: `with permission for the folder alone${
      through ? ", granted through a symlink to it" : ""
    }, a name swapped for a symlink out between its check and its use sends nothing from outside and leaves nothing outside`,
    ignore: Deno.build.os === "windows",
    fn: (t) => swapsBetweenCheckAndUse(t, through),
  });
}

/**
 * The scenarios of `swap_fixture.ts`, serving the folder by its own path or
 * (`through`) by a symlink to it, with permission for that path alone.
 */
async function swapsBetweenCheckAndUse(
  t: Deno.TestContext,
  through: boolean,
): Promise<void> {
  await using fx = await fixture();
  const { root, outside } = fx;
  const big = (text: string) => text.repeat(100 * 1024 / text.length);
  await Deno.mkdir(`${root}/.swap`);
  await Deno.mkdir(`${outside}/dir`);
  await Deno.writeTextFile(`${root}/small.txt`, "public\n");
  await Deno.writeTextFile(`${root}/big.txt`, big("public! "));
  await Deno.writeTextFile(`${root}/sub/small.txt`, "public\n");
  for (const name of ["list", "up", "form"]) {
    await Deno.mkdir(`${root}/${name}`);
  }
  await Deno.writeTextFile(`${outside}/small.txt`, "SECRET\n");
  await Deno.writeTextFile(`${outside}/big.txt`, big("SECRET! "));
  await Deno.writeTextFile(`${outside}/dir/small.txt`, "SECRET\n");
  await Deno.writeTextFile(`${outside}/dir/SECRET-name.txt`, "");
  const swaps: [string, string][] = [
    ["small.txt", `${outside}/small.txt`],
    ["big.txt", `${outside}/big.txt`],
    ["sub", `${outside}/dir`],
    ["list", `${outside}/dir`],
    ["up", `${outside}/drop`],
    ["form", `${outside}/drop`],
  ];
  for (const [name, target] of swaps) {
    await Deno.symlink(target, `${root}/.swap/${name}`);
  }

  const served = through ? `${fx.top}/served` : root;
  if (through) await Deno.symlink(root, served);
  await using server = new SwapServer(served);
  await server.start();
  const { url } = server;
  const get = async (path: string, swap: string) => {
    const res = await fetch(url + path, { headers: { "x-swap": swap } });
    return { status: res.status, body: await res.text() };
  };

  await t.step("without a swap, the same requests are answered", async () => {
    for (const path of ["/small.txt", "/big.txt", "/sub/small.txt", "/list/"]) {
      assert.equal((await get(path, "")).status, 200, path);
    }
    const put = await fetch(`${url}/up/control.txt`, {
      method: "PUT",
      body: "uploaded\n",
    });
    await put.body?.cancel();
    assert.equal(put.status, 201);
    assert.equal(
      await Deno.readTextFile(`${root}/up/control.txt`),
      "uploaded\n",
    );
  });
  await t.step("a file swapped before its open is not served", async () => {
    for (const name of ["small.txt", "big.txt"]) {
      const { status, body } = await get(`/${name}`, name);
      assert.equal(status, 404, name);
      assert.doesNotMatch(body, /SECRET/);
    }
  });
  await t.step(
    "a file whose folder is swapped before its open is not served",
    async () => {
      const { status, body } = await get("/sub/small.txt", "sub");
      assert.equal(status, 404);
      assert.doesNotMatch(body, /SECRET/);
    },
  );
  await t.step(
    "a folder swapped before its reading is not listed",
    async () => {
      const { status, body } = await get("/list/", "list");
      assert.equal(status, 404);
      assert.doesNotMatch(body, /SECRET/);
    },
  );
  await t.step(
    "an upload whose folder is swapped after its check is refused",
    async () => {
      const put = await fetch(`${url}/up/new.txt`, {
        method: "PUT",
        headers: { "x-swap": "up" },
        body: "uploaded\n",
      });
      await put.body?.cancel();
      assert.equal(put.status, 403);
      const form = new FormData();
      form.append("file", new Blob(["uploaded\n"]), "new.txt");
      const post = await fetch(`${url}/form/`, {
        method: "POST",
        headers: { "x-swap": "form" },
        body: form,
        redirect: "manual",
      });
      await post.body?.cancel();
      assert.equal(post.status, 403);
      assert.deepEqual([...Deno.readDirSync(`${outside}/drop`)], []);
    },
  );
  const log = await server.stop();
  for (
    const refusal of [
      /refused \S+\/small\.txt: the file opened is not the file its real path names/,
      /refused \S+\/big\.txt: the file opened is not/,
      /refused \S+\/sub\/small\.txt: the file opened is not/,
      /refused \S+\/list\/: the folder read is not the folder its real path names/,
      /refused upload to \S+\/up: its folder was swapped for a symlink meanwhile\n/,
      /refused upload to \S+\/form: its folder was swapped for a symlink meanwhile\n/,
    ]
  ) {
    assert.match(log, refusal);
  }
}
