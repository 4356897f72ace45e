/**
 * The MAP 1.0 checklist (docs/checklist.md, "MAP 1.0"): what holoscan-cli 4.2.0 writes and its
 * runner reads, checked statically from the manifests, the config and a merged file listing.
 */
import type { ImageConfig } from "../image/index.js";
import type { ImageFileInfo } from "../map/index.js";
import {
  MAP1_APP_DIR, MAP1_APP_JSON, MAP1_CONFIG_PATH, MAP1_DOCS_DIR, MAP1_INPUT_PATH, MAP1_INPUT_REL, MAP1_LOGS_DIR, MAP1_MODELS_DIR,
  MAP1_OUTPUT_PATH, MAP1_OUTPUT_REL, MAP1_PKG_JSON, MAP1_TOOLS_PATH, MAP1_WORK_DIR,
} from "./layout.js";

export interface Map1CheckInput {
  appJson?: Buffer;
  pkgJson?: Buffer;
  passwd?: Buffer;
  tools?: Buffer;
  config: ImageConfig;
  files: ReadonlyMap<string, ImageFileInfo>;
}

export interface Map1CheckResult {
  id: string;
  title: string;
  ok: boolean;
  detail?: string;
}

export const MAP1_APP_KEYS = ["apiVersion", "command", "environment", "input", "liveness", "output", "readiness", "sdk", "sdkVersion", "timeout", "version", "workingDirectory"];
export const MAP1_PKG_KEYS = ["apiVersion", "applicationRoot", "modelRoot", "models", "resources", "version", "platformConfig"];

const MANIFEST_ENV: Record<string, string> = {
  HOLOSCAN_APPLICATION: MAP1_APP_DIR,
  HOLOSCAN_INPUT_PATH: MAP1_INPUT_REL,
  HOLOSCAN_OUTPUT_PATH: MAP1_OUTPUT_REL,
  HOLOSCAN_WORKDIR: MAP1_WORK_DIR,
  HOLOSCAN_MODEL_PATH: MAP1_MODELS_DIR,
  HOLOSCAN_CONFIG_PATH: MAP1_CONFIG_PATH,
  HOLOSCAN_APP_MANIFEST_PATH: MAP1_APP_JSON,
  HOLOSCAN_PKG_MANIFEST_PATH: MAP1_PKG_JSON,
  HOLOSCAN_DOCS_PATH: MAP1_DOCS_DIR,
  HOLOSCAN_LOGS_PATH: MAP1_LOGS_DIR,
};

const IMAGE_ENV: Record<string, string> = {
  ...MANIFEST_ENV,
  HOLOSCAN_INPUT_PATH: MAP1_INPUT_PATH,
  HOLOSCAN_OUTPUT_PATH: MAP1_OUTPUT_PATH,
};

type Json = Record<string, unknown>;

function parse(buf: Buffer | undefined): { obj?: Json; text?: string; error?: string } {
  if (!buf) return { error: "missing" };
  const text = buf.toString("utf8");
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? { obj: v as Json, text } : { error: "not a JSON object" };
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
}

/** Python's plain json.dumps: one line, ASCII, `, ` and `: ` between items (strings blanked out first). */
function compactDumps(text: string): string | undefined {
  if (/[^\x20-\x7e]/.test(text)) return "not ASCII-only on one line";
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  if (/,(?! )|:(?! )/.test(bare)) return "separators are not Python's \", \" and \": \"";
  if (/ [,:\]}]|[[{] /.test(bare)) return "extra whitespace";
  return undefined;
}

const sameOrder = (keys: string[], want: string[]) => keys.length === want.length && keys.every((k, i) => k === want[i]);

