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

export function checkConformance(input: ConformanceInput): ConformanceResult[] {
  const results: ConformanceResult[] = [];
  const add = (id: number, title: string, problems: string[]) =>
    results.push({ id, title, ok: problems.length === 0, ...(problems.length ? { detail: problems.join("; ") } : {}) });
  const { files } = input;
  const cfg = input.config.config ?? {};
  const env = envMap(input.config);
  const labels = cfg.Labels ?? {};
  const modelsDir = input.modelsDir ?? "/opt/monai/models";
  const app = parseObject(input.appJson);
  const pkg = parseObject(input.pkgJson);
  const a = app.obj ?? {};
  const p = pkg.obj ?? {};

  // 1
  const p1: string[] = [];
  for (const [path, parsed] of [["/etc/monai/app.json", app], ["/etc/monai/pkg.json", pkg]] as const) {
    if (files.get(path)?.type !== "file") p1.push(`${path} is not a regular file in the image`);
    if (parsed.error) p1.push(`${path}: ${parsed.error}`);
  }
  add(1, "app.json and pkg.json exist, are regular files, UTF-8 JSON objects", p1);
  // 2
  add(2, "app.json has exactly the legacy keys", app.obj && !sameKeys(a, APP_KEYS) ? [`keys are ${Object.keys(a).sort().join(", ")}`] : app.obj ? [] : ["app.json unreadable"]);
  // 3
  const wd = typeof a["working-directory"] === "string" ? (a["working-directory"] as string) : undefined;
  const p3: string[] = [];
  if (a["api-version"] !== "0.1.0") p3.push(`api-version is ${JSON.stringify(a["api-version"])}`);
  if (!deepEq(a.environment, {})) p3.push("environment is not {}");
  if (!wd?.startsWith("/")) p3.push(`working-directory ${JSON.stringify(a["working-directory"])} is not an absolute path`);
  else if (env.get("MONAI_WORKDIR") !== wd) p3.push(`working-directory ${wd} differs from MONAI_WORKDIR ${env.get("MONAI_WORKDIR")}`);
  add(3, "app.json api-version, environment, working-directory", p3);
  // 4
  const inp = a.input as Json | undefined;
  const out = a.output as Json | undefined;
  const p4: string[] = [];
  if (!inp || !sameKeys(inp, ["formats", "path"]) || !deepEq(inp.formats, []) || typeof inp.path !== "string") p4.push(`input is ${JSON.stringify(inp)}`);
  if (!out || !sameKeys(out, ["format", "path"]) || !deepEq(out.format, {}) || typeof out.path !== "string") p4.push(`output is ${JSON.stringify(out)}`);
  add(4, "app.json input {formats: [], path} and output {format: {}, path}", p4);
  // 5
  const p5: string[] = [];
  const rawTimeout = input.appJson?.toString("utf8").match(/"timeout":\s*([^,\n}]+)/)?.[1]?.trim();
  if (!rawTimeout || !/^\d+$/.test(rawTimeout)) p5.push(`timeout is ${rawTimeout ?? "missing"}, not a JSON integer`);
  else if (env.get("MONAI_TIMEOUT") !== rawTimeout) p5.push(`timeout ${rawTimeout} differs from MONAI_TIMEOUT ${env.get("MONAI_TIMEOUT")}`);
  add(5, "app.json timeout is an integer equal to MONAI_TIMEOUT", p5);
  // 6
  const cmd = a.command;
  const p6: string[] = [];
  if (typeof cmd !== "string" || !/^python3 -u \/opt\/monai\/app\/[^/"]+\.py$/.test(cmd)) p6.push(`command ${JSON.stringify(cmd)} does not match the legacy form`);
  else if (files.get(cmd.slice("python3 -u ".length))?.type !== "file") p6.push(`${cmd.slice("python3 -u ".length)} is not in the image`);
  add(6, "app.json command runs a file that exists", p6);
  // 7
  const p7: string[] = [];
  if (!pkg.obj) p7.push("pkg.json unreadable");
  else {
    if (!sameKeys(p, PKG_KEYS)) p7.push(`keys are ${Object.keys(p).sort().join(", ")}`);
    if (p["api-version"] !== "0.1.0") p7.push(`api-version is ${JSON.stringify(p["api-version"])}`);
  }
  add(7, "pkg.json has exactly the legacy keys and api-version 0.1.0", p7);
  // 8
  const res = (p.resources ?? {}) as Json;
  const p8: string[] = [];
  for (const k of ["cpu", "gpu"]) if (typeof res[k] !== "number") p8.push(`resources.${k} is ${JSON.stringify(res[k])}`);
  if (typeof res.memory !== "string" || !/^\d+(\.\d)?Mi$/.test(res.memory)) p8.push(`resources.memory is ${JSON.stringify(res.memory)}`);
  add(8, "pkg.json resources: numeric cpu/gpu, memory in Mi", p8);
  // 9, 10
  const models = Array.isArray(p.models) ? (p.models as Json[]) : [];
  const p9: string[] = [];
  const p10: string[] = [];
  if (pkg.obj && !Array.isArray(p.models)) p9.push("models is not an array");
  for (const m of models) {
    const name = typeof m.name === "string" ? m.name : "";
    const match = /^(\S{1,63})-([0-9a-f]{64})$/.exec(name);
    if (!match) p9.push(`model name ${JSON.stringify(m.name)} is not <name>-<sha256>`);
    else {
      const expected = input.modelSha256?.get(match[1] as string);
      if (input.modelSha256 && expected !== match[2]) p9.push(`model ${match[1]}: hash ${match[2]} != content hash ${expected ?? "(unknown model)"}`);
    }
    const path = typeof m.path === "string" ? m.path : "";
    if (!path.startsWith(`${modelsDir.replace(/\/+$/, "")}/`)) p10.push(`model path ${JSON.stringify(m.path)} is outside ${modelsDir}`);
    else if (!files.has(path)) p10.push(`model path ${path} does not exist in the image`);
  }
  add(9, "model names are <name[:63]>-<sha256 of contents>", p9);
  add(10, "model paths are under the models dir and exist", p10);
  // 11
  const p11: string[] = [];
  for (const [key, label] of [["version", "version"], ["sdk-version", "sdk_version"]] as const) {
    if (a[key] !== p[key]) p11.push(`${key}: app.json ${JSON.stringify(a[key])} != pkg.json ${JSON.stringify(p[key])}`);
    if (a[key] !== labels[label]) p11.push(`${key} ${JSON.stringify(a[key])} != label ${label} ${JSON.stringify(labels[label])}`);
  }
  add(11, "version and sdk-version agree across manifests and labels", p11);
  // 12
  const p12: string[] = [];
  for (const [n, buf, parsed] of [["app.json", input.appJson, app], ["pkg.json", input.pkgJson, pkg]] as const) {
    if (!buf || !parsed.obj) continue;
    // JSON.parse loses "1.0" vs "1"; compare with integral floats folded on both sides.
    const fold = (s: string) => s.replace(/(\d)\.0(?=[,\n\]}])/g, "$1");
    if (fold(buf.toString("utf8")) !== fold(pythonJsonDumps(parsed.obj as PyJsonValue))) p12.push(`${n} is not sorted/indent-4/no-trailing-newline json.dumps output`);
  }
  add(12, "manifests serialised like json.dumps(sort_keys=True, indent=4)", p12);
  // 13
  const p13: string[] = [];
  for (const l of ["base", "tag", "version", "sdk_version"]) if (!labels[l]) p13.push(`label ${l} missing`);
  if (input.baseRef !== undefined && labels.base !== input.baseRef) p13.push(`label base ${JSON.stringify(labels.base)} != ${input.baseRef}`);
  if (input.tag !== undefined && labels.tag !== input.tag) p13.push(`label tag ${JSON.stringify(labels.tag)} != ${input.tag}`);
  add(13, "labels base, tag, version, sdk_version", p13);
  // 14
  const p14: string[] = [];
  const expectedEnv: [string, string | undefined][] = [
    ["MONAI_INPUTPATH", wd && typeof inp?.path === "string" ? pythonPathJoin(wd, inp.path) : undefined],
    ["MONAI_OUTPUTPATH", wd && typeof out?.path === "string" ? pythonPathJoin(wd, out.path) : undefined],
    ["MONAI_WORKDIR", wd],
    ["MONAI_APPLICATION", "/opt/monai/app"],
    ["MONAI_MODELPATH", modelsDir],
    ["DEBIAN_FRONTEND", "noninteractive"],
    ["TERM", "xterm-256color"],
  ];
  for (const [k, v] of expectedEnv) if (!env.has(k) || (v !== undefined && env.get(k) !== v)) p14.push(`${k}=${env.get(k) ?? "(unset)"}, expected ${v}`);
  add(14, "MONAI_* and terminal variables in Env", p14);
  // 15
  const path = env.get("PATH") ?? "";
  const p15: string[] = [];
  if (!path.startsWith("/root/.local/bin:")) p15.push(`PATH ${path} does not start with /root/.local/bin:`);
  if (path.includes("$")) p15.push("PATH contains an unexpanded variable");
  const basePath = envMap(input.baseConfig).get("PATH");
  if (input.baseConfig && basePath !== undefined && path !== `/root/.local/bin:${basePath}`) p15.push(`PATH is not /root/.local/bin:${basePath}`);
  add(15, "PATH is /root/.local/bin: + the base PATH", p15);
  // 16
  const p16: string[] = [];
  if (!deepEq(cfg.Entrypoint, ["/opt/monai/executor/monai-exec"])) p16.push(`Entrypoint is ${JSON.stringify(cfg.Entrypoint)}`);
  if (cfg.Cmd && cfg.Cmd.length > 0) p16.push(`Cmd is ${JSON.stringify(cfg.Cmd)}`);
  if (cfg.User && cfg.User !== "root") p16.push(`User is ${cfg.User}`);
  add(16, "Entrypoint monai-exec, no Cmd, User root", p16);
  // 17
  const want = wd ?? "/var/monai/";
  const okWd = cfg.WorkingDir === want || cfg.WorkingDir === want.replace(/\/+$/, "");
  add(17, "WorkingDir is the working dir", okWd ? [] : [`WorkingDir is ${JSON.stringify(cfg.WorkingDir)}, expected ${want}`]);
  // 18
  const ex = files.get("/opt/monai/executor/monai-exec");
  add(18, "monai-exec is an executable regular file owned 0:0",
    !ex ? ["missing"] : ex.type !== "file" || (ex.mode & 0o111) === 0 || ex.uid !== 0 || ex.gid !== 0 ? [`type ${ex.type}, mode ${ex.mode.toString(8)}, owner ${ex.uid}:${ex.gid}`] : []);
  // 19
  const dirs = ["/opt/monai/app", modelsDir, env.get("MONAI_INPUTPATH") ?? "/var/monai/input", env.get("MONAI_OUTPUTPATH") ?? "/var/monai/output"];
  add(19, "app, models, input and output directories exist", dirs.map((d) => d.replace(/\/+$/, "")).filter((d) => files.get(d)?.type !== "dir").map((d) => `${d} is not a directory`));
  // 20
  const p20: string[] = [];
  if (files.get("/opt/monai/app/requirements.txt")?.type !== "file") p20.push("/opt/monai/app/requirements.txt missing");
  else if (input.requirementsTxt && input.expectedRequirements) {
    const lines = input.requirementsTxt.toString("utf8").split("\n").map((l) => l.trim().toLowerCase());
    for (const r of input.expectedRequirements) if (!lines.includes(r.trim().toLowerCase())) p20.push(`requirements.txt lacks ${r}`);
  }
  add(20, "requirements.txt lists the app's and the SDK's requirements", p20);
  // 21
  const p21: string[] = [];
  const sdkInit = [...files.keys()].filter((f) => /^\/root\/\.local\/lib\/python3\.\d+\/site-packages\/monai\/deploy\/__init__\.py$/.test(f));
  if (input.pythonVersion ? !files.has(`/root/.local/lib/python${input.pythonVersion}/site-packages/monai/deploy/__init__.py`) : sdkInit.length === 0) {
    p21.push(`monai/deploy/__init__.py missing from the user site${input.pythonVersion ? ` of python${input.pythonVersion}` : ""}`);
  }
  const bytecode = [...files.keys()].filter((f) => f.startsWith("/opt/monai/app/") && (/\/__pycache__(\/|$)/.test(f) || f.endsWith(".pyc")));
  if (bytecode.length) p21.push(`bytecode under /opt/monai/app: ${bytecode.slice(0, 3).join(", ")}`);
  add(21, "SDK in the user site; no bytecode in the app", p21);
  // 22
  const p22: string[] = [];
  const mtimes = new Set<number>();
  for (const f of input.addedLayerPaths) {
    const info = files.get(f);
    if (!info) continue;
    if (info.uid !== 0 || info.gid !== 0) p22.push(`${f} owned ${info.uid}:${info.gid}`);
    mtimes.add(info.mtime);
  }
  if (input.fixedMtime !== undefined) for (const m of mtimes) if (m !== input.fixedMtime) p22.push(`an added entry has mtime ${m}, not ${input.fixedMtime}`);
  if (input.fixedMtime === undefined && mtimes.size > 1) p22.push(`added entries have ${mtimes.size} different mtimes`);
  for (const [i, order] of (input.addedLayerEntryOrder ?? []).entries()) {
    const sorted = [...order].sort();
    if (!deepEq(order, sorted)) p22.push(`added layer ${i} entries are not sorted`);
  }
  add(22, "added entries owned 0:0, fixed mtime, sorted (rebuild digests: checked by rebuilding, not here)", p22.slice(0, 5));
  // 23
  const p23: string[] = [];
  const diffIds = input.config.rootfs.diff_ids;
  const baseIds = input.baseConfig?.rootfs.diff_ids;
  if (baseIds && !deepEq(diffIds.slice(0, baseIds.length), baseIds)) p23.push("the base layers are not the first layers, unchanged and in order");
  if (input.layerDiffIds && !deepEq(input.layerDiffIds, diffIds)) p23.push("rootfs.diff_ids does not match the layer tars");
  add(23, "base layers first and unchanged; diff_ids match the layers", p23);
  // 24–27
  for (const [id, title] of [
    [24, "docker load tags the image; docker create + docker cp of app.json work"],
    [25, "export mode copies the manifests to a mounted /var/run/monai/export/config"],
    [26, "python3 -c 'import monai.deploy' exits 0 in the image"],
    [27, "monai-deploy run of SDK 0.5.1 runs a CPU sample app"],
  ] as const) {
    results.push({ id, title, ok: true, skipped: true, detail: "not checked here: needs a container engine" });
  }
  return results;
}
