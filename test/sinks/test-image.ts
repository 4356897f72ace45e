/** The acceptance image of issue 5: python base + app layer (gzip) + 64 MiB model layer (uncompressed). */
import { appendLayers } from "../../src/image/append.js";
import { readOciLayoutImage } from "../../src/image/oci-layout-image.js";
import type { Image } from "../../src/image/image.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { makeLayer } from "../image/fixtures.js";

export const LONG = "app/" + "deep/".repeat(20) + "file-with-a-long-name.txt"; // > 100 bytes
export const BIG = 64 * 1024 * 1024;

/** Python base + app layer (gzip) + 64 MiB model layer (uncompressed), all built in `dir`. */
export async function buildTestImage(dir: string, base?: Image): Promise<Image> {
  base ??= await readOciLayoutImage(await pythonBaseLayout(), PYTHON_BASE_TAG);
  const big = Buffer.alloc(BIG);
  for (let i = 0; i < BIG; i += 4096) big.writeUInt32BE(i, i);
  const family = (await base.mediaType()).includes("docker") ? "docker" : "oci";
  const app = await makeLayer(
    dir,
    [
      { name: "app/", type: "directory" },
      { name: "app/bin/", type: "directory" },
      { name: "app/bin/hello.sh", data: "#!/bin/sh\necho hello-from-layer\n", mode: 0o755 },
      { name: "app/deep/", type: "directory" },
      ...Array.from({ length: 20 }, (_, i) => ({ name: "app/" + "deep/".repeat(i + 1), type: "directory" as const })).slice(1),
      { name: LONG, data: "long path ok\n" },
      { name: "app/nested/", type: "directory" },
      { name: "app/nested/a/", type: "directory" },
      { name: "app/nested/a/b.txt", data: "nested b\n" },
      { name: "app/link", type: "symlink", linkname: "nested/a/b.txt" },
    ],
    { gzip: true, family },
  );
  const model = await makeLayer(dir, [{ name: "models/", type: "directory" }, { name: "models/big.bin", data: big }], { gzip: false, family });
  return appendLayers(
    base,
    [
      { layer: app, history: { created_by: "map-build: app" } },
      { layer: model, history: { created_by: "map-build: model" } },
    ],
    {
      changes: { env: [["PATH", "/app/bin:$PATH"], ["MODEL", "/models"]], workingDir: "/app", labels: { "org.example.k": "v" } },
      configHistory: [{ created_by: "map-build: config" }],
    },
  );
}

