/** The cache-repository entry format: stable bytes per key, nothing of the key in clear, and every malformed or mismatching entry refused. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { entryTag, parseEntry, renderEntry, type EntryLayer } from "../../../src/cache-repo/index.js";
import { parseCacheRepo } from "../../../src/cache-repo/index.js";
import { MediaType } from "../../../src/image/index.js";
import { sha256Digest } from "../../../src/digest.js";

const KEY = "a".repeat(64);
const gzip: EntryLayer = { digest: sha256Digest("blob"), diffId: sha256Digest("tar"), size: 4, mediaType: MediaType.ociLayerGzip };

function edited(edit: (m: { layers: Record<string, unknown>[]; annotations: Record<string, string> }) => void): Buffer {
  const m = JSON.parse(renderEntry(KEY, gzip).bytes.toString("utf8")) as { layers: Record<string, unknown>[]; annotations: Record<string, string> };
  edit(m);
  return Buffer.from(JSON.stringify(m));
}

describe("cache-repo entries", () => {
  it("render the same bytes for the same key and layer, and parse back", () => {
    const a = renderEntry(KEY, gzip);
    assert.deepEqual(a.bytes, renderEntry(KEY, { ...gzip }).bytes);
    assert.equal(a.mediaType, MediaType.ociManifest);
    assert.deepEqual(parseEntry(a.bytes, KEY, MediaType.ociLayerGzip), gzip);
  });

  it("name a key only by a hash of it", () => {
    const tag = entryTag(KEY);
    assert.match(tag, /^map-build-layer-[0-9a-f]{64}$/);
    assert.ok(!tag.includes(KEY) && !renderEntry(KEY, gzip).bytes.toString().includes(KEY));
    assert.notEqual(entryTag("b".repeat(64)), tag);
  });

  it("are refused when written for another key, another media type or malformed", () => {
    const bytes = renderEntry(KEY, gzip).bytes;
    assert.throws(() => parseEntry(bytes, "b".repeat(64), MediaType.ociLayerGzip), /another key/);
    assert.throws(() => parseEntry(bytes, KEY, MediaType.dockerLayerGzip), /media type/);
    assert.throws(() => parseEntry(Buffer.from("{"), KEY, MediaType.ociLayerGzip), /E_MANIFEST_INVALID|not valid JSON/);
    assert.throws(() => parseEntry(edited((m) => m.layers.push(m.layers[0]!)), KEY, MediaType.ociLayerGzip), /malformed/);
    assert.throws(() => parseEntry(edited((m) => (m.layers[0]!.size = -1)), KEY, MediaType.ociLayerGzip), /malformed/);
    assert.throws(() => parseEntry(edited((m) => (m.layers[0]!.annotations = {})), KEY, MediaType.ociLayerGzip), /malformed/);
    assert.throws(() => parseEntry(edited((m) => (m.annotations["map-build.cache.format"] = "2")), KEY, MediaType.ociLayerGzip), /malformed/);
  });

  it("of an uncompressed layer must record its digest as diff_id", () => {
    const plain: EntryLayer = { ...gzip, mediaType: MediaType.ociLayer };
    assert.throws(() => parseEntry(renderEntry(KEY, plain).bytes, KEY, MediaType.ociLayer), /diff_id/);
    const ok = { ...plain, diffId: plain.digest };
    assert.deepEqual(parseEntry(renderEntry(KEY, ok).bytes, KEY, MediaType.ociLayer), ok);
  });

  it("live in a repository named without tag or digest", () => {
    assert.equal(parseCacheRepo("127.0.0.1:5000/ci/cache").repository, "ci/cache");
    assert.throws(() => parseCacheRepo("127.0.0.1:5000/ci/cache:1"), /names a tag or digest/);
    assert.throws(() => parseCacheRepo("127.0.0.1:5000/ci/Cache!"), /invalid image reference/);
  });
});
