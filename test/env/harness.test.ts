/**
 * The validation harness itself: the real python base passes every consumer (and runs), and the
 * harness reports failing checks as verdicts. Broken images: harness-reject.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { formatVerdicts, validateImage } from "../helpers/validate/validate.js";
import { startContainerd, type TestContainerd } from "../helpers/containerd.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBase, pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";

const RUN = { cmd: ["python3", "-c", "print(42)"], stdout: "42" };



describe("validation harness", () => {
  let reg: TestRegistry;
  let dockerd: TestDockerd;
  let containerd: TestContainerd;
  let base: string;
  let dir: string;
  let cleanup: (() => Promise<void>) | undefined;
  before(async () => {
    [reg, dockerd, containerd, base, { dir, cleanup }] = await Promise.all([
      startRegistry(),
      startDockerd(),
      startContainerd(),
      pythonBaseLayout(),
      makeTempDir("mb-harn-"),
    ]);
  });
  after(async () => {
    await Promise.all([reg?.stop(), dockerd?.stop(), containerd?.stop(), cleanup?.()]);
  });

  it("accepts the python base from the registry in skopeo, umoci, docker and containerd, and runs it", async () => {
    const ref = await pushPythonBase(reg.host);
    const report = await validateImage({ kind: "registry", ref }, { run: RUN, dockerd, containerd });
    const text = formatVerdicts(report.verdicts);
    assert.deepEqual(report.verdicts.map((v) => v.consumer), ["skopeo", "umoci", "docker", "containerd"], text);
    assert.ok(report.ok, text);
    assert.match(report.verdict("docker")!.detail, /run printed "42"/);
    assert.match(report.verdict("containerd")!.detail, /run printed "42"/);
  });

  it("accepts the python base as an OCI layout with fresh daemons and hands over the rootfs", async () => {
    const seen: string[] = [];
    const report = await validateImage(
      { kind: "oci-layout", path: base, tag: PYTHON_BASE_TAG },
      { run: RUN, keepRootfs: true, checkRootfs: (rootfs) => void seen.push(rootfs) },
    );
    try {
      assert.ok(report.ok, formatVerdicts(report.verdicts));
      assert.ok(report.rootfs);
      assert.deepEqual(seen, [report.rootfs]);
      await runOk("test", ["-x", join(report.rootfs, "usr/bin/python3")]);
    } finally {
      await report.cleanup();
    }
  });

  it("reports a failing rootfs check and a wrong run output as rejections, without throwing", async () => {
    const tar = join(dir, "base.tar");
    await runOk("skopeo", ["copy", "--quiet", `oci:${base}:${PYTHON_BASE_TAG}`, `docker-archive:${tar}:mb/base:1`]);
    const report = await validateImage(
      { kind: "docker-archive", path: tar },
      {
        run: { cmd: ["python3", "-c", "print(41)"], stdout: "42" },
        dockerd,
        containerd,
        checkRootfs: () => {
          throw new Error("no /app in the image");
        },
      },
    );
    assert.equal(report.verdict("skopeo")?.ok, true, formatVerdicts(report.verdicts));
    assert.match(report.verdict("umoci")!.detail, /umoci rootfs check: no \/app in the image/);
    assert.match(report.verdict("docker")!.detail, /docker run: stdout "41" does not match 42/);
    assert.match(report.verdict("containerd")!.detail, /ctr run: stdout "41" does not match 42/);
  });
});
