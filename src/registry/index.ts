/** Public surface of the registry client. */
export { RegistryClient, type SignalOption } from "./client.js";
export type { RegistryClientOptions, RegistryTuning, RetryOptions } from "./options.js";
export { DEFAULT_RETRY } from "./options.js";
export type { RepositoryRef, FetchBlobOptions } from "./blobs.js";
export type { FetchedManifest, ManifestDescriptor } from "./manifests.js";
export type { ResolveImageOptions } from "./remote-image.js";
export { RemoteLayer } from "./remote-image.js";
export type { BlobToPush, PushAction, PushBlobOptions } from "./upload.js";
export type { Credential, Keychain } from "./credentials-types.js";
export { redactUrl } from "./redact.js";
export { backoffDelay } from "./retry.js";
export { isRetryableError } from "./retry.js";
export { isRetryableStatus } from "./retry.js";
export { parseRetryAfter } from "./retry.js";
export { sleep } from "./retry.js";
