/**
 * Shared libraries the wheels' extension modules need (ELF DT_NEEDED) that neither a wheel in the
 * set (auditwheel's `<pkg>.libs/`, or any `.so` it ships) nor the base's library directories
 * provide: the import would fail at run time with "cannot open shared object file". The needed
 * lists are cached per wheel sha256, so an unchanged wheel set is not inflated again.
 */
import { posix } from "node:path";
import { Readable } from "node:stream";
import { setImmediate as setImmediatePromise } from "node:timers/promises";
import { z } from "zod";
import { elfNeeded } from "./elf.js";
import { cachedForWheel } from "./wheel-facts.js";
import { parseWheelFilename } from "./wheel-tags.js";
import { openZipMember, readSmallMember, readZipDirectory } from "./zip-reader.js";

export interface NativeWheel {
  file: string;
  filename: string;
  sha256: string;
}

/** One library one wheel lacks: torch's 8 modules needing libstdc++.so.6 are one entry, not 8. */
export interface MissingLibrary {
  library: string;
  /** `name version` of the wheel. */
  wheel: string;
  /** The wheel's extension modules (member paths) that need it: at least one, sorted. */
  modules: string[];
}

const SO = /\.so(?:\.[0-9.]+)?$/;
const Needs = z.object({ libs: z.array(z.string()), needs: z.record(z.string(), z.array(z.string())) });
type Needs = z.infer<typeof Needs>;

async function scanWheel(w: NativeWheel, signal: AbortSignal | undefined): Promise<Needs> {
  const members = (await readZipDirectory(w.file)).filter((m) => !m.isDirectory && SO.test(m.name));
  const needs: Record<string, string[]> = {};
  for (const m of members) {
    // A small member is inflated once and its ranges are read from memory: elfNeeded opens its
    // input up to three times (a large member's passes stop where its ranges end). Then a turn of
    // the event loop: small members are read synchronously, so without it a wheel of 400 libraries
    // ran as one chain of microtasks, and V8's collection of the inflated buffers (a task) waited
    // for its end: 125 MB of garbage at once.
    await setImmediatePromise();
    const small = await readSmallMember(w.file, m).catch(() => undefined);
    const open = small ? async () => Readable.from([small]) : () => openZipMember(w.file, m);
    const needed = await elfNeeded(open, signal).catch(() => undefined);
    // (a module that is not ELF is skipped; a stopped scan is not a result, and is not cached)
    signal?.throwIfAborted();
    if (needed?.length) needs[m.name] = needed;
  }
  return { libs: members.map((m) => posix.basename(m.name)), needs };
}

function needsOf(w: NativeWheel, cacheDir: string | undefined, signal: AbortSignal | undefined): Promise<Needs> {
  return cachedForWheel(cacheDir, "python-elf", w, Needs, () => scanWheel(w, signal));
}

/**
 * Missing libraries, sorted; pure-Python wheels are not opened. `signal` stops the inflating (a
 * big wheel's library is inflated up to its dynamic segment, near its end: a second for torch).
 */
export async function missingLibraries(wheels: readonly NativeWheel[], baseLibs: ReadonlySet<string>, cacheDir?: string, signal?: AbortSignal): Promise<MissingLibrary[]> {
  const scanned: { w: NativeWheel; n: Needs }[] = [];
  for (const w of wheels) {
    const tag = parseWheelFilename(w.filename);
    if (tag && tag.tags.every((t) => t.platform === "any")) continue;
    scanned.push({ w, n: await needsOf(w, cacheDir, signal) });
  }
  const provided = new Set([...baseLibs, ...scanned.flatMap((s) => s.n.libs)]);
  const out: MissingLibrary[] = [];
  for (const { w, n } of scanned) {
    const wheel = tagLabel(w.filename);
    for (const [library, modules] of modulesByMissingLibrary(n, provided)) out.push({ library, wheel, modules: modules.sort() });
  }
  return out.sort((a, b) => compare(a.wheel, b.wheel) || compare(a.library, b.library));
}

/** One wheel's modules grouped by the library they need that nothing provides. */
function modulesByMissingLibrary(n: Needs, provided: ReadonlySet<string>): Map<string, string[]> {
  const byLibrary = new Map<string, string[]>();
  for (const [module, libs] of Object.entries(n.needs)) {
    for (const library of libs.filter((l) => !provided.has(l))) {
      const modules = byLibrary.get(library) ?? [];
      byLibrary.set(library, modules);
      modules.push(module);
    }
  }
  return byLibrary;
}

/**
 * The warning's (or, when strict, the error's) sentence for one entry, e.g. `torch 2.13.0 needs
 * libstdc++.so.6 (8 extension modules, e.g. torch/_C….so), which neither the wheels nor the base provide`.
 */
export function describeMissingLibrary(m: MissingLibrary): string {
  const [first] = m.modules;
  const which = m.modules.length === 1 ? `for ${first}` : `${m.modules.length} extension modules, e.g. ${first}`;
  return `${m.wheel} needs ${m.library} (${which}), which neither the wheels nor the base provide: importing ${m.modules.length === 1 ? "it" : "them"} will fail`;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function tagLabel(filename: string): string {
  const w = parseWheelFilename(filename);
  return w ? `${w.name} ${w.version}` : filename;
}
