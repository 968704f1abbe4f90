// With accounts and --delete, each face's listing pages mark the entries the
// request's user may not change (`data-fixed`), which the page's script
// leaves without Rename and Delete buttons: decided per user by the rules the
// server refuses DELETE and MOVE by, over real sockets with the real gate
// (--auth-file, --access), on Python's page and the pretty one. Without
// accounts only dotfiles are (but Finder's `._name` and `.DS_Store`, which a
// server with --delete, so WebDAV, lets be changed), and where the user may
// not change the folder nothing is (the page has no buttons).
import assert from "node:assert/strict";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { ALICE, BOB, USERS } from "../support/accounts.ts";

/** A name that needs escaping everywhere, free to change. */
const FREE = `q "<&é x.txt`;
/** A name that needs escaping everywhere, closed to changes by a rule. */
const LOCKED = `ü "<&> lock.txt`;

/**
 * Anyone reads, and changes `/inbox`, but: `archive` is Bob's alone to
 * change, a folder inside `box` Alice's alone, `locked.txt` and
 * {@link LOCKED} no one's.
 */
const RULES = [
  "--access",
  "/:*=ro",
  "--access",
  "/inbox:*=rw",
  "--access",
  "/inbox/archive:*=ro,bob=rw",
  "--access",
  "/inbox/box/keep:*=ro,alice=rw",
  "--access",
  "/inbox/locked.txt:*=ro",
  "--access",
  `/inbox/${LOCKED}:*=ro`,
];

const FILES = {
  "users": USERS,
  "site/top.txt": "t\n",
  "site/inbox/a.txt": "a\n",
  [`site/inbox/${FREE}`]: "f\n",
  [`site/inbox/${LOCKED}`]: "l\n",
  "site/inbox/locked.txt": "l\n",
  "site/inbox/archive/old.txt": "o\n",
  "site/inbox/box/keep/k.txt": "k\n",
};

/** Every entry of `/inbox/`, as its link names it, decoded. */
const ENTRIES = [
  "a.txt",
  "archive/",
  "box/",
  "locked.txt",
  FREE,
  LOCKED,
].sort();

/** Who asks: no one signed in, Bob, Alice. */
const USERS_ASKING = [
  ["anonymous", {}],
  ["bob", BOB],
  ["alice", ALICE],
] as const;

/** The entries each user may not change, which the page marks. */
const FIXED: Record<string, string[]> = {
  anonymous: ["archive/", "box/", "locked.txt", LOCKED],
  bob: ["box/", "locked.txt", LOCKED],
  alice: ["archive/", "locked.txt", LOCKED],
};

/**
 * The entries of a listing page (the parent's and the sorting links left
 * out), decoded, each with whether its link is marked.
 */
async function marks(
  url: string,
  headers: Record<string, string> = {},
): Promise<Map<string, boolean>> {
  const response = await fetch(url, { headers });
  assert.equal(response.status, 200, url);
  const html = await response.text();
  // Whole: the marks are counted in the length sent first.
  assert.ok(html.endsWith("</html>\n"), url);
  const found = new Map<string, boolean>();
  for (
    const [, href, mark] of html.matchAll(
      /<(?:li|td class="name")><a href="([^"]*)"( data-fixed)?>/g,
    )
  ) {
    if (href !== "../") found.set(decodeURIComponent(href), mark !== undefined);
  }
  return found;
}

/** The entries of `found` that are marked, sorted. */
function marked(found: Map<string, boolean>): string[] {
  return [...found].filter(([, fixed]) => fixed).map(([name]) => name).sort();
}

for (const name of ["python", "fetch"] as FaceName[]) {
  for (const pretty of [false, true]) {
    const page = pretty ? "pretty page" : "Python's page";
    const flags = (users: string) => [
      "--auth-file",
      users,
      ...RULES,
      "--delete",
      "--mkdir",
      ...(pretty ? ["--pretty-listing"] : []),
    ];

    Deno.test(`${name} face, ${page}: the entries each user may not change are marked, as DELETE and MOVE refuse them`, async () => {
      await using folder = await tempFolder("httpserver-buttons-", FILES);
      await using face = startFace(
        name,
        `${folder.root}/site`,
        flags(`${folder.root}/users`),
      );
      const url = `http://127.0.0.1:${face.port}`;
      // Asked together, as a listing flood coalesces them: each user's own.
      const pages = await Promise.all(
        [1, 2].flatMap(() =>
          USERS_ASKING.map(([, headers]) => marks(`${url}/inbox/`, headers))
        ),
      );
      pages.forEach((found, i) => {
        const [who] = USERS_ASKING[i % USERS_ASKING.length];
        assert.deepEqual([...found.keys()].sort(), ENTRIES, who);
        assert.deepEqual(marked(found), FIXED[who].toSorted(), who);
      });
      // Where no one may change the folder, no script and nothing marked.
      for (const [who, headers] of USERS_ASKING) {
        assert.deepEqual(marked(await marks(`${url}/`, headers)), [], who);
      }
      // The server refuses what is marked, to rename or delete; what is
      // not, Alice deletes.
      for (const [who, headers] of USERS_ASKING) {
        for (const entry of FIXED[who]) {
          const path = `/inbox/${encodeURIComponent(entry.replace(/\/$/, ""))}`;
          for (
            const init of [
              { method: "DELETE", headers },
              {
                method: "MOVE",
                headers: { ...headers, Destination: "/inbox/moved" },
              },
            ]
          ) {
            const response = await fetch(`${url}${path}`, init);
            await response.body?.cancel();
            assert.equal(
              response.status,
              who === "anonymous" ? 401 : 403,
              `${who}: ${init.method} ${entry}`,
            );
          }
        }
      }
      for (const entry of ["a.txt", "box", FREE]) {
        const response = await fetch(
          `${url}/inbox/${encodeURIComponent(entry)}`,
          { method: "DELETE", headers: ALICE },
        );
        await response.body?.cancel();
        assert.equal(response.status, 204, entry);
      }
    });

    Deno.test(`${name} face, ${page}: without accounts only dotfiles are marked, which no one may change, but Finder's, which anyone may`, async () => {
      await using folder = await tempFolder("httpserver-buttons-", {
        ...FILES,
        "site/inbox/.env": "e\n",
        "site/inbox/.git/config": "c\n",
        "site/inbox/._a.txt": "d\n",
        "site/inbox/.DS_Store": "d\n",
      });
      for (const hidden of [[], ["--no-hidden"]]) {
        await using face = startFace(name, `${folder.root}/site`, [
          "--delete",
          ...hidden,
          ...(pretty ? ["--pretty-listing"] : []),
        ]);
        const url = `http://127.0.0.1:${face.port}/inbox/`;
        const found = await marks(url);
        const dotfiles = hidden.length === 0 ? [".env", ".git/"] : [];
        const finders = hidden.length === 0 ? [".DS_Store", "._a.txt"] : [];
        assert.deepEqual([...found.keys()].sort(), [
          ...finders,
          ...dotfiles,
          ...ENTRIES,
        ]);
        assert.deepEqual(marked(found), dotfiles);
        for (const dotfile of [...dotfiles, ...finders]) {
          const response = await fetch(url + dotfile, { method: "DELETE" });
          await response.body?.cancel();
          const status = finders.includes(dotfile) ? 204 : 403;
          assert.equal(response.status, status, dotfile);
        }
      }
    });
  }
}
