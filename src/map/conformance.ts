/**
 * The static part of the legacy MAP conformance checklist (map-format.md §4, items 1–23). Input is
 * what `inspect` (or a test) gathers from an image: the manifest bytes, the config, a merged file
 * listing and which paths map-build's own layers wrote. Items 24–27 need a container engine and are
 * reported as skipped here.
 */
import type { ImageConfig, ImageFileInfo } from "../image/index.js";
import { pythonJsonDumps, type PyJsonValue } from "./python-json.js";
import { pythonPathJoin } from "./layout.js";

export type { ImageFileInfo };

export interface ConformanceInput {
  appJson?: Buffer;
  pkgJson?: Buffer;
  config: ImageConfig;
  /** Merged view of the image: absolute path → metadata (whiteouts already applied). */
  files: Map<string, ImageFileInfo>;
  /** Paths written by map-build's own (non-base) layers. */
  addedLayerPaths: Set<string>;
  /** Expected `base` label and `tag` label. */
  baseRef?: string;
  tag?: string;
  /** Models dir given at build time; default /opt/monai/models. */
  modelsDir?: string;
  /** Base config, for PATH (15) and base layers (23). */
  baseConfig?: ImageConfig;
  /** Diff ids computed from the layer tars, for 23. */
  layerDiffIds?: string[];
  /** Entry paths of each added layer in tar order, for the sorting part of 22. */
  addedLayerEntryOrder?: string[][];
  /** The fixed mtime entries must carry (22); default: all added entries share one mtime. */
  fixedMtime?: number;
  /** Content hash per pkg.json model name prefix (`<name[:63]>`), for 9. */
  modelSha256?: Map<string, string>;
  /** Content of /opt/monai/app/requirements.txt and what it must list (20). */
  requirementsTxt?: Buffer;
  expectedRequirements?: string[];
  /** X.Y of the base's Python (21); default: any python3.* user site. */
  pythonVersion?: string;
  /** Every captured file's bytes by path (a checklist's `wanted`), for checklists of other formats. */
  contents?: ReadonlyMap<string, Buffer>;
}

export interface ConformanceResult {
  id: number;
  title: string;
  ok: boolean;
  /** True when the item cannot be checked statically (24–27): `ok` is then not a verdict. */
  skipped?: boolean;
  detail?: string;
}

type Json = Record<string, unknown>;

const APP_KEYS = ["api-version", "command", "environment", "input", "output", "sdk-version", "timeout", "version", "working-directory"];
const PKG_KEYS = ["api-version", "application-root", "models", "resources", "sdk-version", "version"];

function parseObject(buf: Buffer | undefined): { obj?: Json; error?: string } {
  if (!buf) return { error: "missing" };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    return { error: "not UTF-8" };
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) return { error: "not a JSON object" };
    return { obj: v as Json };
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
}

const sameKeys = (o: Json, keys: string[]) => JSON.stringify(Object.keys(o).sort()) === JSON.stringify([...keys].sort());
const deepEq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function envMap(config: ImageConfig | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of config?.config?.Env ?? []) {
    const i = e.indexOf("=");
    m.set(i < 0 ? e : e.slice(0, i), i < 0 ? "" : e.slice(i + 1));
  }
  return m;
}

/** What the checks read, worked out once: the input plus its parsed manifests and config. */
interface CheckContext {
  input: ConformanceInput;
  files: Map<string, ImageFileInfo>;
  cfg: NonNullable<ImageConfig["config"]>;
  env: Map<string, string>;
  labels: Record<string, string>;
  modelsDir: string;
  app: { obj?: Json; error?: string };
  pkg: { obj?: Json; error?: string };
  /** app.json and pkg.json as objects ({} when unreadable). */
  a: Json;
  p: Json;
  /** app.json working-directory, input and output. */
  wd: string | undefined;
  inp: Json | undefined;
  out: Json | undefined;
}

function checkContext(input: ConformanceInput): CheckContext {
  const cfg = input.config.config ?? {};
  const app = parseObject(input.appJson);
  const pkg = parseObject(input.pkgJson);
  const a = app.obj ?? {};
  return {
    input, files: input.files, cfg, env: envMap(input.config), labels: cfg.Labels ?? {}, modelsDir: input.modelsDir ?? "/opt/monai/models",
    app, pkg, a, p: pkg.obj ?? {},
    wd: typeof a["working-directory"] === "string" ? (a["working-directory"] as string) : undefined,
    inp: a.input as Json | undefined,
    out: a.output as Json | undefined,
  };
}

