/**
 * Runs CPython for differential tests: the script reads JSON from stdin with
 * `json.load(sys.stdin)` and prints its answer with `json.dump(..., sys.stdout)`.
 *
 * @module
 */

/**
 * Python that defines `Handler`: CPython's `SimpleHTTPRequestHandler` made
 * without a connection, its response methods doing nothing, so that a script
 * can set `handler.path` and call `handler.list_directory(folder)`.
 */
export const PY_LISTING_HANDLER =
  `from http.server import SimpleHTTPRequestHandler

class Handler(SimpleHTTPRequestHandler):
    def __init__(self):
        pass
    def send_response(self, *args):
        pass
    def send_header(self, *args):
        pass
    def end_headers(self):
        pass
`;

/**
 * Runs `python3 -c script` with `input` as JSON on stdin and returns what it
 * printed, parsed as JSON.
 *
 * @param script the Python program
 * @param input the value sent as JSON on stdin
 * @param env extra environment variables (e.g. `TZ`)
 * @returns the parsed stdout
 * @throws {Error} with Python's stderr when it exits non-zero
 */
export async function runPython(
  script: string,
  input: unknown,
  env: Record<string, string> = {},
): Promise<unknown> {
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    env: { PYTHONIOENCODING: "utf-8", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`python3 failed: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout));
}

/**
 * Whether this `python3` shows the served folder's path on disk in the
 * listing of a URL it cannot decode (`/?x=%bb`): CPython gh-104049, fixed
 * in 3.11.4 (Debian 12's `/usr/bin/python3` is 3.11.2). Comparisons skip
 * that case on such a Python; ours answers as the fixed one does.
 */
export async function pythonListingLeaksPath(): Promise<boolean> {
  return await runPython(
    `import http.server, inspect, json, sys
source = inspect.getsource(http.server.SimpleHTTPRequestHandler.list_directory)
json.dump('unquote(path)' in source, sys.stdout)`,
    null,
  ) as boolean;
}
