/**
 * A counting HTTP proxy in front of a real registry: forwards every request unchanged and logs
 * method, path, status and the response-body bytes it relayed, so tests can prove which blobs
 * were downloaded and how often (test/registry/recording-proxy.ts counts uploads instead).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface CountedRequest {
  method: string;
  path: string;
  status: number;
  /** Response body bytes relayed to the client. */
  bytesOut: number;
}

export interface CountingProxy {
  host: string;
  log: CountedRequest[];
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const log: CountedRequest[] = [];
  const [targetHost, targetPort] = target.split(":") as [string, string];
  let self = "";
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: CountedRequest = { method: req.method ?? "", path: req.url ?? "", status: 0, bytesOut: 0 };
    log.push(entry);
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      entry.status = up.statusCode ?? 0;
      const headers = { ...up.headers };
      // Upload Locations must come back through us.
      if (typeof headers.location === "string") headers.location = headers.location.replace(`//${target}/`, `//${self}/`);
      res.writeHead(up.statusCode ?? 502, headers);
      up.on("data", (c: Buffer) => (entry.bytesOut += c.length));
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: self,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
