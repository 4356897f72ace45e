/**
 * Parsing simple repository pages: PEP 503 HTML (anchors with `#sha256=` fragments,
 * `data-requires-python`, `data-yanked`, PEP 658/714 `data-core-metadata`) and PEP 691 JSON
 * (`files[]`, validated with zod).
 */
import { z } from "zod";
import { sha256HexForPath } from "../digest.js";
import { MapBuildError } from "../errors.js";

/**
 * PEP 658/714: the index serves the wheel's core metadata alone at `<url>.metadata`, so a resolver
 * can read dependencies without downloading the wheel.
 */
export interface MetadataFileRef {
  /** The strongest announced hash we can check; absent when the index announced the file without one. */
  hash?: { algorithm: MetadataHashAlgorithm; hex: string };
}

/** Hashes a metadata file may be checked with, strongest first, and their hex lengths. */
const METADATA_HASHES = { sha512: 128, sha384: 96, sha256: 64, sha224: 56 } as const;
export type MetadataHashAlgorithm = keyof typeof METADATA_HASHES;

export interface IndexFile {
  filename: string;
  /** Absolute URL without the hash fragment. */
  url: string;
  sha256?: string;
  requiresPython?: string;
  yanked: boolean;
  /** Set when the page announces a metadata file for it. */
  metadata?: MetadataFileRef;
}

/**
 * An announcement's hashes as a ref. Undefined when it names hashes of which none can be checked
 * (unknown algorithm, malformed hex): the metadata file is then not used, as pip ignores it.
 */
function metadataRef(hashes: Readonly<Record<string, string>>): MetadataFileRef | undefined {
  const named = Object.entries(hashes);
  if (!named.length) return {};
  for (const [algorithm, length] of Object.entries(METADATA_HASHES) as [MetadataHashAlgorithm, number][]) {
    const hex = named.find(([n]) => n.toLowerCase() === algorithm)?.[1].toLowerCase();
    if (hex !== undefined && hex.length === length && /^[0-9a-f]+$/.test(hex)) return { hash: { algorithm, hex } };
  }
  return undefined;
}

/** An HTML attribute value: `true`, or `<hashname>=<hex>`; anything else announces nothing. */
function metadataFromAttr(value: string | undefined): MetadataFileRef | undefined {
  if (value === undefined) return undefined;
  if (value.trim().toLowerCase() === "true") return {};
  const m = /^\s*([A-Za-z0-9_]+)=([^\s]+)\s*$/.exec(value);
  return m ? metadataRef({ [m[1]!]: m[2]! }) : undefined;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#0*39;|&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
}

function fileFromUrl(href: string, base: string, text?: string): IndexFile | undefined {
  let u: URL;
  try {
    u = new URL(href, base);
  } catch {
    return undefined;
  }
  const frag = /(?:^|&)sha256=([0-9a-f]{64})/i.exec(u.hash.slice(1));
  u.hash = "";
  const filename = decodeURIComponent(u.pathname.split("/").pop() ?? "") || (text ?? "").trim();
  const f: IndexFile = { filename, url: u.toString(), yanked: false };
  if (frag) f.sha256 = frag[1]!.toLowerCase();
  return f;
}

/** PEP 503 HTML page. `pageUrl` resolves relative hrefs (a `<base href>` is honoured). */
export function parseSimpleHtml(html: string, pageUrl: string): IndexFile[] {
  const baseTag = /<base\s[^>]*href\s*=\s*["']([^"']+)["']/i.exec(html);
  const base = baseTag ? new URL(decodeEntities(baseTag[1]!), pageUrl).toString() : pageUrl;
  const out: IndexFile[] = [];
  for (const m of html.matchAll(/<a\s([^>]*)>([^<]*)<\/a\s*>/gi)) {
    const attrs = new Map<string, string>();
    for (const a of m[1]!.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
      attrs.set(a[1]!.toLowerCase(), decodeEntities(a[2] ?? a[3] ?? a[4] ?? ""));
    }
    const href = attrs.get("href");
    if (!href) continue;
    const f = fileFromUrl(href, base, decodeEntities(m[2]!));
    if (!f) continue;
    const rp = attrs.get("data-requires-python");
    if (rp) f.requiresPython = rp;
    f.yanked = attrs.has("data-yanked");
    // PEP 714 renamed PEP 658's attribute; the new name wins when a page carries both
    const metadata = metadataFromAttr(attrs.get("data-core-metadata") ?? attrs.get("data-dist-info-metadata"));
    if (metadata) f.metadata = metadata;
    out.push(f);
  }
  return out;
}

/** `true`/`false` or `{hashname: hex}`; anything malformed reads as not announced. */
const MetadataKey = z.union([z.boolean(), z.record(z.string(), z.string())]).optional().catch(undefined);

const JsonFile = z.looseObject({
  filename: z.string().min(1),
  url: z.string().min(1),
  hashes: z.record(z.string(), z.string()).optional().catch(undefined),
  "requires-python": z.string().nullish().catch(undefined),
  yanked: z.unknown().optional(),
  "core-metadata": MetadataKey,
  "dist-info-metadata": MetadataKey,
});

const JsonPage = z.looseObject({ files: z.array(z.unknown()).optional() });

function metadataFromJson(v: z.infer<typeof MetadataKey>): MetadataFileRef | undefined {
  if (v === undefined || v === false) return undefined;
  return v === true ? {} : metadataRef(v);
}

/** PEP 691 JSON page (`application/vnd.pypi.simple.v1+json`). Entries that do not fit the schema are skipped. */
export function parseSimpleJson(body: string, pageUrl: string): IndexFile[] {
  let page: z.infer<typeof JsonPage>;
  try {
    page = JsonPage.parse(JSON.parse(body));
  } catch (e) {
    throw new MapBuildError("E_PYTHON_DEPS", `${pageUrl} is not a valid PEP 691 JSON page: ${(e as Error).message.split("\n")[0]}`, {
      hint: "check the index URL, or that the server answers application/vnd.pypi.simple.v1+json correctly", cause: e,
    });
  }
  const out: IndexFile[] = [];
  for (const entry of page.files ?? []) {
    const raw = JsonFile.safeParse(entry);
    if (!raw.success) continue;
    const r = raw.data;
    const f = fileFromUrl(r.url, pageUrl);
    if (!f) continue;
    f.filename = r.filename;
    const sha256 = r.hashes?.["sha256"];
    if (sha256 !== undefined) f.sha256 = sha256HexForPath(sha256.toLowerCase(), `${pageUrl} (${f.filename})`, "E_PYTHON_DEPS");
    if (r["requires-python"]) f.requiresPython = r["requires-python"];
    f.yanked = r.yanked != null && r.yanked !== false;
    const metadata = metadataFromJson(r["core-metadata"] ?? r["dist-info-metadata"]);
    if (metadata) f.metadata = metadata;
    out.push(f);
  }
  return out;
}
