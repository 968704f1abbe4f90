// files/compression.ts: tables of Accept-Encoding values, types and
// siblings, and gzip output decompressed back to the original.
import assert from "node:assert/strict";
import {
  acceptedCodings,
  chooseEncoding,
  type ContentCoding,
  gzipBytes,
  isCompressible,
  MIN_GZIP_BYTES,
  writeGzip,
} from "../../files/compression.ts";
import { Deadline } from "../../server/deadline.ts";
import { BufferedWriter } from "../../http/writer.ts";

/** [Accept-Encoding, acceptable codings best first] (RFC 9110 §12.5.3). */
const ACCEPT: [string, ContentCoding[]][] = [
  ["", []],
  ["identity", []],
  ["gzip", ["gzip"]],
  ["br", ["br"]],
  ["gzip, deflate, br", ["br", "gzip"]], // what browsers send
  ["gzip, deflate, br, zstd", ["br", "gzip"]],
  ["deflate, gzip;q=1.0, *;q=0.5", ["gzip", "br"]], // curl --compressed (old)
  ["br;q=0.5, gzip", ["gzip", "br"]],
  ["br;q=0.8, gzip;q=0.8", ["br", "gzip"]], // a tie: br is smaller
  ["GZIP, BR", ["br", "gzip"]], // codings are case-insensitive
  ["x-gzip", ["gzip"]], // §8.4.1.3
  ["*", ["br", "gzip"]],
  ["*;q=0.1, br;q=0", ["gzip"]], // q=0: not acceptable
  ["gzip;q=0", []],
  ["gzip;q=0.000", []],
  ["gzip;q=0.001", ["gzip"]],
  ["gzip ; q=0.5 , br ; Q=0.6", ["br", "gzip"]], // OWS; the q name is any case
  ["gzip;q=1.001", []], // not a qvalue: the element is skipped
  ["gzip;q=2", []],
  ["gzip;q=abc, br", ["br"]],
  ["gzip;level=9", ["gzip"]], // other parameters are ignored
  ["gzip, gzip;q=0", ["gzip"]], // a coding named twice keeps its first q
  ["deflate, compress", []],
  [",,, gzip ,", ["gzip"]],
];