/** One item of the checklist: its problems, none when it passes. */
interface NamedCheck {
  id: number;
  title: string;
  problems(c: CheckContext): string[];
}

function manifestFiles({ files, app, pkg }: CheckContext): string[] {
  const problems: string[] = [];
  for (const [path, parsed] of [["/etc/monai/app.json", app], ["/etc/monai/pkg.json", pkg]] as const) {
    if (files.get(path)?.type !== "file") problems.push(`${path} is not a regular file in the image`);
    if (parsed.error) problems.push(`${path}: ${parsed.error}`);
  }
  return problems;
}

function appBasics({ a, env, wd }: CheckContext): string[] {
  const problems: string[] = [];
  if (a["api-version"] !== "0.1.0") problems.push(`api-version is ${JSON.stringify(a["api-version"])}`);
  if (!deepEq(a.environment, {})) problems.push("environment is not {}");
  if (!wd?.startsWith("/")) problems.push(`working-directory ${JSON.stringify(a["working-directory"])} is not an absolute path`);
  else if (env.get("MONAI_WORKDIR") !== wd) problems.push(`working-directory ${wd} differs from MONAI_WORKDIR ${env.get("MONAI_WORKDIR")}`);
  return problems;
}

function appInputOutput({ inp, out }: CheckContext): string[] {
  const problems: string[] = [];
  if (!inp || !sameKeys(inp, ["formats", "path"]) || !deepEq(inp.formats, []) || typeof inp.path !== "string") problems.push(`input is ${JSON.stringify(inp)}`);
  if (!out || !sameKeys(out, ["format", "path"]) || !deepEq(out.format, {}) || typeof out.path !== "string") problems.push(`output is ${JSON.stringify(out)}`);
  return problems;
}

function appTimeout({ input, env }: CheckContext): string[] {
  const rawTimeout = input.appJson?.toString("utf8").match(/"timeout":\s*([^,\n}]+)/)?.[1]?.trim();
  if (!rawTimeout || !/^\d+$/.test(rawTimeout)) return [`timeout is ${rawTimeout ?? "missing"}, not a JSON integer`];
  if (env.get("MONAI_TIMEOUT") !== rawTimeout) return [`timeout ${rawTimeout} differs from MONAI_TIMEOUT ${env.get("MONAI_TIMEOUT")}`];
  return [];
}