function envMap(config: ImageConfig): Map<string, string> {
  return new Map((config.config?.Env ?? []).map((e) => [e.slice(0, e.indexOf("=") < 0 ? e.length : e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

export function checkMap1(input: Map1CheckInput): Map1CheckResult[] {
  const out: Map1CheckResult[] = [];
  const add = (id: string, title: string, ok: boolean, detail?: string) => out.push(detail && !ok ? { id, title, ok, detail } : { id, title, ok });
  const app = parse(input.appJson);
  const pkg = parse(input.pkgJson);
  const a = app.obj ?? {};
  const p = pkg.obj ?? {};
  const c = input.config.config ?? {};
  const env = envMap(input.config);
  const labels = c.Labels ?? {};
  const file = (path: string) => input.files.get(path);
  const isDir = (path: string) => file(path)?.type === "dir";

  add("manifests", "/etc/holoscan/app.json and pkg.json are JSON objects", Boolean(app.obj && pkg.obj), app.error ?? pkg.error);
  add("app-keys", "app.json keys are holoscan-cli's, in its order", sameOrder(Object.keys(a), MAP1_APP_KEYS), Object.keys(a).join(", "));
  add("pkg-keys", "pkg.json keys are holoscan-cli's, in its order", sameOrder(Object.keys(p), MAP1_PKG_KEYS), Object.keys(p).join(", "));
  const ser = [app.text && compactDumps(app.text), pkg.text && compactDumps(pkg.text)].filter(Boolean).join("; ");
  add("serialisation", "both written like Python's json.dumps (one line, \", \" and \": \")", Boolean(app.text && pkg.text) && ser === "", ser);
  add("api-version", "apiVersion is 1.0.0 in both", a.apiVersion === "1.0.0" && p.apiVersion === "1.0.0");

  let argv: unknown;
  try {
    argv = typeof a.command === "string" ? JSON.parse(a.command) : undefined;
  } catch {
    argv = undefined;
  }
  const argvOk = Array.isArray(argv) && argv.length > 0 && argv.every((x) => typeof x === "string");
  const target = argvOk ? ((argv as string[])[0] === "python3" ? (argv as string[])[1] : (argv as string[])[0]) : undefined;
  add("command", "command is a JSON array string whose program or script exists in the image", Boolean(target && file(target)), argvOk ? `${target} not found` : `command ${JSON.stringify(a.command)}`);

  const menv = (a.environment ?? {}) as Json;
  const envBad = Object.entries(MANIFEST_ENV).filter(([k, v]) => menv[k] !== v).map(([k]) => k);
  add("manifest-env", "app.json environment has the ten HOLOSCAN_* paths", envBad.length === 0, envBad.join(", "));
  const io = (v: unknown, path: string) => typeof v === "object" && v !== null && (v as Json).path === path && "formats" in (v as Json);
  add("input-output", "input/output are {path: input/ | output/, formats}; workingDirectory /var/holoscan", io(a.input, MAP1_INPUT_REL) && io(a.output, MAP1_OUTPUT_REL) && a.workingDirectory === MAP1_WORK_DIR);
  add("timeout", "timeout is an integer equal to HOLOSCAN_TIMEOUT", Number.isInteger(a.timeout) && String(a.timeout) === env.get("HOLOSCAN_TIMEOUT"), `timeout ${String(a.timeout)}, HOLOSCAN_TIMEOUT ${env.get("HOLOSCAN_TIMEOUT")}`);
  const sdk = a.sdk;
  const probesOk = sdk === "monai-deploy" ? a.liveness === null && a.readiness === null : sdk === "holoscan" && typeof a.liveness === "object" && a.liveness !== null && typeof a.readiness === "object";
  add("sdk", "sdk is monai-deploy (no probes) or holoscan (gRPC probes)", probesOk, `sdk ${JSON.stringify(sdk)}`);

  const models = (typeof p.models === "object" && p.models !== null && !Array.isArray(p.models) ? p.models : undefined) as Record<string, unknown> | undefined;
  const badModels = Object.entries(models ?? {}).filter(([n, path]) => path !== `${MAP1_MODELS_DIR}/${n}` || !isDir(path as string)).map(([n]) => n);
  add("pkg-paths", "applicationRoot, modelRoot and every model folder exist as holoscan-cli names them", p.applicationRoot === MAP1_APP_DIR && p.modelRoot === MAP1_MODELS_DIR && Boolean(models) && badModels.length === 0, badModels.length ? `models: ${badModels.join(", ")}` : undefined);
  add("pkg-values", "platformConfig is dgpu or igpu; resources is a mapping", (p.platformConfig === "dgpu" || p.platformConfig === "igpu") && typeof p.resources === "object" && p.resources !== null);
  const sdkLabel = sdk === "holoscan" ? labels["org.nvidia.holoscan"] : labels["org.monai.deploy.app-sdk"];
  add("versions", "version agrees in both manifests; sdkVersion and HOLOSCAN_VERSION match the labels", JSON.stringify(a.version) === JSON.stringify(p.version) && a.sdkVersion === sdkLabel && env.get("HOLOSCAN_VERSION") === labels["org.nvidia.holoscan"]);
  const missingLabels = ["base", "tag", "org.opencontainers.image.title", "org.opencontainers.image.version", "org.nvidia.holoscan"].filter((l) => !(l in labels));
  add("labels", "labels base, tag, org.opencontainers.image.title/version, org.nvidia.holoscan", missingLabels.length === 0, `missing ${missingLabels.join(", ")}`);

  const envBadImage = Object.entries(IMAGE_ENV).filter(([k, v]) => env.get(k) !== v).map(([k]) => k);
  add("image-env", "Env has the HOLOSCAN_* paths and HOLOSCAN_TIMEOUT/VERSION", envBadImage.length === 0 && env.has("HOLOSCAN_TIMEOUT") && env.has("HOLOSCAN_VERSION"), envBadImage.join(", "));
  const user = c.User ?? "";
  const path = env.get("PATH") ?? "";
  add("path", "PATH starts with the user's ~/.local/bin and /opt/nvidia/holoscan/bin, no literal $PATH", path.startsWith(`/home/${user}/.local/bin:/opt/nvidia/holoscan/bin:`) && !path.includes("$"), path);

  const rows = (input.passwd?.toString("utf8") ?? "").split("\n").filter(Boolean).map((l) => l.split(":"));
  const row = rows.find((r) => r[0] === user || r[2] === user);
  const uid = row ? Number(row[2]) : NaN;
  const sameUid = rows.filter((r) => r[2] === row?.[2]).length;
  add("user", "USER is a non-root user of /etc/passwd, the only one at its uid, with its home", Boolean(row) && uid !== 0 && sameUid === 1 && file(row![5] ?? "")?.uid === uid, row ? `${user}: uid ${uid}, ${sameUid} user(s) at it, home ${row[5]}` : `USER ${JSON.stringify(user)} not in /etc/passwd`);
  add("workdir-entrypoint", "WorkingDir /var/holoscan, Entrypoint [/var/holoscan/tools], no Cmd", c.WorkingDir === MAP1_WORK_DIR && JSON.stringify(c.Entrypoint) === JSON.stringify([MAP1_TOOLS_PATH]) && (c.Cmd ?? null) === null);
  const tools = file(MAP1_TOOLS_PATH);
  add("tools", "/var/holoscan/tools is an executable script", tools?.type === "file" && (tools.mode & 0o111) !== 0 && Boolean(input.tools?.subarray(0, 2).equals(Buffer.from("#!"))));
  const owned = [MAP1_WORK_DIR, MAP1_INPUT_PATH, MAP1_OUTPUT_PATH].filter((d) => !isDir(d) || file(d)!.uid !== uid);
  add("dirs", "app dir and app.yaml exist; work, input and output dirs are owned by the user", isDir(MAP1_APP_DIR) && file(MAP1_CONFIG_PATH)?.type === "file" && owned.length === 0, owned.join(", "));
  return out;
}
