/** Pull from the real registry (distribution 2.8): by tag, by digest, through an index, with htpasswd. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sha256Digest } from "../../src/digest.js";
import { MediaType } from "../../src/image/media-types.js";
import { parseReference } from "../../src/reference/parse.js";
import { explicitKeychain } from "../../src/registry/keychain/index.js";
import type { RegistryClient } from "../../src/registry/index.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { fastClient, readLayer, rejectsWithCode } from "./helpers.js";

describe("pull from registry 2.8 without auth", () => {
  let reg: TestRegistry;
  let client: RegistryClient;

  before(async () => {
    reg = await startRegistry();
    await pushPythonBase(reg.host, "base/python", "3");
    client = fastClient();
  });
  after(async () => {
    await client?.close();
    await reg?.stop();
  });

  it("resolves by tag with lazy, verified layers and a validated config", async () => {
    const ref = parseReference(`${reg.host}/base/python:3`);
    const image = await client.resolveImage(ref);
    const manifest = await image.manifest();
    const config = await image.config();
    const layers = await image.layers();
    assert.equal(config.architecture, "amd64");
    assert.equal(layers.length, config.rootfs.diff_ids.length);
    assert.equal(await image.digest(), sha256Digest(await image.rawManifest()));
    assert.deepEqual(layers[0]!.source, { registry: reg.host, repository: "base/python" });
    const got = await readLayer(layers[0]!);
    assert.equal(got.digest, manifest.layers[0]!.digest);
    assert.equal(got.size, manifest.layers[0]!.size);
    assert.equal(await layers[0]!.diffId(), config.rootfs.diff_ids[0]);
  });

  it("resolves by digest, and getManifest checks the digest", async () => {
    const byTag = await client.getManifest(parseReference(`${reg.host}/base/python:3`));
    const byDigest = await client.getManifest(parseReference(`${reg.host}/base/python@${byTag.digest}`));
    assert.deepEqual(byDigest.bytes, byTag.bytes);
    assert.equal(byDigest.mediaType, byTag.mediaType);
    const image = await client.resolveImage(parseReference(`${reg.host}/base/python@${byTag.digest}`));
    assert.equal(await image.digest(), byTag.digest);
    const head = await client.headManifest(parseReference(`${reg.host}/base/python:3`));
    assert.equal(head?.digest, byTag.digest);
    assert.equal(head?.size, byTag.bytes.length);
    assert.equal(await client.headManifest(parseReference(`${reg.host}/base/python:nope`)), undefined);
  });

  it("maps unknown tags, repositories and blobs to stable codes", async () => {
    await rejectsWithCode(client.getManifest(parseReference(`${reg.host}/base/python:nope`)), "E_MANIFEST_UNKNOWN");
    // registry 2.8 answers MANIFEST_UNKNOWN (not NAME_UNKNOWN) for a repository it never saw.
    const e = await rejectsWithCode(client.resolveImage(parseReference(`${reg.host}/no/such:1`)), "E_MANIFEST_UNKNOWN");
    assert.match(e.message, /no\/such/);
    const repo = parseReference(`${reg.host}/base/python:3`);
    const missing = sha256Digest("missing");
    assert.equal(await client.blobExists(repo, missing), false);
    await rejectsWithCode(readAll(client.fetchBlob(repo, missing)), "E_BLOB_UNKNOWN");
  });

  it("selects a platform from a multi-platform index and skips attestations", async () => {
    const base = await client.resolveImage(parseReference(`${reg.host}/base/python:3`));
    const target = parseReference(`${reg.host}/multi/python:arm`);
    // An arm64 twin: same layers, config with another architecture.
    const armConfig = Buffer.from(JSON.stringify({ ...(await base.config()), architecture: "arm64", variant: "v8" }));
    const armManifest = { ...(await base.manifest()) };
    armManifest.config = { ...armManifest.config, digest: sha256Digest(armConfig), size: armConfig.length };
    // An in-toto attestation manifest (what buildx adds as unknown/unknown).
    const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}');
    const empty = Buffer.from("{}");
    const attestation = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256Digest(empty), size: 2 },
      layers: [{ mediaType: "application/vnd.in-toto+json", digest: sha256Digest(statement), size: statement.length }],
    }));
    for (const layer of await base.layers()) {
      assert.equal(await client.pushBlob(target, { digest: await layer.digest(), size: await layer.size(), open: () => layer.open(), source: layer.source }), "mounted");
    }
    for (const b of [armConfig, statement, empty, await base.rawConfig()]) {
      await client.pushBlob(target, { digest: sha256Digest(b), size: b.length, open: async () => bufStream(b) });
    }
    const armBytes = Buffer.from(JSON.stringify(armManifest));
    const baseMt = await base.mediaType();
    const armDigest = await client.putManifest(target, armBytes, baseMt);
    const attDigest = await client.putManifest(parseReference(`${reg.host}/multi/python:att`), attestation, MediaType.ociManifest);
    const amdBytes = await base.rawManifest();
    await client.putManifest(parseReference(`${reg.host}/multi/python:amd`), amdBytes, baseMt);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: baseMt, digest: await base.digest(), size: amdBytes.length, platform: { os: "linux", architecture: "amd64" } },
        { mediaType: MediaType.ociManifest, digest: attDigest, size: attestation.length, platform: { os: "unknown", architecture: "unknown" } },
        { mediaType: baseMt, digest: armDigest, size: armBytes.length, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      ],
    }));
    const indexRef = parseReference(`${reg.host}/multi/python:latest`);
    const indexDigest = await client.putManifest(indexRef, index, MediaType.ociIndex);
    assert.equal(indexDigest, sha256Digest(index));

    const fetched = await client.getManifest(indexRef);
    assert.equal(fetched.mediaType, MediaType.ociIndex);
    const amd = await client.resolveImage(indexRef, { platform: { os: "linux", architecture: "amd64" } });
    assert.equal(await amd.digest(), await base.digest());
    const arm = await client.resolveImage(indexRef, { platform: { os: "linux", architecture: "arm64" } });
    assert.equal(await arm.digest(), armDigest);
    assert.equal((await arm.config()).architecture, "arm64");
    assert.equal((await arm.layers())[0]!.source?.repository, "multi/python");
    const byDigest = await client.resolveImage(parseReference(`${reg.host}/multi/python@${indexDigest}`));
    assert.equal(await byDigest.digest(), await base.digest()); // host platform: amd64
    await rejectsWithCode(client.resolveImage(indexRef, { platform: { os: "unknown", architecture: "unknown" } }), "E_PLATFORM_NOT_FOUND");
    // The attestation itself is not an image.
    await rejectsWithCode(client.resolveImage(parseReference(`${reg.host}/multi/python:att`)), "E_UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("pull from registry 2.8 with htpasswd", () => {
  let reg: TestRegistry;

  before(async () => {
    reg = await startRegistry({ user: "alice:s3cret" });
    await pushPythonBase(reg.host, "base/python", "3", "alice:s3cret");
  });
  after(async () => reg?.stop());

  it("refuses anonymous pulls with E_UNAUTHORIZED and a hint", async () => {
    const client = fastClient();
    try {
      const e = await rejectsWithCode(client.resolveImage(parseReference(`${reg.host}/base/python:3`)), "E_UNAUTHORIZED");
      assert.ok(e.hint);
    } finally {
      await client.close();
    }
  });

  it("refuses a wrong password without leaking it", async () => {
    const client = fastClient({ keychain: explicitKeychain(reg.host, { username: "alice", password: "wrong-pass-XYZ" }) });
    try {
      const e = await rejectsWithCode(client.getManifest(parseReference(`${reg.host}/base/python:3`)), "E_UNAUTHORIZED");
      assert.doesNotMatch(JSON.stringify({ m: e.message, h: e.hint, u: (e as { url?: string }).url }), /wrong-pass-XYZ/);
    } finally {
      await client.close();
    }
  });

  it("pulls with Basic credentials from the keychain", async () => {
    const client = fastClient({ keychain: explicitKeychain(reg.host, { username: "alice", password: "s3cret" }) });
    try {
      const image = await client.resolveImage(parseReference(`${reg.host}/base/python:3`));
      const layers = await image.layers();
      const got = await readLayer(layers[0]!);
      assert.equal(got.digest, await layers[0]!.digest());
    } finally {
      await client.close();
    }
  });
});

async function readAll(s: NodeJS.ReadableStream): Promise<void> {
  for await (const _ of s) void _;
}

async function bufStream(b: Buffer) {
  const { Readable } = await import("node:stream");
  return Readable.from([b]);
}
