/**
 * Installing wheels as layer entries, like `pip install --user` would on the target: files are
 * verified against RECORD, `.data/` is spread over the scheme, scripts get the target's shebang,
 * console-script launchers, INSTALLER and a regenerated RECORD are added. Nothing is written; file
 * contents are streamed from the wheel on disk when the layer is written (and verified again).
 * Memory: only dist-info files, scripts and launchers are held (small); members are never buffered.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { Transform, type Readable } from "node:stream";
import { MapBuildError } from "../errors.js";
import type { DirEntry, FileEntry, LayerEntry } from "../layer/index.js";
import { launcherScript, parseScriptEntryPoints } from "./console-scripts.js";
import { csvLine, readWheel, type LicenseMetadata, type WheelContents } from "./wheel-metadata.js";
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
 * A member's bytes as the layer is written, checked in that same pass: the sha256 must be the one
 * RECORD (or a plan-time hash) gave and the size the central directory's, else the write fails.
 * `inflated` counts members opened (tests check that a cache hit inflates nothing).
 */
function verifiedStream(file: string, label: string, m: ZipMember, sha256: string): () => Promise<Readable> {
  return async () => {
    const h = createHash("sha256");
    let size = 0;
    const check = new Transform({
      transform(chunk: Buffer, _e, cb) { h.update(chunk); size += chunk.length; cb(null, chunk); },
      flush(cb) {
        cb(b64url(h.digest()) === sha256 && size === m.size ? null : new MapBuildError("E_DIGEST_MISMATCH", `${label}: "${m.name}" does not match its RECORD entry (hash or size differs)`, { hint: "the wheel is corrupt or was tampered with (or changed during the build); re-download it" }));
      },
    });
    installHooks.onOpenMember?.(label, m.name);
    const src = await openZipMember(file, m);
    src.on("error", (e) => check.destroy(e));
    return src.pipe(check);
  };
}

/** Test hooks: count the wheel members opened for their content. */
export const installHooks: { onOpenMember?: (wheel: string, member: string) => void } = {};

