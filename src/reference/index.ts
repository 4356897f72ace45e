export type { ImageReference, ParseReferenceOptions } from "./types.js";
export {
  parseReference,
  withDigest,
  withTag,
  normalizeRegistry,
  isDockerHub,
  DOCKER_HUB_REGISTRY,
  DOCKER_HUB_API_HOST,
} from "./parse.js";
