/**
 * The meta-variables (RFC 3875 §4.1) and command line (§4.4) of a CGI script,
 * as Python's `CGIHTTPRequestHandler.run_cgi` builds them, plus every request
 * header as `HTTP_*` (§4.1.18). Pure: the caller spawns the script with this
 * environment on top of the server's own, as Python passes `os.environ`.
 *
 * @example
 * ```ts
 * import { cgiArguments, cgiEnvironment } from "./env.ts";
 *
 * const env = cgiEnvironment({
 *   serverSoftware: "SimpleHTTP/0.6 Deno/2.9.6",
 *   serverName: "127.0.0.1",
 *   serverPort: 8000,
 *   serverProtocol: "HTTP/1.0",
 *   method: "GET",
 *   pathInfo: "/extra",
 *   pathTranslated: "/srv/extra",
 *   scriptName: "/cgi-bin/env.py",
 *   query: "a=1",
 *   remoteAddr: "127.0.0.1",
 *   headers: new Headers({ "X-Trace": "abc", Proxy: "http://evil" }),
 *   headerValues: (name) => name === "accept" ? ["text/html", "text/plain"] : [],
 *   contentLength: null,
 * });
 * env.HTTP_X_TRACE; // "abc"
 * env.HTTP_ACCEPT; // "text/html,text/plain"
 * env.HTTP_PROXY; // undefined
 * cgiArguments("a+b"); // ["a b"]
 * ```
 *
 * @module
 */

/** What a script's environment is made from. */
export interface CGIRequest {
  /** `SERVER_SOFTWARE`: the `Server` header's value. */
  serverSoftware: string;
  /** `SERVER_NAME`: the server's bound host. */
  serverName: string;
  /** `SERVER_PORT`. */
  serverPort: number;
  /** `SERVER_PROTOCOL`: the handler's protocol version, as Python sets it. */
  serverProtocol: string;
  /** `REQUEST_METHOD`. */
  method: string;
  /** `PATH_INFO`: the decoded path after the script's name. */
  pathInfo: string;
  /** `PATH_TRANSLATED`: {@link pathInfo} as a file under the served folder. */
  pathTranslated: string;
  /** `SCRIPT_NAME`: the script's URL path. */
  scriptName: string;
  /** `QUERY_STRING`, as sent (not decoded). */
  query: string;
  /** `REMOTE_ADDR`. */
  remoteAddr: string;
  /** The request's header fields. */
  headers: Headers;
  /**
   * Every value of one header, in the order received (Python's
   * `headers.get_all`): the variables Python sets take its first field or
   * join the fields its own way.
   */
  headerValues: (name: string) => string[];
  /**
   * `CONTENT_LENGTH`: the body's length after transfer codings are removed
   * (RFC 3875 §4.1.2), or null to take the `Content-Length` header.
   */
  contentLength: number | null;
  /**
   * With accounts, the user signed in (its credentials checked), or null
   * for none: then `AUTH_TYPE` is `Basic` and `REMOTE_USER` the user (RFC
   * 3875 §4.1.1, §4.1.11), or both empty. Left out, Python's reading of the
   * `Authorization` header, unchecked.
   */
  user?: string | null;
}

/**
 * Headers that do not become `HTTP_*`: those Python's list already sets its
 * own way, those given as `CONTENT_TYPE`/`CONTENT_LENGTH` (§4.1.18 lets them
 * go; `Content-Length` would be wrong for a decoded chunked body, and so
 * would `Transfer-Encoding`), credentials (§4.1.18: SHOULD NOT, so that one
 * script cannot read what was meant for another; `AUTH_TYPE` and
 * `REMOTE_USER` carry what a script needs), and `Proxy`, which as
 * `HTTP_PROXY` would redirect the script's outgoing requests (httpoxy,
 * CVE-2016-5386).
 */
const NOT_PASSED = new Set([
  "accept",
  "cookie",
  "referer",
  "user-agent",
  "content-type",
  "content-length",
  "transfer-encoding",
  "authorization",
  "proxy-authorization",
  "proxy",
]);

/**
 * Header names that map to a variable name one to one. A name with `_` or
 * another character that `-` would also become is dropped, as Apache and
 * nginx drop it: `X_Forwarded_For` would otherwise pass for the
 * `X-Forwarded-For` that a proxy in front vouches for.
 */
const PLAIN_NAME = /^[a-z0-9-]+$/;

/**
 * The variables Python's `run_cgi` sets, with its quirks (`CONTENT_TYPE`
 * defaults to `text/plain`; `HTTP_ACCEPT` is always set; `QUERY_STRING`,
 * `REMOTE_HOST`, `CONTENT_LENGTH`, `HTTP_USER_AGENT`, `HTTP_COOKIE` and
 * `HTTP_REFERER` are set to "" when the request has none, so that values
 * of the server's own environment do not leak through; of repeated fields,
 * Accept's are joined with `,`, Cookie's non-empty ones with `, `, and the
 * others give their first), then one `HTTP_*` variable for every other
 * header field (RFC 3875 §4.1.18), repeated fields joined with `, `, except
 * those in {@link NOT_PASSED}, never `HTTP_PROXY`.
 *
 * @param request the request's parts
 * @returns the variables to set on top of the server's environment
 */
