/**
 * How the CLI names the library options that core messages refer to (errors.ts optionName): the
 * flag a user types to set each one.
 */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  cacheDir: "--cache-dir",
  indexUrl: "--index-url",
  memory: "--memory",
  noCache: "--no-cache",
  noSdk: "--no-sdk",
  platform: "--platform",
  pythonVersion: "--python-version",
  requirements: "--requirements",
  sdkVersion: "--sdk-version",
  sdkWheel: "--sdk-wheel",
  tarball: "--tarball",
  timeout: "--timeout",
  wheelhouse: "--wheelhouse",
};
