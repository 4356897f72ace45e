/**
 * Installing wheels as layer entries, like `pip install --user` would on the target: files are
 * verified against RECORD, `.data/` is spread over the scheme, scripts get the target's shebang,
 * console-script launchers, INSTALLER and a regenerated RECORD are added. Nothing is written; file
 * contents are streamed from the wheel on disk when the layer is written (and verified again).
 * Memory: only dist-info files, scripts and launchers are held (small); members are never buffered.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { MapBuildError } from "../errors.js";
import type { DirEntry, FileEntry, LayerEntry } from "../layer/index.js";
import { memberSource, recordMismatch } from "./member-source.js";
import { launcherScript, parseScriptEntryPoints } from "./console-scripts.js";
import { csvLine, readWheel, type CoreMetadata, type LicenseMetadata, type RecordRow, type WheelContents } from "./wheel-metadata.js";
import { openZipMember, readZipMember, type ZipMember } from "./zip-reader.js";

export interface InstallTarget {
  /** e.g. /root/.local/lib/python3.11/site-packages */
  sitePackages: string;
  /** e.g. /root/.local/bin */
  scriptsDir: string;
  /** `.data/data` goes here and headers under include/; default: parent of scriptsDir. */
  dataDir?: string;
  /** Shebang interpreter for scripts and launchers, e.g. /usr/bin/python3 or "/usr/bin/env python3". */
  pythonPath: string;
  uid?: number;
  gid?: number;
}

export interface InstallLimits {
  /** Sum of uncompressed member sizes per wheel (default 8 GiB: large CUDA wheels unpack to ~4 GiB). */
  maxUncompressedBytes?: number;
  /** Uncompressed/compressed ratio allowed for members above `ratioMinBytes` (default 200; deflate tops out near 1032). */
  maxRatio?: number;
  /** Members smaller than this skip the ratio check (tiny repetitive files compress extremely well). Default 1 MiB. */
  ratioMinBytes?: number;
}

export interface WheelToInstall {
  file: string;
  /** For messages only. */
  filename?: string;
}

export interface InstallPlan {
  entries: LayerEntry[];
  /** One per wheel; `license` as its METADATA states it (for the SBOM). */
  installed: { name: string; version: string; license?: LicenseMetadata }[];
}

const DEFAULT_LIMITS: Required<InstallLimits> = { maxUncompressedBytes: 8 * 1024 ** 3, maxRatio: 200, ratioMinBytes: 1024 * 1024 };
const RECORD_ALGOS = new Set(["sha256", "sha384", "sha512"]);

function refuse(file: string, why: string, hint = "do not install this wheel; rebuild it with a standard build backend"): never {
  throw new MapBuildError("E_PYTHON_DEPS", `${file}: ${why}`, { hint });
}

const b64url = (buf: Buffer) => buf.toString("base64url");

/** Member names must be plain relative paths: no absolute, drive, backslash, `.`/`..` or empty segments. */
function checkName(file: string, name: string): void {
  const bare = name.endsWith("/") ? name.slice(0, -1) : name;
  if (!bare || bare.startsWith("/") || /^[A-Za-z]:/.test(bare) || bare.includes("\\") || bare.includes("\0")) {
    refuse(file, `unsafe member path "${name}" (absolute or not POSIX)`);
  }
  if (bare.split("/").some((s) => s === ".." || s === "." || s === "")) refuse(file, `unsafe member path "${name}" (path traversal)`);
}

function checkType(file: string, m: ZipMember): void {
  const type = m.unixMode & 0o170000;
  if (type === 0o120000) refuse(file, `member "${m.name}" is a symlink; wheels may not contain links`);
  if (type !== 0 && type !== 0o100000 && type !== 0o040000) refuse(file, `member "${m.name}" is not a regular file`);
}

