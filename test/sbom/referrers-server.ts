/**
 * A proxy in front of a real registry (distribution 2.8 has no referrers API) that adds one:
 * `GET /v2/<name>/referrers/<digest>` answers an index of the manifests pushed through it whose
 * `subject` is that digest. Everything else is forwarded unchanged.
 */
import { createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReferrersServer {
  host: string;
  /** Requests to the referrers route. */
  referrerRequests: number;
  stop(): Promise<void>;
}

interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export async function startReferrersServer(target: string): Promise<ReferrersServer> {
  const bySubject = new Map<string, Referrer[]>();
  const [targetHost, targetPort] = target.split(":") as [string, string];
  let self = "";
  const state = { referrerRequests: 0 };
  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      const headers = { ...up.headers };
      if (typeof headers.location === "string") headers.location = headers.location.replace(`//${target}/`, `//${self}/`);
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  };
  const server = createServer((req, res) => {
    const m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? "");
    if (req.method === "GET" && m) {
      state.referrerRequests++;
      const body = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: bySubject.get(`${m[1]}@${m[2]}`) ?? [] });
      res.writeHead(200, { "content-type": "application/vnd.oci.image.index.v1+json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const put = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(req.url ?? "");
    if (req.method === "PUT" && put) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const doc = JSON.parse(body.toString("utf8")) as { mediaType: string; artifactType?: string; annotations?: Record<string, string>; subject?: { digest: string } };
        if (doc.subject) {
          const key = `${put[1]}@${doc.subject.digest}`;
          const list = bySubject.get(key) ?? [];
          const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
          if (!list.some((r) => r.digest === digest)) list.push({ mediaType: doc.mediaType, digest, size: body.length, artifactType: doc.artifactType, annotations: doc.annotations });
          bySubject.set(key, list);
          res.setHeader("OCI-Subject", doc.subject.digest);
        }
        forward(req, res, body);
      });
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: self,
    get referrerRequests() {
      return state.referrerRequests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
