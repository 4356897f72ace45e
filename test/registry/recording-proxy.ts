/**
 * A recording HTTP proxy in front of a real registry: forwards every request unchanged and logs
 * method, path, status and request-body bytes, so tests can prove which bytes were uploaded.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Request body bytes the client sent. */
  bytesIn: number;
}

export interface RecordingProxy {
  host: string;
  log: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const log: RecordedRequest[] = [];
  const [targetHost, targetPort] = target.split(":") as [string, string];
  let self = "";
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", status: 0, bytesIn: 0 };
    log.push(entry);
    // Host stays the proxy's, so the registry builds upload Locations that come back through us.
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      entry.status = up.statusCode ?? 0;
      const headers = { ...up.headers };
      if (typeof headers.location === "string") headers.location = headers.location.replace(`//${target}/`, `//${self}/`);
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.on("data", (c: Buffer) => (entry.bytesIn += c.length));
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
