/**
 * The core's view of one file operation, as a face gives it (`OpsSite`),
 * for the tests that call `files/ops/` directly with a hand-made `Access`;
 * and the status a refused one rejects with.
 *
 * @module
 */

import type { Access } from "../../files/access.ts";
import { guessType } from "../../files/mime.ts";
import type { OpsSite } from "../../files/ops/site.ts";
import { translatePath } from "../../files/paths.ts";
import { Sandbox } from "../../files/sandbox.ts";
import { HttpError } from "../../util/errors.ts";

/** What differs from one operation to another, beside its target. */
export interface OpsSiteOptions {
  /** Request fields besides `Host: 127.0.0.1`. */
  fields?: Record<string, string>;
  /** The request's body. */
  body?: string;
  /** `--upload`; off. */
  upload?: boolean;
  /** `--webdav`; off. */
  webdav?: boolean;
  /** Whether dotfiles are served; on. */
  showHidden?: boolean;
}

/**
 * `method` of `target` on the folder `root`, with `--delete` and `--mkdir`
 * on, by the user of `access`.
 */
export function opsSite(
  root: string,
  method: string,
  target: string,
  access: Access,
  options: OpsSiteOptions = {},
): OpsSite {
  const chunks = [
    new TextEncoder().encode(options.body ?? ""),
    new Uint8Array(0),
  ];
  return {
    command: method,
    path: target,
    headers: new Headers({ host: "127.0.0.1", ...options.fields }),
    allowedHosts: [],
    directory: root,
    urlRoot: "",
    upload: options.upload ?? false,
    delete: true,
    mkdir: true,
    webdav: options.webdav ?? false,
    showHidden: options.showHidden ?? true,
    listing: true,
    rfile: {
      readChunk: () => Promise.resolve(chunks.shift() ?? new Uint8Array(0)),
    },
    access,
    sandbox: new Sandbox(root, () => {}),
    translatePath: (t) => translatePath(root, t),
    guessType: (path) => guessType(path),
    logError: () => {},
  };
}

/** The status of the HttpError that `answer` rejects with. */
export async function refusal(answer: Promise<unknown>): Promise<number> {
  try {
    await answer;
  } catch (error) {
    if (error instanceof HttpError) return error.status;
    throw error;
  }
  throw new Error("not refused");
}
