// files/live/watcher.ts: events that come together are one change (from a
// stand-in watch, which gives them all at once), and on real folders an
// editor's save reloads, stylesheets alone ask for a swap, dotfiles and
// backups are no change; a watch that cannot start or that fails later says
// so. On a real folder, a loaded machine may deliver one save's events
// further apart than the quiet time, as two changes: those tests take the
// changes until the paths they expect were named.
import assert from "node:assert/strict";
import {
  type Change,
  FolderWatcher,
  MAX_PATHS,
  type Watch,
} from "../../../files/live/watcher.ts";
import { within } from "../../support/helpers.ts";

/**
 * Watches a new folder, with `watch` when given; `changes` collects what it
 * tells.
 */
async function watching(
  fn: (
    folder: string,
    next: () => Promise<Change>,
    changes: Change[],
  ) => Promise<void>,
  watch?: (folder: string) => Watch,
): Promise<void> {
  const folder = await Deno.realPath(await Deno.makeTempDir());
  const changes: Change[] = [];
  let arrived: (() => void) | null = null;
  const watcher = new FolderWatcher(folder, (change) => {
    changes.push(change);
    arrived?.();
  }, watch?.(folder));
  try {
    assert.equal(watcher.start(), null);
    let taken = 0;
    const next = () =>
      within(
        new Promise<Change>((resolve) => {
          const take = () => {
            if (changes.length > taken) resolve(changes[taken++]);
            else arrived = take;
          };
          take();
        }),
        5_000,
        "a change",
      );
    await fn(folder, next, changes);
  } finally {
    watcher.close();
    await Deno.remove(folder, { recursive: true });
  }
}

/**
 * A stand-in for `Deno.watchFs` that gives `events` (paths relative to the
 * folder) all at once, then nothing until closed.
 */
function eventsAtOnce(
  events: [Deno.FsEvent["kind"], ...string[]][],
): (folder: string) => Watch {
  return (folder) => () => {
    let close = () => {};
    const closed = new Promise<IteratorResult<Deno.FsEvent>>((resolve) => {
      close = () => resolve({ done: true, value: undefined });
    });
    const queue = events.map(([kind, ...paths]) => ({
      kind,
      paths: paths.map((path) => folder + path),
    }));
    return {
      close,
      [Symbol.dispose]: close,
      [Symbol.asyncIterator]: () => ({
        next: () =>
          queue.length > 0
            ? Promise.resolve({ done: false, value: queue.shift()! })
            : closed,
      }),
    } as unknown as Deno.FsWatcher;
  };
}

/**
 * Takes changes until every path of `paths` was named; returns the changes
 * taken and the paths they named, sorted.
 */
async function namedBy(
  next: () => Promise<Change>,
  paths: string[],
): Promise<{ taken: Change[]; named: string[] }> {
  const taken: Change[] = [];
  const named = new Set<string>();
  while (!paths.every((path) => named.has(path))) {
    const change = await next();
    taken.push(change);
    for (const path of change.paths) named.add(path);
  }
  return { taken, named: [...named].toSorted() };
}

Deno.test("events that come together are one change: an editor's save (probe file, backup, temporary file, rename, times) reloads once", async () => {
  await watching(
    async (folder, next, changes) => {
      await Deno.writeTextFile(`${folder}/index.html`, "<p>two</p>");
      const change = await next();
      assert.equal(change.kind, "reload");
      assert.deepEqual(change.paths.toSorted(), ["/4913", "/index.html"]);
      assert.equal(changes.length, 1);
    },
    // What inotify tells of vim's save.
    eventsAtOnce([
      ["create", "/4913"],
      ["remove", "/4913"],
      ["create", "/index.html~"],
      ["modify", "/index.html~"],
      ["create", "/.index.html.tmp"],
      ["modify", "/.index.html.tmp"],
      ["rename", "/.index.html.tmp", "/index.html"],
      ["modify", "/index.html"],
    ]),
  );
});

