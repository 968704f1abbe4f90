// files/siteroutes.ts: the pure rules of clean URLs and of --spa beside a
// 404 page, as tables, hostile targets included.
import assert from "node:assert/strict";
import {
  cleanUrlFile,
  cleanUrlLocation,
  spaAnswers,
} from "../../files/siteroutes.ts";

/** [request-target, the Location of its clean URL or null]. */
const LOCATIONS: [string, string | null][] = [
  ["/about.html", "/about"],
  ["/about.html?x=1#top", "/about?x=1#top"],
  ["/docs/guide.html", "/docs/guide"],
  ["/index.html", "/"],
  ["/docs/index.html?q", "/docs/?q"],
  ["/a%20b.html", "/a%20b"],
  // A leading // would send the browser to another host.
  ["//evil.example/x.html", "/evil.example/x"],
  ["/\\evil.example/x.html", "/evil.example/x"],
  ["http://host.example/about.html", "http://host.example/about"],
  // Not a .html name: no redirect.
  ["/about", null],
  ["/about.htm", null],
  ["/ABOUT.HTML", null],
  ["/about%2Ehtml", null],
  ["/.html", null],
  ["/docs/.html", null],
  ["/about.html/", null],
  ["/x?y.html", null],
];

for (const [target, location] of LOCATIONS) {
  Deno.test(`clean URL of ${target}: ${location}`, () => {
    assert.equal(cleanUrlLocation(target), location);
  });
}

Deno.test("a clean URL names the .html file beside a path, never beside the folder itself", () => {
  assert.equal(cleanUrlFile("/srv/", "/srv/about"), "/srv/about.html");
  assert.equal(cleanUrlFile("./", "./docs/guide"), "./docs/guide.html");
  // `/`, and what `..` reduces to it: `/srv.html` would lie outside.
  assert.equal(cleanUrlFile("/srv/", "/srv/"), null);
  assert.equal(cleanUrlFile("/srv/", "/srv"), null);
  assert.equal(cleanUrlFile("/srv", "/srv"), null);
  // A folder's path (trailing slash) names no file.
  assert.equal(cleanUrlFile("/srv/", "/srv/docs/"), null);
  assert.equal(cleanUrlFile("C:\\srv\\", "C:\\srv\\docs\\"), null);
});

Deno.test("--spa answers every missing path without a 404 page; with one, routes only", () => {
  for (const path of ["/srv/users/42", "/srv/app.js", "/srv/a.b/c"]) {
    assert.equal(spaAnswers(path, false), true, path);
  }
  const routes = ["/srv/users/42", "/srv/settings/", "/srv/a.b/c", "/srv/"];
  for (const path of routes) assert.equal(spaAnswers(path, true), true, path);
  const files = [
    "/srv/app.js",
    "/srv/img/logo.png",
    "/srv/.env",
    "C:\\srv\\a.css",
  ];
  for (const path of files) assert.equal(spaAnswers(path, true), false, path);
});
