// files/live/streams.ts and reload.ts: event streams bounded in number,
// ended by their signal (the server's shutdown), by their reader, or for
// falling behind; a folder watched while a stream of it is open and for a
// while after, its changes counted in versions; a folder that cannot be
// watched said once and served on without streams.
import assert from "node:assert/strict";
import { EventStreams } from "../../../files/live/streams.ts";
import { LiveReload, MAX_STREAMS } from "../../../files/live/reload.ts";
import type { Watch } from "../../../files/live/watcher.ts";
import { within } from "../../support/helpers.ts";

const decoder = new TextDecoder();

async function nextText(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<string | null> {
  const { value, done } = await within(reader.read(), 5_000, "an event");
  return done ? null : decoder.decode(value);
}

Deno.test("a stream opens with its retry time, then gets each event of its channel", async () => {
  const streams = new EventStreams(4);
  const stopping = new AbortController();
  const reader = streams.open("a", stopping.signal)!.getReader();
  const other = streams.open("b", stopping.signal)!.getReader();
  assert.equal(await nextText(reader), "retry: 1000\n\n");
  streams.send("a", "reload", "one\ntwo");
  assert.equal(
    await nextText(reader),
    "event: reload\ndata: one\ndata: two\n\n",
  );
  assert.equal(await nextText(other), "retry: 1000\n\n");
  stopping.abort();
  assert.equal(await nextText(reader), null);
  assert.equal(await nextText(other), null, "b got no event of a");
  assert.equal(streams.count(), 0);
});

Deno.test("past the most streams, open says no until one ends", async () => {
  const emptied: string[] = [];
  const streams = new EventStreams(2, (channel) => emptied.push(channel));
  const stopping = new AbortController();
  const first = streams.open("a", stopping.signal)!;
  streams.open("a", stopping.signal)!;
  assert.equal(streams.open("a", stopping.signal), null);
  assert.equal(streams.count("a"), 2);
  await first.cancel(); // the client went away
  assert.equal(streams.count(), 1);
  assert.deepEqual(emptied, []);
  assert.notEqual(streams.open("a", stopping.signal), null);
  stopping.abort();
  assert.equal(streams.count(), 0);
  assert.deepEqual(emptied, ["a"]);
});

Deno.test("a stream whose reader falls 16 events behind is ended, not fed", async () => {
  const streams = new EventStreams(1);
  const stopping = new AbortController();
  const stream = streams.open("a", stopping.signal)!;
  for (let i = 0; i < 20; i++) streams.send("a", "reload", "[]");
  assert.equal(streams.count(), 0);
  const reader = stream.getReader();
  let events = 0;
  while (await nextText(reader) !== null) events++;
  assert.equal(events, 16, "the retry line and 15 events, then the end");
});

Deno.test("a stream opened after its signal aborted is ended at once", async () => {
  const streams = new EventStreams(1);
  const reader = streams.open("a", AbortSignal.abort())!.getReader();
  assert.equal(await nextText(reader), "retry: 1000\n\n");
  assert.equal(await nextText(reader), null);
  assert.equal(streams.count(), 0);
});

Deno.test("a folder is watched while a stream of it is open, and its changes reach the stream", async () => {
  const folder = await Deno.makeTempDir();
  let watches = 0;
  let closes = 0;
  const watch: Watch = (path) => {
    watches++;
    const watcher = Deno.watchFs(path);
    const close = watcher.close.bind(watcher);
    watcher.close = () => {
      closes++;
      close();
    };
    return watcher;
  };
  try {
    const live = LiveReload.of(folder, watch);
    const stopping = new AbortController();
    const one = live.subscribe(stopping.signal, assert.fail);
    const two = live.subscribe(stopping.signal, assert.fail);
    assert.ok(one instanceof ReadableStream && two instanceof ReadableStream);
    assert.equal(watches, 1, "one watcher however many streams");
    const reader = one.getReader();
    assert.equal(await nextText(reader), "retry: 1000\n\n");
    const hello = /^event: version\ndata: ([0-9a-f]{8})\.0\n\n$/.exec(
      (await nextText(reader))!,
    );
    assert.ok(hello !== null, "the version first: no change yet");
    const name = hello[1];
    await Deno.writeTextFile(`${folder}/site.css`, "p {}");
    assert.equal(
      await nextText(reader),
      `event: css\nid: ${name}.1\ndata: ["/site.css"]\n\n`,
    );
    await two.cancel();
    await reader.cancel();
    assert.equal(live.streams, 0);
    assert.equal(closes, 0, "the watch outlives the last stream for a while");
    assert.equal(live.stamp(stopping.signal, assert.fail), `${name}.1`);
    stopping.abort();
    await null;
    assert.equal(closes, 1, "the server's shutdown ends the watch");
    // A page served now starts a new watch, which lingers as well.
    const restarted = new AbortController();
    const again = live.stamp(restarted.signal, assert.fail);
    assert.match(again!, /^[0-9a-f]{8}\.0$/);
    assert.notEqual(again!.split(".")[0], name, "a new watch, a new name");
    assert.equal(watches, 2);
    restarted.abort();
    await null;
    assert.equal(closes, 2);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("a folder that cannot be watched is said once, and gets no stream", () => {
  const reports: string[] = [];
  const live = LiveReload.of("/no/such/folder/for/live/reload", () => {
    throw new Error("No such file or directory (os error 2)");
  });
  assert.equal(live.available, true, "not known before it is tried");
  for (let i = 0; i < 3; i++) {
    const refused = live.subscribe(AbortSignal.abort(), (m) => reports.push(m));
    assert.ok(!(refused instanceof ReadableStream));
    assert.equal(
      refused.reason,
      "live reload is off: No such file or directory",
    );
  }
  assert.equal(live.available, false);
  assert.deepEqual(reports, [
    "cannot watch '/no/such/folder/for/live/reload' for live reload (No such file or directory): serving without it",
  ]);
});

Deno.test(`past ${MAX_STREAMS} streams in the process, a stream is refused and nothing is left watching`, async () => {
  const folders = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const stopping = new AbortController();
  try {
    const first = LiveReload.of(folders[0]);
    for (let i = 0; i < MAX_STREAMS; i++) {
      assert.ok(
        first.subscribe(stopping.signal, assert.fail) instanceof ReadableStream,
      );
    }
    let watched = false;
    let closed = false;
    const second = LiveReload.of(folders[1], (path) => {
      watched = true;
      const watcher = Deno.watchFs(path);
      const close = watcher.close.bind(watcher);
      watcher.close = () => {
        closed = true;
        close();
      };
      return watcher;
    });
    const refused = second.subscribe(stopping.signal, assert.fail);
    assert.ok(!(refused instanceof ReadableStream));
    assert.equal(
      refused.reason,
      `live reload: ${MAX_STREAMS} event streams are open already`,
    );
    assert.ok(watched && closed);
    assert.equal(second.available, true, "full is not failed");
  } finally {
    stopping.abort();
    for (const folder of folders) {
      await Deno.remove(folder, { recursive: true });
    }
  }
});
