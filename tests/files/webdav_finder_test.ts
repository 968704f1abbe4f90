// macOS Finder on a WebDAV share, on both faces over raw sockets: copying
// `a.txt` it writes `._a.txt` (AppleDouble: the file's extended attributes)
// and `.DS_Store` (the folder's view settings), locks, moves and deletes
// them, and aborts the whole copy (error -36) when refused. Those two kinds
// of name, as the last component only, are changed like any other on a
// server that speaks WebDAV; every other hidden name, a hidden folder on the
// way, and any of them without WebDAV, stays 403, whatever the URL's
// encoding; the access rules, the Host and the locks still apply, and with
// --no-hidden they are written but never read, nor renamed into sight.
import assert from "node:assert/strict";
import type { Access } from "../../files/access.ts";
import { changesHiddenName } from "../../files/hidden.ts";
import { deleteTarget, moveTarget } from "../../files/ops/change.ts";
import { BOB, USERS } from "../support/accounts.ts";
import { opsSite, refusal } from "../support/ops_site.ts";
import { type FaceName, send, startFace } from "../support/faces.ts";
import { tempFolder, treeOf } from "../support/helpers.ts";

const FACES: FaceName[] = ["python", "fetch"];
const WRITES = ["--upload", "--delete", "--mkdir"];

/** A LOCK body asking for an exclusive write lock, as WebDAVFS sends. */
const LOCKINFO = '<?xml version="1.0" encoding="utf-8"?>\n' +
  '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  "<D:locktype><D:write/></D:locktype>" +
  "<D:owner><D:href>http://www.apple.com/webdav_fs/</D:href></D:owner>" +
  "</D:lockinfo>";

/** A PROPPATCH body setting one of Apple's properties, as Finder sends. */
const PROPPATCH = '<?xml version="1.0" encoding="utf-8"?>\n' +
  '<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://www.apple.com/webdav_fs/props/">' +
  "<D:set><D:prop><A:appledoubleheader>AAUWBwACAAA=</A:appledoubleheader>" +
  "</D:prop></D:set></D:propertyupdate>";