Deno.test("an editor's save on disk (probe file, backup, temporary file, rename, times) reloads", async () => {
  await watching(async (folder, next) => {
    await Deno.writeTextFile(`${folder}/index.html`, "<p>one</p>");
    assert.deepEqual(
      (await namedBy(next, ["/index.html"])).named,
      ["/index.html"],
    );
    // As vim saves: a probe file made and removed, a backup, the new text
    // written to a temporary name and renamed over the page.
    Deno.writeTextFileSync(`${folder}/4913`, "");
    Deno.removeSync(`${folder}/4913`);
    Deno.writeTextFileSync(`${folder}/index.html~`, "<p>one</p>");
    Deno.writeTextFileSync(`${folder}/.index.html.tmp`, "<p>two</p>");
    Deno.renameSync(`${folder}/.index.html.tmp`, `${folder}/index.html`);
    Deno.utimeSync(`${folder}/index.html`, new Date(), new Date());
    const { taken, named } = await namedBy(next, ["/4913", "/index.html"]);
    assert.ok(taken.every((change) => change.kind === "reload"));
    assert.deepEqual(named, ["/4913", "/index.html"]);
  });
});

Deno.test("a change of stylesheets alone asks for a swap, with their URL paths", async () => {
  await watching(async (folder, next) => {
    await Deno.mkdir(`${folder}/css dir`);
    await next();
    Deno.writeTextFileSync(`${folder}/css dir/site.css`, "p { color: red }");
    // A temporary file gone by the time the change is told asks nothing.
    Deno.writeTextFileSync(`${folder}/swap`, "");
    Deno.removeSync(`${folder}/swap`);
    const { taken, named } = await namedBy(next, [
      "/css dir/site.css",
      "/swap",
    ]);
    assert.deepEqual(named, ["/css dir/site.css", "/swap"]);
    for (const change of taken) {
      // Told apart, the temporary file alone is a removal: a reload.
      if (change.paths.includes("/css dir/site.css")) {
        assert.equal(change.kind, "css");
      }
    }
  });
});

Deno.test("removing a stylesheet reloads: nothing is left to swap in", async () => {
  await watching(async (folder, next) => {
    await Deno.writeTextFile(`${folder}/site.css`, "p {}");
    assert.equal((await next()).kind, "css");
    await Deno.remove(`${folder}/site.css`);
    // The write's last events may come as a change of their own: a swap.
    let change = await next();
    while (change.kind === "css") change = await next();
    assert.deepEqual(change, { kind: "reload", paths: ["/site.css"] });
  });
});

Deno.test("dotfiles, dot-folders and backups are no change of the site", async () => {
  await watching(async (folder, next, changes) => {
    Deno.mkdirSync(`${folder}/.git`);
    Deno.writeTextFileSync(`${folder}/.git/index`, "x");
    Deno.writeTextFileSync(`${folder}/page.html~`, "x");
    Deno.writeTextFileSync(`${folder}/.page.html.swp`, "x");
    // Then a change that counts: the first one told.
    Deno.writeTextFileSync(`${folder}/page.html`, "x");
    assert.deepEqual(await next(), { kind: "reload", paths: ["/page.html"] });
    for (const change of changes) {
      assert.deepEqual(change, { kind: "reload", paths: ["/page.html"] });
    }
  });
});

Deno.test(`a change of more than ${MAX_PATHS} files names none: a reload`, async () => {
  const files = Array.from({ length: MAX_PATHS + 1 }, (_, i) => `/${i}.css`);
  await watching(
    async (_folder, next) => {
      assert.deepEqual(await next(), { kind: "reload", paths: [] });
    },
    eventsAtOnce(files.map((path) => ["create", path])),
  );
});

Deno.test("a watch that cannot start says why, without the OS error number", () => {
  const watch: Watch = () => {
    throw new Error(
      'OS file watch limit reached. (os error 28) about ["/srv"]',
    );
  };
  const watcher = new FolderWatcher("/srv", () => {}, watch);
  assert.equal(watcher.start(), 'OS file watch limit reached. about ["/srv"]');
  watcher.close();
});

Deno.test("a watch that fails later says so once, and closes", async () => {
  let closed = 0;
  const watch: Watch = () => ({
    close() {
      closed++;
    },
    [Symbol.dispose]() {},
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(new Error("the event queue overflowed")),
    }),
  } as unknown as Deno.FsWatcher);
  const watcher = new FolderWatcher("/srv", () => {}, watch);
  const reasons: string[] = [];
  const failed = new Promise<void>((resolve) => {
    assert.equal(
      watcher.start((reason) => {
        reasons.push(reason);
        resolve();
      }),
      null,
    );
  });
  await within(failed, 5_000, "the failure");
  watcher.close();
  assert.deepEqual(reasons, ["the event queue overflowed"]);
  assert.equal(closed, 1);
});
