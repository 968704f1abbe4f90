// The access rules over every feature that touches more paths than the one a
// request names, on both faces with the real gate (--auth-file, --access):
// listings, search results, archive members and PROPFIND entries leave out
// what the user may not read, and a MOVE needs the right to change its
// destination as well as its source.
import assert from "node:assert/strict";
import { type FaceName, startFace } from "../support/faces.ts";
import { tempFolder } from "../support/helpers.ts";
import { ALICE, BOB, USERS } from "../support/accounts.ts";

/** Alice reads and changes everything; Bob reads all but `/private`. */
const FLAGS = (users: string) => [
  "--auth-file",
  users,
  "--access",
  "/:alice=rw,bob=ro",
  "--access",
  "/private:alice=rw",
  "--archive",
  "--search",
  "--delete",
  "--mkdir",
];

/** The text of every name an archive or page holds, for a substring check. */
async function text(
  response: Response,
  { gzip = false, status = 200 } = {},
): Promise<string> {
  assert.equal(response.status, status, response.url);
  const body = gzip
    ? response.body!.pipeThrough(new DecompressionStream("gzip"))
    : response.body!;
  return new TextDecoder().decode(await new Response(body).arrayBuffer());
}

for (const name of ["python", "fetch"] as FaceName[]) {
  Deno.test(`${name} face: what Bob may not read is in none of his listings, searches, archives or PROPFINDs`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "users": USERS,
      "site/pub/notes.txt": "public\n",
      "site/private/notes-secret.txt": "secret\n",
    });
    await using face = startFace(
      name,
      `${folder.root}/site`,
      FLAGS(`${folder.root}/users`),
    );
    const url = `http://127.0.0.1:${face.port}`;
    const asks = async (headers: Record<string, string>) => ({
      listing: await text(await fetch(`${url}/`, { headers })),
      search: await text(
        await fetch(`${url}/?q=notes&format=json`, { headers }),
      ),
      zip: await text(await fetch(`${url}/?download=zip`, { headers })),
      tar: await text(
        await fetch(`${url}/?download=tar.gz`, { headers }),
        { gzip: true },
      ),
      propfind: await text(
        await fetch(url, {
          method: "PROPFIND",
          headers: { ...headers, Depth: "1" },
        }),
        { status: 207 },
      ),
    });
    const alice = await asks(ALICE);
    const bob = await asks(BOB);
    for (const [what, seen] of Object.entries(alice)) {
      assert.ok(seen.includes("private"), `Alice's ${what}`);
      assert.ok(bob[what as keyof typeof bob].includes("pub"), `Bob's ${what}`);
      assert.ok(
        !bob[what as keyof typeof bob].includes("private"),
        `Bob's ${what}`,
      );
    }
    assert.ok(JSON.parse(bob.search).results.length === 1, bob.search);
  });

  Deno.test(`${name} face: a MOVE needs the right to change its destination too`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "users": USERS,
      "site/pub/a.txt": "a\n",
      "site/private/.keep/x": "",
    });
    await using face = startFace(name, `${folder.root}/site`, [
      ...FLAGS(`${folder.root}/users`),
      "--access",
      "/pub:alice=rw,bob=rw",
    ]);
    const url = `http://127.0.0.1:${face.port}`;
    const move = (headers: Record<string, string>, from: string, to: string) =>
      fetch(`${url}${from}`, {
        method: "MOVE",
        headers: { ...headers, Destination: to },
      }).then(async (response) => {
        await response.body?.cancel();
        return response.status;
      });
    assert.equal(await move(BOB, "/pub/a.txt", "/private/a.txt"), 403);
    assert.equal(
      await Deno.readTextFile(`${folder.root}/site/pub/a.txt`),
      "a\n",
    );
    assert.equal(await move(BOB, "/pub/a.txt", "/pub/b.txt"), 201);
    assert.equal(await move(ALICE, "/pub/b.txt", "/private/b.txt"), 201);
    assert.equal(
      await Deno.readTextFile(`${folder.root}/site/private/b.txt`),
      "a\n",
    );
  });
}

