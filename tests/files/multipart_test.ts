// The streaming multipart/form-data parser: forms as browsers and curl send
// them, fed whole, split at every byte and in random chunks; hostile forms
// against every limit.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  multipartBoundary,
  type MultipartEvent,
  MultipartParser,
  parseParameters,
} from "../../files/upload/multipart.ts";
import { HttpError } from "../../util/errors.ts";
import { concat } from "../support/helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

/** A part as the tests compare it: its name, file name and whole body. */
interface Part {
  name: string;
  filename: string | null;
  headers?: Record<string, string>;
  body: string;
}

/** Feeds `chunks` and collects the parts; bodies joined across data events. */
function parse(
  chunks: Uint8Array[],
  limits = { maxBodyBytes: 1 << 20 },
  boundary = BOUNDARY,
): { parts: Part[]; done: boolean } {
  const parser = new MultipartParser(boundary, limits);
  const parts: Part[] = [];
  const bodies: Uint8Array[][] = [];
  let open = false;
  for (const chunk of chunks) {
    for (const event of parser.feed(chunk)) check(event);
  }
  function check(event: MultipartEvent) {
    if (event.kind === "part") {
      assert.ok(!open, "a part begins only after the last one ended");
      open = true;
      parts.push({
        name: event.head.name,
        filename: event.head.filename,
        body: "",
      });
      bodies.push([]);
    } else if (event.kind === "data") {
      assert.ok(open, "data only inside a part");
      assert.ok(event.bytes.length > 0, "no empty data events");
      // The view is only valid now: copy it, as a writer would use it.
      bodies.at(-1)!.push(event.bytes.slice());
    } else {
      assert.ok(open, "an end only after a begin");
      open = false;
    }
  }
  bodies.forEach((chunks, i) => {
    parts[i].body = decoder.decode(concat(chunks));
  });
  assert.ok(!open || !parser.done);
  return { parts, done: parser.done };
}

/** A body as a browser builds it. */
function form(parts: Part[], boundary = BOUNDARY): string {
  let out = "";
  for (const part of parts) {
    out +=
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== null) out += `; filename="${part.filename}"`;
    out += "\r\n";
    for (const [k, v] of Object.entries(part.headers ?? {})) {
      out += `${k}: ${v}\r\n`;
    }
    out += `\r\n${part.body}\r\n`;
  }
  return out + `--${boundary}--\r\n`;
}

const SAMPLE: Part[] = [
  { name: "note", filename: null, body: "hi" },
  {
    name: "file",
    filename: "a.txt",
    headers: { "Content-Type": "text/plain" },
    body: "line 1\r\nline 2\r\n--not the boundary\r\n\r\n-",
  },
  { name: "file", filename: "empty.bin", body: "" },
  { name: "file", filename: "ünï.txt", body: `\r\n--${BOUNDARY.slice(0, -1)}` },
];