/** Plan the entries for one or more wheels (deterministic: sorted by path). */
export async function planWheelInstall(wheels: readonly WheelToInstall[], target: InstallTarget, limits: InstallLimits = {}): Promise<InstallPlan> {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const files = new Map<string, { entry: FileEntry; owner: string }>();
  const installed: InstallPlan["installed"] = [];
  const own = { uid: target.uid ?? 0, gid: target.gid ?? 0 };
  const dataDir = target.dataDir ?? posix.dirname(target.scriptsDir);
  const pyXY = /python(\d+\.\d+)/.exec(target.sitePackages)?.[1];

  const add = (path: string, mode: number, size: number, source: FileEntry["source"], owner: string) => {
    const prev = files.get(path);
    if (prev && prev.owner !== owner) {
      throw new MapBuildError("E_PYTHON_DEPS", `${owner} and ${prev.owner} both install ${path}`, { hint: "two wheels provide the same file; keep only one of the packages" });
    }
    files.set(path, { entry: { type: "file", path, mode, size, source, ...own }, owner });
  };

  for (const w of wheels) {
    const c: WheelContents = await readWheel(w.file);
    const label = w.filename ?? posix.basename(w.file);
    for (const m of c.members) { checkName(label, m.name); checkType(label, m); }
    checkLimits(label, c.members, lim);
    const owner = `${c.metadata.name} ${c.metadata.version}`;
    const record = new Map(c.record.map((r) => [r.path, r]));
    const dataPrefix = `${c.distInfo.replace(/\.dist-info$/, "")}.data/`;
    const rows: string[][] = [];
    const rel = (abs: string) => posix.relative(target.sitePackages, abs);

    for (const m of c.members) {
      if (m.isDirectory) continue;
      const isRecordFile = /^[^/]+\.dist-info\/RECORD(\.jws|\.p7s)?$/.test(m.name);
      if (isRecordFile) continue; // regenerated below; signatures no longer match a new RECORD
      const row = record.get(m.name);
      if (!row) refuse(label, `"${m.name}" is not listed in RECORD`, "the wheel was modified after it was built; rebuild or re-download it");
      const hm = /^([a-z0-9]+)=(.+)$/.exec(row.hash);
      if (!hm || !RECORD_ALGOS.has(hm[1]!)) refuse(label, `RECORD has no usable hash for "${m.name}" (${row.hash || "empty"})`);
      if (row.size !== "" && Number(row.size) !== m.size) {
        throw new MapBuildError("E_DIGEST_MISMATCH", `${label}: "${m.name}" does not match its RECORD entry (hash or size differs)`, { hint: "the wheel is corrupt or was tampered with; re-download it" });
      }
      // sha256 RECORD digests are checked while the layer is written (one pass); other algorithms now
      const got = hm[1] === "sha256" ? { sha256: hm[2]!.replace(/=+$/, ""), size: m.size } : await hashMember(w.file, m, hm[1]!);
      if (hm[1] !== "sha256" && ((got as { recordDigest: string }).recordDigest !== hm[2]!.replace(/=+$/, "") || got.size !== m.size)) {
        throw new MapBuildError("E_DIGEST_MISMATCH", `${label}: "${m.name}" does not match its RECORD entry (hash or size differs)`, { hint: "the wheel is corrupt or was tampered with; re-download it" });
      }
      let dest: string;
      let script = false;
      if (m.name.startsWith(dataPrefix)) {
        const restAll = m.name.slice(dataPrefix.length);
        const slash = restAll.indexOf("/");
        const scheme = restAll.slice(0, slash), rest = restAll.slice(slash + 1);
        if (slash < 0 || !rest) refuse(label, `"${m.name}" is not inside a .data scheme directory`);
        switch (scheme) {
          case "purelib": case "platlib": dest = posix.join(target.sitePackages, rest); break;
          case "scripts": dest = posix.join(target.scriptsDir, rest); script = true; break;
          case "data": dest = posix.join(dataDir, rest); break;
          case "headers": dest = posix.join(dataDir, "include", pyXY ? `python${pyXY}` : "", c.metadata.name, rest); break;
          default: refuse(label, `unknown .data scheme "${scheme}" in "${m.name}"`);
        }
      } else {
        dest = posix.join(target.sitePackages, m.name);
      }
      if (script) {
        // pip rewrites `#!python` / `#!pythonw` to the target interpreter; other scripts keep their bytes.
        let data = await readZipMember(w.file, m);
        if (b64url(createHash("sha256").update(data).digest()) !== got.sha256 || data.length !== m.size) {
          throw new MapBuildError("E_DIGEST_MISMATCH", `${label}: "${m.name}" does not match its RECORD entry (hash or size differs)`, { hint: "the wheel is corrupt or was tampered with; re-download it" });
        }
        if (data.subarray(0, 8).toString("latin1") === "#!python") {
          const nl = data.indexOf(0x0a);
          const first = data.subarray(0, nl < 0 ? data.length : nl).toString("utf8");
          const tail = first.replace(/^#!pythonw?/, "");
          data = Buffer.concat([Buffer.from(`#!${target.pythonPath}${tail}`), nl < 0 ? Buffer.alloc(0) : data.subarray(nl)]);
        }
        add(dest, 0o755, data.length, { kind: "bytes", data }, owner);
        rows.push([rel(dest), `sha256=${b64url(createHash("sha256").update(data).digest())}`, String(data.length)]);
      } else {
        const mode = m.unixMode & 0o111 ? 0o755 : 0o644;
        add(dest, mode, got.size, { kind: "stream", open: verifiedStream(w.file, label, m, got.sha256), sha256: Buffer.from(got.sha256, "base64url").toString("hex") }, owner);
        rows.push([rel(dest), `sha256=${got.sha256}`, String(got.size)]);
      }
    }

    for (const ep of c.entryPoints ? parseScriptEntryPoints(c.entryPoints, `${label}: entry_points.txt`) : []) {
      const data = Buffer.from(launcherScript(ep, target.pythonPath));
      const dest = posix.join(target.scriptsDir, ep.name);
      files.delete(dest); // the generated launcher replaces a same-named .data/scripts file, as pip does
      add(dest, 0o755, data.length, { kind: "bytes", data }, owner);
      rows.push([rel(dest), `sha256=${b64url(createHash("sha256").update(data).digest())}`, String(data.length)]);
    }

    const distDir = posix.join(target.sitePackages, c.distInfo);
    const installer = Buffer.from("map-build\n");
    add(posix.join(distDir, "INSTALLER"), 0o644, installer.length, { kind: "bytes", data: installer }, owner);
    rows.push([rel(posix.join(distDir, "INSTALLER")), `sha256=${b64url(createHash("sha256").update(installer).digest())}`, String(installer.length)]);
    const recordPath = posix.join(distDir, "RECORD");
    rows.push([rel(recordPath), "", ""]);
    const seen = new Set<string>();
    const recordText = rows.filter((r) => !seen.has(r[0]!) && seen.add(r[0]!))
      .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)).map(csvLine).join("\n") + "\n";
    const recordBytes = Buffer.from(recordText);
    add(recordPath, 0o644, recordBytes.length, { kind: "bytes", data: recordBytes }, owner);
    installed.push({ name: c.metadata.name, version: c.metadata.version, ...(c.metadata.license ? { license: c.metadata.license } : {}) });
  }

  // Directories below the outermost install root (the root included), owned like the files; the
  // layer writer adds the ancestors that already exist in the base.
  const roots = [target.sitePackages, target.scriptsDir, dataDir];
  const dirs = new Set<string>();
  for (const p of files.keys()) {
    const root = roots.filter((r) => p.startsWith(`${r}/`)).sort((a, b) => a.length - b.length)[0];
    if (!root) continue;
    for (let d = posix.dirname(p); d.length >= root.length && d !== "/"; d = posix.dirname(d)) dirs.add(d);
  }
  const dirEntries: DirEntry[] = [...dirs].map((path) => ({ type: "dir", path, mode: 0o755, ...own }));
  const entries: LayerEntry[] = [...dirEntries, ...[...files.values()].map((f) => f.entry)]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  installed.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { entries, installed };
}
