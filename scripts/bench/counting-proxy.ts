/**
 * A counting reverse proxy (node:http on 127.0.0.1) in front of the registry: forwards every
 * request unchanged and counts body bytes per blob digest, both directions:
 *   GET/HEAD /v2/<name>/blobs/<digest>          response bytes → <digest>
 *   PATCH/PUT /v2/<name>/blobs/uploads/<uuid>   request bytes → the upload, credited to the digest
 *                                               named by the closing PUT ?digest=
 * Everything else (manifests, tags, mounts) is counted under "other".
 */
import { request, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface CountingProxy {
  host: string;
  /** Bytes per blob digest (sha256:…), request + response bodies. */
  bytesByDigest(): Map<string, number>;
  otherBytes(): number;
  /** Every request line seen, in order, e.g. "HEAD /v2/x/blobs/sha256:… 200". */
  log(): string[];
  close(): Promise<void>;
}

const BLOB = /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/;
const UPLOAD = /^\/v2\/.+\/blobs\/uploads\/([^/?]+)$/;

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const [upHost, upPort] = upstream.split(":") as [string, string];
  const byDigest = new Map<string, number>();
  const byUpload = new Map<string, number>();
  const lines: string[] = [];
  let other = 0;
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

  let self = "";
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    const blob = BLOB.exec(url.pathname);
    const upload = UPLOAD.exec(url.pathname);
    let reqBytes = 0;
    let resBytes = 0;
    const up = request(
      { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        const headers = { ...upRes.headers };
        // the registry builds absolute Locations from Host (ours), but make sure they point back here
        if (typeof headers.location === "string") headers.location = headers.location.replace(`//${upstream}/`, `//${self}/`);
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.on("data", (b: Buffer) => (resBytes += b.length));
        upRes.pipe(res);
        upRes.on("end", () => {
          lines.push(`${req.method} ${req.url} ${upRes.statusCode} req=${reqBytes} res=${resBytes}`);
          if (blob) add(byDigest, blob[1]!, reqBytes + resBytes);
          else if (upload) {
            add(byUpload, upload[1]!, reqBytes);
            other += resBytes;
            const digest = url.searchParams.get("digest");
            if (req.method === "PUT" && digest) {
              add(byDigest, digest, byUpload.get(upload[1]!) ?? 0);
              byUpload.delete(upload[1]!);
            }
          } else other += reqBytes + resBytes;
        });
      },
    );
    up.on("error", (e) => {
      lines.push(`${req.method} ${req.url} proxy error ${e.message}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.on("data", (b: Buffer) => (reqBytes += b.length));
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: self,
    bytesByDigest: () => new Map(byDigest),
    otherBytes: () => other + [...byUpload.values()].reduce((a, b) => a + b, 0),
    log: () => [...lines],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
