/** Issue 5 acceptance through the validation harness: every consumer takes both outputs and runs them. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeDockerTarball } from "../../src/sinks/docker-tarball.js";
import { writeOciLayout } from "../../src/sinks/oci-layout.js";
import type { Image } from "../../src/image/image.js";
import { referrerArtifact, type ReferrerArtifact } from "../../src/image/artifact.js";
import { makeTempDir } from "../helpers/tmp.js";
import { validateImage } from "../helpers/validate/validate.js";
import { BIG, buildTestImage, LONG } from "./test-image.js";

const run = { cmd: ["sh", "-c", "hello.sh && cat /app/link && stat -c %s /models/big.bin"], stdout: `hello-from-layer\nnested b\n${BIG}` };

async function checkRootfs(root: string): Promise<void> {
  assert.equal(await readFile(join(root, LONG), "utf8"), "long path ok\n");
  assert.equal(await readlink(join(root, "app/link")), "nested/a/b.txt");
  assert.equal((await stat(join(root, "app/bin/hello.sh"))).mode & 0o7777, 0o755);
  assert.equal((await stat(join(root, "models/big.bin"))).size, BIG);
}

describe("outputs validate in every consumer", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let image: Image;
  /** An SBOM and a provenance attached to the image: every consumer must still take the output. */
  let referrers: ReferrerArtifact[];
  before(async () => {
    tmp = await makeTempDir("mb-vo-");
    image = await buildTestImage(tmp.dir);
    const subject = { mediaType: await image.mediaType(), digest: await image.digest(), size: (await image.rawManifest()).length };
    referrers = [
      referrerArtifact(subject, "application/vnd.cyclonedx+json", Buffer.from('{"bomFormat":"CycloneDX"}'), {}),
      referrerArtifact(subject, "application/vnd.in-toto+json", Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'), {}),
    ];
  });
  after(async () => tmp?.cleanup());

  it("hybrid docker tarball: skopeo, umoci, docker, containerd, podman", async () => {
    const file = join(tmp.dir, "image.tar");
    await writeDockerTarball(image, file, { tags: ["docker.io/mb-validate/image:latest"], referrers });
    const report = await validateImage(
      { kind: "docker-archive", path: file },
      { consumers: ["skopeo", "umoci", "docker", "containerd", "podman"], run, checkRootfs },
    );
    assert.ok(report.ok, JSON.stringify(report.verdicts, null, 2));
  });

  it("OCI layout: skopeo, umoci, docker, containerd", async () => {
    const dir = join(tmp.dir, "layout");
    await writeOciLayout(image, dir, { tag: "v1", referrers });
    const report = await validateImage({ kind: "oci-layout", path: dir, tag: "v1" }, { run, checkRootfs });
    assert.ok(report.ok, JSON.stringify(report.verdicts, null, 2));
  });
});
