export { writeDockerTarball, type DockerTarballOptions } from "./docker-tarball.js";
export { writeOciLayout, writeOciArchive, type OciLayoutOptions } from "./oci-layout.js";
export { loadIntoEngine, pingEngine, DEFAULT_DOCKER_SOCKET, type EngineLoadOptions, type EngineLoadResult } from "./engine-load.js";
export { pushImage, type PushImageOptions, type PushResult, type PushedBlob } from "./push.js";
