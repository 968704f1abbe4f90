// WebDAV that clients write to, on both faces over raw sockets: COPY (files,
// folders, Depth, Overwrite, the checks MOVE makes), exclusive write locks
// (LOCK, UNLOCK, the If header, Lock-Token, refresh, timeouts bounded),
// PROPPATCH answered 207 with every property 403, PUT replacing a file on a
// WebDAV server, and each refused without its flag as the other file
// operations are. The access rules of a COPY are asked through a hand-made
// Access, the core called directly.
import assert from "node:assert/strict";
import type { Access } from "../../files/access.ts";
import type { HttpError } from "../../util/errors.ts";
import { copyTarget } from "../../files/ops/copy.ts";
import { lockTarget, MAX_LOCKS, unlockTarget } from "../../files/ops/locks.ts";
import type { OpsSite } from "../../files/ops/site.ts";
import { BOB, USERS } from "../support/accounts.ts";
import { opsSite, refusal } from "../support/ops_site.ts";
import { type FaceName, send, startFace } from "../support/faces.ts";
import { tempFolder, treeOf } from "../support/helpers.ts";

const FACES: FaceName[] = ["python", "fetch"];
const WRITES = ["--upload", "--delete", "--mkdir"];

/** A LOCK body asking for an exclusive write lock. */
const LOCKINFO = '<?xml version="1.0" encoding="utf-8"?>\n' +
  '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  "<D:locktype><D:write/></D:locktype><D:owner>ann</D:owner></D:lockinfo>";

