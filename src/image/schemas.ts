/**
 * zod schemas for every manifest, index and config we read. Unknown fields pass through
 * (looseObject) so nothing a base image carries is dropped when we re-serialise its config.
 */
import { z } from "zod";
import { MapBuildError } from "../errors.js";
import { isDigest, type Digest } from "../digest.js";
import { jsonDepth, MAX_JSON_DEPTH } from "./json-depth.js";

const digest = z.string().refine(isDigest, "not a sha256/sha512 digest") as unknown as z.ZodType<Digest>;

export const PlatformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
});
export type Platform = z.infer<typeof PlatformSchema>;

export const DescriptorSchema = z.looseObject({
  mediaType: z.string().min(1),
  digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: PlatformSchema.optional(),
  /** OCI 1.1: set on artifacts (referrers), e.g. an SBOM attached to an image. */
  artifactType: z.string().optional(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageIndex = z.infer<typeof ImageIndexSchema>;

export const HistorySchema = z.looseObject({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});
export type History = z.infer<typeof HistorySchema>;

export const ContainerConfigSchema = z.looseObject({
  User: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullable().optional(),
  Env: z.array(z.string()).nullable().optional(),
  Entrypoint: z.array(z.string()).nullable().optional(),
  Cmd: z.array(z.string()).nullable().optional(),
  Volumes: z.record(z.string(), z.unknown()).nullable().optional(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
  StopSignal: z.string().optional(),
});
export type ContainerConfig = z.infer<typeof ContainerConfigSchema>;

export const ImageConfigSchema = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  "os.version": z.string().optional(),
  config: ContainerConfigSchema.optional(),
  rootfs: z.looseObject({
    type: z.literal("layers"),
    diff_ids: z.array(digest),
  }),
  history: z.array(HistorySchema).optional(),
});
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** Bad metadata means a damaged or non-conforming image, whichever of its sources it came from. */
const DAMAGED_IMAGE_HINT = "the image is damaged or not an OCI/Docker image: re-create or re-copy it (e.g. skopeo copy), or choose another image";

/** Parse JSON bytes and validate them; every failure is E_MANIFEST_INVALID naming `what`. */
export function parseJson<T>(schema: z.ZodType<T>, bytes: Uint8Array | string, what: string): T {
  let value: unknown;
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8");
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new MapBuildError("E_MANIFEST_INVALID", `${what} nests deeper than ${MAX_JSON_DEPTH} levels`, { hint: DAMAGED_IMAGE_HINT });
  }
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MapBuildError("E_MANIFEST_INVALID", `${what} is not valid JSON`, { cause, hint: DAMAGED_IMAGE_HINT });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new MapBuildError("E_MANIFEST_INVALID", `${what} is malformed${where}: ${issue?.message ?? "invalid"}`, {
      cause: result.error,
      hint: DAMAGED_IMAGE_HINT,
    });
  }
  return result.data;
}
