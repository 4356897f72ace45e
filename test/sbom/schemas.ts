/**
 * JSON-schema validators for the official CycloneDX 1.6 schema (from the pinned
 * @cyclonedx/cyclonedx-library dev dependency) and the SPDX 2.3 schema (vendored in fixtures/sbom/).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { fixture } from "../helpers/fixtures.js";

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS with a default export
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  // formats of draft 2019 that ajv-formats leaves out; CycloneDX uses them for URLs and e-mail
  for (const f of ["iri-reference", "iri", "idn-email", "idn-hostname"]) ajv.addFormat(f, true);
  return ajv;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>;

let cdx: ValidateFunction | undefined;

/** Compiled once per process (the schema takes seconds to compile). */
export function cycloneDx16Validator(): ValidateFunction {
  return (cdx ??= compileCycloneDx16());
}

function compileCycloneDx16(): ValidateFunction {
  const dir = join(dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");
  const ajv = newAjv();
  ajv.addSchema(readJson(join(dir, "spdx.SNAPSHOT.schema.json")));
  ajv.addSchema(readJson(join(dir, "jsf-0.82.SNAPSHOT.schema.json")));
  // the bundled schema names its siblings by their SNAPSHOT file names; their $ids drop the suffix
  const bom = readFileSync(join(dir, "bom-1.6.SNAPSHOT.schema.json"), "utf8").replace(/([a-z0-9.-]+)\.SNAPSHOT\.schema\.json/g, "$1.schema.json");
  return ajv.compile(JSON.parse(bom) as Record<string, unknown>);
}

export function spdx23Validator(): ValidateFunction {
  return newAjv().compile(readJson(fixture("sbom", "spdx-2.3.schema.json")));
}

/** Validate without narrowing the caller's value (ajv's type guard would make it `unknown`). */
export function isValid(v: ValidateFunction, doc: object): boolean {
  return v(doc) === true;
}

export function schemaErrors(v: ValidateFunction): string {
  return JSON.stringify(v.errors?.slice(0, 5), null, 1);
}