for (const [value, expected] of ACCEPT) {
  Deno.test(`Accept-Encoding ${JSON.stringify(value)} -> ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(acceptedCodings(value), expected);
  });
}

/** [type, worth gzipping]: text, and what mime-db marks compressible. */
const TYPES: [string, boolean][] = [
  ["text/html", true],
  ["text/plain", true],
  ["text/css", true],
  ["text/javascript", true],
  ["text/x-python", true], // text/* though mime-db does not say
  ["application/javascript", true],
  ["application/json", true],
  ["image/svg+xml", true],
  ["application/wasm", true],
  ["image/png", false],
  ["image/jpeg", false],
  ["video/mp4", false],
  ["application/gzip", false],
  ["application/zip", false],
  ["application/x-bzip2", false],
  ["application/pdf", false],
  ["font/woff2", false],
  ["application/octet-stream", false], // unknown: maybe compressed already
];

for (const [type, expected] of TYPES) {
  Deno.test(`${type} is ${expected ? "" : "not "}gzipped on the fly`, () => {
    assert.equal(isCompressible(type), expected);
  });
}

/** A file's stat for the fake file system below. */
function fileInfo(size: number): Deno.FileInfo {
  return { isFile: true, isDirectory: false, size } as Deno.FileInfo;
}

const BIG = MIN_GZIP_BYTES;

/**
 * [case, Accept-Encoding, siblings on disk, options, file size, type,
 * expected coding and sibling ("" for on the fly), or null for identity].
 */
const CHOICES: [
  string,
  string,
  string[],
  { precompressed: boolean; gzip: boolean },
  number,
  string,
  [ContentCoding, string] | null,
][] = [
  [
    "both off: nothing, whatever exists",
    "br, gzip",
    [".br", ".gz"],
    { precompressed: false, gzip: false },
    BIG,
    "text/css",
    null,
  ],
  [
    "the br sibling for a browser",
    "gzip, deflate, br",
    [".br", ".gz"],
    { precompressed: true, gzip: false },
    BIG,
    "text/css",
    ["br", "/s/app.css.br"],
  ],
  [
    "the gz sibling when br is not there",
    "gzip, deflate, br",
    [".gz"],
    { precompressed: true, gzip: false },
    BIG,
    "text/css",
    ["gzip", "/s/app.css.gz"],
  ],
  [
    "the gz sibling when br is not accepted",
    "gzip",
    [".br", ".gz"],
    { precompressed: true, gzip: false },
    BIG,
    "text/css",
    ["gzip", "/s/app.css.gz"],
  ],
  [
    "the client's preference first",
    "br;q=0.5, gzip",
    [".br", ".gz"],
    { precompressed: true, gzip: false },
    BIG,
    "text/css",
    ["gzip", "/s/app.css.gz"],
  ],
  [
    "no sibling the client accepts",
    "gzip",
    [".br"],
    { precompressed: true, gzip: false },
    BIG,
    "text/css",
    null,
  ],
  [
    "no Accept-Encoding match at all",
    "identity",
    [".br", ".gz"],
    { precompressed: true, gzip: true },
    BIG,
    "text/css",
    null,
  ],
  [
    "a sibling of any type, even one gzip would skip",
    "gzip",
    [".gz"],
    { precompressed: true, gzip: false },
    10,
    "image/png",
    ["gzip", "/s/app.css.gz"],
  ],
  [
    "on the fly for text",
    "gzip, br",
    [],
    { precompressed: true, gzip: true },
    BIG,
    "text/css",
    ["gzip", ""],
  ],
  [
    "a sibling before on the fly",
    "gzip",
    [".gz"],
    { precompressed: true, gzip: true },
    BIG,
    "text/css",
    ["gzip", "/s/app.css.gz"],
  ],
  [
    "on the fly gzip before a less wanted br sibling",
    "gzip, br;q=0.5",
    [".br"],
    { precompressed: true, gzip: true },
    BIG,
    "text/css",
    ["gzip", ""],
  ],
  [
    "siblings are not looked for unless precompressed",
    "br, gzip",
    [".br", ".gz"],
    { precompressed: false, gzip: true },
    BIG,
    "text/css",
    ["gzip", ""],
  ],
  [
    "not on the fly for an image",
    "gzip",
    [],
    { precompressed: false, gzip: true },
    BIG,
    "image/png",
    null,
  ],
  [
    "not on the fly under the minimum size",
    "gzip",
    [],
    { precompressed: false, gzip: true },
    BIG - 1,
    "text/css",
    null,
  ],
  [
    "not on the fly for br only",
    "br",
    [],
    { precompressed: false, gzip: true },
    BIG,
    "text/css",
    null,
  ],
];

for (
  const [why, accept, siblings, options, size, type, expected] of CHOICES
) {
  Deno.test(`encoding: ${why}`, () => {
    const path = "/s/app.css";
    const looked: string[] = [];
    const stat = (p: string) => {
      looked.push(p);
      return siblings.some((suffix) => p === path + suffix)
        ? fileInfo(1)
        : null;
    };
    const choice = chooseEncoding(accept, path, size, type, options, stat);
    assert.deepEqual(
      choice && [choice.coding, choice.sibling?.path ?? ""],
      expected,
    );
    if (!options.precompressed) assert.deepEqual(looked, [], "no stat");
  });
}

Deno.test("a sibling that is a folder is not sent", () => {
  const stat = () => ({ isFile: false, isDirectory: true }) as Deno.FileInfo;
  assert.equal(
    chooseEncoding(
      "gzip",
      "/s/a",
      1,
      "text/plain",
      { precompressed: true, gzip: false },
      stat,
    ),
    null,
  );
});

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("gzipBytes decompresses to the original, and is computed once per array", async () => {
  const text = new TextEncoder().encode("knights who say Ni! ".repeat(500));
  const gzipped = await gzipBytes(text);
  assert.ok(gzipped.length < text.length / 10);
  assert.deepEqual(await gunzip(gzipped), text);
  assert.equal(await gzipBytes(text), gzipped, "the same array again");
});

/** A BufferedWriter whose bytes land in memory. */
function memoryWriter() {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const writer = new BufferedWriter(
    {
      write(p: Uint8Array) {
        parts.push(p.slice());
        return Promise.resolve(p.length);
      },
    },
    new Deadline(() => {}),
    0,
  );
  return {
    writer,
    async bytes(): Promise<Uint8Array> {
      await writer.flush();
      return new Uint8Array(await new Blob(parts).arrayBuffer());
    },
  };
}

/** Undoes the chunked transfer coding, checking its framing. */
function unchunk(bytes: Uint8Array): { body: Uint8Array; complete: boolean } {
  const out: number[] = [];
  let i = 0;
  const text = (a: number, b: number) =>
    String.fromCharCode(...bytes.subarray(a, b));
  while (i < bytes.length) {
    const eol = bytes.indexOf(10, i);
    const size = parseInt(text(i, eol - 1), 16);
    assert.equal(text(eol - 1, eol + 1), "\r\n");
    i = eol + 1;
    if (size === 0) {
      assert.equal(text(i, i + 2), "\r\n");
      return { body: new Uint8Array(out), complete: i + 2 === bytes.length };
    }
    out.push(...bytes.subarray(i, i + size));
    assert.equal(text(i + size, i + size + 2), "\r\n");
    i += size + 2;
  }
  return { body: new Uint8Array(out), complete: false };
}

async function bigFile(): Promise<{ path: string; data: Uint8Array }> {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`);
  const data = new TextEncoder().encode(lines.join(""));
  await Deno.writeFile(path, data);
  return { path, data };
}

