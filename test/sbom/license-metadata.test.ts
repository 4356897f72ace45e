/** What METADATA says about licences reaches the SBOM: expression, free text, classifiers, files. */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { parseMetadata } from "../../src/python/wheel-metadata.js";

test("License-Expression, License, License :: classifiers and License-File are read", () => {
  const md = parseMetadata([
    "Metadata-Version: 2.4", "Name: demo", "Version: 1.0", "License-Expression: MIT OR Apache-2.0", "License: MIT",
    "Classifier: License :: OSI Approved :: MIT License", "Classifier: Programming Language :: Python", "License-File: LICENSE", "License-File: NOTICE", "", "body License: not a header",
  ].join("\n"));
  assert.deepEqual(md.license, { expression: "MIT OR Apache-2.0", text: "MIT", classifiers: ["OSI Approved :: MIT License"], files: ["LICENSE", "NOTICE"] });
});

test("no licence headers: no license; UNKNOWN is no text", () => {
  assert.equal(parseMetadata("Name: a\nVersion: 1\n").license, undefined);
  assert.equal(parseMetadata("Name: a\nVersion: 1\nLicense: UNKNOWN\n").license?.text, undefined);
});
