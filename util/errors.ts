/**
 * The one error type of the server: {@link HttpError} carries the status to
 * answer and a kind from a closed set, so the connection loop can turn any
 * failure into a response in one place.
 *
 * @module
 */

/**
 * Every reason the server refuses a request, each with the status it answers.
 * Parse errors name the rule that failed.
 *
 * @example
 * ```ts
 * import { ERROR_STATUS } from "jsr:@x/httpserver";
 *
 * console.log(ERROR_STATUS["missing-host"]); // 400
 * console.log(ERROR_STATUS["too-many-headers"]); // 431
 * ```
 */
export const ERROR_STATUS = {
  // Request line (RFC 9112 §3)
  "request-line-too-long": 414,
  "bad-request-line": 400,
  "bad-version": 400,
  "http09-not-get": 400,
  "version-not-supported": 505,
  // Header fields (RFC 9112 §5)
  "header-line-too-long": 431,
  "too-many-headers": 431,
  "head-too-large": 431,
  "bad-header-name": 400,
  "space-before-colon": 400,
  "obs-fold": 400,
  "bad-header-value": 400,
  "bare-cr": 400,
  "bare-lf": 400,
  "missing-host": 400,
  "bad-host": 400,
  "multiple-host": 400,
  // Body framing (RFC 9112 §6)
  "bad-content-length": 400,
  "conflicting-content-length": 400,
  "content-length-with-transfer-encoding": 400,
  "bad-transfer-encoding": 400,
  "transfer-encoding-on-http10": 400,
  "bad-chunk": 400,
  "body-incomplete": 400,
  "body-too-large": 413,
  // Semantics and policy
  "expectation-failed": 417,
  "head-timeout": 408,
  "unsupported-method": 501,
  "not-found": 404,
  "forbidden": 403,
  "precondition-failed": 412,
  "bad-path": 400,
  "not-implemented": 501,
  "internal": 500,
  // CGI (RFC 3875): a chunked body too large to hold for CONTENT_LENGTH
  // (§4.1.2); a script that answers badly or not at all, as gateways do.
  "length-required": 411,
  "bad-gateway": 502,
  "gateway-timeout": 504,
  // Uploads: a malformed form (RFC 7578), a body that is not a form, a name
  // that is taken or a parent folder that is missing (RFC 9110 §15.5.10), a
  // full disk or quota (RFC 4918 §11.5).
  "bad-multipart": 400,
  "unsupported-media-type": 415,
  "conflict": 409,
  "insufficient-storage": 507,
  // File operations (RFC 4918): MKCOL of a name that exists (§9.3.1).
  "method-not-allowed": 405,
  // WebDAV's locks (§9.10.6, §11.3): a path locked by another's lock; a
  // table of locks at its most (a passing state).
  "locked": 423,
  "too-many-locks": 503,
  // The process or the system is out of file descriptors (EMFILE, ENFILE):
  // a passing state (RFC 9110 §15.6.4), never a 404 that caches would keep.
  "out-of-descriptors": 503,
  // Live reload's event stream, when its folder cannot be watched or the
  // streams are at their most: no stream, and a browser does not retry.
  "live-reload-unavailable": 503,
  // Searches: as many walking as a process lets at once (a passing state).
  "too-many-searches": 503,
  // Accounts: credentials needed or wrong (RFC 7617), and an address that
  // failed to sign in too often, refused for a while (RFC 6585 §4).
  "unauthorized": 401,
  "too-many-failures": 429,
} as const;

/**
 * The closed set of error kinds; see {@link ERROR_STATUS} for their statuses.
 *
 * @example
 * ```ts
 * import { HttpError, type HttpErrorKind } from "jsr:@x/httpserver";
 *
 * function refuse(kind: HttpErrorKind): never {
 *   throw new HttpError(kind);
 * }
 * try {
 *   refuse("forbidden");
 * } catch (error) {
 *   console.log((error as HttpError).status); // 403
 * }
 * ```
 */
export type HttpErrorKind = keyof typeof ERROR_STATUS;

/**
 * An error that becomes an HTTP error response. Handlers and the parser throw
 * it; the connection loop answers it with `sendError(status, message, explain)`
 * and a log line.
 *
 * @example
 * ```ts
 * import { HttpError } from "./errors.ts";
 * const err = new HttpError("not-found", "File not found");
 * console.log(err.status); // 404
 * ```
 */
export class HttpError extends Error {
  /** Which rule failed. */
  readonly kind: HttpErrorKind;
  /** The HTTP status code to answer with. */
  readonly status: number;
  /**
   * The `message` given, for the status line and the error page; unset when
   * none was given, so that the handler's `responses` supply the default
   * (where {@link message}, for logs, holds the kind).
   */
  readonly reason?: string;
  /** Longer explanation for the error page; the status's default when unset. */
  readonly explain?: string;
  /** Header fields the error response adds (a 503's `Retry-After`). */
  readonly headers: readonly (readonly [string, string])[];

  /**
   * An error of `kind`, answered with that kind's status.
   *
   * @param kind which rule failed; it decides the status
   * @param message the short message of the error page (Python's `message`)
   * @param options `explain` for the error page, `cause` for the log,
   *   `headers` for the response
   */
  constructor(
    kind: HttpErrorKind,
    message?: string,
    options?: {
      explain?: string;
      cause?: unknown;
      headers?: readonly (readonly [string, string])[];
    },
  ) {
    super(message ?? kind, { cause: options?.cause });
    this.name = "HttpError";
    this.kind = kind;
    this.status = ERROR_STATUS[kind];
    this.reason = message;
    this.explain = options?.explain;
    this.headers = options?.headers ?? [];
  }
}

/**
 * Seconds a client is asked to wait when the process is out of descriptors:
 * they come back as soon as connections or files close.
 */
const RETRY_AFTER_SECONDS = 1;

/**
 * The 503 (with `Retry-After`) for an error that says the process (EMFILE)
 * or the system (ENFILE) has no file descriptor left; null for any other
 * error, which the caller answers as before.
 *
 * @example
 * ```ts
 * import { outOfDescriptors } from "./errors.ts";
 *
 * const emfile = Object.assign(new Error("Too many open files"), { code: "EMFILE" });
 * console.log(outOfDescriptors(emfile)?.status); // 503
 * console.log(outOfDescriptors(new Deno.errors.NotFound())); // null
 * ```
 */
export function outOfDescriptors(error: unknown): HttpError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== "EMFILE" && code !== "ENFILE") return null;
  return new HttpError("out-of-descriptors", "Too many open files", {
    explain: "The server is busy: try again in a moment",
    cause: error,
    headers: [["Retry-After", String(RETRY_AFTER_SECONDS)]],
  });
}