for (const chunked of [true, false]) {
  Deno.test(`writeGzip ${chunked ? "chunked" : "raw"}: a large file decompresses to the original`, async () => {
    const { path, data } = await bigFile();
    using file = await Deno.open(path);
    const out = memoryWriter();
    const read = await writeGzip(file, data.length, out.writer, chunked);
    assert.equal(read, data.length);
    let gzipped = await out.bytes();
    if (chunked) {
      const { body, complete } = unchunk(gzipped);
      assert.ok(complete, "ends with the last chunk and nothing after");
      gzipped = body;
    }
    assert.ok(gzipped.length < data.length / 3);
    assert.deepEqual(await gunzip(gzipped), data);
    await Deno.remove(path);
  });
}

Deno.test("writeGzip of a file that shrank: fewer bytes read, no last chunk", async () => {
  const { path, data } = await bigFile();
  using file = await Deno.open(path);
  await Deno.truncate(path, 1000);
  const out = memoryWriter();
  const read = await writeGzip(file, data.length, out.writer, true);
  assert.equal(read, 1000);
  assert.equal(unchunk(await out.bytes()).complete, false);
  await Deno.remove(path);
});

Deno.test("writeGzip stops reading when the client goes away", async () => {
  const { path, data } = await bigFile();
  using file = await Deno.open(path);
  const writer = new BufferedWriter(
    { write: () => Promise.reject(new Deno.errors.BrokenPipe("gone")) },
    new Deadline(() => {}),
    0,
  );
  // Small writes are buffered; force them out as the server's flush would.
  const failing = {
    write: async (p: Uint8Array | string) => {
      await writer.write(p);
      await writer.flush();
    },
  } as unknown as BufferedWriter;
  await assert.rejects(
    writeGzip(file, data.length, failing, true),
    Deno.errors.BrokenPipe,
  );
  await Deno.remove(path);
});
