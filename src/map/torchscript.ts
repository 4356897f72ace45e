/**
 * Is a file a TorchScript archive? The SDK's TorchScriptModel.accept (monai/deploy/core/models/
 * torch_model.py) opens it as a zip and looks for `<top>/code/`, `<top>/data/`, `<top>/constants.pkl`
 * and `<top>/data.pkl`. Models are large, so only the zip's central directory is read: the end record
 * is in the last 64 KiB + 22 bytes, and (zip64) its locator points at the real offsets.
 */
import { open } from "node:fs/promises";

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
/** Refuse to read absurd central directories; a TorchScript archive lists a few thousand names. */
const MAX_CDIR = 64 * 2 ** 20;

/** Names in a zip's central directory, or undefined if the file is not a readable zip. */
async function zipEntryNames(path: string): Promise<string[] | undefined> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size < 22) return undefined;
    const tailLen = Math.min(size, 65536 + 22);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return undefined;
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if ((cdOffset === 0xffffffff || cdSize === 0xffffffff) && eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIG) {
      const z64At = Number(tail.readBigUInt64LE(eocd - 20 + 8));
      const z64 = Buffer.alloc(56);
      await fh.read(z64, 0, 56, z64At);
      if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) return undefined;
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOffset = Number(z64.readBigUInt64LE(48));
    }
    if (cdSize > MAX_CDIR || cdOffset + cdSize > size) return undefined;
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const names: string[] = [];
    for (let p = 0; p + 46 <= cd.length && cd.readUInt32LE(p) === CDIR_SIG; ) {
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      names.push(cd.toString("utf8", p + 46, p + 46 + nameLen));
      p += 46 + nameLen + extraLen + commentLen;
    }
    return names;
  } finally {
    await fh.close();
  }
}

/** TorchScriptModel.accept: all four markers below the archive's top folder. */
export async function isTorchScriptFile(path: string): Promise<boolean> {
  const names = await zipEntryNames(path).catch(() => undefined);
  if (!names) return false;
  let code = false, data = false, constants = false, dataPkl = false;
  for (const n of names) {
    const pivot = n.indexOf("/");
    if (pivot < 0) continue;
    const rest = n.slice(pivot);
    code ||= rest.startsWith("/code/");
    data ||= rest.startsWith("/data/");
    constants ||= rest === "/constants.pkl";
    dataPkl ||= rest === "/data.pkl";
  }
  return code && data && constants && dataPkl;
}
