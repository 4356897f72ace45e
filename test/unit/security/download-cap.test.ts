/**
 * Issue 13 (low): a wheel server that streams without end is cut off at the sink's limit; the
 * transfer is aborted (an endless body would otherwise never settle) instead of filling the disk.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { isMapBuildError } from "../../../src/errors.js";
import { cappedSink, httpGet } from "../../../src/python/http-get.js";

describe("download size cap", () => {
  let server: Server;
  let url: URL;
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => { while (res.write(chunk)); };
      res.on("drain", pump);
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/endless.whl`);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("an endless body stops at the limit with E_PYTHON_DEPS", async () => {
    let written = 0;
    const sink = cappedSink({ write: (c) => void (written += c.length), reset: () => void (written = 0) }, 1024 * 1024);
    const dispatcher = new Agent();
    await assert.rejects(httpGet(url, { dispatcher, headers: () => ({}), attempts: 1 }, sink), (e: unknown) => isMapBuildError(e) && e.code === "E_PYTHON_DEPS" && /larger than 1048576/.test(e.message));
    assert.ok(written <= 1024 * 1024, `${written} bytes reached the writer`);
    await dispatcher.close(); // the rejection itself shows the endless transfer was aborted
  });
});