function appCommand({ a, files }: CheckContext): string[] {
  const cmd = a.command;
  if (typeof cmd !== "string" || !/^python3 -u \/opt\/monai\/app\/[^/"]+\.py$/.test(cmd)) return [`command ${JSON.stringify(cmd)} does not match the legacy form`];
  const file = cmd.slice("python3 -u ".length);
  return files.get(file)?.type === "file" ? [] : [`${file} is not in the image`];
}

function pkgKeys({ pkg, p }: CheckContext): string[] {
  if (!pkg.obj) return ["pkg.json unreadable"];
  const problems: string[] = [];
  if (!sameKeys(p, PKG_KEYS)) problems.push(`keys are ${Object.keys(p).sort().join(", ")}`);
  if (p["api-version"] !== "0.1.0") problems.push(`api-version is ${JSON.stringify(p["api-version"])}`);
  return problems;
}

function pkgResources({ p }: CheckContext): string[] {
  const res = (p.resources ?? {}) as Json;
  const problems: string[] = [];
  for (const k of ["cpu", "gpu"]) if (typeof res[k] !== "number") problems.push(`resources.${k} is ${JSON.stringify(res[k])}`);
  if (typeof res.memory !== "string" || !/^\d+(\.\d)?Mi$/.test(res.memory)) problems.push(`resources.memory is ${JSON.stringify(res.memory)}`);
  return problems;
}

const modelsOf = (p: Json): Json[] => (Array.isArray(p.models) ? (p.models as Json[]) : []);

function modelNames({ input, pkg, p }: CheckContext): string[] {
  const problems: string[] = [];
  if (pkg.obj && !Array.isArray(p.models)) problems.push("models is not an array");
  for (const m of modelsOf(p)) {
    const match = /^(\S{1,63})-([0-9a-f]{64})$/.exec(typeof m.name === "string" ? m.name : "");
    if (!match) problems.push(`model name ${JSON.stringify(m.name)} is not <name>-<sha256>`);
    else {
      const expected = input.modelSha256?.get(match[1] as string);
      if (input.modelSha256 && expected !== match[2]) problems.push(`model ${match[1]}: hash ${match[2]} != content hash ${expected ?? "(unknown model)"}`);
    }
  }
  return problems;
}

function modelPaths({ p, files, modelsDir }: CheckContext): string[] {
  const problems: string[] = [];
  for (const m of modelsOf(p)) {
    const path = typeof m.path === "string" ? m.path : "";
    if (!path.startsWith(`${modelsDir.replace(/\/+$/, "")}/`)) problems.push(`model path ${JSON.stringify(m.path)} is outside ${modelsDir}`);
    else if (!files.has(path)) problems.push(`model path ${path} does not exist in the image`);
  }
  return problems;
}

function versionsAgree({ a, p, labels }: CheckContext): string[] {
  const problems: string[] = [];
  for (const [key, label] of [["version", "version"], ["sdk-version", "sdk_version"]] as const) {
    if (a[key] !== p[key]) problems.push(`${key}: app.json ${JSON.stringify(a[key])} != pkg.json ${JSON.stringify(p[key])}`);
    if (a[key] !== labels[label]) problems.push(`${key} ${JSON.stringify(a[key])} != label ${label} ${JSON.stringify(labels[label])}`);
  }
  return problems;
}

function serialisation({ input, app, pkg }: CheckContext): string[] {
  const problems: string[] = [];
  for (const [n, buf, parsed] of [["app.json", input.appJson, app], ["pkg.json", input.pkgJson, pkg]] as const) {
    if (!buf || !parsed.obj) continue;
    // JSON.parse loses "1.0" vs "1"; compare with integral floats folded on both sides.
    const fold = (s: string) => s.replace(/(\d)\.0(?=[,\n\]}])/g, "$1");
    if (fold(buf.toString("utf8")) !== fold(pythonJsonDumps(parsed.obj as PyJsonValue))) problems.push(`${n} is not sorted/indent-4/no-trailing-newline json.dumps output`);
  }
  return problems;
}

function buildLabels({ input, labels }: CheckContext): string[] {
  const problems: string[] = [];
  for (const l of ["base", "tag", "version", "sdk_version"]) if (!labels[l]) problems.push(`label ${l} missing`);
  if (input.baseRef !== undefined && labels.base !== input.baseRef) problems.push(`label base ${JSON.stringify(labels.base)} != ${input.baseRef}`);
  if (input.tag !== undefined && labels.tag !== input.tag) problems.push(`label tag ${JSON.stringify(labels.tag)} != ${input.tag}`);
  return problems;
}

function monaiEnv({ env, wd, inp, out, modelsDir }: CheckContext): string[] {
  const expected: [string, string | undefined][] = [
    ["MONAI_INPUTPATH", wd && typeof inp?.path === "string" ? pythonPathJoin(wd, inp.path) : undefined],
    ["MONAI_OUTPUTPATH", wd && typeof out?.path === "string" ? pythonPathJoin(wd, out.path) : undefined],
    ["MONAI_WORKDIR", wd],
    ["MONAI_APPLICATION", "/opt/monai/app"],
    ["MONAI_MODELPATH", modelsDir],
    ["DEBIAN_FRONTEND", "noninteractive"],
    ["TERM", "xterm-256color"],
  ];
  return expected.filter(([k, v]) => !env.has(k) || (v !== undefined && env.get(k) !== v)).map(([k, v]) => `${k}=${env.get(k) ?? "(unset)"}, expected ${v}`);
}

function userPath({ input, env }: CheckContext): string[] {
  const path = env.get("PATH") ?? "";
  const problems: string[] = [];
  if (!path.startsWith("/root/.local/bin:")) problems.push(`PATH ${path} does not start with /root/.local/bin:`);
  if (path.includes("$")) problems.push("PATH contains an unexpanded variable");
  const basePath = envMap(input.baseConfig).get("PATH");
  if (input.baseConfig && basePath !== undefined && path !== `/root/.local/bin:${basePath}`) problems.push(`PATH is not /root/.local/bin:${basePath}`);
  return problems;
}

