/**
 * Tests of the error page's kept bytes (`errorPageBytes`): each page is the
 * one `errorPage` makes for its own template, code, message and
 * explanation, however many others were asked for before or in between.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DEFAULT_ERROR_MESSAGE,
  errorPage,
  errorPageBytes,
} from "../../http/errorpage.ts";

const decoder = new TextDecoder();

/** The page `errorPage` makes, as bytes: what a kept page must equal. */
function made(
  template: string,
  code: number,
  message: string,
  explain: string,
) {
  return new TextEncoder().encode(errorPage(template, code, message, explain));
}

Deno.test("a kept error page is the page of its own code, message, explanation and template", () => {
  const other = "%(code)d|%(message)s|%(explain)s";
  const asks: [string, number, string, string][] = [
    [
      DEFAULT_ERROR_MESSAGE,
      404,
      "File not found",
      "Nothing matches the given URI",
    ],
    [
      DEFAULT_ERROR_MESSAGE,
      403,
      "File not found",
      "Nothing matches the given URI",
    ],
    [
      DEFAULT_ERROR_MESSAGE,
      404,
      "No permission to list directory",
      "Nothing matches the given URI",
    ],
    [DEFAULT_ERROR_MESSAGE, 404, "File not found", "Something else"],
    [other, 404, "File not found", "Nothing matches the given URI"],
    // Where a message ends and the explanation begins is no guess.
    [other, 400, "a 1 b", "c"],
    [other, 400, "a", "1 bc"],
    [other, 400, "a 1", " bc"],
    [other, 400, "", "a 1 bc"],
    [other, 400, "<&>", ""],
  ];
  for (let round = 0; round < 3; round++) {
    for (const ask of asks) {
      assert.deepEqual(errorPageBytes(...ask), made(...ask), ask.join(" / "));
    }
  }
  // Kept: the same bytes again.
  assert.equal(errorPageBytes(...asks[0]), errorPageBytes(...asks[0]));
  assert.equal(
    decoder.decode(errorPageBytes(other, 400, "a 1 b", "c")),
    "400|a 1 b|c",
  );
});

Deno.test("past the pages kept, every page is still its own, the oldest made again", () => {
  const template = "%(code)d %(message)s: %(explain)s";
  const first = errorPageBytes(template, 404, "first", "kept");
  for (let i = 0; i < 500; i++) {
    const message = `Unsupported method ('M${i}')`;
    assert.equal(
      decoder.decode(errorPageBytes(template, 501, message, "x")),
      `501 ${message}: x`,
    );
  }
  const again = errorPageBytes(template, 404, "first", "kept");
  assert.deepEqual(again, first);
  assert.equal(decoder.decode(again), "404 first: kept");
  // Many templates: each page still of its own.
  for (let i = 0; i < 40; i++) {
    const own = `<${i}>%(message)s`;
    assert.equal(decoder.decode(errorPageBytes(own, 404, "m", "e")), `<${i}>m`);
  }
  assert.equal(
    decoder.decode(errorPageBytes(template, 404, "first", "kept")),
    "404 first: kept",
  );
});