for (const name of FACES) {
  Deno.test(`${name} face: COPY copies a file (201, 204 over one), refuses a taken name with Overwrite: F (412), and copies a folder whole or alone by Depth`, async () => {
    await using dir = await tempFolder("dav_copy_", {
      "a.txt": "a",
      "b.txt": "b",
      "sub/c.txt": "c",
      "sub/deep/d.txt": "d",
      "sub/.hidden": "h",
    });
    await using face = startFace(name, dir.root, WRITES);
    const copy = (from: string, to: string, fields = {}) =>
      send(face, "COPY", from, { Destination: to, ...fields });
    assert.equal((await copy("/a.txt", "/new.txt")).status, 201);
    assert.equal(await Deno.readTextFile(`${dir.root}/new.txt`), "a");
    const refused = await copy("/b.txt", "/new.txt", { Overwrite: "F" });
    assert.equal(refused.status, 412);
    assert.equal(await Deno.readTextFile(`${dir.root}/new.txt`), "a");
    assert.equal((await copy("/b.txt", "/new.txt")).status, 204);
    assert.equal(await Deno.readTextFile(`${dir.root}/new.txt`), "b");
    // A full URL of this server names the destination too.
    const url = `http://127.0.0.1:${face.port}/whole/`;
    assert.equal((await copy("/sub/", url)).status, 201);
    assert.equal((await copy("/sub/", "/alone/", { Depth: "0" })).status, 201);
    assert.equal((await copy("/sub/", "/one/", { Depth: "1" })).status, 400);
    // Into itself, onto itself.
    assert.equal((await copy("/sub/", "/sub/deep/x/")).status, 403);
    assert.equal((await copy("/a.txt", "/a.txt")).status, 403);
    assert.deepEqual(treeOf(dir.root, { folders: true }), [
      "a.txt",
      "alone/",
      "b.txt",
      "new.txt",
      "sub/",
      "sub/.hidden",
      "sub/c.txt",
      "sub/deep/",
      "sub/deep/d.txt",
      "whole/",
      "whole/c.txt",
      "whole/deep/",
      "whole/deep/d.txt",
    ]);
    // A folder in the way is replaced, with --delete on.
    assert.equal((await copy("/a.txt", "/whole/")).status, 204);
    assert.equal(await Deno.readTextFile(`${dir.root}/whole`), "a");
  });

  Deno.test(`${name} face: COPY makes the checks MOVE makes: no hidden name, nothing outside, a Host of its own, a folder that exists`, async () => {
    await using dir = await tempFolder("dav_copy_refused_", {
      "root/a.txt": "a",
      "root/.git/config": "secret",
      "outside/o.txt": "o",
    });
    const root = `${dir.root}/root`;
    await Deno.symlink(`${dir.root}/outside`, `${root}/escape`);
    // The source is read as GET reads it: dotfiles hidden, here.
    await using face = startFace(name, root, [...WRITES, "--no-hidden"]);
    const copy = (from: string, to: string, fields = {}) =>
      send(face, "COPY", from, { Destination: to, ...fields });
    assert.equal((await copy("/a.txt", "/.git/a.txt")).status, 403);
    assert.equal((await copy("/.git/config", "/config")).status, 404);
    assert.equal((await copy("/a.txt", "/escape/a.txt")).status, 403);
    // Dot segments are taken off the URL: this is /outside/ in the folder.
    assert.equal((await copy("/a.txt", "/../outside/a.txt")).status, 409);
    assert.equal((await copy("/a.txt", "/missing/a.txt")).status, 409);
    assert.equal((await copy("/a.txt", "http://elsewhere/a.txt")).status, 502);
    assert.equal(
      (await copy("/a.txt", "/b.txt", { Host: "evil.example" })).status,
      403,
    );
    assert.equal((await send(face, "COPY", "/a.txt")).status, 400);
    assert.deepEqual(treeOf(dir.root, { folders: true }), [
      "outside/",
      "outside/o.txt",
      "root/",
      "root/.git/",
      "root/.git/config",
      "root/a.txt",
      "root/escape",
    ]);
  });

  Deno.test(`${name} face: a locked file takes changes only with its token in If (423 without), refuses a second lock, and is free once unlocked`, async () => {
    await using dir = await tempFolder("dav_lock_", { "a.txt": "a" });
    await using face = startFace(name, dir.root, WRITES);
    const lock = await send(face, "LOCK", "/a.txt", {
      Timeout: "Second-99999",
    }, LOCKINFO);
    assert.equal(lock.status, 200);
    const token = lock.headers.get("lock-token")!;
    assert.match(token, /^<urn:uuid:[0-9a-f-]{36}>$/);
    assert.match(lock.text, /<D:timeout>Second-3600<\/D:timeout>/);
    assert.match(lock.text, /<D:owner>ann<\/D:owner>/);
    assert.match(lock.text, /<D:exclusive\/>/);
    assert.equal((await send(face, "PUT", "/a.txt", {}, "x")).status, 423);
    assert.equal((await send(face, "DELETE", "/a.txt")).status, 423);
    assert.equal(
      (await send(face, "MOVE", "/a.txt", { Destination: "/b.txt" })).status,
      423,
    );
    assert.equal(
      (await send(face, "LOCK", "/a.txt", {}, LOCKINFO)).status,
      423,
    );
    // A token of no lock: the If header fails.
    const bogus = "(<urn:uuid:00000000-0000-0000-0000-000000000000>)";
    assert.equal(
      (await send(face, "PUT", "/a.txt", { If: bogus }, "x")).status,
      412,
    );
    assert.equal(
      (await send(face, "PUT", "/a.txt", { If: "(<urn:uuid:" }, "x")).status,
      400,
    );
    const put = await send(face, "PUT", "/a.txt", { If: `(${token})` }, "y");
    assert.equal(put.status, 204);
    assert.equal(await Deno.readTextFile(`${dir.root}/a.txt`), "y");
    // Tagged with the resource's URL, encoded as another client would.
    const tag = `<http://127.0.0.1:${face.port}/%61.txt>`;
    assert.equal(
      (await send(face, "PUT", "/a.txt", { If: `${tag} (${token})` }, "y"))
        .status,
      204,
    );
    assert.equal(
      (await send(face, "PUT", "/a.txt", { If: `${tag} ${bogus}` }, "y"))
        .status,
      412,
    );
    // A refresh: no body, the token in If.
    const refresh = await send(face, "LOCK", "/a.txt", {
      If: `(${token})`,
      Timeout: "Infinite",
    });
    assert.equal(refresh.status, 200);
    assert.match(refresh.text, /Second-3600/);
    assert.equal(
      (await send(face, "UNLOCK", "/a.txt", {
        "Lock-Token": "<urn:uuid:00000000-0000-0000-0000-000000000000>",
      })).status,
      409,
    );
    assert.equal(
      (await send(face, "UNLOCK", "/a.txt", { "Lock-Token": token })).status,
      204,
    );
    assert.equal((await send(face, "PUT", "/a.txt", {}, "z")).status, 204);
    assert.equal(await Deno.readTextFile(`${dir.root}/a.txt`), "z");
    // Unlocked: If still holds or fails by its lists (Not, entity tags).
    const no = "(Not <urn:uuid:00000000-0000-0000-0000-000000000000>)";
    assert.equal(
      (await send(face, "PUT", "/a.txt", { If: no }, "n")).status,
      204,
    );
    const stale = '(["W/\\"0-0\\""])';
    assert.equal(
      (await send(face, "PUT", "/a.txt", { If: stale }, "s")).status,
      412,
    );
    assert.equal(await Deno.readTextFile(`${dir.root}/a.txt`), "n");
  });

  Deno.test(`${name} face: a folder's lock of Depth infinity guards what it holds; a lock of a free name makes an empty file (201)`, async () => {
    await using dir = await tempFolder("dav_lock_folder_", {
      "docs/a.txt": "a",
    });
    await using face = startFace(name, dir.root, WRITES);
    const lock = await send(face, "LOCK", "/docs/", {}, LOCKINFO);
    assert.equal(lock.status, 200);
    assert.match(lock.text, /<D:depth>infinity<\/D:depth>/);
    const token = lock.headers.get("lock-token")!;
    assert.equal((await send(face, "PUT", "/docs/b.txt", {}, "b")).status, 423);
    assert.equal((await send(face, "DELETE", "/docs/a.txt")).status, 423);
    assert.equal((await send(face, "MKCOL", "/docs/new/")).status, 423);
    assert.equal(
      (await send(face, "COPY", "/docs/a.txt", { Destination: "/docs/c.txt" }))
        .status,
      423,
    );
    assert.equal(
      (await send(face, "PUT", "/docs/b.txt", { If: `(${token})` }, "b"))
        .status,
      201,
    );
    // The lock is seen in PROPFIND, under it too.
    const found = await send(face, "PROPFIND", "/docs/b.txt", { Depth: "0" });
    assert.equal(found.status, 207);
    assert.match(found.text, /<D:lockdiscovery><D:activelock>/);
    assert.match(found.text, /<D:supportedlock><D:lockentry>/);
    const free = await send(face, "LOCK", "/free.txt", {}, LOCKINFO);
    assert.equal(free.status, 201);
    assert.equal(await Deno.readTextFile(`${dir.root}/free.txt`), "");
    for (const [path, held] of [["/docs/", token], ["/free.txt", ""]]) {
      const unlock = await send(face, "UNLOCK", path, {
        "Lock-Token": held || free.headers.get("lock-token")!,
      });
      assert.equal(unlock.status, 204);
    }
    assert.equal((await send(face, "DELETE", "/docs/")).status, 204);
  });

  Deno.test(`${name} face: a lock ends with its file: once deleted or moved away with its token, the name is free`, async () => {
    await using dir = await tempFolder("dav_lock_gone_", {
      "a.txt": "a",
      "b.txt": "b",
    });
    await using face = startFace(name, dir.root, WRITES);
    for (const path of ["/a.txt", "/b.txt"]) {
      const lock = await send(face, "LOCK", path, {}, LOCKINFO);
      const held = { If: `(${lock.headers.get("lock-token")})` };
      const gone = path === "/a.txt"
        ? await send(face, "DELETE", path, held)
        : await send(face, "MOVE", path, { ...held, Destination: "/c.txt" });
      assert.ok(gone.status === 204 || gone.status === 201, `${gone.status}`);
      assert.equal((await send(face, "PUT", path, {}, "new")).status, 201);
    }
    assert.deepEqual(treeOf(dir.root, { folders: false }), [
      "a.txt",
      "b.txt",
      "c.txt",
    ]);
  });

  Deno.test(`${name} face: PROPPATCH answers 207, each property it names 403, and changes nothing`, async () => {
    await using dir = await tempFolder("dav_proppatch_", { "a.txt": "a" });
    await using face = startFace(name, dir.root, WRITES);
    const before = Deno.statSync(`${dir.root}/a.txt`).mtime;
    const body = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" ' +
      'xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
      "<Z:Win32LastModifiedTime>Wed, 01 Jan 2020 00:00:00 GMT" +
      "</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020" +
      "</Z:Win32FileAttributes></D:prop></D:set><D:remove><D:prop>" +
      "<D:getlastmodified/></D:prop></D:remove></D:propertyupdate>";
    const answer = await send(face, "PROPPATCH", "/a.txt", {}, body);
    assert.equal(answer.status, 207);
    assert.match(answer.text, /<D:href>\/a\.txt<\/D:href>/);
    for (
      const prop of [
        '<Win32LastModifiedTime xmlns="urn:schemas-microsoft-com:"/>',
        '<Win32FileAttributes xmlns="urn:schemas-microsoft-com:"/>',
        '<getlastmodified xmlns="DAV:"/>',
      ]
    ) {
      assert.ok(answer.text.includes(prop), prop);
    }
    assert.match(answer.text, /HTTP\/1\.1 403 Forbidden/);
    assert.deepEqual(Deno.statSync(`${dir.root}/a.txt`).mtime, before);
    assert.equal(
      (await send(face, "PROPPATCH", "/a.txt", {}, "<x/>")).status,
      400,
    );
    assert.equal(
      (await send(face, "PROPPATCH", "/none.txt", {}, body)).status,
      404,
    );
    const large = "<D:propertyupdate xmlns:D='DAV:'>" + " ".repeat(70_000);
    assert.equal(
      (await send(face, "PROPPATCH", "/a.txt", {}, large)).status,
      413,
    );
  });

  Deno.test(`${name} face: without their flags COPY, LOCK, UNLOCK and PROPPATCH are 501, as the other file operations; --webdav alone says DAV: 1`, async () => {
    await using dir = await tempFolder("dav_off_", { "a.txt": "a" });
    for (const flags of [[], ["--webdav"], ["--delete"]]) {
      await using face = startFace(name, dir.root, flags);
      const refused = flags.length === 0
        ? ["COPY", "LOCK", "UNLOCK", "PROPPATCH"]
        : flags[0] === "--webdav"
        ? ["COPY", "LOCK", "UNLOCK", "PROPPATCH"]
        : ["COPY"];
      for (const method of refused) {
        const answer = await send(face, method, "/a.txt", {
          Destination: "/b.txt",
          "Lock-Token": "<urn:uuid:x>",
        }, method === "LOCK" ? LOCKINFO : "");
        assert.equal(answer.status, 501, `${flags} ${method}`);
      }
      const options = await send(face, "OPTIONS", "/");
      if (flags.length > 0) {
        assert.equal(
          options.headers.get("dav"),
          flags[0] === "--webdav" ? "1" : "1, 2",
        );
      }
    }
    assert.deepEqual(treeOf(dir.root, { folders: false }), ["a.txt"]);
  });

  Deno.test(`${name} face: an XML body's namespaces are those declared on its elements or around them; a prefix of no namespace, or nesting past 64, is 400`, async () => {
    await using dir = await tempFolder("dav_xml_", { "a.txt": "a" });
    await using face = startFace(name, dir.root, WRITES);
    // litmus's propfind_d0: the default namespace declared again inside.
    const body = '<?xml version="1.0" encoding="utf-8"?>\n' +
      '<propfind xmlns="DAV:"><prop><displayname xmlns="DAV:"/>' +
      '<foo xmlns="http://example.com/neon/litmus/"/></prop></propfind>';
    const found = await send(face, "PROPFIND", "/a.txt", { Depth: "0" }, body);
    assert.equal(found.status, 207);
    assert.match(found.text, /<D:displayname>a\.txt<\/D:displayname>/);
    assert.match(
      found.text,
      /<foo xmlns="http:\/\/example\.com\/neon\/litmus\/"\/><\/D:prop><D:status>HTTP\/1\.1 404/,
    );
    const empty = '<propfind xmlns="DAV:" xmlns:bad=""><allprop/></propfind>';
    assert.equal(
      (await send(face, "PROPFIND", "/a.txt", { Depth: "0" }, empty)).status,
      400,
    );
    const deep = '<propfind xmlns="DAV:">' + "<a>".repeat(70);
    assert.equal(
      (await send(face, "PROPFIND", "/a.txt", { Depth: "0" }, deep)).status,
      400,
    );
  });

  Deno.test(`${name} face: PUT replaces a file on a WebDAV server (204), keeps If-None-Match: * (412), and stays 409 with --upload alone`, async () => {
    await using dir = await tempFolder("dav_put_", { "a.txt": "a" });
    {
      await using face = startFace(name, dir.root, ["--upload"]);
      assert.equal((await send(face, "PUT", "/a.txt", {}, "x")).status, 409);
    }
    await using face = startFace(name, dir.root, ["--upload", "--webdav"]);
    assert.equal(
      (await send(face, "PUT", "/a.txt", { "If-None-Match": "*" }, "x"))
        .status,
      412,
    );
    assert.equal(await Deno.readTextFile(`${dir.root}/a.txt`), "a");
    assert.equal((await send(face, "PUT", "/a.txt", {}, "y")).status, 204);
    assert.equal(await Deno.readTextFile(`${dir.root}/a.txt`), "y");
  });
}