function entrypoint({ cfg }: CheckContext): string[] {
  const problems: string[] = [];
  if (!deepEq(cfg.Entrypoint, ["/opt/monai/executor/monai-exec"])) problems.push(`Entrypoint is ${JSON.stringify(cfg.Entrypoint)}`);
  if (cfg.Cmd && cfg.Cmd.length > 0) problems.push(`Cmd is ${JSON.stringify(cfg.Cmd)}`);
  if (cfg.User && cfg.User !== "root") problems.push(`User is ${cfg.User}`);
  return problems;
}

function workingDir({ cfg, wd }: CheckContext): string[] {
  const want = wd ?? "/var/monai/";
  return cfg.WorkingDir === want || cfg.WorkingDir === want.replace(/\/+$/, "") ? [] : [`WorkingDir is ${JSON.stringify(cfg.WorkingDir)}, expected ${want}`];
}

function executor({ files }: CheckContext): string[] {
  const ex = files.get("/opt/monai/executor/monai-exec");
  if (!ex) return ["missing"];
  return ex.type !== "file" || (ex.mode & 0o111) === 0 || ex.uid !== 0 || ex.gid !== 0 ? [`type ${ex.type}, mode ${ex.mode.toString(8)}, owner ${ex.uid}:${ex.gid}`] : [];
}

function mapDirs({ files, env, modelsDir }: CheckContext): string[] {
  const dirs = ["/opt/monai/app", modelsDir, env.get("MONAI_INPUTPATH") ?? "/var/monai/input", env.get("MONAI_OUTPUTPATH") ?? "/var/monai/output"];
  return dirs.map((d) => d.replace(/\/+$/, "")).filter((d) => files.get(d)?.type !== "dir").map((d) => `${d} is not a directory`);
}

function requirements({ input, files }: CheckContext): string[] {
  if (files.get("/opt/monai/app/requirements.txt")?.type !== "file") return ["/opt/monai/app/requirements.txt missing"];
  if (!input.requirementsTxt || !input.expectedRequirements) return [];
  const lines = input.requirementsTxt.toString("utf8").split("\n").map((l) => l.trim().toLowerCase());
  return input.expectedRequirements.filter((r) => !lines.includes(r.trim().toLowerCase())).map((r) => `requirements.txt lacks ${r}`);
}

function sdkAndBytecode({ input, files }: CheckContext): string[] {
  const problems: string[] = [];
  const sdkInit = [...files.keys()].filter((f) => /^\/root\/\.local\/lib\/python3\.\d+\/site-packages\/monai\/deploy\/__init__\.py$/.test(f));
  if (input.pythonVersion ? !files.has(`/root/.local/lib/python${input.pythonVersion}/site-packages/monai/deploy/__init__.py`) : sdkInit.length === 0) {
    problems.push(`monai/deploy/__init__.py missing from the user site${input.pythonVersion ? ` of python${input.pythonVersion}` : ""}`);
  }
  const bytecode = [...files.keys()].filter((f) => f.startsWith("/opt/monai/app/") && (/\/__pycache__(\/|$)/.test(f) || f.endsWith(".pyc")));
  if (bytecode.length) problems.push(`bytecode under /opt/monai/app: ${bytecode.slice(0, 3).join(", ")}`);
  return problems;
}

function deterministicEntries({ input, files }: CheckContext): string[] {
  const problems: string[] = [];
  const mtimes = new Set<number>();
  for (const f of input.addedLayerPaths) {
    const info = files.get(f);
    if (!info) continue;
    if (info.uid !== 0 || info.gid !== 0) problems.push(`${f} owned ${info.uid}:${info.gid}`);
    mtimes.add(info.mtime);
  }
  if (input.fixedMtime !== undefined) for (const m of mtimes) if (m !== input.fixedMtime) problems.push(`an added entry has mtime ${m}, not ${input.fixedMtime}`);
  if (input.fixedMtime === undefined && mtimes.size > 1) problems.push(`added entries have ${mtimes.size} different mtimes`);
  for (const [i, order] of (input.addedLayerEntryOrder ?? []).entries()) {
    if (!deepEq(order, [...order].sort())) problems.push(`added layer ${i} entries are not sorted`);
  }
  return problems.slice(0, 5);
}

