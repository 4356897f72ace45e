/**
 * Header bytes, checked by real readers (GNU tar, Python's tarfile). The ≥ 8 GiB case is built as
 * a sparse tar: our header bytes, then a truncate to the full length, so the zero content and the
 * end-of-archive blocks cost no disk and no time. (A full writeLayer of 8 GiB took 58 s here,
 * mostly disk writes, so the streaming path is covered by the 64/512 MiB tests instead.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { BLOCK, encodeHeader, paxRecord, type TarHeader } from "../../../src/layer/tar-header.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { runOk } from "../../helpers/run.js";

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await makeTempDir("mb-hdr-"));
});
after(async () => {
  await cleanup();
});

/** A tar holding one member with zero content, written sparsely. */
async function sparseTar(file: string, h: TarHeader): Promise<void> {
  const header = encodeHeader(h);
  const fh = await open(file, "wx");
  try {
    await fh.write(header, 0, header.length, 0);
    const padded = Math.ceil(h.size / BLOCK) * BLOCK;
    await fh.truncate(header.length + padded + 2 * BLOCK);
  } finally {
    await fh.close();
  }
}

/** name, size, mode, uid, type, linkname and pax keys of every member, as Python's tarfile reads them. */
async function pyList(file: string): Promise<{ name: string; size: number; mode: number; uid: number; gid: number; type: string; linkname: string; mtime: number; pax: Record<string, string> }[]> {
  const script = [
    "import json, sys, tarfile",
    "t = tarfile.open(sys.argv[1])",
    "print(json.dumps([dict(name=m.name, size=m.size, mode=m.mode, uid=m.uid, gid=m.gid, type=m.type.decode(), linkname=m.linkname, mtime=m.mtime, pax=m.pax_headers) for m in t]))",
  ].join("\n");
  return JSON.parse(await runOk("python3", ["-c", script, file]));
}

describe("encodeHeader", () => {
  it("writes a plain ustar header for short ASCII names, with fixed fields", () => {
    const b = encodeHeader({ name: "opt/app/x.py", type: "file", mode: 0o644, uid: 0, gid: 0, size: 5, mtime: 0 });
    assert.equal(b.length, BLOCK);
    assert.equal(b.subarray(0, 12).toString(), "opt/app/x.py");
    assert.equal(b.subarray(100, 108).toString(), "0000644\0");
    assert.equal(b.subarray(124, 136).toString(), "00000000005\0");
    assert.equal(b.subarray(136, 148).toString(), "00000000000\0");
    assert.equal(b.subarray(257, 265).toString(), "ustar\u000000");
    assert.ok(b.subarray(265, 329).every((x) => x === 0), "uname and gname are empty");
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
    assert.equal(parseInt(b.subarray(148, 154).toString(), 8), sum);
  });

  it("computes pax record lengths across a digit boundary", () => {
    for (const n of [1, 80, 89, 90, 91, 95, 96, 97, 98, 990, 995, 996]) {
      const rec = paxRecord("path", "x".repeat(n));
      const len = Number(rec.slice(0, rec.indexOf(" ")));
      assert.equal(Buffer.byteLength(rec), len, `value length ${n}`);
    }
  });

  it("stores a size ≥ 8 GiB in a pax size record that GNU tar and Python read back", async () => {
    const size = 8 * 1024 ** 3 + 12345;
    const file = join(dir, "big.tar");
    await sparseTar(file, { name: "models/weights.bin", type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: 1700000000 });
    const listing = await runOk("tar", ["-tvf", file]);
    assert.match(listing, new RegExp(`^-rw-r--r-- 0/0 +${size} 2023-11-1\\d \\d\\d:\\d\\d models/weights.bin\\n$`));
    const [m, ...rest] = await pyList(file);
    assert.equal(rest.length, 0);
    assert.equal(m!.size, size);
    assert.equal(m!.pax.size, String(size));
    assert.equal(m!.mtime, 1700000000);
    assert.ok(!("atime" in m!.pax) && !("ctime" in m!.pax) && !("mtime" in m!.pax));
  });

  it("uses pax path/linkpath for long and non-ASCII names, and pax uid/gid beyond 7 octal digits", async () => {
    const long = `opt/${"d".repeat(120)}/file.txt`;
    const headers: TarHeader[] = [
      { name: long, type: "file", mode: 0o755, uid: 3000000, gid: 2, size: 0, mtime: 0 },
      { name: "opt/ünï/new\nline", type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 },
      { name: "opt/link", type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: `../${"t".repeat(150)}` },
      { name: "opt/hard", type: "hardlink", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: long },
      { name: "opt/dir/", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 },
    ];
    const file = join(dir, "names.tar");
    const fh = await open(file, "wx");
    let off = 0;
    for (const h of headers) {
      const b = encodeHeader(h);
      await fh.write(b, 0, b.length, off);
      off += b.length;
    }
    await fh.truncate(off + 2 * BLOCK);
    await fh.close();
    const ms = await pyList(file);
    assert.deepEqual(
      ms.map((m) => [m.name, m.type, m.mode, m.uid, m.gid, m.linkname]),
      [
        [long, "0", 0o755, 3000000, 2, ""],
        ["opt/ünï/new\nline", "0", 0o644, 0, 0, ""],
        ["opt/link", "2", 0o777, 0, 0, `../${"t".repeat(150)}`],
        ["opt/hard", "1", 0o644, 0, 0, long],
        ["opt/dir", "5", 0o755, 0, 0, ""],
      ],
    );
    const listing = await runOk("tar", ["-tvf", file]);
    assert.ok(listing.includes(long));
  });
});