const cases: [string, string, Part[]][] = [
  ["a browser's form", form(SAMPLE), SAMPLE],
  [
    "a preamble and an epilogue",
    "preamble text\r\n" + form(SAMPLE) + "epilogue --" + BOUNDARY + "\r\n",
    SAMPLE,
  ],
  [
    "transport padding after a boundary",
    form(SAMPLE).replaceAll(`--${BOUNDARY}\r\n`, `--${BOUNDARY} \t\r\n`),
    SAMPLE,
  ],
  [
    "a close delimiter without a final CRLF",
    form(SAMPLE).slice(0, -2),
    SAMPLE,
  ],
  [
    "a part without header fields but its disposition",
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n--${BOUNDARY}--`,
    [{ name: "x", filename: null, body: "v" }],
  ],
  ["an empty form", `--${BOUNDARY}--\r\n`, []],
];

for (const [what, body, expected] of cases) {
  Deno.test(`multipart: ${what} parses the same whole and split at every byte`, () => {
    const bytes = encoder.encode(body);
    const whole = parse([bytes]);
    assert.ok(whole.done);
    assert.deepEqual(whole.parts.map(strip), expected.map(strip));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const split = parse([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(
        split.parts.map(strip),
        expected.map(strip),
        `cut ${cut}`,
      );
      assert.ok(split.done);
    }
    const bytewise = parse([...bytes].map((b) => Uint8Array.of(b)));
    assert.deepEqual(bytewise.parts.map(strip), expected.map(strip));
  });
}

function strip({ name, filename, body }: Part) {
  return { name, filename, body };
}

Deno.test("multipart: random binary files in random chunks come out intact", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
      (files, sizes) => {
        const head = (i: number) =>
          encoder.encode(
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="${i}"\r\n\r\n`,
          );
        const pieces: Uint8Array[] = [];
        files.forEach((file, i) => {
          pieces.push(head(i), file, encoder.encode("\r\n"));
        });
        pieces.push(encoder.encode(`--${BOUNDARY}--`));
        const body = concat(pieces);
        const chunks: Uint8Array[] = [];
        for (let at = 0, i = 0; at < body.length; i++) {
          const n = sizes[i % sizes.length];
          chunks.push(body.subarray(at, at + n));
          at += n;
        }
        const parser = new MultipartParser(BOUNDARY, { maxBodyBytes: 1 << 20 });
        const got: Uint8Array[][] = [];
        for (const chunk of chunks) {
          for (const e of parser.feed(chunk)) {
            if (e.kind === "part") got.push([]);
            if (e.kind === "data") got.at(-1)!.push(e.bytes.slice());
          }
        }
        assert.ok(parser.done);
        assert.deepEqual(got.map(concat), files);
      },
    ),
  );
});

Deno.test("multipart: a form that stops before its close delimiter is not done", () => {
  const body = form(SAMPLE);
  const { done } = parse([encoder.encode(body.slice(0, body.length - 10))]);
  assert.equal(done, false);
});

/** Feeds `body` and returns the HttpError it throws. */
function refusal(
  body: string | Uint8Array,
  limits: ConstructorParameters<typeof MultipartParser>[1] = {
    maxBodyBytes: 1 << 20,
  },
): HttpError {
  const parser = new MultipartParser(BOUNDARY, limits);
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  try {
    // In small chunks, so that no limit is checked only on a whole body.
    for (let i = 0; i < bytes.length; i += 7) {
      parser.feed(bytes.subarray(i, i + 7));
    }
  } catch (error) {
    assert.ok(error instanceof HttpError, String(error));
    return error;
  }
  assert.fail("the form was accepted");
}

