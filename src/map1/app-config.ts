/**
 * app.yaml, the MAP 1.0 application configuration (map-format.md §2), read the way holoscan-cli
 * 4.2.0 reads it: PyYAML's SafeLoader (YAML 1.1) then a few required keys. Values that go into the
 * manifests verbatim (`resources`, `version`, the formats) keep Python's types and dict order, so
 * app.json and pkg.json come out byte-identical: YAML `1.0` stays the float `1.0`, `2` the int `2`.
 */
import { readFile } from "node:fs/promises";
import { isMap, isScalar, parseDocument, visit } from "yaml";
import { z } from "zod";
import { MapBuildError } from "../errors.js";
import { PyFloat, pythonJsonDumpsCompact, type PyJsonKey, type PyJsonValue } from "../map/index.js";

export interface AppConfig {
  /** `application.title`: the OCI title label. */
  title: string;
  /** `application.version` as YAML typed it: app.json/pkg.json `version`. */
  version: PyJsonValue;
  /** `application.pip-packages`, in order. */
  pipPackages: string[];
  /** `application.input-formats` / `output-formats` (null when absent, as upstream). */
  inputFormats: PyJsonValue;
  outputFormats: PyJsonValue;
  /** The `resources` mapping, copied verbatim into pkg.json. */
  resources: PyJsonValue;
  /** The file's bytes, copied to /var/holoscan/app.yaml. */
  raw: Buffer;
}

/** PyYAML's YAML 1.1 float: needs a dot (or is inf/nan/sexagesimal); `1e3` stays a string there. */
const PYYAML_FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const Shape = z.object({
  application: z.looseObject({
    title: z.string().min(1, "application.title is empty"),
    version: z.union([z.string(), z.number(), z.bigint()], { message: "application.version is missing (upstream requires it in app.yaml)" }),
    "pip-packages": z.array(z.string(), { message: "application.pip-packages must be a list of requirement strings" }).optional().nullable(),
  }, { message: "no `application` mapping" }),
  resources: z.unknown().refine((v) => v !== undefined, "no `resources` mapping"),
});

function invalid(path: string, message: string, cause?: unknown): MapBuildError {
  return new MapBuildError("E_APP_INVALID", `${path}: ${message}`, {
    cause,
    hint: "app.yaml needs application.title, application.version and a resources mapping (see the MONAI Deploy App SDK examples)",
  });
}

/** Turn the yaml library's values into Python's: bigint ints, PyFloat floats, Maps for dicts. */
function toPython(v: unknown, path: string): PyJsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint" || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return new PyFloat(v);
  if (Array.isArray(v)) return v.map((x) => toPython(x, path));
  if (v instanceof Map) {
    const out = new Map<PyJsonKey, PyJsonValue>();
    for (const [k, x] of v) out.set(toPython(k, path) as PyJsonKey, toPython(x, path));
    return out;
  }
  throw invalid(path, `a value of type ${v instanceof Date ? "timestamp" : typeof v} cannot be written to JSON (quote it in app.yaml)`);
}

export function parseAppConfig(raw: Buffer, path: string): AppConfig {
  const doc = parseDocument(raw.toString("utf8"), { version: "1.1", intAsBigInt: true, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) throw invalid(path, `not valid YAML: ${doc.errors[0]!.message}`, doc.errors[0]);
  // PyYAML reads `1e3` as a string; the yaml library as a float. Follow PyYAML.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "number" && node.source !== undefined && !PYYAML_FLOAT.test(String(node.source))) node.value = String(node.source);
    },
  });
  if (!isMap(doc.contents) && !(isScalar(doc.contents) && doc.contents.value === null)) throw invalid(path, "the top level is not a mapping");
  const plain = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (plain === null || plain === undefined) throw invalid(path, "the file is empty");
  const shape = Shape.safeParse(plain);
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    throw invalid(path, issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message);
  }
  const ordered = toPython(doc.toJS({ mapAsMap: true, maxAliasCount: 1000 }), path) as ReadonlyMap<PyJsonKey, PyJsonValue>;
  const app = ordered.get("application") as ReadonlyMap<PyJsonKey, PyJsonValue>;
  return {
    title: shape.data.application.title,
    version: app.get("version") ?? null,
    pipPackages: shape.data.application["pip-packages"] ?? [],
    inputFormats: app.get("input-formats") ?? null,
    outputFormats: app.get("output-formats") ?? null,
    resources: ordered.get("resources") ?? null,
    raw,
  };
}

export async function readAppConfig(path: string): Promise<AppConfig> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (cause) {
    throw new MapBuildError("E_APP_INVALID", `cannot read the application configuration ${path}: ${(cause as Error).message}`, {
      cause,
      hint: "pass the app.yaml of the application (holoscan/monai-deploy package -c app.yaml)",
    });
  }
  return parseAppConfig(raw, path);
}

/** Python's `str()` of the version, as upstream puts it into the tag and the OCI version label. */
export function versionString(v: PyJsonValue): string {
  return typeof v === "string" ? v : pythonJsonDumpsCompact(v);
}
