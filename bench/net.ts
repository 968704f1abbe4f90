/**
 * A TCP connect to 127.0.0.1 bounded in time. `Deno.connect` takes no
 * timeout, and a SYN dropped by a full accept queue (Python listens with a
 * backlog of 5) is retried by the kernel for up to two minutes; every client
 * in the benchmark connects through {@link connectWithin} instead.
 *
 * @module
 */

/** The error {@link connectWithin} rejects with when time runs out. */
export class ConnectTimeout extends Error {
  /** Names the port that did not accept in time. */
  constructor(port: number, ms: number) {
    super(`connect to 127.0.0.1:${port} took over ${ms} ms`);
    this.name = "ConnectTimeout";
  }
}

/**
 * Connects to 127.0.0.1:`port`, or rejects with {@link ConnectTimeout} after
 * `ms`; a connection that completes after that is closed at once.
 */
export function connectWithin(port: number, ms: number): Promise<Deno.TcpConn> {
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname: "127.0.0.1", port });
  connecting.then((conn) => timedOut && conn.close(), () => {});
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new ConnectTimeout(port, ms));
    }, ms);
  });
  return Promise.race([connecting, timeout]).finally(() => clearTimeout(timer));
}
