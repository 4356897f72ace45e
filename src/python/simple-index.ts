/**
 * Parsing simple repository pages: PEP 503 HTML (anchors with `#sha256=` fragments,
 * `data-requires-python`, `data-yanked`) and PEP 691 JSON (`files[]`).
 */
import { sha256HexForPath } from "../digest.js";

export interface IndexFile {
  filename: string;
  /** Absolute URL without the hash fragment. */
  url: string;
  sha256?: string;
  requiresPython?: string;
  yanked: boolean;
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
    out.push(f);
  }
  return out;
}

/** PEP 691 JSON page (`application/vnd.pypi.simple.v1+json`). */
export function parseSimpleJson(body: string, pageUrl: string): IndexFile[] {
  const doc = JSON.parse(body) as { files?: unknown };
  if (!Array.isArray(doc.files)) return [];
  const out: IndexFile[] = [];
  for (const raw of doc.files as Record<string, unknown>[]) {
    if (typeof raw?.["url"] !== "string" || typeof raw["filename"] !== "string") continue;
    const f = fileFromUrl(raw["url"], pageUrl);
    if (!f) continue;
    f.filename = raw["filename"];
    const h = raw["hashes"] as Record<string, unknown> | undefined;
    if (h && typeof h["sha256"] === "string") f.sha256 = sha256HexForPath(h["sha256"].toLowerCase(), `${pageUrl} (${f.filename})`, "E_PYTHON_DEPS");
    if (typeof raw["requires-python"] === "string" && raw["requires-python"]) f.requiresPython = raw["requires-python"];
    f.yanked = raw["yanked"] !== undefined && raw["yanked"] !== false;
    out.push(f);
  }
  return out;
}
