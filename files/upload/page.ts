/**
 * The upload page: the listings' plain upload form (which works without
 * JavaScript), then a small inline script that enhances it where it runs:
 * a folder picker beside the file picker, files and folders dropped
 * anywhere on the page, and each file sent on its own request with a
 * progress bar (`XMLHttpRequest`'s upload progress), its relative path as
 * its name (see `formTarget`), one at a time, hidden names (which the server
 * refuses) left out and counted; the listing is then read again in place. The page's `Content-Security-Policy` allows the script by its
 * hash (see `listing/csp.ts`): no other inline script runs.
 *
 * @module
 */

import { UPLOAD_FORM } from "./upload.ts";

/**
 * The script, run right after the form it enhances (its previous sibling).
 * Plain ES2017, no module: any current browser. The dropped items are read
 * in the drop event itself, as browsers allow only there.
 */
export const UPLOAD_SCRIPT = `
(() => {
  const script = document.currentScript;
  const form = script && script.previousElementSibling;
  if (!form || form.tagName !== "FORM" || !window.FormData) return;
  const picker = form.querySelector("input[type=file]");
  const button = form.querySelector("button");
  picker.required = false;
  const folder = document.createElement("input");
  folder.type = "file";
  folder.multiple = true;
  folder.webkitdirectory = true;
  const label = document.createElement("label");
  label.append(" Folder: ", folder, " ");
  form.insertBefore(label, button);
  const hint = document.createElement("p");
  hint.textContent = "Or drop files and folders anywhere on this page.";
  form.append(hint);
  const rows = document.createElement("div");
  rows.className = "uploads";
  form.after(rows);
  const skippedNote = document.createElement("p");
  let skipped = 0;
  const queue = [];
  let busy = false;
  const add = (file, path) => {
    // The server takes no hidden name: a Mac's .DS_Store in a folder
    // would only be refused.
    if (path.split("/").some((part) => part.startsWith("."))) {
      skipped++;
      skippedNote.textContent = "Skipped " + skipped +
        (skipped === 1 ? " hidden file" : " hidden files") +
        " (a name that begins with .), which the server does not take.";
      rows.before(skippedNote);
      return;
    }
    const row = document.createElement("div");
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = "waiting";
    row.append(path + " ", bar, " ", state);
    rows.append(row);
    queue.push({ file, path, bar, state });
  };
  const message = (xhr) => {
    const match = /Message: ([^<]*)\\.<\\/p>/.exec(xhr.responseText || "");
    return xhr.status + " " + (match ? match[1] : xhr.statusText);
  };
  const refresh = () => {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", location.href);
    xhr.responseType = "document";
    xhr.onload = () => {
      for (const selector of ["tbody", "body > ul"]) {
        const old = document.querySelector(selector);
        const fresh = xhr.response && xhr.response.querySelector(selector);
        if (old && fresh) {
          old.replaceWith(document.importNode(fresh, true));
          break;
        }
      }
    };
    xhr.send();
  };
  const next = () => {
    const item = queue.shift();
    busy = item !== undefined;
    if (!busy) return refresh();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    item.state.textContent = "uploading";
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      item.bar.max = event.total;
      item.bar.value = event.loaded;
    };
    xhr.onload = () => {
      item.state.textContent = xhr.status < 400 ? "done" : message(xhr);
      next();
    };
    xhr.onerror = () => {
      item.state.textContent = "failed: the connection was lost";
      next();
    };
    const data = new FormData();
    data.append("file", item.file, item.path);
    xhr.send(data);
  };
  const start = () => {
    if (!busy) next();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const file of picker.files) add(file, file.name);
    for (const file of folder.files) {
      add(file, file.webkitRelativePath || file.name);
    }
    picker.value = "";
    folder.value = "";
    start();
  });
  const readAll = (reader) => new Promise((resolve, reject) => {
    const all = [];
    const more = () => reader.readEntries((batch) => {
      if (batch.length === 0) return resolve(all);
      all.push(...batch);
      more();
    }, reject);
    more();
  });
  const walk = async (entry) => {
    if (entry.isDirectory) {
      for (const child of await readAll(entry.createReader())) await walk(child);
    } else if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      add(file, entry.fullPath.replace(/^\\/+/, ""));
    }
  };
  const carriesFiles = (event) =>
    event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    document.body.style.outline = "3px dashed";
  });
  document.addEventListener("dragleave", () => {
    document.body.style.outline = "";
  });
  document.addEventListener("drop", (event) => {
    if (!event.dataTransfer) return;
    event.preventDefault();
    document.body.style.outline = "";
    const folders = [];
    for (const item of event.dataTransfer.items) {
      if (item.kind !== "file") continue;
      const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
      if (entry && entry.isDirectory) folders.push(entry);
      else {
        const file = item.getAsFile();
        if (file) add(file, file.name);
      }
    }
    Promise.all(folders.map(walk)).then(start, (error) => {
      hint.textContent = "A dropped folder could not be read: " + error;
      start();
    });
  });
})();
`;

/**
 * The listing's upload footer: the plain form, then {@link UPLOAD_SCRIPT}
 * inline (allowed by its hash, see `listing/csp.ts`).
 */
export const UPLOAD_PAGE = `${UPLOAD_FORM}<script>${UPLOAD_SCRIPT}</script>\n`;
