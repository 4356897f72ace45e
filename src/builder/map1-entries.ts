/**
 * The new layers of a MAP 1.0 as layer entries (map-format.md §2, §3): the run-as user (account
 * files, home from /etc/skel, the removed `ubuntu` home), then what holoscan-cli COPYs (docs,
 * libraries, input data, app) and the skeleton (manifests, app.yaml, tools, work dirs).
 */
import { basename, posix } from "node:path";
import { MapBuildError } from "../errors.js";
import { z } from "zod";
import type { MergedFiles } from "../image/index.js";
import type { BaseScanner, BaseScanPart } from "./base-scan.js";
import type { DirEntry, LayerEntry } from "../layer/index.js";
import { planFromDisk } from "../layer/index.js";
import { isIgnored } from "../map/index.js";
import { addRunUser, type AccountEdit, type NewUser } from "../map1/index.js";
import {
  MAP1_APP_DIR, MAP1_APP_JSON, MAP1_CONFIG_PATH, MAP1_DOCS_DIR, MAP1_INPUT_PATH, MAP1_LIB_DIR, MAP1_MANIFEST_DIR,
  MAP1_OUTPUT_PATH, MAP1_PKG_JSON, MAP1_TOOLS_PATH, MAP1_WORK_DIR,
} from "../map1/index.js";
import type { PlannedLayer } from "../map/index.js";

const ACCOUNT_FILES = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"] as const;
const LOGIN_DEFS = "/etc/login.defs";
const SKEL = "/etc/skel";

const ignore = (rel: string, isDir: boolean) => isIgnored(rel, isDir);

function bytesFile(path: string, data: Uint8Array, mode: number, uid = 0, gid = 0): LayerEntry {
  return { type: "file", path, mode, uid, gid, size: data.length, source: { kind: "bytes", data } };
}

function whiteout(path: string): LayerEntry {
  return bytesFile(posix.join(posix.dirname(path), `.wh.${posix.basename(path)}`), new Uint8Array(0), 0o644);
}

export interface UserLayer {
  layer: PlannedLayer;
  edit: AccountEdit;
}

const FileInfoSchema = z.object({ type: z.enum(["file", "dir", "symlink", "hardlink"]), mode: z.number(), uid: z.number(), gid: z.number(), mtime: z.number(), size: z.number() });
const AccountScanSchema = z.object({ v: z.literal(1), files: z.array(z.tuple([z.string(), FileInfoSchema])), contents: z.record(z.string(), z.string()) });

const wanted = (p: string) => (ACCOUNT_FILES as readonly string[]).includes(p) || p === LOGIN_DEFS || p.startsWith(`${SKEL}/`);

/**
 * The account part of the build's one base scan (base-scan.ts): the base's account files,
 * login.defs, /etc/skel and what is under /home and /var/mail (merged, whiteouts honoured).
 */
export const ACCOUNT_SCAN: BaseScanPart<z.infer<typeof AccountScanSchema>> = {
  kind: "map1-accounts",
  schema: AccountScanSchema,
  relevant: (p) => wanted(p) || p.startsWith("/home/") || p.startsWith("/var/mail/"),
  capture: wanted,
  derive: (m) => ({ v: 1, files: [...m.files], contents: Object.fromEntries([...m.contents].map(([p, b]) => [p, b.toString("base64")])) }),
};

/** Plan the user's layer from the base's account files and skel (`scanner` must include ACCOUNT_SCAN). */
export async function userLayer(scanner: BaseScanner, user: NewUser): Promise<UserLayer> {
  const scan = await scanner.get(ACCOUNT_SCAN);
  const merged: MergedFiles = { files: new Map(scan.files), contents: new Map(Object.entries(scan.contents).map(([p, b]) => [p, Buffer.from(b, "base64")])) };
  const text = (p: string) => merged.contents.get(p)?.toString("utf8");
  const passwd = text("/etc/passwd");
  if (passwd === undefined) {
    throw new MapBuildError("E_USAGE", "the base image has no /etc/passwd, so no user can be added to it", {
      hint: "use a base image with a regular Linux userland (Debian, Ubuntu, NGC images)",
    });
  }
  const edit = addRunUser({ passwd, group: text("/etc/group"), shadow: text("/etc/shadow"), gshadow: text("/etc/gshadow"), loginDefs: text(LOGIN_DEFS) }, user);
  const entries: LayerEntry[] = [];
  for (const path of ACCOUNT_FILES) {
    const name = posix.basename(path) as keyof AccountEdit["files"];
    const content = edit.files[name];
    const meta = merged.files.get(path);
    if (content === undefined || !meta) continue;
    entries.push(bytesFile(path, Buffer.from(content, "utf8"), meta.mode, meta.uid, meta.gid));
  }
  if (edit.removedHome && merged.files.has(edit.removedHome)) entries.push(whiteout(edit.removedHome));
  if (merged.files.has("/var/mail/ubuntu") && edit.removedHome) entries.push(whiteout("/var/mail/ubuntu"));
  const ids = { uid: user.uid, gid: user.gid };
  entries.push({ type: "dir", path: edit.home, mode: edit.homeMode, ...ids });
  for (const [path, f] of merged.files) {
    if (!path.startsWith(`${SKEL}/`)) continue;
    const target = `${edit.home}/${path.slice(SKEL.length + 1)}`;
    if (f.type === "dir") entries.push({ type: "dir", path: target, mode: f.mode, ...ids });
    const data = merged.contents.get(path);
    if (f.type === "file" && data) entries.push(bytesFile(target, data, f.mode, user.uid, user.gid));
  }
  return {
    edit,
    layer: {
      id: "user",
      entries,
      createdBy: `map-build: userdel -r ubuntu; groupadd -f -g ${user.gid} ${user.name}; useradd -rm -d ${edit.home} -s /bin/bash -g ${user.gid}${edit.sudo ? " -G sudo" : ""} -u ${user.uid} ${user.name}`,
      compressible: true,
    },
  };
}

