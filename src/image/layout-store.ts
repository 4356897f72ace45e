/**
 * Where an OCI image layout's files live: a directory (`oci:DIR`) or a tar of one (`oci-archive:`,
 * and map-build's own hybrid docker tarballs, which are OCI layouts plus a manifest.json). The
 * layout reader asks for files and blobs by name and never cares which.
 */
import { join } from "node:path";
import { MAX_JSON_DOCUMENT_BYTES } from "../defaults.js";
import { MapBuildError } from "../errors.js";
import { InputFileError, readRegularFile } from "../open-regular.js";
import { digestAlgorithm, digestHex, type Digest } from "../digest.js";
import { indexTar, readMember, type TarMember } from "./tar-index.js";

export interface BlobLocation {
  file: string;
  /** Offset inside `file` when the blob is a tar member; undefined for a whole file. */
  offset?: number;
}

export interface LayoutStore {
  /** For messages: the directory or archive path. */
  readonly name: string;
  /** For messages: how the user names it (`oci`, `oci-archive`, `docker-archive` for a hybrid tar). */
  readonly transport: string;
  /** A top-level file (`oci-layout`, `index.json`); undefined when absent. */
  readFile(rel: string): Promise<Buffer | undefined>;
  /** Where a blob's bytes are; undefined when absent. */
  blob(d: Digest): BlobLocation | undefined;
}

export function blobRelPath(d: Digest): string {
  return `blobs/${digestAlgorithm(d)}/${digestHex(d)}`;
}

export function directoryStore(dir: string): LayoutStore {
  return {
    name: dir,
    transport: "oci",
    readFile: (rel) => readSmallFile(join(dir, rel)),
    blob: (d) => ({ file: join(dir, blobRelPath(d)) }),
  };
}

/** A manifest/index/config file, refused before reading when it is larger than any should be (or a FIFO). */
function readSmallFile(path: string): Promise<Buffer | undefined> {
  return readRegularFile(path, MAX_JSON_DOCUMENT_BYTES).catch((e: unknown) => {
    if (e instanceof InputFileError) throw new MapBuildError("E_INPUT_FORMAT", e.message, { hint: "the layout is damaged or not an OCI image layout; copy it again" });
    return undefined;
  });
}

export async function archiveStore(file: string, members?: Map<string, TarMember>, transport = "oci-archive"): Promise<LayoutStore> {
  const index = members ?? (await indexTar(file, transport));
  const get = (rel: string) => index.get(rel) ?? index.get(`./${rel}`);
  return {
    name: file,
    transport,
    async readFile(rel) {
      const m = get(rel);
      return m ? readMember(file, m) : undefined;
    },
    blob(d) {
      const m = get(blobRelPath(d));
      return m ? { file, offset: m.offset } : undefined;
    },
  };
}

/** A tar that holds an OCI layout (oci-layout + index.json at its root). */
export function isLayoutArchive(members: Map<string, TarMember>): boolean {
  return (members.has("oci-layout") || members.has("./oci-layout")) && (members.has("index.json") || members.has("./index.json"));
}
