// `--workers N`: the command line's server in N threads of one process that
// share the port. Which worker answered is read from /proc, not from the
// responses: each worker is a thread Deno names `worker-<n>`, and a thread's
// `io` counts the bytes it wrote, which for a worker are its log lines.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkWorkers } from "../../cli.ts";
import { parseCliArgs, UsageError } from "../../cli/args.ts";
import {
  addHangingScript,
  BANNER,
  Cli,
  loopback,
  run,
  secondSignalExits,
  uploadFinishesAfter,
  withFolder,
} from "../support/cli_process.ts";
import { tempFolder, until } from "../support/helpers.ts";
import { BOB, USERS } from "../support/accounts.ts";
import { MAX_FAILURES } from "../../files/accounts/throttle.ts";
import { makeCerts, tlsFlags } from "../support/tls_fixture.ts";
import { requiring } from "../support/tools.ts";

const PERMISSIONS = ["--unstable-net", "--allow-net=127.0.0.1", "--allow-read"];
const FIXTURE = fileURLToPath(
  new URL("../support/workers_fixture.ts", import.meta.url),
);

/** The worker threads of process `pid`, each with the bytes it has written. */
function workerWrites(pid: number): Map<string, number> {
  const writes = new Map<string, number>();
  for (const { name } of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const task = `/proc/${pid}/task/${name}`;
      const comm = Deno.readTextFileSync(`${task}/comm`).trim();
      if (!comm.startsWith("worker-")) continue;
      const io = Deno.readTextFileSync(`${task}/io`);
      writes.set(comm, Number(io.match(/^wchar: (\d+)$/m)![1]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return writes;
}

/** Whether process `pid` has `path` open. */
function openOn(pid: number, path: string): boolean {
  for (const { name } of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${name}`) === path) return true;
    } catch {
      // Closed meanwhile.
    }
  }
  return false;
}

Deno.test("--workers 2 answers requests over many connections, and both workers answer some", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(PERMISSIONS, loopback(dir, "--workers", "2"));
    const banner = await cli.waitFor(BANNER);
    assert.match(banner?.[0] ?? cli.out, / with 2 workers \.\.\.\n$/);
    const before = workerWrites(cli.pid);
    assert.equal(before.size, 2);
    // HTTP/1.0: a new connection each, and the kernel picks a worker for each.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${banner![2]}/hello.txt`);
      assert.equal(await res.text(), "hello\n");
    }
    for (const [thread, written] of workerWrites(cli.pid)) {
      assert.ok(written > before.get(thread)!, `${thread} logged nothing`);
    }
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.equal(
      stderr.match(/"GET \/hello\.txt HTTP\/1\.1" 200 -\n/g)?.length,
      20,
    );
  });
});

Deno.test("with --workers 2, failed sign-ins count in every worker: 10 wrong passwords block the address in both", async () => {
  await using folder = await tempFolder("httpserver-workers-accounts-", {
    "users": USERS,
    "site/hello.txt": "hello\n",
  });
  await using cli = new Cli(
    PERMISSIONS,
    loopback(
      `${folder.root}/site`,
      "--workers",
      "2",
      "--auth-file",
      `${folder.root}/users`,
    ),
  );
  const banner = await cli.waitFor(BANNER);
  const url = `http://127.0.0.1:${banner![2]}/hello.txt`;
  const status = async (headers: Record<string, string>) => {
    const response = await fetch(url, { headers });
    await response.body?.cancel();
    return response.status;
  };
  const wrong = { Authorization: `Basic ${btoa("bob:guess")}` };
  for (let i = 0; i < MAX_FAILURES; i++) assert.equal(await status(wrong), 401);
  const before = workerWrites(cli.pid);
  // HTTP/1.0: a new connection each, and the kernel picks a worker for each.
  for (let i = 0; i < 20; i++) assert.equal(await status(BOB), 429, `${i}`);
  for (const [thread, written] of workerWrites(cli.pid)) {
    assert.ok(written > before.get(thread)!, `${thread} answered none`);
  }
  cli.kill("SIGTERM");
  const { code, stderr } = await cli.finish();
  assert.equal(code, 0);
  assert.equal(stderr.match(/repeated failed sign-ins/g)?.length, 1);
});