for (const name of ["python", "fetch"] as FaceName[]) {
  Deno.test(`${name} face: a folder under a rule of its own is not deleted from a folder its user may only read`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "users": USERS,
      "site/private/a.txt": "a\n",
    });
    await using face = startFace(name, `${folder.root}/site`, [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/:alice=ro",
      "--access",
      "/private:alice=rw",
      "--delete",
      "--mkdir",
    ]);
    const url = `http://127.0.0.1:${face.port}`;
    const call = (method: string, path: string) =>
      fetch(`${url}${path}`, { method, headers: ALICE }).then(
        async (response) => {
          await response.body?.cancel();
          return response.status;
        },
      );
    assert.equal(await call("DELETE", "/private/"), 403);
    assert.equal(await call("MKCOL", "/other/"), 403);
    assert.equal(await call("DELETE", "/private/a.txt"), 204);
    assert.equal(await call("MKCOL", "/private/sub/"), 201);
    assert.ok((await Deno.stat(`${folder.root}/site/private`)).isDirectory);
  });
}

for (const name of ["python", "fetch"] as FaceName[]) {
  for (const rules of [[], ["--access", "/:*=ro,alice=rw"]]) {
    const governed = rules.length === 0 ? "without rules" : "under rules";
    Deno.test(`${name} face, ${governed}: the auth file inside the served folder is no one's, by any path to it`, async () => {
      await using folder = await tempFolder("httpserver-access-", {
        "site/conf/htpasswd": USERS,
        "site/sub/a.txt": "a\n",
      });
      const site = `${folder.root}/site`;
      await Deno.symlink("../conf/htpasswd", `${site}/sub/link`);
      await using face = startFace(name, site, [
        "--auth-file",
        `${site}/conf/htpasswd`,
        ...rules,
        "--archive",
        "--search",
        "--upload",
        "--delete",
        "--webdav",
      ]);
      const url = `http://127.0.0.1:${face.port}`;
      const status = (method: string, path: string, body?: string) =>
        fetch(`${url}${path}`, { method, headers: ALICE, body }).then(
          async (response) => {
            await response.body?.cancel();
            return response.status;
          },
        );
      for (const path of ["/conf/htpasswd", "/sub/link", "/conf/%68tpasswd"]) {
        assert.equal(await status("GET", path), 403, path);
      }
      assert.equal(await status("PUT", "/conf/htpasswd", "x:y\n"), 403);
      assert.equal(await status("DELETE", "/conf/htpasswd"), 403);
      assert.equal(await status("DELETE", "/conf/"), 403);
      assert.equal(await status("DELETE", "/sub/link"), 403);
      assert.equal(await Deno.readTextFile(`${site}/conf/htpasswd`), USERS);
      const seen = [
        await text(await fetch(`${url}/`, { headers: ALICE })),
        await text(await fetch(`${url}/sub/`, { headers: ALICE })),
        await text(await fetch(`${url}/conf/`, { headers: ALICE })),
        await text(await fetch(`${url}/?q=h&format=json`, { headers: ALICE })),
        await text(await fetch(`${url}/?download=zip`, { headers: ALICE })),
        await text(
          await fetch(url, {
            method: "PROPFIND",
            headers: { ...ALICE, Depth: "1" },
          }),
          { status: 207 },
        ),
      ];
      for (const page of seen) {
        assert.ok(!page.includes("htpasswd"), page);
        assert.ok(!page.includes("$apr1$"), page);
      }
      // What else the folder holds is Alice's as before.
      assert.equal(await status("GET", "/sub/a.txt"), 200);
      // The folder that holds it keeps its Delete and Rename to itself.
      assert.ok(seen[0].includes('<a href="sub/">'), seen[0]);
      assert.ok(seen[0].includes('<a href="conf/" data-fixed>'), seen[0]);
    });
  }
}

