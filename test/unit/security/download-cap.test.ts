/**
 * Issue 13 (low): a wheel server that streams without end is cut off at the sink's limit; the
 * transfer is aborted (an endless body would otherwise never settle) instead of filling the disk.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import { isMapBuildError } from "../../../src/errors.js";
import { fileSink, httpGet } from "../../../src/python/http-get.js";

describe("download size cap", () => {
  let dir: string;
  let server: Server;
  let url: URL;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-dl-"));
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
    await rm(dir, { recursive: true, force: true });
  });

  it("an endless body stops at the limit with E_PYTHON_DEPS", async () => {
    const file = join(dir, "w");
    const sink = fileSink(file, { update() {}, reset() {} }, 1024 * 1024);
    const dispatcher = new Agent();
    await assert.rejects(httpGet(url, { dispatcher, headers: () => ({}), attempts: 1 }, sink), (e: unknown) => isMapBuildError(e) && e.code === "E_PYTHON_DEPS" && /larger than 1048576/.test(e.message));
    assert.throws(() => sink.close());
    assert.ok((await stat(file)).size <= 1024 * 1024);
    await dispatcher.close(); // the rejection itself shows the endless transfer was aborted
  });
});
