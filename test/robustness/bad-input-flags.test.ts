/** Bad input matrix (see matrix.ts): flags, environment and output paths; plus the matrix's total. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { buildsCleanly, CASES, describeMatrix } from "./matrix.js";

describeMatrix("flags", "bad input: flags, environment and outputs");

it("the matrix has at least 25 cases", () => assert.ok(CASES.length >= 25, `${CASES.length} cases`));
it("the example with its model builds in the same sandbox setup (cases fail for their reason, not the setup)", buildsCleanly);
