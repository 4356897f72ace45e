/**
 * A base image read from a `docker save` / `skopeo copy … docker-archive:` tar: manifest.json,
 * the config and the layer tars (legacy `<id>/layer.tar`, or the OCI-style `blobs/sha256/<hex>`
 * of docker 25+ and of map-build's own hybrid tar). Layers are served by offset from the archive.
 * The result is a Docker v2 image (docker save has no registry manifest to keep).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { sha256Digest, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { fileLayer } from "./file-layer.js";
import { MediaType } from "./media-types.js";
import { ImageConfigSchema, ImageManifestSchema, parseJson, type ImageManifest } from "./schemas.js";
import { indexTar, readMember, type TarIndexReader, type TarMember } from "./tar-index.js";
import type { Image, Layer } from "./image.js";
import { z } from "zod";
import { normalizeTag } from "./tag-name.js";
import { archiveStore, isLayoutArchive } from "./layout-store.js";
import { readLayoutImage } from "./oci-layout-image.js";

const ArchiveManifestSchema = z.array(
  z.looseObject({ Config: z.string(), RepoTags: z.array(z.string()).nullable().optional(), Layers: z.array(z.string()) }),
);

export { normalizeTag };

function member(members: Map<string, TarMember>, name: string, file: string): TarMember {
  const m = members.get(name.replace(/^(\.\/)+/, ""));
  if (!m) throw new MapBuildError("E_INPUT_FORMAT", `docker-archive ${file} lacks ${name}, named in its manifest.json`, { hint: "the archive is incomplete; save it again" });
  return m;
}

async function isGzip(file: string, m: TarMember): Promise<boolean> {
  if (m.size < 2) return false;
  const b = await readMember(file, { ...m, size: 2 });
  return b[0] === 0x1f && b[1] === 0x8b;
}

function hashMember(file: string, m: TarMember): Promise<Digest> {
  return (async () => {
    const h = createHash("sha256");
    if (m.size > 0) await pipeline(createReadStream(file, { start: m.offset, end: m.offset + m.size - 1 }), h);
    return `sha256:${h.digest("hex")}` as Digest;
  })();
}

export async function readDockerArchiveImage(file: string, tag?: string, readIndex: TarIndexReader = indexTar): Promise<Image> {
  const members = await readIndex(file, "docker-archive");
  // a hybrid tar (map-build's, docker 25+ save) is also an OCI layout: read its real manifest, so
  // the image keeps its digest and media types instead of being re-derived from manifest.json
  if (isLayoutArchive(members)) return readLayoutImage(await archiveStore(file, members, "docker-archive"), tag);
  const entries = parseJson(ArchiveManifestSchema, await readMember(file, member(members, "manifest.json", file)), `${file}: manifest.json`);
  const all = entries.flatMap((e) => e.RepoTags ?? []);
  let entry = entries[0];
  if (tag !== undefined) {
    entry = entries.find((e) => (e.RepoTags ?? []).some((t) => normalizeTag(t) === normalizeTag(tag)));
    if (!entry) throw new MapBuildError("E_MANIFEST_UNKNOWN", `docker-archive ${file} has no image "${tag}"`, { hint: `available: ${all.join(", ") || "(untagged)"}` });
  } else if (entries.length !== 1) {
    throw new MapBuildError("E_INPUT_FORMAT", `docker-archive ${file} holds ${entries.length} images; say which`, {
      hint: `append :TAG to the path; available: ${all.join(", ") || "(untagged)"}`,
    });
  }
  if (!entry) throw new MapBuildError("E_INPUT_FORMAT", `docker-archive ${file} holds no images`);

  const rawConfig = await readMember(file, member(members, entry.Config, file));
  const configDigest = sha256Digest(rawConfig);
  const named = /([a-f0-9]{64})(\.json)?$/.exec(entry.Config)?.[1];
  if (named && `sha256:${named}` !== configDigest) {
    throw new MapBuildError("E_DIGEST_MISMATCH", `docker-archive ${file}: config ${entry.Config} hashes to ${configDigest}`, {
      hint: "the archive is corrupt; save it again",
    });
  }
  const config = parseJson(ImageConfigSchema, rawConfig, `${file}: image config`);
  if (config.rootfs.diff_ids.length !== entry.Layers.length) {
    throw new MapBuildError("E_MANIFEST_INVALID", `docker-archive ${file}: ${entry.Layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids`);
  }

  const layers: Layer[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const m = member(members, path, file);
    const diffId = config.rootfs.diff_ids[i]!;
    const gz = await isGzip(file, m);
    const blobHex = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path)?.[1];
    // An uncompressed layer's digest is its diff_id; open() verifies that claim byte by byte.
    const digest: Digest | (() => Promise<Digest>) = !gz ? diffId : blobHex ? `sha256:${blobHex}` : () => hashMember(file, m);
    layers.push(fileLayer({ file, offset: m.offset, size: m.size, mediaType: gz ? MediaType.dockerLayerGzip : MediaType.dockerLayer, digest, diffId }));
  }

  let manifestBytes: Promise<Buffer> | undefined;
  const rawManifest = () =>
    (manifestBytes ??= (async () => {
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: rawConfig.length },
        layers: await Promise.all(layers.map(async (l) => ({ mediaType: await l.mediaType(), digest: await l.digest(), size: await l.size() }))),
      };
      return canonicalJson(manifest);
    })());
  const tags = entry.RepoTags ?? [];
  return {
    // docker's RepoTags are registry names (`python:3.11` is docker.io/library/python:3.11)
    name: (tag !== undefined ? tags.find((t) => normalizeTag(t) === normalizeTag(tag)) : undefined) ?? tags[0],
    rawManifest,
    manifest: async () => parseJson(ImageManifestSchema, await rawManifest(), "docker-archive manifest"),
    mediaType: async () => MediaType.dockerManifest,
    digest: async () => sha256Digest(await rawManifest()),
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => [...layers],
  };
}
