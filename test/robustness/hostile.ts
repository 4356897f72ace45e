/**
 * Shared pieces of the hostile-input tests (issue 13): a canary file outside every path a run may
 * touch, checked byte for byte afterwards, a minimal app tree the test can poison, and tiny
 * in-process HTTP servers on loopback that serve exactly what a test hands them.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sandbox } from "./runner.js";

export interface Canary {
  path: string;
  /** Fails when the canary was changed, removed or replaced. */
  assertIntact(): Promise<void>;
}

export async function plantCanary(dir: string, name = "canary.txt"): Promise<Canary> {
  const path = join(dir, name);
  const body = `canary ${name}: map-build must never touch this file\n`;
  await writeFile(path, body);
  const before = await stat(path);
  return {
    path,
    async assertIntact() {
      const after = await stat(path).catch(() => undefined);
      assert.ok(after, `canary ${path} was removed`);
      assert.equal(after.ino, before.ino, `canary ${path} was replaced`);
      assert.equal(await readFile(path, "utf8"), body, `canary ${path} was changed`);
    },
  };
}

/** A one-file app (`__main__.py` + `app.py`) in `<sb.root>/app`, plus whatever extra files are given. */
export async function writeApp(sb: Sandbox, files: Record<string, string> = {}): Promise<string> {
  const app = join(sb.root, "app");
  await mkdir(app, { recursive: true });
  const all = { "__main__.py": "from app import main\nmain()\n", "app.py": "def main():\n    print('hi')\n", ...files };
  for (const [name, text] of Object.entries(all)) {
    await mkdir(join(app, name, ".."), { recursive: true });
    await writeFile(join(app, name), text);
  }
  return app;
}

export interface TinyServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: { method: string; path: string; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 whose every request goes to `handle` (and is recorded). */
export async function startTinyServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<TinyServer> {
  const requests: TinyServer["requests"] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