for (const name of FACES) {
  Deno.test(`${name} face: with accounts, a COPY needs to read its source only, and to change its destination`, async () => {
    await using dir = await tempFolder("dav_copy_gate_", {
      "users": USERS,
      "site/readme.txt": "r",
      "site/private/secret.txt": "s",
      "site/pub/.keep": "",
    });
    await using face = startFace(name, `${dir.root}/site`, [
      "--auth-file",
      `${dir.root}/users`,
      "--access",
      "/:alice=rw,bob=ro",
      "--access",
      "/private:alice=rw",
      "--access",
      "/pub:alice=rw,bob=rw",
      "--upload",
      "--webdav",
    ]);
    const copy = (from: string, to: string) =>
      send(face, "COPY", from, { ...BOB, Destination: to });
    assert.equal((await copy("/readme.txt", "/pub/readme.txt")).status, 201);
    assert.equal((await copy("/private/secret.txt", "/pub/s.txt")).status, 403);
    assert.equal((await copy("/private/", "/pub/p/")).status, 403);
    assert.equal((await copy("/readme.txt", "/copy.txt")).status, 403);
    assert.deepEqual(treeOf(`${dir.root}/site`, { folders: false }), [
      "private/secret.txt",
      "pub/.keep",
      "pub/readme.txt",
      "readme.txt",
    ]);
  });
}

