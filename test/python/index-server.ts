/** A PEP 503 (HTML) / PEP 691 (JSON) simple index on 127.0.0.1 serving generated wheels and sdists. */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface IndexFileSpec {
  filename: string;
  bytes: Uint8Array;
  /** Fragment digest; omit for none, or give a wrong one on purpose. */
  sha256?: string;
  requiresPython?: string;
  /** A PEP 658 metadata file served at `<file>.metadata` and announced with its sha256 under `metadataKey` (PEP 714's name by default). */
  metadata?: string;
  metadataKey?: "core-metadata" | "dist-info-metadata";
  /** Announce this sha256 for the metadata file instead of its own (a wrong one on purpose). */
  metadataSha256?: string;
}

const metadataSha256 = (f: IndexFileSpec) => f.metadataSha256 ?? createHash("sha256").update(f.metadata!).digest("hex");

/** A PEP 503 project page: links into `../../files/`, with digests, Requires-Python and metadata files. */
function projectHtml(list: readonly IndexFileSpec[]): string {
  const link = (f: IndexFileSpec) => `<a href="../../files/${f.filename}${f.sha256 ? `#sha256=${f.sha256}` : ""}"`
    + `${f.requiresPython ? ` data-requires-python="${f.requiresPython.replace(/>/g, "&gt;").replace(/</g, "&lt;")}"` : ""}`
    + `${f.metadata !== undefined ? ` data-${f.metadataKey ?? "core-metadata"}="sha256=${metadataSha256(f)}"` : ""}>${f.filename}</a><br/>`;
  return `<!DOCTYPE html><html><body>\n${list.map(link).join("\n")}\n</body></html>`;
}

/**
 * The same index as static files for `python3 -m http.server` (servePythonDirectory):
 * `<root>/simple/<name>/index.html` and `<root>/files/` (wheels and their `.metadata` files).
 */
export async function writeStaticIndex(root: string, projects: Record<string, IndexFileSpec[]>): Promise<void> {
  await mkdir(join(root, "files"), { recursive: true });
  for (const [name, list] of Object.entries(projects)) {
    await mkdir(join(root, "simple", name), { recursive: true });
    await writeFile(join(root, "simple", name, "index.html"), projectHtml(list));
    for (const f of list) {
      await writeFile(join(root, "files", f.filename), f.bytes);
      if (f.metadata !== undefined) await writeFile(join(root, "files", `${f.filename}.metadata`), f.metadata);
    }
  }
}

export interface IndexServer {
  url: string;
  requests: { path: string; accept: string; auth: string }[];
  close(): Promise<void>;
}

export async function startIndex(projects: Record<string, IndexFileSpec[]>, opts: { auth?: { user: string; pass: string }; htmlOnly?: boolean } = {}): Promise<IndexServer> {
  const files = new Map<string, IndexFileSpec>();
  for (const list of Object.values(projects)) for (const f of list) files.set(f.filename, f);
  const requests: IndexServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const accept = req.headers.accept ?? "";
    const auth = req.headers.authorization ?? "";
    requests.push({ path, accept, auth });
    if (opts.auth && auth !== `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString("base64")}`) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="index"' }).end();
      return;
    }
    const m = /^\/simple\/([^/]+)\/$/.exec(path);
    if (m) {
      const list = projects[m[1]!];
      if (!list) { res.writeHead(404).end("not found"); return; }
      if (!opts.htmlOnly && accept.includes("application/vnd.pypi.simple.v1+json")) {
        res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" });
        res.end(JSON.stringify({
          meta: { "api-version": "1.0" }, name: m[1],
          files: list.map((f) => ({
            filename: f.filename, url: `../../files/${f.filename}`, hashes: f.sha256 ? { sha256: f.sha256 } : {}, ...(f.requiresPython ? { "requires-python": f.requiresPython } : {}),
            ...(f.metadata !== undefined ? { [f.metadataKey ?? "core-metadata"]: { sha256: metadataSha256(f) } } : {}),
          })),
        }));
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end(projectHtml(list));
      return;
    }
    const fm = /^\/files\/(.+)$/.exec(path);
    const md = fm && /\.metadata$/.test(fm[1]!) ? files.get(fm[1]!.slice(0, -".metadata".length))?.metadata : undefined;
    if (md !== undefined) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(md);
      return;
    }
    const f = fm ? files.get(fm[1]!) : undefined;
    if (f) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": f.bytes.length });
      res.end(Buffer.from(f.bytes));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/**
 * `python3 -m http.server` over `dir`: the usual way to serve a folder of wheels as a pip
 * find-links page (an HTML directory listing, HTTP/1.0, no hashes in the links).
 */
export async function servePythonDirectory(dir: string): Promise<{ url: string; requests: () => string; close(): Promise<void> }> {
  const { spawn } = await import("node:child_process");
  const child = spawn("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (c: Buffer) => { log += c.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`python3 -m http.server exited ${code}: ${log}`)));
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  child.removeAllListeners("exit");
  return {
    url: `http://127.0.0.1:${port}/`,
    requests: () => log,
    close: () => new Promise<void>((r) => { if (child.exitCode !== null) return r(); child.once("exit", () => r()); child.kill(); }),
  };
}