for (const name of ["python", "fetch"] as FaceName[]) {
  Deno.test(`${name} face: a .gz sibling that leads into a protected folder is not sent in place of its file`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "users": USERS,
      "site/pub/a.txt": "public\n",
      "site/private/s.txt.gz": "",
    });
    const site = `${folder.root}/site`;
    await Deno.writeFile(
      `${site}/private/s.txt.gz`,
      await new Response(
        new Blob(["secret\n"]).stream().pipeThrough(
          new CompressionStream("gzip"),
        ),
      ).bytes(),
    );
    await Deno.symlink("../private/s.txt.gz", `${site}/pub/a.txt.gz`);
    await using face = startFace(name, site, [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/:*=ro",
      "--access",
      "/private:alice=rw",
      "--gzip",
    ]);
    const url = `http://127.0.0.1:${face.port}/pub/a.txt`;
    const gzip = { "Accept-Encoding": "gzip" };
    assert.equal(await text(await fetch(url, { headers: gzip })), "public\n");
    assert.equal(
      await text(await fetch(url, { headers: { ...gzip, ...BOB } })),
      "public\n",
    );
    assert.equal(
      await text(await fetch(url, { headers: { ...gzip, ...ALICE } })),
      "secret\n",
    );
  });

  Deno.test(`${name} face: a folder moves only when its user may change each path below it, where it is and where it goes`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "users": USERS,
      "site/pub/box/sealed/x.txt": "alice's\n",
      "site/pub/crate/sealed/y.txt": "bob's\n",
    });
    const site = `${folder.root}/site`;
    await using face = startFace(name, site, [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/:alice=rw,bob=ro",
      "--access",
      "/pub:alice=rw,bob=rw",
      "--access",
      "/pub/box/sealed:alice=rw",
      "--access",
      "/pub/inbox/sealed:alice=rw",
      "--delete",
    ]);
    const move = (headers: Record<string, string>, from: string, to: string) =>
      fetch(`http://127.0.0.1:${face.port}${from}`, {
        method: "MOVE",
        headers: { ...headers, Destination: to },
      }).then(async (response) => {
        await response.body?.cancel();
        return response.status;
      });
    // Out from under the rule of sealed/, where Bob could read it.
    assert.equal(await move(BOB, "/pub/box/", "/pub/open/"), 403);
    // Into the place of a rule that is Alice's alone.
    assert.equal(await move(BOB, "/pub/crate/", "/pub/inbox/"), 403);
    assert.deepEqual(
      [...Deno.readDirSync(`${site}/pub`)].map((e) => e.name).sort(),
      ["box", "crate"],
    );
    assert.equal(await move(BOB, "/pub/crate/", "/pub/carton/"), 201);
    assert.equal(await move(ALICE, "/pub/box/", "/pub/inbox/"), 201);
    assert.equal(
      await Deno.readTextFile(`${site}/pub/inbox/sealed/x.txt`),
      "alice's\n",
    );
  });
}

for (const name of ["python", "fetch"] as FaceName[]) {
  Deno.test(`${name} face: a 404 page in a protected folder is sent only to who may read it there`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "users": USERS,
      "site/pub/a.txt": "public\n",
      "site/private/404.html": "<p>secret 404 page</p>\n",
    });
    const site = `${folder.root}/site`;
    await using face = startFace(name, site, [
      "--auth-file",
      `${folder.root}/users`,
      "--access",
      "/:*=ro,bob=ro",
      "--access",
      "/private:alice=rw",
      "--404",
      `${site}/private/404.html`,
    ]);
    const missing = `http://127.0.0.1:${face.port}/pub/missing.txt`;
    for (const headers of [{}, BOB]) {
      const page = await text(await fetch(missing, { headers }), {
        status: 404,
      });
      assert.ok(!page.includes("secret"), page);
    }
    assert.equal(
      await text(await fetch(missing, { headers: ALICE }), { status: 404 }),
      "<p>secret 404 page</p>\n",
    );
  });
}