// --- The core, with access rules ---

/** The core's view of a request: a COPY of `target` to `destination`. */
function site(
  root: string,
  target: string,
  destination: string,
  access: Access,
  method = "COPY",
  fields: Record<string, string> = {},
  body = "",
): OpsSite {
  return opsSite(root, method, target, access, {
    fields: { destination, ...fields },
    body,
    upload: true,
    webdav: true,
    showHidden: false,
  });
}

Deno.test("a COPY of a folder needs every path in it readable and every path it makes writable, checked before anything is copied", async () => {
  await using dir = await tempFolder("dav_copy_access_", {
    "sub/a.txt": "a",
    "sub/deep/secret.txt": "s",
    "out/keep.txt": "k",
  });
  const access = (
    read: (path: string) => boolean,
    write: (path: string) => boolean,
  ): Access => ({
    user: "ann",
    allows: (path, mode) => mode === "read" ? read(path) : write(path),
  });
  const all = () => true;
  const noSecret = access((p) => p !== "/sub/deep/secret.txt", all);
  assert.equal(
    await refusal(copyTarget(site(dir.root, "/sub/", "/copy/", noSecret))),
    403,
  );
  const noDeepCopy = access(all, (p) => !p.startsWith("/copy/deep"));
  assert.equal(
    await refusal(copyTarget(site(dir.root, "/sub/", "/copy/", noDeepCopy))),
    403,
  );
  // The source needs reading only; the destination's folder, writing.
  const readOnlySub = access(all, (p) => !p.startsWith("/sub"));
  assert.equal(
    (await copyTarget(site(dir.root, "/sub/", "/copy/", readOnlySub))).status,
    201,
  );
  const noOut = access(all, (p) => !p.startsWith("/out"));
  assert.equal(
    await refusal(copyTarget(site(dir.root, "/sub/a.txt", "/out/a", noOut))),
    403,
  );
  assert.deepEqual(treeOf(dir.root, { folders: false }), [
    "copy/a.txt",
    "copy/deep/secret.txt",
    "out/keep.txt",
    "sub/a.txt",
    "sub/deep/secret.txt",
  ]);
});