const hostile: [string, () => HttpError, number, RegExp][] = [
  [
    "part bodies past maxBodyBytes",
    () =>
      refusal(form([{ name: "f", filename: "a", body: "x".repeat(101) }]), {
        maxBodyBytes: 100,
      }),
    413,
    /Form too large/,
  ],
  [
    "many small parts past maxBodyBytes together",
    () =>
      refusal(
        form(
          Array(20).fill({ name: "f", filename: "a", body: "x".repeat(10) }),
        ),
        { maxBodyBytes: 150 },
      ),
    413,
    /Form too large/,
  ],
  [
    "an endless header block",
    () =>
      refusal(
        `--${BOUNDARY}\r\nX: ${"a".repeat(20_000)}`,
        { maxBodyBytes: 1 << 20, maxHeaderBytes: 1024 },
      ),
    400,
    /header block is too long/,
  ],
  [
    "an endless preamble",
    () => refusal("p".repeat(20_000), { maxBodyBytes: 1 << 20 }),
    400,
    /preamble/,
  ],
  [
    "too many parts",
    () =>
      refusal(form(Array(11).fill({ name: "f", filename: null, body: "" })), {
        maxBodyBytes: 1 << 20,
        maxParts: 10,
      }),
    400,
    /Too many parts/,
  ],
  [
    "an endless boundary line",
    () => refusal(`--${BOUNDARY}${" ".repeat(1000)}`),
    400,
    /boundary line/,
  ],
  [
    "text after a boundary",
    () => refusal(`--${BOUNDARY}x\r\n\r\n`),
    400,
    /boundary line/,
  ],
  [
    "a part without Content-Disposition",
    () => refusal(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx`),
    400,
    /Content-Disposition/,
  ],
  [
    "a disposition other than form-data",
    () =>
      refusal(
        `--${BOUNDARY}\r\nContent-Disposition: attachment; name=a\r\n\r\n`,
      ),
    400,
    /Content-Disposition/,
  ],
  [
    "a header line without a colon",
    () => refusal(`--${BOUNDARY}\r\nno colon\r\n\r\n`),
    400,
    /Malformed part header/,
  ],
  [
    "a bare LF in a header",
    () =>
      refusal(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\n`,
      ),
    400,
    /Malformed part header/,
  ],
  [
    "an unterminated quoted name",
    () =>
      refusal(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a\r\n\r\n`,
      ),
    400,
    /quoted-string/,
  ],
  [
    "a header that is not UTF-8 (a file name in Latin-1)",
    () =>
      refusal(
        Uint8Array.from(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name=f; filename="caf\xe9"\r\n\r\n`,
          (c) => c.charCodeAt(0),
        ),
      ),
    400,
    /not UTF-8/,
  ],
];
for (const [what, run, status, message] of hostile) {
  Deno.test(`multipart: ${what} is refused with ${status}`, () => {
    const error = run();
    assert.equal(error.status, status);
    assert.match(error.message, message);
  });
}

Deno.test("multipart: memory stays bounded whatever the file size", () => {
  // A 16 MiB file in 64 KiB chunks: nothing but the delimiter's length is
  // ever held back between chunks.
  const parser = new MultipartParser(BOUNDARY, { maxBodyBytes: 1 << 30 });
  const chunk = new Uint8Array(65536).fill(13); // all CRs: the worst case
  let seen = 0;
  parser.feed(
    encoder.encode(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name=f; filename=big\r\n\r\n`,
    ),
  );
  for (let i = 0; i < 256; i++) {
    for (const e of parser.feed(chunk)) {
      if (e.kind === "data") {
        seen += e.bytes.length;
        assert.ok(e.bytes.length <= chunk.length + 64);
      }
    }
  }
  for (const e of parser.feed(encoder.encode(`\r\n--${BOUNDARY}--`))) {
    if (e.kind === "data") seen += e.bytes.length;
  }
  assert.equal(seen, 256 * 65536);
  assert.ok(parser.done);
});

Deno.test("multipartBoundary reads the boundary of multipart/form-data only", () => {
  assert.equal(
    multipartBoundary(`multipart/form-data; boundary=${BOUNDARY}`),
    BOUNDARY,
  );
  assert.equal(
    multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"'),
    "a b:c",
  );
  assert.equal(multipartBoundary("application/octet-stream"), null);
  assert.equal(multipartBoundary(null), null);
  for (
    const bad of [
      "multipart/form-data",
      "multipart/form-data; boundary=",
      `multipart/form-data; boundary=${"x".repeat(71)}`,
      'multipart/form-data; boundary="ends in space "',
      "multipart/form-data; boundary=a\x00b",
    ]
  ) {
    assert.throws(() => multipartBoundary(bad), /boundary/, bad);
  }
});

Deno.test("parseParameters reads tokens and quoted-strings, with the escapes curl writes", () => {
  const { value, params } = parseParameters(
    'form-data; NAME="a\\"b\\\\c\\d"; filename="c;d.txt" ; flag; x = y',
  );
  assert.equal(value, "form-data");
  // `\"` and `\\` are escapes; a browser's lone `\` stays.
  assert.equal(params.get("name"), 'a"b\\c\\d');
  assert.equal(params.get("filename"), "c;d.txt");
  assert.equal(params.get("x"), "y");
  assert.equal(params.has("flag"), false);
});
