// One table of cases, run against both faces of the file-serving core: the
// Python face (SimpleHTTPRequestHandler on our own server) and the fetch
// face (createFileHandler on Deno.serve), configured by the same flags and
// asked the same bytes. Each case expects the same status, the same header
// fields and the same body from both, but for what the transport decides
// (framing, Connection, Server, Date: see tests/support/faces.ts).
import assert from "node:assert/strict";
import {
  ask,
  type Comparable,
  comparable,
  type FaceName,
  startFace,
} from "../support/faces.ts";

/** One request, the flags both faces serve it with, and what to check. */
interface Case {
  name: string;
  /** The command line's flags; `{dir}` stands for the folder served. */
  flags?: string[];
  request: string;
  /** The status both must answer. */
  status: number;
  /** A write: each face gets a fresh copy of the folder. */
  fresh?: boolean;
  /** What else the answer must hold (both faces agree on it). */
  check?: (answer: Comparable) => void;
}

const BIG = 200 * 1024;
const STYLE = "body { color: black; }\n".repeat(40);

/** The folder every case serves, with times fixed so listings agree. */
async function makeFolder(): Promise<string> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "httpserver-faces-" }),
  );
  const files: Record<string, string | Uint8Array> = {
    "hello.txt": "hello\n",
    "index.html": "<h1>home</h1>\n",
    ".env": "SECRET=1\n",
    "index-less/a.txt": "a\n",
    "docs/guide.md": "# Guide\n",
    "docs/notes.txt": "notes\n",
    "docs/.hidden": "hidden\n",
    "app/index.html": "<h1>app</h1>\n",
    "site/index.html": "<h1>site</h1>\n",
    "style.css": STYLE,
    "app.js": "console.log('app');\n".repeat(20),
    "app.js.br": "BROTLI",
    "app.js.gz": "GZIP",
    "big.bin": Uint8Array.from({ length: BIG }, (_, i) => (i * 7) & 0xff),
    "sp ace & <b>.txt": "odd name\n",
    "about.html": "<h1>about</h1>\n",
    "404.html": "<h1>not here</h1>\n",
    "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "links/real.txt": "real\n",
    // A listing past 32 KiB, which the fetch face sends as text.
    ...Object.fromEntries(
      Array.from({ length: 700 }, (_, i) => [`large/ünï-${i}.txt`, "x"]),
    ),
  };
  for (const [name, content] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
  // Symlinks: to a file in the folder, to a folder in it, and out of it.
  await Deno.symlink("../hello.txt", `${dir}/links/in.txt`);
  await Deno.symlink("../docs", `${dir}/links/dir`);
  await Deno.symlink("/etc/passwd", `${dir}/links/out.txt`);
  const time = new Date("2026-01-31T13:05:12Z");
  for (
    const name of [
      ...Object.keys(files),
      "docs",
      "app",
      "site",
      "links",
      "large",
    ]
  ) {
    await Deno.utime(`${dir}/${name}`, time, time);
  }
  return dir;
}

