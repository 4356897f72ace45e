/** Reading a wheel's `.dist-info`: METADATA (core metadata), WHEEL, RECORD and entry_points.txt. */
import { MapBuildError } from "../errors.js";
import { normalizeName } from "./names.js";
import { readZipDirectory, readZipMember, type ZipMember } from "./zip-reader.js";

export interface CoreMetadata {
  name: string;
  version: string;
  requiresDist: string[];
  requiresPython?: string;
  /** What the metadata says about licensing (for the SBOM); absent when it says nothing. */
  license?: LicenseMetadata;
}

export interface LicenseMetadata {
  /** `License-Expression` (metadata 2.4, SPDX). */
  expression?: string;
  /** The free-text `License` field. */
  text?: string;
  /** `License :: …` Trove classifiers, the part after `License :: ` (e.g. `OSI Approved :: MIT License`). */
  classifiers: string[];
  /** `License-File` paths, relative to the .dist-info directory. */
  files: string[];
}

export interface RecordRow {
  path: string;
  /** `sha256=<urlsafe b64>` or "" */
  hash: string;
  size: string;
}

export interface WheelContents {
  file: string;
  members: ZipMember[];
  /** e.g. `greet-1.0.dist-info` */
  distInfo: string;
  metadata: CoreMetadata;
  rootIsPurelib: boolean;
  record: RecordRow[];
  entryPoints?: string;
}

function bad(file: string, why: string): never {
  throw new MapBuildError("E_PYTHON_DEPS", `${file}: invalid wheel: ${why}`, { hint: "rebuild or re-download the wheel" });
}

/** RFC 822 style headers up to the first blank line (the body is the long description). */
export function parseHeaders(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (/^[ \t]/.test(line) && out.length) { out[out.length - 1]![1] += `\n${line.trim()}`; continue; }
    const i = line.indexOf(":");
    if (i > 0) out.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
  }
  return out;
}

export function parseMetadata(text: string): CoreMetadata {
  const h = parseHeaders(text);
  const one = (k: string) => h.find(([n]) => n === k)?.[1];
  const md: CoreMetadata = {
    name: one("name") ?? "", version: one("version") ?? "",
    requiresDist: h.filter(([n]) => n === "requires-dist").map(([, v]) => v),
  };
  const rp = one("requires-python");
  if (rp) md.requiresPython = rp;
  const license = licenseOf(h);
  if (license) md.license = license;
  return md;
}

function licenseOf(h: [string, string][]): LicenseMetadata | undefined {
  const expression = h.find(([n]) => n === "license-expression")?.[1];
  const text = h.find(([n]) => n === "license")?.[1];
  const classifiers = h.filter(([n, v]) => n === "classifier" && v.startsWith("License :: ")).map(([, v]) => v.slice("License :: ".length));
  const files = h.filter(([n]) => n === "license-file").map(([, v]) => v);
  if (!expression && !text && !classifiers.length && !files.length) return undefined;
  return { ...(expression ? { expression } : {}), ...(text && text !== "UNKNOWN" ? { text } : {}), classifiers, files };
}

/**
 * Python's csv module dialect as RECORD uses it (comma, `"` quoting with doubled quotes). Fields
 * are sliced out of the text, not built a character at a time: a torch RECORD has ~12,000 rows,
 * and per-character concatenation left ~19 MB of string ropes alive per wheel.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const endRow = () => {
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
  };
  while (i < text.length) {
    let field: string;
    if (text[i] === '"') {
      const parts: string[] = [];
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) { parts.push(text.slice(from)); i = text.length; break; }
        parts.push(text.slice(from, q));
        if (text[q + 1] === '"') { parts.push('"'); from = q + 2; continue; }
        i = q + 1;
        break;
      }
      // text after a closing quote up to the separator belongs to the field, as Python's csv keeps it
      const stop = nextStop(text, i);
      parts.push(text.slice(i, stop));
      field = parts.join("");
      i = stop;
    } else {
      const stop = nextStop(text, i);
      field = text.slice(i, stop);
      i = stop;
    }
    row.push(field);
    const c = text[i];
    if (c === ",") {
      i++;
      if (i === text.length) row.push("");
      continue;
    }
    if (c === "\r" && text[i + 1] === "\n") i++;
    i++;
    endRow();
  }
  if (row.length) endRow();
  return rows;
}

/** Index of the next `,`, `\r` or `\n` at or after `from` (text.length if none). */
function nextStop(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 44 || c === 10 || c === 13) return j;
  }
  return text.length;
}

