/**
 * `inspect` reads a local archive's tar headers once per command, however often it opens the
 * archive: to recognise a bare path, to list an index's platforms, to open each platform's image,
 * to find the SBOMs attached to it. Reads are counted through the reader the command is given.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { runInspect } from "../../../src/cli/inspect-command.js";
import type { CliIO } from "../../../src/cli/io.js";
import { indexTar, type TarIndexReader } from "../../../src/image/index.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { writeBlob, writeTinyLayout } from "./tiny-layout.js";

const SBOM_TYPE = "application/vnd.cyclonedx+json";

/** Two tiny images under one image index (linux/amd64, linux/arm64), an SBOM attached to the first. */
async function writeIndexLayout(dir: string): Promise<void> {
  await writeTinyLayout(dir, ["amd64", "arm64"]);
  const images = (JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: { digest: string; size: number; mediaType: string }[] }).manifests;
  const index = await writeBlob(dir, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: images.map((m, i) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { os: "linux", architecture: i === 0 ? "amd64" : "arm64" } })),
  })));
  const empty = await writeBlob(dir, Buffer.from("{}"));
  const sbom = await writeBlob(dir, Buffer.from('{"bomFormat":"CycloneDX"}\n'));
  const artifact = await writeBlob(dir, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: SBOM_TYPE,
    config: { mediaType: "application/vnd.oci.empty.v1+json", ...empty },
    layers: [{ mediaType: SBOM_TYPE, ...sbom }],
    subject: { mediaType: images[0]!.mediaType, digest: images[0]!.digest, size: images[0]!.size },
  })));
  await writeFile(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [
      { mediaType: "application/vnd.oci.image.index.v1+json", ...index, annotations: { "org.opencontainers.image.ref.name": "multi" } },
      { mediaType: "application/vnd.oci.image.manifest.v1+json", ...artifact, artifactType: SBOM_TYPE },
    ],
  }));
}

function archive(layout: string, file: string): string {
  execFileSync("tar", ["-C", layout, "-cf", file, "oci-layout", "index.json", "blobs"]);
  return file;
}

function testIO(cwd: string): { io: CliIO; out: () => string } {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const stderr = new PassThrough();
  stderr.resume();
  const stdin = new PassThrough();
  stdin.end();
  return { io: { stdout, stderr, stdin, env: {}, cwd, signal: new AbortController().signal }, out: () => Buffer.concat(chunks).toString("utf8") };
}

/** Runs `inspect image` with `flags`, counting the archive header reads. */
async function inspectCounting(image: string, cwd: string, flags: { sbom?: boolean; platform?: string } = {}): Promise<{ reads: number; code: number; stdout: string }> {
  let reads = 0;
  const counting: TarIndexReader = (file, what) => {
    reads++;
    return indexTar(file, what);
  };
  const { io, out } = testIO(cwd);
  const code = await runInspect(image, { sdk: true, base: false, ...flags }, io, false, { readTarIndex: counting });
  return { reads, code, stdout: out() };
}

describe("inspect of an archive reads its tar headers once", () => {
  const dirs = scratchDirs("mb-inspect-reads-");

  it("a one-image oci-archive: opened for its platforms and its image, read once", async () => {
    const dir = await dirs.fresh("one");
    const file = archive(await writeTinyLayout(join(dir, "layout"), ["only"]), join(dir, "one.tar"));
    const r = await inspectCounting(`oci-archive:${file}`, dir);
    assert.match(r.stdout, /^image {7}sha256:/m, "the image was inspected");
    assert.equal(r.reads, 1);
  });

  it("an index of two platforms, by transport and by bare path, report and SBOMs: read once each time", async () => {
    const dir = await dirs.fresh("index");
    await writeIndexLayout(join(dir, "layout"));
    const file = archive(join(dir, "layout"), join(dir, "multi.tar"));
    for (const image of [`oci-archive:${file}`, file]) {
      const report = await inspectCounting(image, dir);
      assert.match(report.stdout, /^platforms {3}linux\/amd64, linux\/arm64$/m, image);
      assert.equal(report.reads, 1, `${image}: report of both platforms`);

      const sboms = await inspectCounting(image, dir, { sbom: true });
      assert.equal(sboms.code, 0);
      assert.match(sboms.stdout, /^# linux\/amd64 application\/vnd\.cyclonedx\+json sha256:[0-9a-f]{64}\n\{"bomFormat":"CycloneDX"\}\n$/, image);
      assert.equal(sboms.reads, 1, `${image}: SBOMs of both platforms`);
    }
  });
});
