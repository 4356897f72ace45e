import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadIntoEngine } from "../../src/sinks/engine-load.js";
import { writeDockerTarball } from "../../src/sinks/docker-tarball.js";
import { isMapBuildError } from "../../src/errors.js";
import type { Image } from "../../src/image/image.js";
import { makeTempDir } from "../helpers/tmp.js";
import { run, runOk } from "../helpers/run.js";
import { buildTestImage } from "./test-image.js";
import { startDockerd, type TestDockerd as Dockerd } from "../helpers/dockerd.js";

describe("loadIntoEngine and containerd import", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dockerd: Dockerd;
  let image: Image;
  before(async () => {
    tmp = await makeTempDir("mb-eng-");
    [dockerd, image] = await Promise.all([startDockerd(), buildTestImage(tmp.dir)]);
  });
  after(async () => {
    await dockerd?.stop();
    await tmp?.cleanup();
  });

  it("streams the image into POST /images/load", async () => {
    const name = "127.0.0.1:5000/mb/loaded:7";
    const r = await loadIntoEngine(image, { tags: [name], dockerHost: dockerd.host });
    assert.ok(r.messages.some((m) => m.includes(name)), r.messages.join("|"));
    const id = (await runOk("docker", ["-H", dockerd.host, "image", "inspect", "-f", "{{.Id}} {{index .RepoTags 0}}", name])).trim();
    assert.equal(id, `${(await image.manifest()).config.digest} ${name}`);
    const out = await runOk("docker", ["-H", dockerd.host, "run", "--rm", "--network", "none", name, "hello.sh"]);
    assert.equal(out.trim(), "hello-from-layer");
  });

  it("says E_ENGINE with a hint when no engine listens", async () => {
    await assert.rejects(loadIntoEngine(image, { tags: ["x.test/a:1"], dockerHost: `unix://${join(tmp.dir, "none.sock")}` }), (e: unknown) => {
      assert.ok(isMapBuildError(e));
      assert.equal(e.code, "E_ENGINE");
      assert.match(e.hint ?? "", /DOCKER_HOST/);
      return true;
    });
  });

  it("ctr images import takes the hybrid tarball under its full name and runs it", async () => {
    const file = join(tmp.dir, "ctr.tar");
    const name = "127.0.0.1:5000/mb/ctr:1";
    await writeDockerTarball(image, file, { tags: [name] });
    const sock = join(dockerd.host.replace("unix://", ""), "..", "exec", "containerd", "containerd.sock");
    const ctr = (args: string[]) => runOk("ctr", ["-a", sock, "-n", "mbtest", ...args]);
    await ctr(["images", "import", file]);
    const list = await ctr(["images", "ls", "-q"]);
    assert.ok(list.split("\n").includes(name), list);
    const r = await run("ctr", ["-a", sock, "-n", "mbtest", "run", "--rm", name, "mbtest1", "sh", "-c", "hello.sh && cat /app/link"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "hello-from-layer\nnested b");
  });
});
