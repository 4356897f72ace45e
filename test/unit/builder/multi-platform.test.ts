/** Platform lists, the base's platforms, and the index a multi-platform build makes (peer-free). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { choosePlatforms, isMultiPlatform, parsePlatformList } from "../../../src/builder/platform-list.js";
import { buildImageIndex, findPlatformImage, platformImageNames, platformTagged } from "../../../src/image/image-index.js";
import { platformFile } from "../../../src/builder/multi-platform.js";
import { canonicalJson } from "../../../src/image/canonical-json.js";
import { sha256Digest } from "../../../src/digest.js";
import { MediaType } from "../../../src/image/media-types.js";
import type { Image } from "../../../src/image/image.js";
import { isMapBuildError } from "../../../src/errors.js";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { indexPlatforms } from "../../../src/builder/base-platforms.js";
import { referrerArtifact } from "../../../src/image/artifact.js";
import { ociLayoutSink } from "../../../src/sinks/oci-layout.js";
import { parseReference } from "../../../src/reference/index.js";
import { makeTempDir } from "../../helpers/tmp.js";

/** A manifest-only image: enough for an index (nothing reads layers). */
function image(architecture: string, mediaType: string = MediaType.ociManifest, variant?: string): Image {
  const config = { architecture, os: "linux", ...(variant ? { variant } : {}), rootfs: { type: "layers" as const, diff_ids: [] } };
  const rawConfig = canonicalJson(config);
  const manifest = { schemaVersion: 2 as const, mediaType, config: { mediaType: MediaType.ociConfig, digest: sha256Digest(rawConfig), size: rawConfig.length }, layers: [] };
  const raw = canonicalJson(manifest);
  return {
    rawManifest: async () => raw,
    manifest: async () => manifest,
    mediaType: async () => mediaType,
    digest: async () => sha256Digest(raw),
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => [],
  };
}

const code = (c: string) => (e: unknown) => isMapBuildError(e) && e.code === c;

describe("platform lists", () => {
  it("parses comma-separated OCI platforms with variants, and all", () => {
    assert.deepEqual(parsePlatformList("linux/amd64, linux/arm64/v8"), [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }]);
    assert.equal(parsePlatformList("all"), "all");
    assert.ok(isMultiPlatform("linux/amd64,linux/arm64"));
    assert.ok(isMultiPlatform("all"));
    assert.ok(!isMultiPlatform("linux/arm64"));
    assert.ok(!isMultiPlatform(undefined));
  });

  it("refuses duplicates, all mixed with names, and an empty list", () => {
    assert.throws(() => parsePlatformList("linux/amd64,linux/amd64"), code("E_USAGE"));
    assert.throws(() => parsePlatformList("all,linux/amd64"), code("E_USAGE"));
    assert.throws(() => parsePlatformList(" , "), code("E_USAGE"));
    assert.throws(() => parsePlatformList("linux/amd64,Linux!"), code("E_USAGE"));
  });

  it("takes each platform as the base offers it; a missing one fails listing what the base offers", () => {
    const offered = [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }];
    assert.deepEqual(choosePlatforms([{ os: "linux", architecture: "arm64" }], offered, "b"), [{ os: "linux", architecture: "arm64", variant: "v8" }]);
    assert.deepEqual(choosePlatforms("all", offered, "b"), [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }]);
    assert.throws(
      () => choosePlatforms([{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "s390x" }], offered, "reg/base:1"),
      (e: unknown) => code("E_PLATFORM_NOT_FOUND")(e) && /reg\/base:1 has no image for linux\/s390x \(it offers: linux\/amd64, linux\/arm64\/v8\)/.test((e as Error).message),
    );
  });
});

