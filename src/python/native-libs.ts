/**
 * Shared libraries the wheels' extension modules need (ELF DT_NEEDED) that neither a wheel in the
 * set (auditwheel's `<pkg>.libs/`, or any `.so` it ships) nor the base's library directories
 * provide: the import would fail at run time with "cannot open shared object file". The needed
 * lists are cached per wheel sha256, so an unchanged wheel set is not inflated again.
 */
import { posix } from "node:path";
import { z } from "zod";
import { elfNeeded } from "./elf.js";
import { cachedForWheel } from "./wheel-facts.js";
import { parseWheelFilename } from "./wheel-tags.js";
import { openZipMember, readZipDirectory } from "./zip-reader.js";

export interface NativeWheel {
  file: string;
  filename: string;
  sha256: string;
}

export interface MissingLibrary {
  library: string;
  /** `name version` of the wheel. */
  wheel: string;
  /** The extension module (member path) that needs it. */
  module: string;
}

const SO = /\.so(?:\.[0-9.]+)?$/;
const Needs = z.object({ libs: z.array(z.string()), needs: z.record(z.string(), z.array(z.string())) });
type Needs = z.infer<typeof Needs>;

async function scanWheel(w: NativeWheel): Promise<Needs> {
  const members = (await readZipDirectory(w.file)).filter((m) => !m.isDirectory && SO.test(m.name));
  const needs: Record<string, string[]> = {};
  for (const m of members) {
    const needed = await elfNeeded(() => openZipMember(w.file, m)).catch(() => undefined);
    if (needed?.length) needs[m.name] = needed;
  }
  return { libs: members.map((m) => posix.basename(m.name)), needs };
}

function needsOf(w: NativeWheel, cacheDir: string | undefined): Promise<Needs> {
  return cachedForWheel(cacheDir, "python-elf", w, Needs, () => scanWheel(w));
}

/** Missing libraries, sorted; pure-Python wheels are not opened. */
export async function missingLibraries(wheels: readonly NativeWheel[], baseLibs: ReadonlySet<string>, cacheDir?: string): Promise<MissingLibrary[]> {
  const scanned: { w: NativeWheel; n: Needs }[] = [];
  for (const w of wheels) {
    const tag = parseWheelFilename(w.filename);
    if (tag && tag.tags.every((t) => t.platform === "any")) continue;
    scanned.push({ w, n: await needsOf(w, cacheDir) });
  }
  const provided = new Set([...baseLibs, ...scanned.flatMap((s) => s.n.libs)]);
  const out: MissingLibrary[] = [];
  for (const { w, n } of scanned) {
    const label = tagLabel(w.filename);
    for (const [module, libs] of Object.entries(n.needs)) {
      for (const library of libs) if (!provided.has(library)) out.push({ library, wheel: label, module });
    }
  }
  return out.sort((a, b) => (a.library + a.module < b.library + b.module ? -1 : 1));
}

function tagLabel(filename: string): string {
  const w = parseWheelFilename(filename);
  return w ? `${w.name} ${w.version}` : filename;
}