function baseLayers({ input }: CheckContext): string[] {
  const problems: string[] = [];
  const diffIds = input.config.rootfs.diff_ids;
  const baseIds = input.baseConfig?.rootfs.diff_ids;
  if (baseIds && !deepEq(diffIds.slice(0, baseIds.length), baseIds)) problems.push("the base layers are not the first layers, unchanged and in order");
  if (input.layerDiffIds && !deepEq(input.layerDiffIds, diffIds)) problems.push("rootfs.diff_ids does not match the layer tars");
  return problems;
}

/** Items 1–23 of the legacy checklist, in order (MAP 1.0 has its own table: map1/conformance.ts). */
const LEGACY_CHECKS: readonly NamedCheck[] = [
  { id: 1, title: "app.json and pkg.json exist, are regular files, UTF-8 JSON objects", problems: manifestFiles },
  { id: 2, title: "app.json has exactly the legacy keys", problems: ({ app, a }) => (!app.obj ? ["app.json unreadable"] : sameKeys(a, APP_KEYS) ? [] : [`keys are ${Object.keys(a).sort().join(", ")}`]) },
  { id: 3, title: "app.json api-version, environment, working-directory", problems: appBasics },
  { id: 4, title: "app.json input {formats: [], path} and output {format: {}, path}", problems: appInputOutput },
  { id: 5, title: "app.json timeout is an integer equal to MONAI_TIMEOUT", problems: appTimeout },
  { id: 6, title: "app.json command runs a file that exists", problems: appCommand },
  { id: 7, title: "pkg.json has exactly the legacy keys and api-version 0.1.0", problems: pkgKeys },
  { id: 8, title: "pkg.json resources: numeric cpu/gpu, memory in Mi", problems: pkgResources },
  { id: 9, title: "model names are <name[:63]>-<sha256 of contents>", problems: modelNames },
  { id: 10, title: "model paths are under the models dir and exist", problems: modelPaths },
  { id: 11, title: "version and sdk-version agree across manifests and labels", problems: versionsAgree },
  { id: 12, title: "manifests serialised like json.dumps(sort_keys=True, indent=4)", problems: serialisation },
  { id: 13, title: "labels base, tag, version, sdk_version", problems: buildLabels },
  { id: 14, title: "MONAI_* and terminal variables in Env", problems: monaiEnv },
  { id: 15, title: "PATH is /root/.local/bin: + the base PATH", problems: userPath },
  { id: 16, title: "Entrypoint monai-exec, no Cmd, User root", problems: entrypoint },
  { id: 17, title: "WorkingDir is the working dir", problems: workingDir },
  { id: 18, title: "monai-exec is an executable regular file owned 0:0", problems: executor },
  { id: 19, title: "app, models, input and output directories exist", problems: mapDirs },
  { id: 20, title: "requirements.txt lists the app's and the SDK's requirements", problems: requirements },
  { id: 21, title: "SDK in the user site; no bytecode in the app", problems: sdkAndBytecode },
  { id: 22, title: "added entries owned 0:0, fixed mtime, sorted (rebuild digests: checked by rebuilding, not here)", problems: deterministicEntries },
  { id: 23, title: "base layers first and unchanged; diff_ids match the layers", problems: baseLayers },
];

/** Items 24–27: they need a container engine, so they are reported as skipped here. */
const ENGINE_CHECKS: readonly (readonly [number, string])[] = [
  [24, "docker load tags the image; docker create + docker cp of app.json work"],
  [25, "export mode copies the manifests to a mounted /var/run/monai/export/config"],
  [26, "python3 -c 'import monai.deploy' exits 0 in the image"],
  [27, "monai-deploy run of SDK 0.5.1 runs a CPU sample app"],
];

export function checkConformance(input: ConformanceInput): ConformanceResult[] {
  const c = checkContext(input);
  const results: ConformanceResult[] = LEGACY_CHECKS.map(({ id, title, problems }) => {
    const found = problems(c);
    return { id, title, ok: found.length === 0, ...(found.length ? { detail: found.join("; ") } : {}) };
  });
  for (const [id, title] of ENGINE_CHECKS) results.push({ id, title, ok: true, skipped: true, detail: "not checked here: needs a container engine" });
  return results;
}