describe("multi-platform image index", () => {
  it("an OCI index of the images in the order given, platforms from their configs; deterministic", async () => {
    const [amd, arm] = [image("amd64"), image("arm64", MediaType.ociManifest, "v8")];
    const index = await buildImageIndex([amd, arm]);
    assert.equal(index.mediaType, MediaType.ociIndex);
    const parsed = JSON.parse(index.rawIndex.toString()) as { mediaType: string; manifests: { digest: string; size: number; platform: object }[] };
    assert.equal(parsed.mediaType, MediaType.ociIndex);
    assert.deepEqual(parsed.manifests.map((m) => m.platform), [{ architecture: "amd64", os: "linux" }, { architecture: "arm64", os: "linux", variant: "v8" }]);
    assert.equal(parsed.manifests[1]!.digest, await arm.digest());
    assert.equal(parsed.manifests[1]!.size, (await arm.rawManifest()).length);
    assert.equal(index.digest, sha256Digest(index.rawIndex));
    assert.equal((await buildImageIndex([image("amd64"), image("arm64", MediaType.ociManifest, "v8")])).digest, index.digest);
    assert.equal(findPlatformImage(index, { os: "linux", architecture: "arm64" })?.image, arm);
    assert.equal(findPlatformImage(index, { os: "linux", architecture: "s390x" }), undefined);
  });

  it("Docker v2 images give a Docker manifest list; mixed families and repeated platforms are refused", async () => {
    const index = await buildImageIndex([image("amd64", MediaType.dockerManifest), image("arm64", MediaType.dockerManifest)]);
    assert.equal(index.mediaType, MediaType.dockerManifestList);
    assert.equal((JSON.parse(index.rawIndex.toString()) as { mediaType: string }).mediaType, MediaType.dockerManifestList);
    await assert.rejects(buildImageIndex([image("amd64"), image("arm64", MediaType.dockerManifest)]), code("E_UNSUPPORTED_MEDIA_TYPE"));
    await assert.rejects(buildImageIndex([image("amd64"), image("amd64")]), code("E_USAGE"));
  });

  it("names one platform's image <name>-<arch>[variant]", () => {
    assert.equal(platformTagged("reg/app:1.0", { os: "linux", architecture: "arm64" }), "reg/app:1.0-arm64");
    assert.equal(platformTagged("1.0", { os: "linux", architecture: "arm", variant: "v7" }), "1.0-armv7");
  });
});

describe("per-platform names", () => {
  const arm = { os: "linux", architecture: "arm64" };
  it("SBOM and provenance files get the platform before the format's extension", () => {
    assert.equal(platformFile("/out/ws.cdx.json", arm), "/out/ws.linux-arm64.cdx.json");
    assert.equal(platformFile("ws.prov.json", arm), "ws.linux-arm64.prov.json");
    assert.equal(platformFile("sbom.spdx.json", { ...arm, variant: "v8" }), "sbom.linux-arm64-v8.spdx.json");
    assert.equal(platformFile("bom.json", arm), "bom.linux-arm64.json");
    assert.equal(platformFile("bom", arm), "bom.linux-arm64");
  });

  it("a platform image's own name replaces <tag>-<arch> where a name holds one image", async () => {
    const index = await buildImageIndex([image("amd64"), image("arm64")], ["reg.test/app-x64:1", "reg.test/app-sbsa:1"]);
    assert.deepEqual(index.images.map((e) => platformImageNames(["reg.test/app:1"], e)), [["reg.test/app-x64:1"], ["reg.test/app-sbsa:1"]]);
    const plain = await buildImageIndex([image("amd64"), image("arm64")]);
    assert.equal(plain.digest, index.digest, "names are not part of the index");
    assert.deepEqual(plain.images.map((e) => platformImageNames(["reg.test/app:1"], e)), [["reg.test/app:1-amd64"], ["reg.test/app:1-arm64"]]);
  });
});

describe("a multi-platform OCI layout with attached artifacts", () => {
  it("offers every platform when opened without a name, and each platform has its own referrers", async () => {
    const tmp = await makeTempDir("mb-mp-layout-");
    try {
      const index = await buildImageIndex([image("amd64"), image("arm64")]);
      const referrers = index.images.map((e) => referrerArtifact(e.descriptor, "application/vnd.cyclonedx+json", Buffer.from(`{"p":"${e.platform.architecture}"}`), {}));
      await ociLayoutSink(tmp.dir).writeIndex!(index, { name: parseReference("x.test/app:1"), registry: () => assert.fail("no registry"), referrers });
      assert.deepEqual((await indexPlatforms(`oci:${tmp.dir}:1`, () => assert.fail("no registry")))?.map((p) => p.architecture), ["amd64", "arm64"]);
      const listed = (JSON.parse(await readFile(join(tmp.dir, "index.json"), "utf8")) as { manifests: { digest: string; artifactType?: string }[] }).manifests;
      assert.deepEqual(listed.filter((m) => m.artifactType).map((m) => m.digest), referrers.map((r) => r.descriptor.digest));
      // only the index is named: the platform entries `1-amd64`, `1-arm64` and the artifacts do not hide it
      const bare = await makeTempDir("mb-mp-bare-");
      try {
        await ociLayoutSink(bare.dir).writeIndex!(index, { name: parseReference("x.test/app:1"), registry: () => assert.fail("no registry"), referrers });
        const json = JSON.parse(await readFile(join(bare.dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
        await writeFile(join(bare.dir, "index.json"), JSON.stringify({ ...json, manifests: json.manifests.filter((m) => m.digest === index.digest || referrers.some((r) => r.descriptor.digest === m.digest)) }));
        assert.deepEqual((await indexPlatforms(`oci:${bare.dir}`, () => assert.fail("no registry")))?.map((p) => p.architecture), ["amd64", "arm64"]);
      } finally {
        await bare.cleanup();
      }
    } finally {
      await tmp.cleanup();
    }
  });
});

