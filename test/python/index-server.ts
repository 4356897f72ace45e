/** A PEP 503 (HTML) / PEP 691 (JSON) simple index on 127.0.0.1 serving generated wheels and sdists. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface IndexFileSpec {
  filename: string;
  bytes: Uint8Array;
  /** Fragment digest; omit for none, or give a wrong one on purpose. */
  sha256?: string;
  requiresPython?: string;
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
          files: list.map((f) => ({ filename: f.filename, url: `../../files/${f.filename}`, hashes: f.sha256 ? { sha256: f.sha256 } : {}, ...(f.requiresPython ? { "requires-python": f.requiresPython } : {}) })),
        }));
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!DOCTYPE html><html><body>\n${list.map((f) => `<a href="../../files/${f.filename}${f.sha256 ? `#sha256=${f.sha256}` : ""}"${f.requiresPython ? ` data-requires-python="${f.requiresPython.replace(/>/g, "&gt;").replace(/</g, "&lt;")}"` : ""}>${f.filename}</a><br/>`).join("\n")}\n</body></html>`);
      return;
    }
    const fm = /^\/files\/(.+)$/.exec(path);
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