Deno.test("SIGTERM ends every worker once the upload in flight has finished", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      [...PERMISSIONS, `--allow-write=${dir}`],
      loopback(dir, "--upload", "--workers", "2"),
    );
    await uploadFinishesAfter(cli, await cli.port(), dir, "SIGTERM");
  });
});

Deno.test("a second SIGINT exits at once with 130, once the workers have removed their uploads' .part files and killed their CGI scripts", async () => {
  await withFolder(async (dir) => {
    await addHangingScript(dir);
    await using cli = new Cli(
      [...PERMISSIONS, `--allow-write=${dir}`, "--allow-run"],
      loopback(dir, "--cgi", "--upload", "--workers", "2"),
    );
    await secondSignalExits(cli, await cli.port(), dir, "SIGINT", 130);
  });
});

Deno.test("a worker that dies is replaced, with its error in the log, and the new one serves", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(PERMISSIONS, loopback(dir, "--workers", "2"), {
      module: FIXTURE,
    });
    const url = `http://127.0.0.1:${await cli.port()}`;
    const first = workerWrites(cli.pid);
    // Its answer may or may not leave before the worker dies.
    await fetch(`${url}/crash`).then((res) => res.body?.cancel(), () => {});
    const fresh = await until(
      () => [...workerWrites(cli.pid).keys()].find((name) => !first.has(name)),
      "a new worker thread",
    );
    const before = workerWrites(cli.pid).get(fresh)!;
    // A new connection each, until one lands on the new worker.
    await until(async () => {
      assert.equal(await (await fetch(`${url}/hello.txt`)).text(), "hello\n");
      return workerWrites(cli.pid).get(fresh)! > before || undefined;
    }, "a request answered by the new worker");
    assert.equal(workerWrites(cli.pid).size, 2);
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    assert.match(
      stderr,
      /\nworker [12] died; starting another in its place:\nError: crash requested\n {4}at /,
    );
  });
});

Deno.test("with --log-file, the workers' lines go to the file, and SIGHUP has every worker open it again", async () => {
  await withFolder(async (dir) => {
    const log = `${dir}.log`;
    try {
      await using cli = new Cli(
        [
          "--unstable-net",
          "--allow-net=127.0.0.1",
          "--allow-read",
          `--allow-write=${log}`,
        ],
        loopback(dir, "--workers", "2", "--log-file", log),
      );
      const port = await cli.port();
      // New connections, so that both workers are likely to answer some.
      const fetchAll = async (n: number, tag: string) => {
        for (let i = 0; i < n; i++) {
          const res = await fetch(
            `http://127.0.0.1:${port}/hello.txt?${tag}${i}`,
            {
              headers: { connection: "close" },
            },
          );
          await res.body?.cancel();
        }
      };
      await fetchAll(20, "before");
      await until(
        () => Deno.readTextFileSync(log).split("\n").length > 20 || undefined,
        "20 lines in the log file",
      );
      await Deno.rename(log, `${log}.1`);
      cli.kill("SIGHUP");
      // Reopened everywhere once no thread holds the moved file open.
      await until(
        () => openOn(cli.pid, `${log}.1`) ? undefined : true,
        "every thread lets the moved log file go",
      );
      await fetchAll(20, "after");
      await until(
        () => Deno.readTextFileSync(log).split("\n").length > 20 || undefined,
        "20 lines in the new log file",
      );
      assert.ok(!Deno.readTextFileSync(`${log}.1`).includes("?after"));
      assert.ok(!Deno.readTextFileSync(log).includes("?before"));
      cli.kill("SIGTERM");
      assert.equal((await cli.finish()).code, 0);
    } finally {
      for (const path of [log, `${log}.1`]) {
        await Deno.remove(path).catch(() => {});
      }
    }
  });
});

