/**
 * A loopback index whose unpinned requirements need backtracking to resolve: `app-a` and `app-b`,
 * where the newest app-b pulls in `mid`, whose requirement on `shared` conflicts with the newest
 * app-a's. Also a pre-release, a Requires-Python that excludes a version, and a marker dependency.
 * pip's own answer for the same index is kept in fixtures/python/backtrack-pip.json (see that file).
 */
import { makeWheel, type WheelSpec } from "./wheel-factory.js";
import { startIndex, type IndexFileSpec, type IndexServer } from "./index-server.js";

const pkg = (name: string, version: string, requires: string[] = [], requiresPython?: string): WheelSpec => ({
  name, version, requires, ...(requiresPython ? { requiresPython } : {}),
  files: { [`${name.replace(/-/g, "_")}/__init__.py`]: `VERSION = "${version}"\n` },
});

export const BACKTRACK_WHEELS: WheelSpec[] = [
  pkg("app-a", "1.0", ["shared"]),
  pkg("app-a", "2.0", ["shared>=1,<2", 'winonly ; sys_platform == "win32"']),
  pkg("app-a", "3.0", ["shared>=2"]),
  pkg("app-b", "1.0", ["shared"]),
  pkg("app-b", "2.0", ["mid"]),
  pkg("app-b", "3.0", ["shared"], ">=3.13"),
  pkg("mid", "1.0", ["shared<2"]),
  pkg("shared", "1.0"),
  pkg("shared", "1.5"),
  pkg("shared", "2.0"),
  pkg("shared", "2.1"),
  pkg("shared", "3.0rc1"),
];

export const BACKTRACK_REQUIREMENTS = ["app-a", "app-b"];

/**
 * BACKTRACK_WHEELS as index files by project. `metadata`: each wheel's METADATA is also served as a
 * PEP 658 metadata file, announced under PEP 714's name except for `shared` (PEP 658's older name).
 */
export function backtrackProjects(opts: { metadata?: boolean } = {}): Record<string, IndexFileSpec[]> {
  const projects: Record<string, IndexFileSpec[]> = {};
  for (const spec of BACKTRACK_WHEELS) {
    const w = makeWheel(spec);
    (projects[spec.name] ??= []).push({
      filename: w.filename, bytes: w.bytes, sha256: w.sha256, ...(spec.requiresPython ? { requiresPython: spec.requiresPython } : {}),
      ...(opts.metadata ? { metadata: w.metadata, metadataKey: spec.name === "shared" ? "dist-info-metadata" : "core-metadata" } : {}),
    });
  }
  return projects;
}

export function backtrackIndex(opts: { metadata?: boolean } = {}): Promise<IndexServer> {
  return startIndex(backtrackProjects(opts));
}
