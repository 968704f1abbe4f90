/**
 * The folder of CGI scripts that the CGI tests and the differential test
 * against `python3 -m http.server --cgi` serve: CPython's test scripts
 * (`cgi_file1`, `cgi_file2`, `cgi_file4`) and small `sh` scripts, each
 * showing one behaviour.
 *
 * @module
 */

const PY = "#!/usr/bin/env python3\n";
/** CPython's cgi_file1. */
const HELLO = PY +
  'print("Content-type: text/html")\nprint()\nprint("Hello World")\n';

/** The scripts of the fixture: path, content, mode. */
const SCRIPTS: [string, string, number][] = [
  ["nocgi.py", HELLO, 0o777],
  ["cgi-bin/file1.py", HELLO, 0o755],
  // cgi_file2: a form POST
  [
    "cgi-bin/file2.py",
    PY + `import os, sys, urllib.parse
print("Content-type: text/html")
print()
data = sys.stdin.buffer.read(int(os.environ["CONTENT_LENGTH"]))
params = {k.decode(): v.decode() for k, v in urllib.parse.parse_qsl(data)}
print("%s, %s, %s" % (params["spam"], params["eggs"], params["bacon"]))
`,
    0o755,
  ],
  ["cgi-bin/child-dir/file3.py", HELLO, 0o755],
  // cgi_file4: QUERY_STRING
  [
    "cgi-bin/file4.py",
    PY +
    'import os\nprint("Content-type: text/html")\nprint()\nprint(os.environ["QUERY_STRING"])\n',
    0o755,
  ],
  ["sub/dir/cgi-bin/file5.py", HELLO, 0o755],
  // The environment, argv and folder as JSON.
  [
    "cgi-bin/env.py",
    PY + `import json, os, sys
print("Content-Type: application/json")
print()
print(json.dumps({
    "env": dict(os.environ),
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "ids": [os.getuid(), os.getgid()],
}))
`,
    0o755,
  ],
  [
    "cgi-bin/echo.sh",
    "#!/bin/sh\nprintf 'Content-Type: application/octet-stream\\r\\n\\r\\n'\nexec cat\n",
    0o755,
  ],
  [
    "cgi-bin/count.sh",
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nwc -c | tr -d ' '\n",
    0o755,
  ],
  [
    "cgi-bin/status.sh",
    "#!/bin/sh\nprintf 'Status: 418 Short And Stout\\nContent-Type: text/plain\\n\\nteapot\\n'\n",
    0o755,
  ],
  [
    "cgi-bin/redirect.sh",
    "#!/bin/sh\nprintf 'Location: /elsewhere/?a=1\\n\\n'\n",
    0o755,
  ],
  [
    "cgi-bin/length.sh",
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Length: 5\\n\\nhello'\n",
    0o755,
  ],
  [
    "cgi-bin/short.sh",
    "#!/bin/sh\nprintf 'Content-Length: 10\\n\\nhello'\n",
    0o755,
  ],
  [
    "cgi-bin/long.sh",
    "#!/bin/sh\nprintf 'Content-Length: 3\\n\\nhello'\n",
    0o755,
  ],
  // Answers the status its query names, with a body all the same.
  [
    "cgi-bin/nocontent.sh",
    "#!/bin/sh\nprintf 'Status: %s\\nContent-Length: 5\\n\\nhello' \"$QUERY_STRING\"\n",
    0o755,
  ],
  ["cgi-bin/noheader.sh", "#!/bin/sh\necho hello\n", 0o755],
  ["cgi-bin/silent.sh", "#!/bin/sh\nexit 0\n", 0o755],
  [
    "cgi-bin/fail.sh",
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\npartial\\n'\necho 'something broke' >&2\necho 'second line' >&2\nexit 3\n",
    0o755,
  ],
  [
    "cgi-bin/head.sh",
    "#!/bin/sh\necho \"ran $REQUEST_METHOD\" >&2\nprintf 'Content-Type: text/plain\\n\\nbody\\n'\n",
    0o755,
  ],
  // Hangs, with a child of its own that must die with it.
  [
    "cgi-bin/hang.sh",
    '#!/bin/sh\necho "script $$" >&2\nsleep 60 &\necho "child $!" >&2\nwait\n',
    0o755,
  ],
  // Answers in full and exits, leaving a child that holds its output open.
  [
    "cgi-bin/background.sh",
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Length: 5\\n\\nhello'\n" +
    'sleep 30 &\necho "child $!" >&2\n',
    0o755,
  ],
  [
    "cgi-bin/hangbody.sh",
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\npartial\\n'\nsleep 60 &\nwait\n",
    0o755,
  ],
  // Hangs in a child that holds its stdin and reads none of it.
  ["cgi-bin/hangstdin.sh", "#!/bin/sh\nsleep 60\n", 0o755],
  // Hangs, with a child that leaves its process group (and session) holding
  // the output pipes open.
  [
    "cgi-bin/escape.sh",
    '#!/bin/sh\nsetsid sleep 60 &\necho "child $!" >&2\nwait\n',
    0o755,
  ],
  ["cgi-bin/noexec.sh", "#!/bin/sh\necho hi\n", 0o644],
  ["cgi-bin/garbage", "not a program\n", 0o755],
];

/**
 * Writes the scripts to a new temporary folder, readable by `nobody` (as
 * root, Python and this server run scripts as nobody); removed on dispose.
 */
export async function makeFixture(): Promise<
  { dir: string } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "httpserver-cgi-test-" });
  await Deno.chmod(dir, 0o755);
  for (const [path, text, mode] of SCRIPTS) {
    const file = `${dir}/${path}`;
    const folder = file.slice(0, file.lastIndexOf("/"));
    await Deno.mkdir(folder, { recursive: true, mode: 0o755 });
    await Deno.writeTextFile(file, text);
    await Deno.chmod(file, mode);
  }
  await Deno.mkdir(`${dir}/cgi-bin/folder.py`);
  await Deno.writeTextFile(`${dir}/index.html`, "<p>files</p>\n");
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
