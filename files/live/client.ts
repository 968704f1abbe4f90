/**
 * What live reload puts in the browser, and the reserved paths it is served
 * from: the script a page loads, the `SharedWorker` that keeps one event
 * stream per browser for all its tabs (a browser opens at most six HTTP/1.x
 * connections per host: a stream per tab would keep the seventh tab from
 * loading), and the event stream itself.
 *
 * The paths lie under `/.well-known/httpserver/`: `.well-known` is where
 * RFC 8615 puts the paths a server defines for itself, so no site's own
 * file is expected there. While live reload is on, these three paths are
 * answered by it, whatever the folder holds.
 *
 * @example
 * ```ts
 * import { liveReloadResource } from "./client.ts";
 *
 * liveReloadResource("/.well-known/httpserver/live-reload.js?v=2"); // "client"
 * liveReloadResource("/index.html"); // null
 * ```
 *
 * @module
 */

import { ABSOLUTE_FORM } from "../paths.ts";

/** Where the paths of live reload lie. */
export const LIVE_RELOAD_PREFIX = "/.well-known/httpserver/";

/** The script that pages load. */
export const CLIENT_PATH = `${LIVE_RELOAD_PREFIX}live-reload.js`;

/** The shared worker's script. */
export const WORKER_PATH = `${LIVE_RELOAD_PREFIX}live-reload-worker.js`;

/** The event stream. */
export const EVENTS_PATH = `${LIVE_RELOAD_PREFIX}live-reload`;

/** The resources of live reload. */
export type LiveReloadResource = "client" | "worker" | "events";

/**
 * Which resource of live reload a request-target names (its path exactly,
 * query ignored), or null for any other target.
 */
export function liveReloadResource(target: string): LiveReloadResource | null {
  const path = target.replace(ABSOLUTE_FORM, "").split(/[?#]/, 1)[0];
  return path === CLIENT_PATH
    ? "client"
    : path === WORKER_PATH
    ? "worker"
    : path === EVENTS_PATH
    ? "events"
    : null;
}

/** The event names of changes a stream sends: see `watcher.ts`'s `Change`. */
const KINDS = '["reload", "css"]';

/**
 * The page's script. It takes the changes from the shared worker, or from
 * an event stream of its own where there is no `SharedWorker` or it cannot
 * start (a Content-Security-Policy without `worker-src 'self'`). A change of
 * stylesheets alone replaces each `<link>` of a changed one with a copy that
 * asks for it again under a new query, removing the old one once the copy
 * has loaded (no flash of an unstyled page); any other change, or a
 * stylesheet that no `<link>` names (an `@import`), reloads the page.
 *
 * The page knows the version of the folder's changes it shows (its tag's
 * `data-version`, `<watch>.<count>`: see `reload.ts`). A version of the
 * same watch with a higher count, as the stream's first event says it or a
 * change skips to it, means a change the page missed: it reloads.
 */
export const CLIENT_SCRIPT =
  `// httpserver --live-reload: reloads this page when a file of the site changes.
"use strict";
(() => {
  const parse = (version) => {
    const [watch, count] = String(version ?? "").split(".");
    return { watch, count: Number(count) };
  };
  let shown = parse(document.currentScript?.dataset.version);
  const behind = (version, by) => {
    const { watch, count } = parse(version);
    return watch === shown.watch && count > shown.count + by;
  };
  const pathOf = (url) => {
    try {
      return decodeURIComponent(url.pathname);
    } catch {
      return url.pathname;
    }
  };
  const swapStylesheets = (paths) => {
    const links = [...document.querySelectorAll("link[rel~=stylesheet i][href]")]
      .filter((link) => {
        const url = new URL(link.href);
        return url.origin === location.origin && paths.includes(pathOf(url));
      });
    for (const link of links) {
      const url = new URL(link.href);
      url.searchParams.set("live-reload", String(Date.now()));
      const copy = link.cloneNode();
      copy.removeAttribute("integrity");
      copy.href = url.href;
      const drop = () => link.remove();
      copy.addEventListener("load", drop, { once: true });
      copy.addEventListener("error", drop, { once: true });
      link.after(copy);
    }
    return links.length > 0;
  };
  const apply = ({ kind, paths, version }) => {
    if (kind === "version") {
      if (behind(version, 0)) location.reload();
    } else if (kind !== "css" || behind(version, 1) || !swapStylesheets(paths)) {
      location.reload();
    } else {
      shown = parse(version);
    }
  };
  let own = null;
  const ownStream = () => {
    if (own !== null) return;
    own = new EventSource(${JSON.stringify(EVENTS_PATH)});
    own.addEventListener("version", (event) =>
      apply({ kind: "version", version: event.data })
    );
    for (const kind of ${KINDS}) {
      own.addEventListener(kind, (event) =>
        apply({ kind, paths: JSON.parse(event.data), version: event.lastEventId })
      );
    }
  };
  if (typeof SharedWorker !== "function") return ownStream();
  let worker;
  try {
    worker = new SharedWorker(${
    JSON.stringify(WORKER_PATH)
  }, { name: "httpserver live reload" });
  } catch {
    return ownStream();
  }
  worker.addEventListener("error", ownStream, { once: true });
  worker.port.addEventListener("message", (event) => apply(event.data));
  worker.port.start();
  addEventListener("pagehide", () => worker.port.postMessage("bye"));
  addEventListener("pageshow", (event) => {
    if (event.persisted) worker.port.postMessage("hi");
  });
})();
`;

/**
 * The shared worker's script: one event stream for all the tabs of a
 * browser on this server, its events passed to every tab still open (a tab
 * says "bye" as it goes, and "hi" when it comes back from the back-forward
 * cache, when it is told the latest version as a tab that connects is).
 */
export const WORKER_SCRIPT =
  `// httpserver --live-reload: one event stream for all the tabs of this browser.
"use strict";
const ports = new Set();
let source = null;
let latest = null;
const tell = (port) => {
  if (latest !== null) port.postMessage({ kind: "version", version: latest });
};
onconnect = (event) => {
  const port = event.ports[0];
  ports.add(port);
  port.onmessage = ({ data }) => {
    if (data === "bye") ports.delete(port);
    else if (data === "hi") {
      ports.add(port);
      tell(port);
    }
  };
  tell(port);
  if (source !== null) return;
  source = new EventSource(${JSON.stringify(EVENTS_PATH)});
  source.addEventListener("version", (event) => {
    latest = event.data;
    for (const port of ports) tell(port);
  });
  for (const kind of ${KINDS}) {
    source.addEventListener(kind, (event) => {
      latest = event.lastEventId;
      const message = { kind, paths: JSON.parse(event.data), version: latest };
      for (const port of ports) port.postMessage(message);
    });
  }
};
`;
