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