for (const name of FACES) {
  Deno.test(`${name} face: Finder's copy goes through on a WebDAV share: ._a.txt and .DS_Store are put, locked, replaced, moved and deleted as any file`, async () => {
    await using dir = await tempFolder("dav_finder_", { "docs/a.txt": "a" });
    await using face = startFace(name, dir.root, WRITES);
    // A lock of a free name makes an empty file, which the PUT then fills.
    const lock = await send(face, "LOCK", "/docs/._a.txt", {
      Timeout: "Second-600",
    }, LOCKINFO);
    assert.equal(lock.status, 201);
    const token = lock.headers.get("lock-token")!;
    assert.equal(
      (await send(face, "PUT", "/docs/._a.txt", {}, "x")).status,
      423,
    );
    const put = await send(face, "PUT", "/docs/._a.txt", {
      If: `(${token})`,
    }, "appledouble");
    assert.equal(put.status, 204);
    const patched = await send(face, "PROPPATCH", "/docs/._a.txt", {
      If: `(${token})`,
    }, PROPPATCH);
    assert.equal(patched.status, 207);
    const unlock = await send(face, "UNLOCK", "/docs/._a.txt", {
      "Lock-Token": token,
    });
    assert.equal(unlock.status, 204);
    assert.equal(
      (await send(face, "PUT", "/docs/.DS_Store", {}, "ds")).status,
      201,
    );
    assert.equal(
      (await send(face, "PUT", "/docs/.DS_Store", {}, "DS")).status,
      204,
    );
    assert.equal(
      (await send(face, "PUT", "/._.DS_Store", {}, "d")).status,
      201,
    );
    // They are dotfiles, listed and served as Python shows them.
    const listing = await send(face, "PROPFIND", "/docs/", { Depth: "1" });
    assert.equal(listing.status, 207);
    assert.match(listing.text, /<D:href>\/docs\/\._a\.txt<\/D:href>/);
    assert.match(listing.text, /<D:href>\/docs\/\.DS_Store<\/D:href>/);
    assert.equal(
      (await send(face, "GET", "/docs/._a.txt")).text,
      "appledouble",
    );
    // Renamed with the file, copied, deleted, as macOS does each itself.
    const move = await send(face, "MOVE", "/docs/._a.txt", {
      Destination: "/docs/._b.txt",
    });
    assert.equal(move.status, 201);
    const copy = await send(face, "COPY", "/docs/._b.txt", {
      Destination: `http://127.0.0.1:${face.port}/docs/._c.txt`,
    });
    assert.equal(copy.status, 201);
    assert.equal((await send(face, "MKCOL", "/docs/._d")).status, 201);
    assert.deepEqual(treeOf(dir.root, { folders: true }), [
      "._.DS_Store",
      "docs/",
      "docs/.DS_Store",
      "docs/._b.txt",
      "docs/._c.txt",
      "docs/._d/",
      "docs/a.txt",
    ]);
    for (const path of ["/docs/._b.txt", "/docs/._c.txt", "/docs/._d/"]) {
      assert.equal((await send(face, "DELETE", path)).status, 204, path);
    }
    assert.equal((await send(face, "DELETE", "/docs/.DS_Store")).status, 204);
    assert.deepEqual(treeOf(dir.root, { folders: true }), [
      "._.DS_Store",
      "docs/",
      "docs/a.txt",
    ]);
  });

  Deno.test(`${name} face: without WebDAV a PUT of ._a.txt or .DS_Store is 403, as every hidden name; --webdav lets it in`, async () => {
    await using dir = await tempFolder("dav_finder_off_", {
      "docs/a.txt": "a",
    });
    {
      await using face = startFace(name, dir.root, ["--upload"]);
      for (const path of ["/docs/._a.txt", "/docs/.DS_Store"]) {
        assert.equal((await send(face, "PUT", path, {}, "x")).status, 403);
      }
    }
    await using face = startFace(name, dir.root, ["--upload", "--webdav"]);
    for (const path of ["/docs/._a.txt", "/docs/.DS_Store"]) {
      assert.equal((await send(face, "PUT", path, {}, "x")).status, 201);
    }
    assert.deepEqual(treeOf(dir.root, { folders: false }), [
      "docs/.DS_Store",
      "docs/._a.txt",
      "docs/a.txt",
    ]);
  });

  Deno.test(`${name} face: on a WebDAV share every other hidden name stays 403, and so does a hidden folder on the way, however the URL spells it`, async () => {
    await using dir = await tempFolder("dav_finder_refused_", {
      "docs/a.txt": "a",
      "docs/._a.txt": "ad",
      ".git/config": "c",
      ".hidden/x.txt": "x",
    });
    await using face = startFace(name, dir.root, WRITES);
    const refused = [
      "/.env",
      "/docs/.env",
      "/.git/config",
      "/.git/._config",
      "/.hidden/._a.txt",
      "/.hidden/.DS_Store",
      "/docs/._",
      "/docs/.ds_store",
      "/docs/.localized",
      "/.Trashes/._a.txt",
      "/.TemporaryItems/a.txt",
      "/docs/%2Eenv",
      "/%2Egit/config",
      "/docs/%2E%2E/.env",
      "/docs/._a.txt%2F..%2F.env",
      "/docs/._a.txt/../.env",
    ];
    for (const path of refused) {
      assert.equal((await send(face, "PUT", path, {}, "x")).status, 403, path);
      const lock = await send(face, "LOCK", path, {}, LOCKINFO);
      assert.equal(lock.status, 403, `LOCK ${path}`);
    }
    for (const path of ["/.git/config", "/.hidden/x.txt", "/.git/"]) {
      assert.equal((await send(face, "DELETE", path)).status, 403, path);
    }
    assert.equal((await send(face, "MKCOL", "/.hidden2/")).status, 403);
    const move = (from: string, to: string) =>
      send(face, "MOVE", from, { Destination: to });
    assert.equal((await move("/docs/._a.txt", "/docs/.env")).status, 403);
    assert.equal((await move("/docs/._a.txt", "/.git/._a.txt")).status, 403);
    assert.equal((await move("/.git/config", "/docs/._config")).status, 403);
    assert.equal((await move("/docs/a.txt", "/.hidden/._a.txt")).status, 403);
    // The percent-encoded dot is a dot: the name is Finder's, as it decodes.
    assert.equal(
      (await send(face, "PUT", "/docs/%2E_b.txt", {}, "b")).status,
      201,
    );
    assert.equal(
      (await send(face, "PUT", "/%2EDS_Store", {}, "d")).status,
      201,
    );
    assert.deepEqual(treeOf(dir.root, { folders: true }), [
      ".DS_Store",
      ".git/",
      ".git/config",
      ".hidden/",
      ".hidden/x.txt",
      "docs/",
      "docs/._a.txt",
      "docs/._b.txt",
      "docs/a.txt",
    ]);
  });

  Deno.test(`${name} face: Finder's files keep to the access rules, the Host and --no-hidden`, async () => {
    await using dir = await tempFolder("dav_finder_gate_", {
      "users": USERS,
      "site/a.txt": "a",
      "site/pub/b.txt": "b",
      "site/pub/._b.txt": "ad",
    });
    {
      await using face = startFace(name, `${dir.root}/site`, [
        "--auth-file",
        `${dir.root}/users`,
        "--access",
        "/:*=ro",
        "--access",
        "/pub:bob=rw",
        ...WRITES,
      ]);
      const put = (path: string, fields = {}) =>
        send(face, "PUT", path, fields, "x");
      assert.equal((await put("/pub/._a.txt")).status, 401);
      assert.equal((await put("/._a.txt", BOB)).status, 403);
      assert.equal((await put("/.DS_Store", BOB)).status, 403);
      assert.equal(
        (await put("/pub/._a.txt", { ...BOB, Host: "evil.example" })).status,
        403,
      );
      assert.equal((await put("/pub/._a.txt", BOB)).status, 201);
      const away = await send(face, "MOVE", "/pub/._b.txt", {
        ...BOB,
        Destination: "/._b.txt",
      });
      assert.equal(away.status, 403);
      const gone = await send(face, "DELETE", "/pub/._b.txt");
      assert.equal(gone.status, 401);
    }
    // Hidden, they are written but neither listed nor served, as any dotfile.
    await using face = startFace(name, `${dir.root}/site`, [
      ...WRITES,
      "--no-hidden",
    ]);
    assert.equal((await send(face, "PUT", "/.DS_Store", {}, "d")).status, 201);
    assert.equal((await send(face, "GET", "/pub/._b.txt")).status, 404);
    // Nor shown by a new name; moved as Finder moves it, they stay hidden.
    const move = (to: string) =>
      send(face, "MOVE", "/pub/._b.txt", { Destination: to });
    assert.equal((await move("/pub/b.txt.bak")).status, 404);
    assert.equal((await move("/pub/._c.txt")).status, 201);
    const listing = await send(face, "PROPFIND", "/pub/", { Depth: "1" });
    assert.doesNotMatch(listing.text, /\._/);
    assert.deepEqual(treeOf(`${dir.root}/site`, { folders: false }), [
      ".DS_Store",
      "a.txt",
      "pub/._a.txt",
      "pub/._c.txt",
      "pub/b.txt",
    ]);
  });
}