function checkLimits(file: string, members: ZipMember[], l: Required<InstallLimits>): void {
  let total = 0;
  for (const m of members) {
    total += m.size;
    if (m.size >= l.ratioMinBytes && m.size > m.compressedSize * l.maxRatio) {
      refuse(file, `member "${m.name}" expands ${Math.round(m.size / Math.max(1, m.compressedSize))}× (limit ${l.maxRatio}×): refusing a likely zip bomb`, "raise the ratio limit only if you trust this wheel");
    }
  }
  if (total > l.maxUncompressedBytes) {
    refuse(file, `unpacks to ${total} bytes (limit ${l.maxUncompressedBytes}): refusing a likely zip bomb`, "raise the size limit only if you trust this wheel");
  }
}

/** Stream + hash a member; compare with RECORD. Returns sha256 (urlsafe b64) and size. */
async function hashMember(file: string, m: ZipMember, algo: string): Promise<{ sha256: string; recordDigest: string; size: number }> {
  const h = createHash("sha256");
  const r = algo === "sha256" ? undefined : createHash(algo);
  let size = 0;
  for await (const c of await openZipMember(file, m)) {
    h.update(c as Buffer);
    r?.update(c as Buffer);
    size += (c as Buffer).length;
  }
  const sha256 = b64url(h.digest());
  return { sha256, recordDigest: r ? b64url(r.digest()) : sha256, size };
}

/**
 * Bump when the entries planned for the same wheels and target change (paths, modes, generated
 * files, which members carry their deflate stream): it is part of the deps layer's cache key
 * (resolve.ts planKey). 2: large deflated members are copied into the gzip layer (COPY_DEFLATE_MIN).
 */
export const INSTALL_PLAN_VERSION = 2;

const sha256Of = (data: Uint8Array) => b64url(createHash("sha256").update(data).digest());

/** What every wheel of one plan shares. */
interface PlanContext {
  target: InstallTarget;
  limits: Required<InstallLimits>;
  own: { uid: number; gid: number };
  dataDir: string;
  pyXY: string | undefined;
  files: Map<string, { entry: FileEntry; owner: string }>;
}

/** One wheel being planned: its RECORD rows for the regenerated RECORD. */
interface WheelPlan {
  file: string;
  label: string;
  owner: string;
  contents: WheelContents;
  rows: string[][];
}

function addFile(ctx: PlanContext, w: WheelPlan, path: string, mode: number, size: number, source: FileEntry["source"], rowDigest: string): void {
  const prev = ctx.files.get(path);
  if (prev && prev.owner !== w.owner) {
    throw new MapBuildError("E_PYTHON_DEPS", `${w.owner} and ${prev.owner} both install ${path}`, { hint: "two wheels provide the same file; keep only one of the packages" });
  }
  ctx.files.set(path, { entry: { type: "file", path, mode, size, source, ...ctx.own }, owner: w.owner });
  w.rows.push([relativeToSite(ctx, path), rowDigest, String(size)]);
}

/** RECORD's path for an installed file: relative to site-packages (a slice for the usual case: one per member). */
function relativeToSite(ctx: PlanContext, path: string): string {
  const site = ctx.target.sitePackages;
  return path.startsWith(`${site}/`) ? path.slice(site.length + 1) : posix.relative(site, path);
}

function addBytes(ctx: PlanContext, w: WheelPlan, path: string, mode: number, data: Buffer): void {
  addFile(ctx, w, path, mode, data.length, { kind: "bytes", data }, `sha256=${sha256Of(data)}`);
}


/**
 * The member's sha256 (urlsafe b64) as RECORD vouches for it. sha256 rows are checked while the
 * layer is written (one pass); other algorithms are checked now, by reading the member.
 */
async function recordedSha256(w: WheelPlan, m: ZipMember, record: ReadonlyMap<string, RecordRow>): Promise<string> {
  const row = record.get(m.name);
  if (!row) refuse(w.label, `"${m.name}" is not listed in RECORD`, "the wheel was modified after it was built; rebuild or re-download it");
  const hm = /^([a-z0-9]+)=(.+)$/.exec(row.hash);
  if (!hm || !RECORD_ALGOS.has(hm[1]!)) refuse(w.label, `RECORD has no usable hash for "${m.name}" (${row.hash || "empty"})`);
  if (row.size !== "" && Number(row.size) !== m.size) throw recordMismatch(w.label, m.name);
  const recorded = hm[2]!.replace(/=+$/, "");
  if (hm[1] === "sha256") return recorded;
  const got = await hashMember(w.file, m, hm[1]!);
  if (got.recordDigest !== recorded || got.size !== m.size) throw recordMismatch(w.label, m.name);
  return got.sha256;
}

