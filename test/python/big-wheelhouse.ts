/**
 * A torch-shaped wheelhouse generated on the spot: one wheel with many small members and one
 * with a large incompressible extension module (sizes chosen by the caller), plus a small pure
 * wheel depending on both. Random bytes, so compression cannot shrink the work.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { writeWheel } from "./wheel-factory.js";

export async function bigWheelhouse(dir: string, opts: { members: number; bigBytes: number }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const many: Record<string, string> = {};
  for (let i = 0; i < opts.members; i++) many[`manyfiles/sub${i % 50}/m${i}.py`] = `# ${randomBytes(200).toString("base64")}\nVALUE = ${i}\n`;
  await writeWheel(dir, { name: "manyfiles", version: "1.0", files: { "manyfiles/__init__.py": "", ...many } });
  await writeWheel(dir, {
    name: "bigext", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64",
    files: { "bigext/__init__.py": "", "bigext/_big.cpython-311-x86_64-linux-gnu.so": { data: randomBytes(opts.bigBytes) } },
  });
  await writeWheel(dir, { name: "bigapp", version: "1.0", requires: ["manyfiles", "bigext"], files: { "bigapp/__init__.py": "" } });
  return ["bigapp"];
}