for (const name of ["python", "fetch"] as FaceName[]) {
  for (const rules of [[], ["--access", "/:*=ro,alice=rw"]]) {
    const governed = rules.length === 0 ? "without rules" : "under rules";
    Deno.test(`${name} face, ${governed}: the auth file outside the folder is no one's through a symlink or a hard link in it`, async () => {
      await using folder = await tempFolder("httpserver-access-", {
        "private/htpasswd": USERS,
        "site/a.txt": "a\n",
      });
      const site = `${folder.root}/site`;
      await Deno.symlink(`${folder.root}/private/htpasswd`, `${site}/link`);
      await Deno.symlink(`${folder.root}/private`, `${site}/up`);
      await Deno.link(`${folder.root}/private/htpasswd`, `${site}/hard`);
      await using face = startFace(name, site, [
        "--auth-file",
        `${folder.root}/private/htpasswd`,
        ...rules,
        "--archive",
      ]);
      const url = `http://127.0.0.1:${face.port}`;
      for (const path of ["/link", "/up/htpasswd", "/hard"]) {
        const response = await fetch(`${url}${path}`, { headers: ALICE });
        const body = await response.text();
        assert.equal(response.status, 403, `${path}: ${body}`);
        assert.ok(!body.includes("$apr1$"), path);
      }
      for (const format of ["zip", "tar.gz"]) {
        const archive = await text(
          await fetch(`${url}/?download=${format}`, { headers: ALICE }),
          { gzip: format === "tar.gz" },
        );
        assert.ok(archive.includes("a.txt"), format);
        assert.ok(!archive.includes("$apr1$"), format);
      }
      assert.equal(
        await text(await fetch(`${url}/a.txt`, { headers: ALICE })),
        "a\n",
      );
    });
  }
}

for (const name of ["python", "fetch"] as FaceName[]) {
  Deno.test(`${name} face: a COPY of a symlink or a hard link to the auth file, or of a folder holding one, is refused and makes no copy`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "private/htpasswd": USERS,
      "site/a.txt": "a\n",
    });
    const site = `${folder.root}/site`;
    await Deno.symlink(`${folder.root}/private/htpasswd`, `${site}/link`);
    await Deno.mkdir(`${site}/sub`);
    await Deno.link(`${folder.root}/private/htpasswd`, `${site}/sub/hard`);
    await using face = startFace(name, site, [
      "--auth-file",
      `${folder.root}/private/htpasswd`,
      "--webdav",
      "--upload",
    ]);
    const url = `http://127.0.0.1:${face.port}`;
    for (
      const [from, to] of [["/link", "/c1"], ["/sub/hard", "/c2"], [
        "/sub/",
        "/c3/",
      ]]
    ) {
      const response = await fetch(`${url}${from}`, {
        method: "COPY",
        headers: { ...ALICE, Destination: `${url}${to}` },
      });
      await response.body?.cancel();
      assert.equal(response.status, 403, from);
      await assert.rejects(Deno.lstat(`${site}${to}`), Deno.errors.NotFound);
    }
    const response = await fetch(`${url}/a.txt`, {
      method: "COPY",
      headers: { ...ALICE, Destination: `${url}/b.txt` },
    });
    await response.body?.cancel();
    assert.equal(response.status, 201);
  });
}

for (const name of ["python", "fetch"] as FaceName[]) {
  Deno.test(`${name} face: the auth file replaced by a rename while the server runs is still no one's through a symlink to it`, async () => {
    await using folder = await tempFolder("httpserver-access-", {
      "private/htpasswd": USERS,
      "private/edited": USERS,
      "site/a.txt": "a\n",
    });
    const site = `${folder.root}/site`;
    await Deno.symlink(`${folder.root}/private/htpasswd`, `${site}/link`);
    await using face = startFace(name, site, [
      "--auth-file",
      `${folder.root}/private/htpasswd`,
    ]);
    const url = `http://127.0.0.1:${face.port}`;
    const get = async () => {
      const response = await fetch(`${url}/link`, { headers: ALICE });
      const body = await response.text();
      assert.ok(!body.includes("alice:"), `${response.status}: ${body}`);
      return response.status;
    };
    assert.equal(await get(), 403);
    // As `sed -i` or an editor saves it: a new file takes the name.
    await Deno.rename(
      `${folder.root}/private/edited`,
      `${folder.root}/private/htpasswd`,
    );
    assert.equal(await get(), 403);
  });
}
