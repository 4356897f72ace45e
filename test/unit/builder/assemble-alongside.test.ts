/**
 * Work run alongside the layer writes (the native-library check of the wheels): a failure of
 * either side stops the other through the build's signal, both are awaited before the build
 * settles, and the check's own failure wins over a write's, as when it ran before the writes.
 * Peer-free: a manifest-only base, one layer whose only file never ends until it is destroyed.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { assembleImage, runBuild } from "../../../src/builder/assemble.js";
import { canonicalJson } from "../../../src/image/canonical-json.js";
import { sha256Digest } from "../../../src/digest.js";
import { MediaType } from "../../../src/image/media-types.js";
import type { Image } from "../../../src/image/image.js";
import type { NewLayer } from "../../../src/map/index.js";
import { ociLayoutSink } from "../../../src/sinks/oci-layout.js";
import { makeTempDir } from "../../helpers/tmp.js";

function emptyBase(): Image {
  const config = { architecture: "amd64", os: "linux", rootfs: { type: "layers" as const, diff_ids: [] } };
  const rawConfig = canonicalJson(config);
  const manifest = { schemaVersion: 2 as const, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: sha256Digest(rawConfig), size: rawConfig.length }, layers: [] };
  const raw = canonicalJson(manifest);
  return {
    rawManifest: async () => raw,
    manifest: async () => manifest,
    mediaType: async () => MediaType.ociManifest,
    digest: async () => sha256Digest(raw),
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => [],
  };
}

/** A layer whose one file sends a first chunk and then nothing until destroyed (a write that runs until stopped). */
function endlessLayer(events: string[]): { layer: NewLayer; opened: Promise<void> } {
  let opened!: () => void;
  const openedP = new Promise<void>((r) => (opened = r));
  const stream = () => {
    let sent = false;
    const s = new Readable({
      read() {
        if (!sent) this.push(Buffer.alloc(512, 1));
        sent = true;
      },
    });
    s.on("close", () => events.push("write stopped"));
    opened();
    return s;
  };
  const layer: NewLayer = {
    id: "python-deps",
    deferred: {
      description: "endless",
      plan: async () => [{ type: "file", path: "/big", mode: 0o644, uid: 0, gid: 0, size: 1 << 30, source: { kind: "stream", open: async () => stream() } }],
    },
    createdBy: "test",
    compressible: true,
  };
  return { layer, opened: openedP };
}

async function build(dir: string, planned: NewLayer[], alongside: (signal: AbortSignal) => Promise<void>): Promise<unknown> {
  const opts = { tag: "x:1", sinks: [ociLayoutSink(`${dir}/out`)], noCache: true, tmpDir: dir };
  return runBuild(opts, (ctx) => assembleImage(ctx, opts, { base: emptyBase(), family: "oci", planned, changes: {}, configStep: "test", alongside }));
}

describe("work alongside the layer writes", () => {
  it("a failing check stops the writes, and the build settles only after both", async () => {
    const tmp = await makeTempDir("mb-alongside-");
    try {
      const events: string[] = [];
      const { layer, opened } = endlessLayer(events);
      const strict = new Error("libstdc++.so.6 is missing");
      await assert.rejects(build(tmp.dir, [layer], async () => {
        await opened;
        events.push("check failed");
        throw strict;
      }), (e) => e === strict);
      assert.deepEqual(events, ["check failed", "write stopped"]);
    } finally {
      await tmp.cleanup();
    }
  });

  it("a failing write stops the check, whose interruption is not the error", async () => {
    const tmp = await makeTempDir("mb-alongside-");
    try {
      const events: string[] = [];
      const broken: NewLayer = {
        id: "python-deps",
        deferred: { description: "broken", plan: async () => { throw new Error("RECORD mismatch"); } },
        createdBy: "test",
        compressible: true,
      };
      await assert.rejects(build(tmp.dir, [broken], async (signal) => {
        await once(signal, "abort");
        events.push("check stopped");
        throw signal.reason;
      }), /RECORD mismatch/);
      assert.deepEqual(events, ["check stopped"]);
    } finally {
      await tmp.cleanup();
    }
  });

  it("when both fail on their own, the check's failure is the build's, as when it ran first", async () => {
    const tmp = await makeTempDir("mb-alongside-");
    try {
      const broken: NewLayer = {
        id: "python-deps",
        deferred: { description: "broken", plan: async () => { throw new Error("RECORD mismatch"); } },
        createdBy: "test",
        compressible: true,
      };
      const strict = new Error("libstdc++.so.6 is missing");
      await assert.rejects(build(tmp.dir, [broken], async (signal) => {
        await once(signal, "abort");
        throw strict;
      }), (e) => e === strict);
    } finally {
      await tmp.cleanup();
    }
  });
});