/** Where a member goes: `.data/<scheme>/` spread over the scheme's directories, the rest into site-packages. */
function destinationOf(ctx: PlanContext, w: WheelPlan, name: string): { dest: string; script: boolean } {
  const dataPrefix = `${w.contents.distInfo.replace(/\.dist-info$/, "")}.data/`;
  // checkName allowed only plain relative names, so joining is concatenation
  if (!name.startsWith(dataPrefix)) return { dest: `${ctx.target.sitePackages}/${name}`, script: false };
  const restAll = name.slice(dataPrefix.length);
  const slash = restAll.indexOf("/");
  const scheme = restAll.slice(0, slash), rest = restAll.slice(slash + 1);
  if (slash < 0 || !rest) refuse(w.label, `"${name}" is not inside a .data scheme directory`);
  switch (scheme) {
    case "purelib": case "platlib": return { dest: posix.join(ctx.target.sitePackages, rest), script: false };
    case "scripts": return { dest: posix.join(ctx.target.scriptsDir, rest), script: true };
    case "data": return { dest: posix.join(ctx.dataDir, rest), script: false };
    case "headers": return { dest: posix.join(ctx.dataDir, "include", ctx.pyXY ? `python${ctx.pyXY}` : "", w.contents.metadata.name, rest), script: false };
    default: refuse(w.label, `unknown .data scheme "${scheme}" in "${name}"`);
  }
}

/** A `.data/scripts` file: pip rewrites `#!python` / `#!pythonw` to the target interpreter; other scripts keep their bytes. */
async function scriptBytes(ctx: PlanContext, w: WheelPlan, m: ZipMember, sha256: string): Promise<Buffer> {
  const data = await readZipMember(w.file, m);
  if (sha256Of(data) !== sha256 || data.length !== m.size) throw recordMismatch(w.label, m.name);
  if (data.subarray(0, 8).toString("latin1") !== "#!python") return data;
  const nl = data.indexOf(0x0a);
  const tail = data.subarray(0, nl < 0 ? data.length : nl).toString("utf8").replace(/^#!pythonw?/, "");
  return Buffer.concat([Buffer.from(`#!${ctx.target.pythonPath}${tail}`), nl < 0 ? Buffer.alloc(0) : data.subarray(nl)]);
}

async function planMembers(ctx: PlanContext, w: WheelPlan): Promise<void> {
  const record = new Map(w.contents.record.map((r) => [r.path, r]));
  for (const m of w.contents.members) {
    // RECORD is regenerated below; signatures no longer match a new RECORD
    if (m.isDirectory || /^[^/]+\.dist-info\/RECORD(\.jws|\.p7s)?$/.test(m.name)) continue;
    const sha256 = await recordedSha256(w, m, record);
    const { dest, script } = destinationOf(ctx, w, m.name);
    if (script) {
      addBytes(ctx, w, dest, 0o755, await scriptBytes(ctx, w, m, sha256));
      continue;
    }
    const hex = Buffer.from(sha256, "base64url").toString("hex");
    addFile(ctx, w, dest, m.unixMode & 0o111 ? 0o755 : 0o644, m.size, memberSource(w.file, w.label, m, hex), `sha256=${sha256}`);
  }
}

/** Console-script launchers, INSTALLER and the regenerated RECORD of one wheel. */
function planGenerated(ctx: PlanContext, w: WheelPlan): void {
  const c = w.contents;
  for (const ep of c.entryPoints ? parseScriptEntryPoints(c.entryPoints, `${w.label}: entry_points.txt`) : []) {
    const dest = posix.join(ctx.target.scriptsDir, ep.name);
    ctx.files.delete(dest); // the generated launcher replaces a same-named .data/scripts file, as pip does
    addBytes(ctx, w, dest, 0o755, Buffer.from(launcherScript(ep, ctx.target.pythonPath)));
  }
  const distDir = posix.join(ctx.target.sitePackages, c.distInfo);
  addBytes(ctx, w, posix.join(distDir, "INSTALLER"), 0o644, Buffer.from("map-build\n"));
  const recordPath = posix.join(distDir, "RECORD");
  const rows = [...w.rows, [posix.relative(ctx.target.sitePackages, recordPath), "", ""]];
  // the last row for a path wins: a launcher that replaced a same-named script lists its own digest
  const byPath = new Map(rows.map((r) => [r[0]!, r]));
  const recordText = [...byPath.values()]
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)).map(csvLine).join("\n") + "\n";
  const data = Buffer.from(recordText);
  ctx.files.set(recordPath, { entry: { type: "file", path: recordPath, mode: 0o644, size: data.length, source: { kind: "bytes", data }, ...ctx.own }, owner: w.owner });
}

