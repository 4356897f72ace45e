/**
 * Push to the real registry: onto a base in another repository of the same registry (mounted, no
 * base bytes uploaded, proven through a recording proxy), to a second registry (copied, verified),
 * and a wrong digest surfacing as E_DIGEST_MISMATCH.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { sha256Digest } from "../../src/digest.js";
import { appendLayers } from "../../src/image/append.js";
import type { Image } from "../../src/image/image.js";
import { parseReference } from "../../src/reference/parse.js";
import type { RegistryClient } from "../../src/registry/index.js";
import { Transport } from "../../src/registry/transport.js";
import { pushImage } from "../../src/sinks/push.js";
import type { ProgressEvent } from "../../src/progress.js";
import { makeLayer } from "../image/fixtures.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { FAST_RETRY, fastClient, readLayer, rejectsWithCode } from "./helpers.js";
import { startRecordingProxy, type RecordingProxy } from "../helpers/recording-proxy.js";

describe("push to registry 2.8", () => {
  let reg: TestRegistry;
  let reg2: TestRegistry;
  let proxy: RecordingProxy;
  let client: RegistryClient;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let image: Image;
  let base: Image;
  let newLayerSize: number;

  before(async () => {
    [reg, reg2, tmp] = await Promise.all([startRegistry(), startRegistry(), makeTempDir("mb-push-")]);
    await pushPythonBase(reg.host, "base/python", "3");
    proxy = await startRecordingProxy(reg.host);
    client = fastClient();
    base = await client.resolveImage(parseReference(`${proxy.host}/base/python:3`));
    const layer = await makeLayer(tmp.dir, [{ name: "app/", type: "directory" }, { name: "app/hello.txt", data: "hello map-build\n" }], { gzip: true });
    newLayerSize = await layer.size();
    image = appendLayers(base, [{ layer, history: { created_by: "test: app layer" } }]);
  });
  after(async () => {
    await client?.close();
    await proxy?.stop();
    await Promise.all([reg?.stop(), reg2?.stop()]);
    await tmp?.cleanup();
  });

  it("mounts the base layers: no base blob bytes are uploaded, and skopeo copies the result", async () => {
    const target = parseReference(`${proxy.host}/apps/hello:1`);
    const events: ProgressEvent[] = [];
    proxy.log.length = 0;
    const result = await pushImage(client, image, target, { progress: (e) => events.push(e), concurrency: 2 });

    const baseDigests = new Set(await Promise.all((await base.layers()).map((l) => l.digest())));
    const layers = await image.layers();
    const rawConfig = await image.rawConfig();
    assert.equal(result.digest, sha256Digest(await image.rawManifest()));
    assert.equal(result.mediaType, await image.mediaType());
    assert.equal(result.blobs.length, layers.length + 1);
    for (const b of result.blobs) {
      assert.equal(b.action, baseDigests.has(b.digest) ? "mounted" : "uploaded", b.digest);
    }
    assert.ok(events.some((e) => e.phase === "mounted"));

    // Every byte that went into an upload belongs to the new layer or the config.
    const uploaded = proxy.log.filter((r) => r.path.includes("/blobs/uploads/")).reduce((n, r) => n + r.bytesIn, 0);
    assert.equal(uploaded, newLayerSize + rawConfig.length);
    const manifestPut = proxy.log.find((r) => r.method === "PUT" && r.path.includes("/manifests/"));
    assert.equal(manifestPut?.status, 201);
    assert.equal(proxy.log.at(-1), manifestPut, "manifest goes last");

    // A second push moves no bytes: base layers are mounted again (one request each, no HEAD
    // first), the rest is found in place.
    const again = await pushImage(client, image, target);
    for (const b of again.blobs) assert.equal(b.action, baseDigests.has(b.digest) ? "mounted" : "exists", b.digest);
    assert.equal(again.digest, result.digest);

    // skopeo verifies every digest while copying.
    await runOk("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${reg.host}/apps/hello:1`, `oci:${tmp.dir}/out:hello`]);
    const inspect = JSON.parse(await runOk("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/apps/hello@${result.digest}`])) as { layers: unknown[] };
    assert.equal(inspect.layers.length, layers.length);
  });

  it("copies base blobs to a second registry, streamed and verified", async () => {
    const target = parseReference(`${reg2.host}/copy/hello:1`);
    const result = await pushImage(client, image, target);
    assert.ok(result.blobs.every((b) => b.action === "uploaded"));
    const pulled = await client.resolveImage(target);
    assert.equal(await pulled.digest(), result.digest);
    const original = await image.layers();
    for (const [i, layer] of (await pulled.layers()).entries()) {
      const got = await readLayer(layer);
      assert.equal(got.digest, await original[i]!.digest());
    }
    await runOk("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${reg2.host}/copy/hello:1`, `oci:${tmp.dir}/out2:hello`]);
  });

  it("refuses a blob whose bytes do not match its digest (E_DIGEST_MISMATCH)", async () => {
    const target = parseReference(`${reg.host}/apps/bad:1`);
    const claimed = sha256Digest("the real content");
    const lying = Buffer.from("something else!!");
    const e = await rejectsWithCode(
      client.pushBlob(target, { digest: claimed, size: lying.length, open: async () => Readable.from([lying]) }),
      "E_DIGEST_MISMATCH",
    );
    assert.match(e.message, new RegExp(claimed));
    assert.equal(await client.blobExists(target, claimed), false);
  });

  it("maps the registry's DIGEST_INVALID on the closing PUT to E_DIGEST_MISMATCH", async () => {
    const t = new Transport({ retry: FAST_RETRY });
    try {
      const ep = { registry: reg.host, apiHost: reg.host, repository: "apps/bad" };
      const post = await t.send({ ...ep, method: "POST", url: "/v2/apps/bad/blobs/uploads/", scopes: [], subject: "upload", expect: [202] });
      await post.body.dump();
      const location = new URL(post.headers.location as string, post.url);
      const wrong = sha256Digest("not these bytes");
      const e = await rejectsWithCode(
        t.send({ ...ep, method: "PUT", url: `${location.href}&digest=${wrong}`, body: Buffer.from("payload"), scopes: [], subject: "upload", expect: [201] }),
        "E_DIGEST_MISMATCH",
      );
      assert.equal((e as unknown as { registryErrors: { code: string }[] }).registryErrors[0]?.code, "DIGEST_INVALID");
    } finally {
      await t.close();
    }
  });

  it("rejects a manifest PUT by a digest that does not match (registry DIGEST_INVALID)", async () => {
    const target = parseReference(`${reg.host}/apps/hello@${sha256Digest("other")}`);
    await rejectsWithCode(client.putManifest(target, await image.rawManifest(), await image.mediaType()), "E_DIGEST_MISMATCH");
  });
});