Deno.test("changesHiddenName lets Finder's names through as the last component only, and only on a WebDAV share", () => {
  const cases: [string, string, boolean, boolean][] = [
    ["/srv", "/srv/._a.txt", true, false],
    ["/srv", "/srv/docs/.DS_Store", true, false],
    ["/srv", "/srv/docs/._.DS_Store", true, false],
    ["/srv", "/srv/docs/._a.txt", false, true],
    ["/srv", "/srv/docs/._", true, true],
    ["/srv", "/srv/.env", true, true],
    ["/srv", "/srv/.git/._config", true, true],
    ["/srv", "/srv/._x/a.txt", true, true],
    ["/srv", "/srv/docs/a.txt", false, false],
    // The served folder may be a hidden one, and the root.
    ["/srv/.site", "/srv/.site/._a.txt", true, false],
    ["/srv/.site", "/srv/.site/a.txt", false, false],
    ["/", "/._a.txt", true, false],
    ["/", "/.env", true, true],
    // Either separator counts, as Windows' paths have both.
    ["C:\\srv", "C:\\srv\\docs\\._a.txt", true, false],
    ["C:\\srv", "C:\\srv\\.git\\._a.txt", true, true],
    ["/srv", "/srv/.git\\._a.txt", true, true],
  ];
  for (const [directory, path, dav, refused] of cases) {
    assert.equal(changesHiddenName(directory, path, dav), refused, path);
  }
});

Deno.test("the core asks the access rules of Finder's files as of any: a rule on ._a.txt or .DS_Store refuses their DELETE and MOVE", async () => {
  await using dir = await tempFolder("dav_finder_access_", {
    "docs/._a.txt": "ad",
    "docs/._b.txt": "ad",
  });
  const access: Access = {
    user: "ann",
    allows: (path, mode) =>
      mode === "read" ||
      (path !== "/docs/._a.txt" && path !== "/docs/.DS_Store"),
  };
  const site = (method: string, target: string, destination?: string) =>
    opsSite(dir.root, method, target, access, {
      fields: destination ? { destination } : {},
      webdav: true,
    });
  assert.equal(
    await refusal(deleteTarget(site("DELETE", "/docs/._a.txt"))),
    403,
  );
  const move = site("MOVE", "/docs/._b.txt", "/docs/.DS_Store");
  assert.equal(await refusal(moveTarget(move)), 403);
  const moved = await moveTarget(
    site("MOVE", "/docs/._b.txt", "/docs/._c.txt"),
  );
  assert.equal(moved.status, 201);
  const deleted = await deleteTarget(site("DELETE", "/docs/._c.txt"));
  assert.equal(deleted.status, 204);
  assert.deepEqual(treeOf(dir.root, { folders: false }), ["docs/._a.txt"]);
});
