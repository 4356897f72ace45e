/**
 * The validation harness on deliberately broken copies of the python base (built with corruptLayout):
 * the strict consumers reject them, each with its own message. Stores start empty for every check.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { corruptLayout } from "../helpers/validate/corrupt.js";
import { clearSkopeoBlobInfoCache, formatVerdicts, validateImage, type ValidationReport } from "../helpers/validate/validate.js";
import { startContainerd, type TestContainerd } from "../helpers/containerd.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBase, pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";

function assertRejected(report: ValidationReport, expected: Record<string, RegExp>): void {
  const text = formatVerdicts(report.verdicts);
  for (const [consumer, pattern] of Object.entries(expected)) {
    const v = report.verdicts.find((x) => x.consumer === consumer);
    assert.ok(v, `no verdict from ${consumer}\n${text}`);
    assert.equal(v.ok, false, `${consumer} should reject\n${text}`);
    assert.match(v.detail, pattern, text);
  }
  assert.ok(report.rejectedBy.length >= 2, text);
}

/** Push an OCI layout to the registry exactly as it is (empty blob-info cache: no silent mounts). */
async function pushLayout(layout: string, ref: string): Promise<void> {
  await clearSkopeoBlobInfoCache();
  await runOk("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:${PYTHON_BASE_TAG}`, `docker://${ref}`]);
}

describe("validation harness on broken images", () => {
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

  it("rejects a wrong diff_id (OCI layout): umoci, docker load and ctr import", async (t) => {
    const broken = join(dir, "diffid");
    await corruptLayout(base, PYTHON_BASE_TAG, broken, "diff-id");
    const report = await validateImage({ kind: "oci-layout", path: broken, tag: PYTHON_BASE_TAG }, { dockerd, containerd });
    for (const line of formatVerdicts(report.verdicts).split("\n")) t.diagnostic(line);
    assertRejected(report, {
      umoci: /diffid mismatch: got sha256:\w+ expected sha256:\w+/,
      docker: /invalid diffID for layer 0: expected "sha256:\w+", got "sha256:\w+"/,
      containerd: /wrong diff id calculated on extraction|mismatched image rootfs/,
    });
  });

  it("rejects a wrong diff_id (pushed): umoci, docker pull and ctr pull", async (t) => {
    const ref = `${reg.host}/broken/diffid:1`;
    await pushLayout(join(dir, "diffid"), ref);
    const report = await validateImage({ kind: "registry", ref }, { dockerd, containerd });
    for (const line of formatVerdicts(report.verdicts).split("\n")) t.diagnostic(line);
    assertRejected(report, {
      umoci: /diffid mismatch/,
      docker: /layers from manifest don't match image configuration|invalid rootfs|verification failed/,
      containerd: /wrong diff id calculated on extraction|mismatched image rootfs/,
    });
  });

  it("rejects a wrong layer size (pushed): umoci and ctr pull", async (t) => {
    const broken = join(dir, "lsize");
    await corruptLayout(base, PYTHON_BASE_TAG, broken, "layer-size");
    const ref = `${reg.host}/broken/lsize:1`;
    await pushPythonBase(reg.host);
    await pushLayout(broken, ref);
    // the registry stores the manifest as given (2.8 checks no sizes): the breakage is really served
    const manifest = (await (
      await fetch(`http://${reg.host}/v2/broken/lsize/manifests/1`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })
    ).json()) as { layers: { size: number }[] };
    const good = (await (
      await fetch(`http://${reg.host}/v2/base/python/manifests/3`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })
    ).json()) as { layers: { size: number }[] };
    assert.equal(manifest.layers[0]?.size, (good.layers[0]?.size ?? 0) + 1);

    const report = await validateImage({ kind: "registry", ref }, { dockerd, containerd });
    for (const line of formatVerdicts(report.verdicts).split("\n")) t.diagnostic(line);
    assertRejected(report, {
      umoci: /verified reader size mismatch|size mismatch/,
      containerd: /failed to read expected number of bytes|unexpected EOF|size/i,
    });
  });
});
