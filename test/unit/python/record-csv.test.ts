/**
 * RECORD is read with Python's csv dialect: quoted fields, doubled quotes, CRLF, blank lines. The
 * expected rows are what `csv.reader` returns for the same text (CPython 3.11), so the sliced
 * parser (wheel-metadata.ts parseCsv) is held to pip's reading.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCsv } from "../../../src/python/wheel-metadata.js";

const CASES: [string, string[][]][] = [
  ["a,b,c\nd,e,f\n", [["a", "b", "c"], ["d", "e", "f"]]],
  ["a,b,c", [["a", "b", "c"]]],
  ['"x,y",sha256=abc,12\n"q""uote",,\n', [["x,y", "sha256=abc", "12"], ['q"uote', "", ""]]],
  ["a,,\r\nb,c,d\r\n", [["a", "", ""], ["b", "c", "d"]]],
  ["\n\na,b\n\n", [["a", "b"]]],
  ["a,b,\n", [["a", "b", ""]]],
  ['"unterminated,x', [["unterminated,x"]]],
  ['x,"y"z,w\n', [["x", "yz", "w"]]],
  ['"",a\n', [["", "a"]]],
  ['"multi\nline",b\n', [["multi\nline", "b"]]],
  ["pkg-1.0.dist-info/RECORD,,\n", [["pkg-1.0.dist-info/RECORD", "", ""]]],
];

describe("RECORD csv", () => {
  it("parses like Python's csv.reader", () => {
    for (const [text, rows] of CASES) assert.deepEqual(parseCsv(text), rows, JSON.stringify(text));
  });
});
