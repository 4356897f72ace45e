/**
 * Facts about a build that a later `inspect` must know and cannot see in the files, recorded as
 * image labels. Without them a MAP built with --no-sdk failed the SDK check unless the reader
 * remembered to say so again. Only departures from the default are recorded, so a default build's
 * config (and digest) is unchanged.
 */
export const SDK_LABEL = "map-build.sdk";

export interface BuildFacts {
  /** No SDK was installed on purpose. */
  noSdk: boolean;
}

export function buildFactLabels(facts: BuildFacts): Record<string, string> {
  return facts.noSdk ? { [SDK_LABEL]: "none" } : {};
}

export function readBuildFacts(labels: Record<string, string> | null | undefined): BuildFacts {
  return { noSdk: labels?.[SDK_LABEL] === "none" };
}