Deno.test("under load, the log lines of two workers never mix, however long", async () => {
  await withFolder(async (dir) => {
    await using cli = new Cli(
      PERMISSIONS,
      loopback(dir, "-p", "HTTP/1.1", "--workers", "2"),
    );
    // Lines of 48 KiB: a turn's batch outgrows the pipe to stderr (64 KiB),
    // so a write without the lock would stop midway for the reader.
    const query = 48 * 1024;
    const url = `http://127.0.0.1:${await cli.port()}/hello.txt?${
      "x".repeat(query)
    }`;
    using client = Deno.createHttpClient({});
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let n = 0; n < 12; n++) {
          const res = await fetch(url, { client });
          assert.equal(await res.text(), "hello\n");
        }
      }),
    );
    cli.kill("SIGTERM");
    const { code, stderr } = await cli.finish();
    assert.equal(code, 0);
    const lines = stderr.split("\n").slice(0, -1);
    const whole = new RegExp(
      `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /hello\\.txt\\?x{${query}} HTTP/1\\.1" 200 -$`,
    );
    const broken = lines.filter((line) => !whole.test(line));
    assert.deepEqual(broken.map((line) => line.slice(0, 80)), []);
    assert.equal(lines.length, 32 * 12);
  });
});

requiring("openssl").test("--workers 2 serves HTTPS", async () => {
  await using certs = await makeCerts();
  await using cli = new Cli(
    PERMISSIONS,
    loopback(certs.root, ...tlsFlags(certs), "--workers", "2"),
  );
  const port = await cli.port();
  using client = Deno.createHttpClient({ caCerts: [certs.caPem] });
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`https://127.0.0.1:${port}/hello.txt`, {
      client,
    });
    assert.equal(await res.text(), "hello\n");
  }
  cli.kill("SIGTERM");
  assert.equal((await cli.finish()).code, 0);
});

Deno.test("without --unstable-net, --workers 2 is one line with the command that has it, and exit 1; that command serves", async () => {
  await withFolder(async (dir) => {
    const args = ["0", "-b", "127.0.0.1", "--workers", "2"];
    const { code, stdout, stderr } = await run(
      ["--allow-net=127.0.0.1", "--allow-read"],
      args,
      { cwd: dir },
    );
    assert.equal(code, 1);
    assert.equal(stdout, "");
    const command = stderr.match(
      /^httpserver: error: --workers needs Deno's --unstable-net flag, which lets the workers share the port: run it as deno run (--unstable-net --allow-net=127\.0\.0\.1 --allow-read=\.,\S+) \S+\/mod\.ts 0 -b 127\.0\.0\.1 --workers 2\n$/,
    );
    assert.ok(command, stderr);
    // Read access to the folder served and to the modules, nothing more.
    await using cli = new Cli(command[1].split(" "), args, { cwd: dir });
    const port = await cli.port();
    const res = await fetch(`http://127.0.0.1:${port}/hello.txt`);
    assert.equal(await res.text(), "hello\n");
    cli.kill("SIGTERM");
    assert.equal((await cli.finish()).code, 0);
  });
});

Deno.test("--workers is refused, in one line, where the kernel does not spread a shared port", () => {
  assert.throws(
    () => checkWorkers(2, "darwin"),
    /^Error: --workers needs Linux/,
  );
  checkWorkers(1, "darwin");
  checkWorkers(64, "linux");
});

Deno.test("--workers takes a count from 1 to 256, or auto for one per core", () => {
  const workers = (value: string) =>
    parseCliArgs(["--workers", value])!.workers;
  assert.equal(parseCliArgs([])!.workers, 1);
  assert.equal(workers("4"), 4);
  assert.equal(workers("auto"), Math.min(navigator.hardwareConcurrency, 256));
  for (const bad of ["0", "257", "two", "-1", "1.5"]) {
    assert.throws(() => workers(bad), UsageError, bad);
  }
});
