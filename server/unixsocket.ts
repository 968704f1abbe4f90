/**
 * Taking over a Unix socket's path before listening on it. A server that
 * was killed leaves its socket file behind, and listening on an existing
 * path fails; but removing the file of a server that still runs would cut
 * it off from its clients. So the path is probed first: a socket that
 * answers belongs to a running server and is refused; one that refuses
 * the connection is stale and removed; anything else is not ours to touch.
 *
 * @example
 * ```ts ignore
 * import { removeStaleSocket } from "./unixsocket.ts";
 *
 * await removeStaleSocket("/run/httpserver/www.sock");
 * const listener = Deno.listen({ transport: "unix", path: "/run/httpserver/www.sock" });
 * ```
 *
 * @module
 */

/**
 * Makes `path` free to listen on: nothing to do when nothing is there, and
 * a stale socket (one that refuses connections) is removed. Needs the
 * permissions of listening there (net, read and write for the path).
 *
 * @param path the socket's path
 * @throws {Deno.errors.AddrInUse} when a server answers on it
 * @throws {Deno.errors.AlreadyExists} when it is not a socket
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isSocket) {
    throw new Deno.errors.AlreadyExists("a file that is not a socket is there");
  }
  try {
    (await Deno.connect({ transport: "unix", path })).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    Deno.removeSync(path);
    return;
  }
  throw new Deno.errors.AddrInUse(
    `the Unix socket '${path}' is in use by another server`,
  );
}
