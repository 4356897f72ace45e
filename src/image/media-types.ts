/** Media types of the OCI image spec and Docker's image manifest v2 schema 2. */
export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

export type ManifestFamily = "oci" | "docker";
export type Compression = "gzip" | "none";

/** Send all four: without OCI types registry 2.8 answers 404 for OCI manifests, without schema2 it downgrades to schema1. */
export const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
].join(", ");

export function isIndexMediaType(mt: string): boolean {
  return mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;
}

export function isImageManifestMediaType(mt: string): boolean {
  return mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
}

/** The layer media type for a family and compression; one family per image. */
export function layerMediaType(family: ManifestFamily, compression: Compression): string {
  if (family === "docker") return compression === "gzip" ? MediaType.dockerLayerGzip : MediaType.dockerLayer;
  return compression === "gzip" ? MediaType.ociLayerGzip : MediaType.ociLayer;
}

export function configMediaType(family: ManifestFamily): string {
  return family === "docker" ? MediaType.dockerConfig : MediaType.ociConfig;
}

export function manifestMediaType(family: ManifestFamily): string {
  return family === "docker" ? MediaType.dockerManifest : MediaType.ociManifest;
}

export function isGzipLayer(mt: string): boolean {
  return mt.endsWith("+gzip") || mt.endsWith(".tar.gzip");
}

export function isLayerMediaType(mt: string): boolean {
  return (
    mt === MediaType.ociLayer ||
    mt === MediaType.ociLayerGzip ||
    mt === MediaType.ociLayerZstd ||
    mt === MediaType.dockerLayer ||
    mt === MediaType.dockerLayerGzip ||
    mt === MediaType.dockerForeignLayerGzip ||
    mt === "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
    mt === "application/vnd.oci.image.layer.nondistributable.v1.tar"
  );
}