export function csvLine(fields: string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(",");
}

/** What every reader of a wheel checks first: the one `.dist-info` with WHEEL 1.x and METADATA naming its project. */
interface DistInfoHead {
  distInfo: string;
  metadata: CoreMetadata;
  rootIsPurelib: boolean;
}

const memberText = async (file: string, m: ZipMember) => (await readZipMember(file, m)).toString("utf8");

async function readDistInfoHead(file: string, members: readonly ZipMember[]): Promise<DistInfoHead> {
  const wheelFiles = members.filter((m) => /^[^/]+\.dist-info\/WHEEL$/.test(m.name));
  if (wheelFiles.length !== 1) bad(file, wheelFiles.length ? "several .dist-info/WHEEL files" : "no .dist-info/WHEEL");
  const distInfo = wheelFiles[0]!.name.split("/")[0]!;
  const wheelHdr = parseHeaders(await memberText(file, wheelFiles[0]!));
  const wv = wheelHdr.find(([k]) => k === "wheel-version")?.[1] ?? "";
  if (!/^1\./.test(wv)) bad(file, `unsupported Wheel-Version "${wv}" (need 1.x)`);
  const mdMember = members.find((m) => m.name === `${distInfo}/METADATA`);
  if (!mdMember) bad(file, `no ${distInfo}/METADATA`);
  const metadata = parseMetadata(await memberText(file, mdMember));
  if (!metadata.name || !metadata.version) bad(file, "METADATA lacks Name or Version");
  // The dist-info directory must belong to the wheel's own project (a mismatch means a broken build).
  if (normalizeName(distInfo.replace(/-[^-]+\.dist-info$/, "")) !== normalizeName(metadata.name)) {
    bad(file, `${distInfo} does not match METADATA name ${metadata.name}`);
  }
  const rootIsPurelib = (wheelHdr.find(([k]) => k === "root-is-purelib")?.[1] ?? "true").toLowerCase() === "true";
  return { distInfo, metadata, rootIsPurelib };
}

/** Open a wheel and read its dist-info files (for installing it: RECORD is parsed here, once). */
export async function readWheel(file: string): Promise<WheelContents> {
  const members = await readZipDirectory(file);
  const { distInfo, metadata, rootIsPurelib } = await readDistInfoHead(file, members);
  const get = (n: string) => members.find((m) => m.name === `${distInfo}/${n}`);
  const recMember = get("RECORD");
  if (!recMember) bad(file, `no ${distInfo}/RECORD (every file must be listed with its hash)`);
  const record = parseCsv(await memberText(file, recMember)).map(([path = "", hash = "", size = ""]) => ({ path, hash, size }));
  const ep = get("entry_points.txt");
  const out: WheelContents = { file, members, distInfo, metadata, record, rootIsPurelib };
  if (ep) out.entryPoints = await memberText(file, ep);
  return out;
}

/**
 * Core metadata only (dependency closure): WHEEL and METADATA, not RECORD. A torch RECORD has
 * ~12,000 rows; the install parses it (readWheel), so a cold build reads it once, not twice.
 */
export async function readWheelMetadata(file: string): Promise<CoreMetadata> {
  return (await readDistInfoHead(file, await readZipDirectory(file))).metadata;
}