/** Folders the user's pip install writes into are the user's, as `pip install --user` made them. */
export function ownUserSite(entries: readonly LayerEntry[], home: string, homeMode: number, ids: { uid: number; gid: number }): LayerEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const dirs = new Map<string, DirEntry>();
  for (const e of entries) {
    for (let p = posix.dirname(e.path); p.startsWith(`${home}/`) || p === home; p = posix.dirname(p)) {
      if (!have.has(p) && !dirs.has(p)) dirs.set(p, { type: "dir", path: p, mode: p === home ? homeMode : 0o755, ...ids });
    }
  }
  return [...entries, ...dirs.values()];
}

/** A host folder's contents (dockerignore filter applied) under an image folder, root-owned. */
export async function folderLayer(id: string, source: string, target: string): Promise<PlannedLayer> {
  return { id, entries: await planFromDisk([{ source, target }], { ignore }), createdBy: `map-build: COPY ${basename(source)} ${target}`, compressible: true };
}

export async function docsLayer(docs: string): Promise<PlannedLayer> {
  return folderLayer("docs", docs, MAP1_DOCS_DIR);
}

/** `--add` folders merged into /opt/holoscan/lib; returns the sub-folders for LD_LIBRARY_PATH/PYTHONPATH. */
export async function libLayer(folders: readonly string[]): Promise<{ layer: PlannedLayer; libPaths: string[] }> {
  const entries = await planFromDisk(folders.map((source) => ({ source, target: MAP1_LIB_DIR })), { ignore });
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const libPaths = [...byPath.values()].filter((e) => e.type === "dir" && e.path !== MAP1_LIB_DIR).map((e) => e.path).sort();
  return { layer: { id: "lib", entries: [...byPath.values()], createdBy: `map-build: COPY lib ${MAP1_LIB_DIR}`, compressible: true }, libPaths };
}

/** The app: a folder's contents, or the whole folder of a `.py` file or executable. */
export async function map1AppLayer(appFolder: string): Promise<PlannedLayer> {
  return folderLayer("app", appFolder, MAP1_APP_DIR);
}

export interface SkeletonInput {
  appJson: Uint8Array;
  pkgJson: Uint8Array;
  appYaml: Uint8Array;
  tools: string;
  uid: number;
}

export function map1SkeletonLayer(s: SkeletonInput): PlannedLayer {
  // `chown -R <user>` of the work, input and output dirs: owner only, group stays root
  const owned = (path: string): DirEntry => ({ type: "dir", path, mode: 0o755, uid: s.uid, gid: 0 });
  const root = (path: string): DirEntry => ({ type: "dir", path, mode: 0o755, uid: 0, gid: 0 });
  const entries: LayerEntry[] = [
    root(MAP1_MANIFEST_DIR),
    root("/opt/holoscan"),
    root(MAP1_APP_DIR),
    owned(MAP1_WORK_DIR),
    owned(MAP1_INPUT_PATH),
    owned(MAP1_OUTPUT_PATH),
    bytesFile(MAP1_APP_JSON, s.appJson, 0o644),
    bytesFile(MAP1_PKG_JSON, s.pkgJson, 0o644),
    bytesFile(MAP1_CONFIG_PATH, s.appYaml, 0o644),
    bytesFile(MAP1_TOOLS_PATH, Buffer.from(s.tools, "utf8"), 0o755),
  ];
  return { id: "map", entries, createdBy: "map-build: MAP 1.0 manifests /etc/holoscan, app.yaml, tools, work dirs", compressible: true };
}
