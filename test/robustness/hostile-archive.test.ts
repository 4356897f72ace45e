/**
 * Hostile base archives through the real CLI (issue 13 item 3): tiny docker-archive and
 * oci-archive files whose tar headers lie about sizes. Each must end with exit 3 and one error
 * line (before: a Node C++ assertion, exit 134, or exit 1), for `package` and for `inspect`.
 */
import { after, before, describe, it } from "node:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { base256, paxBody, rawTar, type RawMember } from "../unit/security/hostile-tar.js";
import { plantCanary, writeApp } from "./hostile.js";
import { assertCleanFailure, makeSandbox, runMb, type Sandbox } from "./runner.js";

const GIB = 1024 ** 3;
const OCI_LAYOUT = { name: "oci-layout", body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') };

interface Case {
  name: string;
  kind: "docker-archive" | "oci-archive";
  members: RawMember[];
  command: "package" | "inspect";
  message: RegExp;
}

const CASES: Case[] = [
  { name: "docker-archive: size field NaN", kind: "docker-archive", command: "package", members: [{ name: "manifest.json", body: Buffer.from("[]"), sizeField: "zzzzzzzzzzz\0" }], message: /invalid size/ },
  { name: "oci-archive: 64 GiB base-256 size", kind: "oci-archive", command: "package", members: [OCI_LAYOUT, { name: "index.json", body: Buffer.from("{}"), sizeField: base256(64n * BigInt(GIB)) }], message: /past the end/ },
  { name: "docker-archive: 6 GiB pax size (inspect)", kind: "docker-archive", command: "inspect", members: [{ name: "pax", type: "x", body: paxBody({ size: String(6 * GIB) }) }, { name: "manifest.json", body: Buffer.from("[]") }], message: /past the end/ },
  { name: "docker-archive: 17 MiB manifest.json", kind: "docker-archive", command: "package", members: [{ name: "manifest.json", body: Buffer.alloc(17 * 1024 * 1024, 0x20) }], message: /more than a manifest/ },
];

describe("hostile base archives", () => {
  let sb: Sandbox;
  let app: string;
  before(async () => {
    sb = await makeSandbox();
    app = await writeApp(sb);
  });
  after(() => sb.cleanup());

  for (const c of CASES) {
    it(`${c.name}: exit 3, one error line`, async () => {
      const canary = await plantCanary(sb.root);
      const file = join(sb.root, `${c.kind}.tar`);
      await writeFile(file, rawTar(c.members));
      const tarball = join(sb.root, "out.tar");
      const args = c.command === "package"
        ? ["package", app, "-t", "a:1", "-b", `${c.kind}:${file}`, "--no-sdk", "--tarball", tarball]
        : ["inspect", `${c.kind}:${file}`, "--no-sdk"];
      const r = await runMb(sb, args);
      await assertCleanFailure(sb, r, { exit: ExitCode.input, code: "E_INPUT_FORMAT", message: c.message, outputs: [tarball] });
      await canary.assertIntact();
    });
  }

  it("docker-archive whose config nests 200 000 levels: exit 6, no stack overflow", async () => {
    const config = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    const file = join(sb.root, "deep.tar");
    await writeFile(file, rawTar([
      { name: "manifest.json", body: Buffer.from('[{"Config":"config.json","RepoTags":["a:1"],"Layers":[]}]') },
      { name: "config.json", body: Buffer.from(config) },
    ]));
    const tarball = join(sb.root, "out.tar");
    const r = await runMb(sb, ["package", app, "-t", "a:1", "-b", `docker-archive:${file}`, "--no-sdk", "--tarball", tarball]);
    await assertCleanFailure(sb, r, { exit: ExitCode.integrity, code: "E_MANIFEST_INVALID", message: "nests deeper", outputs: [tarball] });
  });
});
