export type { Sink, SinkContext, SinkNaming, SinkSummary } from "./sink.js";
export { dockerTarballSink, writeDockerTarball, type DockerTarballOptions } from "./docker-tarball.js";
export { ociLayoutSink, writeOciLayout, type OciLayoutOptions } from "./oci-layout.js";
export { ociArchiveSink, writeOciArchive, type OciArchiveOptions } from "./oci-archive.js";
export { engineLoadSink, loadIntoEngine, pingEngine, DEFAULT_DOCKER_SOCKET, type EngineLoadOptions, type EngineLoadResult } from "./engine-load.js";
export { pushImage, pushSink, type PushImageOptions, type PushResult, type PushedBlob } from "./push.js";
export { expectOutputFile } from "./preflight.js";
export { writeOutputFile } from "./output-file.js";
