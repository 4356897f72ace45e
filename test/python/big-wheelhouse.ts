/**
 * A torch-shaped wheelhouse generated on the spot: one wheel with many small members and one
 * with a large incompressible extension module (sizes chosen by the caller), plus a small pure
 * wheel depending on both. Random bytes, so compression cannot shrink the work. With
 * `largeMembers`, the extension wheel also holds that many 320 KiB libraries, half random and
 * half zeros (deflated, so each reaches a gzip layer as a copied deflate stream, as the ~460
 * large members of a real torch wheel do: member-source.ts COPY_DEFLATE_MIN).
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { writeWheel } from "./wheel-factory.js";

export async function bigWheelhouse(dir: string, opts: { members: number; bigBytes: number; largeMembers?: number }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const many: Record<string, string> = {};
  for (let i = 0; i < opts.members; i++) many[`manyfiles/sub${i % 50}/m${i}.py`] = `# ${randomBytes(200).toString("base64")}\nVALUE = ${i}\n`;
  await writeWheel(dir, { name: "manyfiles", version: "1.0", files: { "manyfiles/__init__.py": "", ...many } });
  await writeWheel(dir, {
    name: "bigext", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64",
    files: { "bigext/__init__.py": "", "bigext/_big.cpython-311-x86_64-linux-gnu.so": { data: randomBytes(opts.bigBytes) }, ...largeLibraries(opts.largeMembers ?? 0) },
  });
  await writeWheel(dir, { name: "bigapp", version: "1.0", requires: ["manyfiles", "bigext"], files: { "bigapp/__init__.py": "" } });
  return ["bigapp"];
}

function largeLibraries(n: number): Record<string, { data: Uint8Array }> {
  const libs: Record<string, { data: Uint8Array }> = {};
  for (let i = 0; i < n; i++) libs[`bigext/lib/lib${i}.so`] = { data: Buffer.concat([randomBytes(160 * 1024), Buffer.alloc(160 * 1024)]) };
  return libs;
}
