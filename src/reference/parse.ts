/**
 * Image reference parser following the docker grammar of distribution/reference
 * (https://github.com/distribution/reference/blob/main/reference.go):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := host [":" port]       host := domain-name | IPv4 | "[" IPv6 "]"
 *
 * The first component is a domain only when it contains `.` or `:` or is `localhost`
 * (distribution/reference normalize.go, splitDockerDomain); everything else is Docker Hub.
 */
import { MapBuildError } from "../errors.js";
import type { ImageReference, ParseReferenceOptions } from "./types.js";

export const DOCKER_HUB_REGISTRY = "docker.io";
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** distribution/reference NameTotalLengthMax: checked on the normalised `registry/repository`. */
const NAME_TOTAL_LENGTH_MAX = 255;

const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
/** Same algorithms as src/digest.ts: sha256 is what registries use; sha512 is legal OCI. */
const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const DOMAIN_COMPONENT_RE = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_RE = /^\[[a-fA-F0-9:]+\]$/;
const PORT_RE = /^[0-9]+$/;

const GRAMMAR_HINT =
  "use [registry[:port]/]repository[:tag][@sha256:<64 hex>], e.g. nvcr.io/nvidia/pytorch:21.07-py3";

function invalid(input: string, problem: string, hint: string = GRAMMAR_HINT): MapBuildError {
  const shown = input.length > 300 ? `${input.slice(0, 300)}…` : input;
  return new MapBuildError("E_INVALID_REFERENCE", `invalid image reference "${shown}": ${problem}`, { hint });
}

/** True when the first path component names a registry rather than a Docker Hub namespace. */
function looksLikeDomain(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost";
}

function validateDomain(input: string, domain: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith("[")) {
    const close = domain.indexOf("]");
    host = close < 0 ? domain : domain.slice(0, close + 1);
    const rest = close < 0 ? "" : domain.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw invalid(input, `invalid registry host "${domain}"`);
      port = rest.slice(1);
    }
    if (!IPV6_RE.test(host)) {
      throw invalid(input, `invalid IPv6 registry host "${host}"`, "write IPv6 hosts in brackets, e.g. [::1]:5000/repo:tag");
    }
  } else {
    const colon = domain.lastIndexOf(":");
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (host.includes(":")) {
      throw invalid(input, `invalid registry host "${domain}"`, "write IPv6 hosts in brackets, e.g. [::1]:5000/repo:tag");
    }
    if (!host.split(".").every((c) => DOMAIN_COMPONENT_RE.test(c))) {
      throw invalid(input, `invalid registry host "${host}"`, "a registry host is a DNS name or IP address, e.g. nvcr.io or 127.0.0.1:5000");
    }
  }
  if (port !== undefined && (!PORT_RE.test(port) || Number(port) > 65535)) {
    throw invalid(input, `invalid registry port "${port}"`, "a registry port is a number from 0 to 65535");
  }
}

function validatePath(input: string, path: string): void {
  if (path === "") throw invalid(input, "repository name is empty");
  for (const component of path.split("/")) {
    if (PATH_COMPONENT_RE.test(component)) continue;
    if (component === "") throw invalid(input, "repository name has an empty path component");
    if (PATH_COMPONENT_RE.test(component.toLowerCase())) {
      throw invalid(input, `repository name must be lowercase ("${component}")`, `write it as "${path.toLowerCase()}"`);
    }
    throw invalid(
      input,
      `invalid repository path component "${component}"`,
      "repository path components are lowercase letters and digits, separated by '.', '_', '__' or '-'",
    );
  }
}

function validateTag(input: string, tag: string): void {
  if (tag === "") throw invalid(input, "tag is empty", "remove the trailing ':' or add a tag, e.g. :latest");
  if (!TAG_RE.test(tag)) {
    throw invalid(
      input,
      tag.length > 128 ? "tag is longer than 128 characters" : `invalid tag "${tag}"`,
      "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
    );
  }
}

function validateDigest(input: string, digest: string): void {
  if (DIGEST_RE.test(digest)) return;
  const shown = digest.length > 80 ? `${digest.slice(0, 80)}…` : digest;
  throw invalid(input, `invalid digest "${shown}"`, "a digest is sha256: followed by 64 lowercase hex digits");
}

class Reference implements ImageReference {
  readonly apiHost: string;
  readonly identifier: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly tag: string | undefined,
    readonly digest: string | undefined,
  ) {
    this.apiHost = registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
    // A registry resolves a bare name to `latest`; that is also what docker pulls.
    this.identifier = digest ?? tag ?? "latest";
    Object.freeze(this);
  }

  toString(): string {
    return `${this.registry}/${this.repository}${this.tag === undefined ? "" : `:${this.tag}`}${this.digest === undefined ? "" : `@${this.digest}`}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Parse a docker image reference; throws MapBuildError E_INVALID_REFERENCE with a hint. */
export function parseReference(input: string, opts: ParseReferenceOptions = {}): ImageReference {
  const defaultTag = opts.defaultTag ?? true;
  if (input.trim() === "") throw invalid(input, "reference is empty", GRAMMAR_HINT);
  if (/\s/.test(input)) throw invalid(input, "reference contains whitespace");

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest === "") throw invalid(input, "digest after '@' is empty", "a digest is sha256: followed by 64 lowercase hex digits");
    if (digest.includes("@")) throw invalid(input, "more than one '@'");
    validateDigest(input, digest);
  }

  // A tag is a ':' after the last '/', so the port in `host:5000/repo` is not mistaken for one.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/") && !rest.endsWith("]")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    validateTag(input, tag);
  }
  if (rest === "") throw invalid(input, "repository name is empty");

  const slash = rest.indexOf("/");
  const first = slash < 0 ? rest : rest.slice(0, slash);
  let registry: string;
  let path: string;
  if (slash >= 0 && looksLikeDomain(first)) {
    validateDomain(input, first);
    registry = first.toLowerCase();
    path = rest.slice(slash + 1);
  } else {
    registry = DOCKER_HUB_REGISTRY;
    path = rest;
  }
  validatePath(input, path);

  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB_REGISTRY;
    if (!path.includes("/")) path = `library/${path}`;
  }
  if (registry.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`, "use a shorter repository name");
  }
  if (tag === undefined && digest === undefined && defaultTag) tag = "latest";
  return new Reference(registry, path, tag, digest);
}

/** The same repository, pinned to `digest` (the tag is kept for display). */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  validateDigest(`${ref.registry}/${ref.repository}@${digest}`, digest);
  return new Reference(ref.registry, ref.repository, ref.tag, digest);
}

/** The same repository with `tag` and no digest. */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  validateTag(`${ref.registry}/${ref.repository}:${tag}`, tag);
  return new Reference(ref.registry, ref.repository, tag, undefined);
}

/** Normalise a registry name as a user or a docker config key spells it (`https://index.docker.io/v1/` → `docker.io`). */
export function normalizeRegistry(name: string): string {
  let host = name.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = host.indexOf("/");
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_REGISTRY : host;
}

export function isDockerHub(registry: string): boolean {
  return normalizeRegistry(registry) === DOCKER_HUB_REGISTRY;
}