const get = (target: string, ...fields: string[]) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${
    fields.map((field) => `${field}\r\n`).join("")
  }\r\n`;
const head = (target: string, ...fields: string[]) =>
  get(target, ...fields).replace(/^GET/, "HEAD");

const CASES: Case[] = [
  { name: "a small file", request: get("/hello.txt"), status: 200 },
  { name: "a small file's HEAD", request: head("/hello.txt"), status: 200 },
  { name: "a file past the cache", request: get("/big.bin"), status: 200 },
  { name: "a large file's HEAD", request: head("/big.bin"), status: 200 },
  {
    name: "one range of a large file",
    request: get("/big.bin", "Range: bytes=100-199"),
    status: 206,
  },
  {
    name: "a suffix range",
    request: get("/big.bin", "Range: bytes=-300"),
    status: 206,
  },
  {
    name: "two ranges of a large file",
    request: get("/big.bin", "Range: bytes=0-9,150000-150009"),
    status: 206,
  },
  {
    name: "two ranges of a small file",
    request: get("/hello.txt", "Range: bytes=0-1,3-4"),
    status: 206,
  },
  {
    name: "a range past the end",
    request: get("/big.bin", `Range: bytes=${BIG}-`),
    status: 416,
  },
  {
    name: "a range whose If-Range fails",
    request: get("/hello.txt", "Range: bytes=0-1", 'If-Range: "other"'),
    status: 200,
  },
  {
    name: "If-None-Match: *",
    request: get("/hello.txt", "If-None-Match: *"),
    status: 304,
  },
  {
    name: "If-Modified-Since after the file's time",
    request: get(
      "/big.bin",
      "If-Modified-Since: Sat, 31 Jan 2026 13:05:12 GMT",
    ),
    status: 304,
  },
  {
    name: "If-Modified-Since before the file's time",
    request: get(
      "/big.bin",
      "If-Modified-Since: Fri, 30 Jan 2026 13:05:12 GMT",
    ),
    status: 200,
  },
  { name: "a folder without its slash", request: get("/docs"), status: 301 },
  {
    name: "a folder without its slash, with a query",
    request: get("/docs?x=1"),
    status: 301,
  },
  { name: "a folder's listing", request: get("/docs/"), status: 200 },
  { name: "a listing's HEAD", request: head("/docs/"), status: 200 },
  { name: "a listing past 32 KiB", request: get("/large/"), status: 200 },
  { name: "a listing with a query", request: get("/docs/?a=<b>"), status: 200 },
  {
    name: "a JSON listing",
    request: get("/docs/?format=json"),
    status: 200,
  },
  {
    name: "a JSON listing by Accept",
    request: get("/docs/", "Accept: application/json"),
    status: 200,
  },
  { name: "the site's index page", request: get("/"), status: 200 },
  { name: "a folder's index page", request: get("/app/"), status: 200 },
  { name: "a missing file", request: get("/missing.txt"), status: 404 },
  { name: "a missing file's HEAD", request: head("/missing.txt"), status: 404 },
  { name: "a file with a slash", request: get("/hello.txt/"), status: 404 },
  { name: "a NUL in the path", request: get("/hello%00.txt"), status: 400 },
  {
    name: "an escaped dot-dot segment",
    request: get("/docs/%2e%2e/%2E%2E/hello.txt"),
    status: 200,
  },
  {
    name: "an absolute-form target",
    request: get("http://127.0.0.1/docs/notes.txt"),
    status: 200,
  },
  {
    name: "an escaped name",
    request: get("/sp%20ace%20%26%20%3Cb%3E.txt"),
    status: 200,
  },
  { name: "a dotfile, shown by default", request: get("/.env"), status: 200 },
  {
    name: "a dotfile with --no-hidden",
    flags: ["--no-hidden"],
    request: get("/.env"),
    status: 404,
  },
  {
    name: "a listing with --no-hidden",
    flags: ["--no-hidden"],
    request: get("/docs/"),
    status: 200,
  },
  {
    name: "a folder with --no-listing",
    flags: ["--no-listing"],
    request: get("/docs/"),
    status: 404,
  },
  {
    name: "an index page with --no-listing",
    flags: ["--no-listing"],
    request: get("/site/"),
    status: 200,
  },
  {
    name: "a dotfile with --spa and --no-hidden",
    flags: ["--spa", "--no-hidden"],
    request: get("/.git/config"),
    status: 404,
  },
  {
    name: "a route with --spa",
    flags: ["--spa"],
    request: get("/some/route"),
    status: 200,
  },
  {
    name: "a missing file with --404",
    flags: ["--404", "{dir}/404.html"],
    request: get("/missing.txt"),
    status: 404,
  },
  {
    name: "a clean URL",
    flags: ["--clean-urls"],
    request: get("/about"),
    status: 200,
  },
  {
    name: "a .html URL with --clean-urls",
    flags: ["--clean-urls"],
    request: get("/about.html"),
    status: 301,
  },
  {
    name: "a page with --live-reload",
    flags: ["--live-reload"],
    request: get("/about.html"),
    status: 200,
  },
  {
    name: "live reload's script",
    flags: ["--live-reload"],
    request: get("/.well-known/httpserver/live-reload.js"),
    status: 200,
  },
  {
    name: "the pretty listing",
    flags: ["--pretty-listing"],
    request: get("/docs/?sort=size&order=desc"),
    status: 200,
  },
  {
    name: "gzip on the fly",
    flags: ["--gzip"],
    request: get("/style.css", "Accept-Encoding: gzip"),
    status: 200,
  },
  {
    name: "gzip on the fly of a large file",
    flags: ["--gzip"],
    request: get("/big.bin", "Accept-Encoding: gzip"),
    status: 200,
  },
  {
    name: "a precompressed sibling",
    flags: ["--gzip"],
    request: get("/app.js", "Accept-Encoding: gzip, br"),
    status: 200,
  },
  {
    name: "no coding for a range",
    flags: ["--gzip"],
    request: get("/style.css", "Accept-Encoding: gzip", "Range: bytes=0-9"),
    status: 206,
  },
  {
    name: "a 304 with --gzip",
    flags: ["--gzip"],
    request: get("/style.css", "Accept-Encoding: gzip", "If-None-Match: *"),
    status: 304,
  },
  {
    name: "--cache on a file",
    flags: ["--cache", "60"],
    request: get("/hello.txt"),
    status: 200,
  },
  {
    name: "--cache on a listing",
    flags: ["--cache", "60"],
    request: get("/docs/"),
    status: 200,
  },
  {
    name: "--no-cache on a file",
    flags: ["--no-cache"],
    request: get("/hello.txt"),
    status: 200,
  },
  {
    name: "--cors on a file",
    flags: ["--cors"],
    request: get("/hello.txt", "Origin: https://a.example"),
    status: 200,
  },
  {
    name: "--cors on an error",
    flags: ["--cors"],
    request: get("/missing.txt"),
    status: 404,
  },
  {
    name: "a preflight with --cors",
    flags: ["--cors"],
    request:
      "OPTIONS /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://a.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-a\r\n\r\n",
    status: 204,
  },
  {
    name: "a preflight with --cors and --upload",
    flags: ["--cors", "--upload"],
    request:
      "OPTIONS /up.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nAccess-Control-Request-Method: PUT\r\n\r\n",
    status: 204,
  },
  {
    name: "OPTIONS without --cors",
    request: "OPTIONS /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    status: 501,
  },
  {
    name: "-H on a file and a redirect",
    flags: ["-H", "X-Site: one", "-H", "X-Two: 2"],
    request: get("/docs"),
    status: 301,
  },
  {
    name: "a PUT without --upload",
    request:
      "PUT /up.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 501,
  },
  {
    name: "a DELETE",
    request: "DELETE /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    status: 501,
  },
  {
    name: "a PUT with --upload",
    flags: ["--upload"],
    fresh: true,
    request:
      "PUT /docs/up.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 201,
  },
  {
    name: "a PUT over a file without --overwrite",
    flags: ["--upload"],
    fresh: true,
    request:
      "PUT /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 409,
  },
  {
    name: "a PUT over a file with --overwrite",
    flags: ["--upload", "--overwrite"],
    fresh: true,
    request:
      "PUT /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 204,
  },
  {
    name: "a PUT past --max-upload",
    flags: ["--upload", "--max-upload", "2"],
    fresh: true,
    request:
      "PUT /up.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 413,
  },
  {
    name: "a PUT of a hidden name",
    flags: ["--upload"],
    fresh: true,
    request:
      "PUT /.bashrc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 403,
  },
  {
    name: "a PUT through a foreign host name",
    flags: ["--upload"],
    fresh: true,
    request:
      "PUT /up.txt HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 3\r\n\r\nabc",
    status: 403,
  },
  {
    name: "a form upload",
    flags: ["--upload"],
    fresh: true,
    request: formUpload("/docs/", "form.txt", "from a form\n"),
    status: 303,
  },
  {
    name: "a listing with the upload form",
    flags: ["--upload"],
    request: get("/docs/"),
    status: 200,
    check: (answer) => {
      assert.match(answer.body, /<\/form>\n<script>/);
      assert.match(
        field(answer, "content-security-policy") ?? "",
        /^default-src 'none'; form-action 'self'; script-src 'sha256-[\w+/]+=*'; connect-src 'self'$/,
      );
    },
  },
  {
    name: "a pretty listing with the upload form",
    flags: ["--upload", "--pretty-listing"],
    request: get("/docs/"),
    status: 200,
    check: (answer) =>
      assert.match(
        field(answer, "content-security-policy") ?? "",
        /^default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; script-src 'sha256-[\w+/]+=*'; connect-src 'self'$/,
      ),
  },
  {
    name: "a text file with --upload: nosniff, no sandbox",
    flags: ["--upload"],
    request: get("/hello.txt"),
    status: 200,
    check: (answer) => {
      assert.equal(field(answer, "x-content-type-options"), "nosniff");
      assert.equal(field(answer, "content-security-policy"), undefined);
    },
  },
  {
    name: "a page with --upload: sandboxed",
    flags: ["--upload"],
    request: get("/about.html"),
    status: 200,
    check: (answer) => {
      assert.equal(field(answer, "x-content-type-options"), "nosniff");
      assert.equal(field(answer, "content-security-policy"), "sandbox");
    },
  },
  {
    name: "an index page with --upload: sandboxed",
    flags: ["--upload"],
    request: get("/app/"),
    status: 200,
    check: (answer) =>
      assert.equal(field(answer, "content-security-policy"), "sandbox"),
  },
  {
    name: "an SVG with --upload: sandboxed",
    flags: ["--upload"],
    request: get("/logo.svg"),
    status: 200,
    check: (answer) =>
      assert.equal(field(answer, "content-security-policy"), "sandbox"),
  },
  {
    name: "a range of a page with --upload: sandboxed",
    flags: ["--upload"],
    request: get("/about.html", "Range: bytes=0-3"),
    status: 206,
    check: (answer) =>
      assert.equal(field(answer, "content-security-policy"), "sandbox"),
  },
  {
    name: "the 404 page with --upload: sandboxed, as an upload may replace it",
    flags: ["--upload", "--404", "{dir}/404.html"],
    request: get("/missing.txt"),
    status: 404,
    check: (answer) => {
      assert.equal(field(answer, "x-content-type-options"), "nosniff");
      assert.equal(field(answer, "content-security-policy"), "sandbox");
    },
  },
  {
    name:
      "a page with --delete: sandboxed, as a MOVE can give any file a page's name",
    flags: ["--delete"],
    request: get("/about.html"),
    status: 200,
    check: (answer) => {
      assert.equal(field(answer, "x-content-type-options"), "nosniff");
      assert.equal(field(answer, "content-security-policy"), "sandbox");
    },
  },
  {
    name: "a page with --upload and --trust-uploads: nosniff only",
    flags: ["--upload", "--trust-uploads"],
    request: get("/about.html"),
    status: 200,
    check: (answer) => {
      assert.equal(field(answer, "x-content-type-options"), "nosniff");
      assert.equal(field(answer, "content-security-policy"), undefined);
    },
  },
  {
    name: "a page without --upload: neither",
    request: get("/about.html"),
    status: 200,
    check: (answer) => {
      assert.equal(field(answer, "x-content-type-options"), undefined);
      assert.equal(field(answer, "content-security-policy"), undefined);
    },
  },
  {
    name: "a symlink out of the folder, followed by default",
    request: get("/links/out.txt"),
    status: 200,
  },
  {
    name: "a symlink in the folder with --symlinks inside",
    flags: ["--symlinks", "inside"],
    request: get("/links/in.txt"),
    status: 200,
    check: (answer) => assert.equal(answer.body, "hello\n"),
  },
  {
    name: "a path through a linked folder with --symlinks inside",
    flags: ["--symlinks", "inside"],
    request: get("/links/dir/notes.txt"),
    status: 200,
  },
  {
    name: "a symlink out of the folder with --symlinks inside",
    flags: ["--symlinks", "inside"],
    request: get("/links/out.txt"),
    status: 404,
  },
  {
    name: "a symlink in the folder with --symlinks never",
    flags: ["--symlinks", "never"],
    request: get("/links/in.txt"),
    status: 404,
  },
  {
    name: "a path through a linked folder with --symlinks never",
    flags: ["--symlinks", "never"],
    request: get("/links/dir/notes.txt"),
    status: 404,
  },
  {
    name: "a linked folder's listing with --symlinks never",
    flags: ["--symlinks", "never"],
    request: get("/links/dir/"),
    status: 404,
  },
  {
    name: "a file beside symlinks with --symlinks never",
    flags: ["--symlinks", "never"],
    request: get("/links/real.txt"),
    status: 200,
  },
  {
    name: "a listing with --symlinks never leaves symlinks out",
    flags: ["--symlinks", "never"],
    request: get("/links/"),
    status: 200,
    check: (answer) => {
      assert.match(answer.body, /real\.txt/);
      assert.doesNotMatch(answer.body, /in\.txt|out\.txt|dir/);
    },
  },
  {
    name: "a JSON listing with --symlinks never leaves symlinks out",
    flags: ["--symlinks", "never"],
    request: get("/links/?format=json"),
    status: 200,
    check: (answer) =>
      assert.deepEqual(
        JSON.parse(answer.body).map((entry: { name: string }) => entry.name),
        ["real.txt"],
      ),
  },
  {
    name: "a PUT through a linked folder with --symlinks never",
    flags: ["--upload", "--symlinks", "never"],
    fresh: true,
    request:
      "PUT /links/dir/up.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 403,
  },
  {
    name: "a PUT through a linked folder with --symlinks inside",
    flags: ["--upload", "--symlinks", "inside"],
    fresh: true,
    request:
      "PUT /links/dir/up.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
    status: 201,
  },
  {
    name: "a pretty listing with --symlinks inside shows symlinks",
    flags: ["--symlinks", "inside", "--pretty-listing"],
    request: get("/links/"),
    status: 200,
    check: (answer) => assert.match(answer.body, /in\.txt@/),
  },
  {
    name: "DELETE without --delete",
    request: get("/hello.txt").replace(/^GET/, "DELETE"),
    status: 501,
  },
  {
    name: "PROPFIND without --webdav",
    request: get("/docs/", "Depth: 1").replace(/^GET/, "PROPFIND"),
    status: 501,
  },
  {
    name: "OPTIONS with --webdav",
    flags: ["--webdav"],
    request: get("/").replace(/^GET/, "OPTIONS"),
    status: 200,
  },
  {
    name: "a preflight with --delete and --cors",
    flags: ["--delete", "--cors"],
    request: get("/", "Access-Control-Request-Method: MOVE")
      .replace(/^GET/, "OPTIONS"),
    status: 204,
  },
  {
    name: "PROPFIND of a file, Depth: 0",
    flags: ["--webdav"],
    request: get("/docs/guide.md", "Depth: 0").replace(/^GET/, "PROPFIND"),
    status: 207,
  },
  {
    name: "PROPFIND of a folder, Depth: 1",
    flags: ["--webdav", "--no-hidden"],
    request: get("/docs", "Depth: 1").replace(/^GET/, "PROPFIND"),
    status: 207,
  },
  {
    name: "PROPFIND of Depth: infinity",
    flags: ["--webdav"],
    request: get("/docs/", "Depth: infinity").replace(/^GET/, "PROPFIND"),
    status: 403,
  },
  {
    name: "a DELETE",
    flags: ["--delete"],
    fresh: true,
    request: get("/docs/").replace(/^GET/, "DELETE"),
    status: 204,
  },
  {
    name: "a DELETE of the served folder",
    flags: ["--delete"],
    request: get("/").replace(/^GET/, "DELETE"),
    status: 403,
  },
  {
    name: "a MOVE",
    flags: ["--delete"],
    fresh: true,
    request: get(
      "/hello.txt",
      "Destination: http://127.0.0.1/docs/hello%20again.txt",
    ).replace(/^GET/, "MOVE"),
    status: 201,
  },
  {
    name: "a MOVE onto a taken name with Overwrite: F",
    flags: ["--delete"],
    request: get(
      "/hello.txt",
      "Destination: /about.html",
      "Overwrite: F",
    ).replace(/^GET/, "MOVE"),
    status: 412,
  },
  {
    name: "a MKCOL",
    flags: ["--mkdir"],
    fresh: true,
    request: get("/new/").replace(/^GET/, "MKCOL"),
    status: 201,
  },
  {
    name: "a MKCOL of a taken name",
    flags: ["--mkdir"],
    request: get("/docs/").replace(/^GET/, "MKCOL"),
    status: 405,
  },
  {
    name: "a listing with the file operations' buttons",
    flags: ["--delete", "--mkdir"],
    request: get("/docs/"),
    status: 200,
  },
  {
    name: "a pretty listing with the file operations' buttons",
    flags: ["--delete", "--pretty-listing"],
    request: get("/docs/"),
    status: 200,
  },
];

/** The value of the field `name` of an answer, or undefined. */
function field(answer: Comparable, name: string): string | undefined {
  return answer.headers.find(([key]) => key === name)?.[1];
}

/** A `multipart/form-data` POST of one file, as the listing's form sends it. */
function formUpload(target: string, name: string, content: string): string {
  const body =
    `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
    `Content-Type: text/plain\r\n\r\n${content}\r\n--XyZ--\r\n`;
  return `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Content-Type: multipart/form-data; boundary=XyZ\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
}

/** Serves `dir` with `flags` on face `name`, asks `request`. */
async function answer(
  name: FaceName,
  dir: string,
  flags: string[],
  request: string,
) {
  const given = flags.map((flag) => flag.replaceAll("{dir}", dir));
  await using face = startFace(name, dir, given);
  return comparable(await ask(face, request));
}

Deno.test("both faces answer every case of the table alike", async (t) => {
  const shared = await makeFolder();
  try {
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const flags = c.flags ?? [];
        const dirs = c.fresh
          ? [await makeFolder(), await makeFolder()]
          : [shared, shared];
        try {
          const python = await answer("python", dirs[0], flags, c.request);
          const fetched = await answer("fetch", dirs[1], flags, c.request);
          assert.equal(python.status, c.status, python.body);
          assert.deepEqual(fetched, python);
          c.check?.(python);
        } finally {
          if (c.fresh) {
            for (const dir of dirs) await Deno.remove(dir, { recursive: true });
          }
        }
      });
    }
  } finally {
    await Deno.remove(shared, { recursive: true });
  }
});
