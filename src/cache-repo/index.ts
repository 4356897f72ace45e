export { CacheRepo, parseCacheRepo, type CacheRepoOptions, type CacheRepoStats, type PublishItem } from "./cache-repo.js";
export { ENTRY_ARTIFACT_TYPE, entryTag, parseEntry, renderEntry, type EntryLayer } from "./entry.js";