Deno.test("a path that appears in a folder while its COPY checks it is checked too before it is copied", async () => {
  await using dir = await tempFolder("dav_copy_late_", { "sub/a.txt": "a" });
  // The last question of the checking walk: a file the user may not read
  // comes meanwhile, as another request would make it.
  const access: Access = {
    user: "ann",
    allows: (path, mode) => {
      if (path === "/copy/a.txt" && mode === "write") {
        Deno.writeTextFileSync(`${dir.root}/sub/late.txt`, "secret");
      }
      return path !== "/sub/late.txt";
    },
  };
  assert.equal(
    await refusal(copyTarget(site(dir.root, "/sub/", "/copy/", access))),
    403,
  );
  assert.deepEqual(treeOf(dir.root, { folders: false }), [
    "sub/a.txt",
    "sub/late.txt",
  ]);
});

Deno.test("the lock table holds at most MAX_LOCKS locks: one more is 503 until one is unlocked", async () => {
  const files = Object.fromEntries(
    Array.from({ length: MAX_LOCKS + 1 }, (_, i) => [`f${i}`, ""]),
  );
  await using dir = await tempFolder("dav_lock_table_", files);
  const everyone: Access = { user: null, allows: () => true };
  const lock = (i: number) =>
    lockTarget(site(dir.root, `/f${i}`, "", everyone, "LOCK", {}, LOCKINFO));
  const tokens: string[] = [];
  for (let i = 0; i < MAX_LOCKS; i++) {
    const answer = await lock(i);
    tokens.push(new Map(answer.headers).get("Lock-Token")!);
  }
  assert.equal(await refusal(lock(MAX_LOCKS)), 503);
  const unlock = (i: number) =>
    unlockTarget(
      site(dir.root, `/f${i}`, "", everyone, "UNLOCK", {
        "lock-token": tokens[i],
      }),
    );
  assert.equal((await unlock(0)).status, 204);
  const last = await lock(MAX_LOCKS);
  assert.equal(last.status, 200);
  tokens.push(new Map(last.headers).get("Lock-Token")!);
  for (let i = 1; i <= MAX_LOCKS; i++) await unlock(i);
});

Deno.test("a folder locked while a LOCK of a free name in it makes its file is one lock: the other is 423", async () => {
  await using dir = await tempFolder("dav_lock_race_", { "docs/a.txt": "a" });
  const everyone: Access = { user: null, allows: () => true };
  const lock = (target: string) =>
    lockTarget(site(dir.root, target, "", everyone, "LOCK", {}, LOCKINFO))
      .then(
        (answer) => ({
          target,
          status: answer.status,
          token: new Map(answer.headers).get("Lock-Token"),
        }),
        (error: HttpError) => ({ target, status: error.status, token: "" }),
      );
  // The free name's LOCK waits for its file to be made; the folder's does not.
  const answers = await Promise.all([lock("/docs/new.txt"), lock("/docs/")]);
  const statuses = answers.map((answer) => answer.status);
  const held = answers.filter((answer) => answer.status < 300);
  assert.equal(held.length, 1, String(statuses));
  assert.ok(statuses.includes(423), String(statuses));
  await unlockTarget(
    site(dir.root, held[0].target, "", everyone, "UNLOCK", {
      "lock-token": held[0].token!,
    }),
  );
});