export function cgiEnvironment(request: CGIRequest): Record<string, string> {
  const headers = request.headers;
  const first = (name: string) => request.headerValues(name)[0];
  const env: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (NOT_PASSED.has(name) || !PLAIN_NAME.test(name)) continue;
    env["HTTP_" + name.toUpperCase().replaceAll("-", "_")] = value;
  }
  Object.assign(env, {
    SERVER_SOFTWARE: request.serverSoftware,
    SERVER_NAME: request.serverName,
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: request.serverProtocol,
    SERVER_PORT: String(request.serverPort),
    REQUEST_METHOD: request.method,
    PATH_INFO: request.pathInfo,
    PATH_TRANSLATED: request.pathTranslated,
    SCRIPT_NAME: request.scriptName,
    QUERY_STRING: request.query,
    REMOTE_ADDR: request.remoteAddr,
    REMOTE_HOST: "",
  });
  const authorization = (first("authorization") ?? "").trim()
    .split(/\s+/);
  if (request.user !== undefined) {
    // Empty for none (RFC 3875 §4.1: NULL), so that the server's own
    // environment cannot name a user.
    env.AUTH_TYPE = request.user === null ? "" : "Basic";
    env.REMOTE_USER = request.user ?? "";
  } else if (authorization.length === 2) {
    env.AUTH_TYPE = authorization[0];
    const user = authorization[0].toLowerCase() === "basic"
      ? basicUser(authorization[1])
      : null;
    if (user !== null) env.REMOTE_USER = user;
  }
  // Python: the header, else `get_content_type()`, whose default is text/plain.
  env.CONTENT_TYPE = first("content-type") ?? "text/plain";
  env.CONTENT_LENGTH = request.contentLength === null
    ? first("content-length") ?? ""
    : String(request.contentLength);
  env.HTTP_REFERER = first("referer") ?? "";
  env.HTTP_ACCEPT = request.headerValues("accept").join(",");
  env.HTTP_USER_AGENT = first("user-agent") ?? "";
  env.HTTP_COOKIE = request.headerValues("cookie").filter(Boolean).join(", ");
  return env;
}

/**
 * The user of a Basic `Authorization` credential, as Python finds it: the
 * base64 text decoded as ASCII and split at `:`, which must give exactly two
 * parts; null otherwise.
 */
function basicUser(credential: string): string | null {
  let decoded: string;
  try {
    // binascii.a2b_base64 skips characters outside the alphabet.
    decoded = atob(credential.replace(/[^A-Za-z0-9+/=]/g, ""));
  } catch {
    return null;
  }
  // deno-lint-ignore no-control-regex -- ASCII, as Python's decode('ascii')
  if (!/^[\x00-\x7f]*$/.test(decoded)) return null;
  const parts = decoded.split(":");
  return parts.length === 2 ? parts[0] : null;
}

/**
 * The script's command line after its name, as Python builds it: a query
 * without `=` (an "indexed" query, RFC 3875 §4.4) is passed as one argument
 * with each `+` turned into a space and nothing else decoded; an empty query
 * gives one empty argument, as in Python. A query with `=` gives none.
 *
 * @example
 * ```ts
 * import { cgiArguments } from "./env.ts";
 * cgiArguments("spam+eggs"); // ["spam eggs"]
 * cgiArguments("a=1"); // []
 * ```
 *
 * @param query `QUERY_STRING`
 * @returns the arguments
 */
export function cgiArguments(query: string): string[] {
  const decoded = query.replaceAll("+", " ");
  return decoded.includes("=") ? [] : [decoded];
}

/** The program that runs a script and its arguments. */
export interface ScriptCommand {
  /** The program. */
  command: string;
  /** Its arguments. */
  args: string[];
}

/**
 * The command line that runs a script (RFC 3875 §4.4 for its arguments):
 * the script itself, or for a Python script on Windows, where no script is
 * executable, `python -u script`, as Python's `run_cgi` runs it.
 *
 * @example
 * ```ts
 * import { scriptCommand } from "./env.ts";
 * scriptCommand("/srv/cgi-bin/s.sh", "a+b", false);
 * // { command: "/srv/cgi-bin/s.sh", args: ["a b"] }
 * scriptCommand("C:\\srv\\cgi-bin\\s.py", "", true);
 * // { command: "python", args: ["-u", "C:\\srv\\cgi-bin\\s.py"] }
 * ```
 *
 * @param scriptFile the script's file
 * @param query the request's query, as sent
 * @param python whether the interpreter runs it
 */
export function scriptCommand(
  scriptFile: string,
  query: string,
  python: boolean,
): ScriptCommand {
  const args = cgiArguments(query);
  return python
    ? { command: "python", args: ["-u", scriptFile, ...args] }
    : { command: scriptFile, args };
}
