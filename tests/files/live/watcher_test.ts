// files/live/watcher.ts on real folders: an editor's save is one change,
// stylesheets alone ask for a swap, dotfiles and backups are no change, and
// a watch that cannot start or that fails later says so.
import assert from "node:assert/strict";
import {
  type Change,
  FolderWatcher,
  MAX_PATHS,
  type Watch,
} from "../../../files/live/watcher.ts";
import { within } from "../../support/helpers.ts";

/** Watches a new folder; `changes` collects what it tells. */
async function watching(
  fn: (
    folder: string,
    next: () => Promise<Change>,
    changes: Change[],
  ) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir();
  const changes: Change[] = [];
  let arrived: (() => void) | null = null;
  const watcher = new FolderWatcher(folder, (change) => {
    changes.push(change);
    arrived?.();
  });
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

Deno.test("an editor's save (temporary file, rename, times) is one change to reload", async () => {
  await watching(async (folder, next, changes) => {
    await Deno.writeTextFile(`${folder}/index.html`, "<p>one</p>");
    assert.deepEqual(await next(), { kind: "reload", paths: ["/index.html"] });
    // As vim saves: a probe file made and removed, a backup, the new text
    // written to a temporary name and renamed over the page. In one turn,
    // as an editor does it: a loaded machine must not space the steps out.
    Deno.writeTextFileSync(`${folder}/4913`, "");
    Deno.removeSync(`${folder}/4913`);
    Deno.writeTextFileSync(`${folder}/index.html~`, "<p>one</p>");
    Deno.writeTextFileSync(`${folder}/.index.html.tmp`, "<p>two</p>");
    Deno.renameSync(`${folder}/.index.html.tmp`, `${folder}/index.html`);
    Deno.utimeSync(`${folder}/index.html`, new Date(), new Date());
    const change = await next();
    assert.equal(change.kind, "reload");
    assert.deepEqual(change.paths.toSorted(), ["/4913", "/index.html"]);
    assert.equal(changes.length, 2);
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
    const change = await next();
    assert.equal(change.kind, "css");
    assert.deepEqual(change.paths.toSorted(), ["/css dir/site.css", "/swap"]);
  });
});

Deno.test("removing a stylesheet reloads: nothing is left to swap in", async () => {
  await watching(async (folder, next) => {
    await Deno.writeTextFile(`${folder}/site.css`, "p {}");
    assert.equal((await next()).kind, "css");
    await Deno.remove(`${folder}/site.css`);
    assert.deepEqual(await next(), { kind: "reload", paths: ["/site.css"] });
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
    assert.equal(changes.length, 1);
  });
});

Deno.test(`a change of more than ${MAX_PATHS} files names none: a reload`, async () => {
  await watching(async (folder, next) => {
    for (let i = 0; i <= MAX_PATHS; i++) {
      Deno.writeTextFileSync(`${folder}/${i}.css`, "p {}");
    }
    assert.deepEqual(await next(), { kind: "reload", paths: [] });
  });
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
