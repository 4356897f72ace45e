/**
 * A recording HTTP proxy in front of a real registry: forwards every request unchanged and logs
 * method, path, status and the body bytes in both directions, so tests can prove which blobs were
 * uploaded (bytesIn) or downloaded (bytesOut), and how often.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Request body bytes the client sent. */
  bytesIn: number;
  /** Response body bytes relayed to the client. */
  bytesOut: number;
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
    const entry: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", status: 0, bytesIn: 0, bytesOut: 0 };
    log.push(entry);
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      entry.status = up.statusCode ?? 0;
      const headers = { ...up.headers };
      // upload Locations must come back through us
      if (typeof headers.location === "string") headers.location = headers.location.replace(`//${target}/`, `//${self}/`);
      res.writeHead(up.statusCode ?? 502, headers);
      up.on("data", (c: Buffer) => (entry.bytesOut += c.length));
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