async function planWheel(ctx: PlanContext, wheel: WheelToInstall): Promise<CoreMetadata> {
  const contents = await readWheel(wheel.file);
  const label = wheel.filename ?? posix.basename(wheel.file);
  for (const m of contents.members) { checkName(label, m.name); checkType(label, m); }
  checkLimits(label, contents.members, ctx.limits);
  const w: WheelPlan = { file: wheel.file, label, owner: `${contents.metadata.name} ${contents.metadata.version}`, contents, rows: [] };
  await planMembers(ctx, w);
  planGenerated(ctx, w);
  return contents.metadata;
}

/**
 * Directories below the outermost install root (the root included), owned like the files; the
 * layer writer adds the ancestors that already exist in the base.
 */
function directoryEntries(ctx: PlanContext): DirEntry[] {
  const roots = [ctx.target.sitePackages, ctx.target.scriptsDir, ctx.dataDir].sort((a, b) => a.length - b.length).map((r) => `${r}/`);
  const dirs = new Set<string>();
  for (const p of ctx.files.keys()) {
    const root = roots.find((r) => p.startsWith(r))?.slice(0, -1);
    if (!root) continue;
    for (let d = posix.dirname(p); d.length >= root.length && d !== "/"; d = posix.dirname(d)) dirs.add(d);
  }
  return [...dirs].map((path) => ({ type: "dir", path, mode: 0o755, ...ctx.own }));
}

/** The distributions wheels install, sorted by name: built once per build, from metadata already read. */
export function installedDists(metadata: readonly CoreMetadata[]): InstallPlan["installed"] {
  return metadata.map((md) => ({ name: md.name, version: md.version, ...(md.license ? { license: md.license } : {}) })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The layer entries for one or more wheels (deterministic: sorted by path). */
export async function planWheelEntries(wheels: readonly WheelToInstall[], target: InstallTarget, limits: InstallLimits = {}): Promise<LayerEntry[]> {
  return (await planAll(wheels, target, limits)).entries;
}

/** planWheelEntries plus the distributions installed, for a caller that has not read the wheels' metadata. */
export async function planWheelInstall(wheels: readonly WheelToInstall[], target: InstallTarget, limits: InstallLimits = {}): Promise<InstallPlan> {
  const { entries, metadata } = await planAll(wheels, target, limits);
  return { entries, installed: installedDists(metadata) };
}

async function planAll(wheels: readonly WheelToInstall[], target: InstallTarget, limits: InstallLimits): Promise<{ entries: LayerEntry[]; metadata: CoreMetadata[] }> {
  const ctx: PlanContext = {
    // one spelling of site-packages, so paths below it can be built and cut by concatenation
    target: { ...target, sitePackages: posix.normalize(target.sitePackages).replace(/(.)\/+$/, "$1") },
    limits: { ...DEFAULT_LIMITS, ...limits },
    own: { uid: target.uid ?? 0, gid: target.gid ?? 0 },
    dataDir: target.dataDir ?? posix.dirname(target.scriptsDir),
    pyXY: /python(\d+\.\d+)/.exec(target.sitePackages)?.[1],
    files: new Map(),
  };
  const metadata: CoreMetadata[] = [];
  for (const w of wheels) metadata.push(await planWheel(ctx, w));
  const entries: LayerEntry[] = [...directoryEntries(ctx), ...[...ctx.files.values()].map((f) => f.entry)]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, metadata };
}
