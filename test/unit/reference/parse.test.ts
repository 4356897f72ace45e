import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseReference, withDigest, withTag, normalizeRegistry, isDockerHub } from "../../../src/reference/index.js";
import { isMapBuildError } from "../../../src/errors.js";

const D = `sha256:${"a".repeat(64)}`;
const D512 = `sha512:${"b".repeat(128)}`;

interface Want {
  registry: string;
  apiHost?: string;
  repository: string;
  tag: string | undefined;
  digest?: string;
  str: string;
}

const valid: Array<[string, Want]> = [
  ["ubuntu", { registry: "docker.io", apiHost: "registry-1.docker.io", repository: "library/ubuntu", tag: "latest", str: "docker.io/library/ubuntu:latest" }],
  ["ubuntu:22.04", { registry: "docker.io", repository: "library/ubuntu", tag: "22.04", str: "docker.io/library/ubuntu:22.04" }],
  ["library/ubuntu", { registry: "docker.io", repository: "library/ubuntu", tag: "latest", str: "docker.io/library/ubuntu:latest" }],
  ["docker.io/ubuntu", { registry: "docker.io", apiHost: "registry-1.docker.io", repository: "library/ubuntu", tag: "latest", str: "docker.io/library/ubuntu:latest" }],
  ["index.docker.io/ubuntu:20.04", { registry: "docker.io", apiHost: "registry-1.docker.io", repository: "library/ubuntu", tag: "20.04", str: "docker.io/library/ubuntu:20.04" }],
  ["Docker.IO/library/python:3.10", { registry: "docker.io", repository: "library/python", tag: "3.10", str: "docker.io/library/python:3.10" }],
  ["projectmonai/monai", { registry: "docker.io", repository: "projectmonai/monai", tag: "latest", str: "docker.io/projectmonai/monai:latest" }],
  ["docker.io/projectmonai/monai:1.3.0", { registry: "docker.io", repository: "projectmonai/monai", tag: "1.3.0", str: "docker.io/projectmonai/monai:1.3.0" }],
  ["nvcr.io/nvidia/pytorch:21.07-py3", { registry: "nvcr.io", apiHost: "nvcr.io", repository: "nvidia/pytorch", tag: "21.07-py3", str: "nvcr.io/nvidia/pytorch:21.07-py3" }],
  ["NVCR.IO/nvidia/pytorch:21.07-py3", { registry: "nvcr.io", repository: "nvidia/pytorch", tag: "21.07-py3", str: "nvcr.io/nvidia/pytorch:21.07-py3" }],
  ["nvcr.io/nvidia/clara/bionemo:v1", { registry: "nvcr.io", repository: "nvidia/clara/bionemo", tag: "v1", str: "nvcr.io/nvidia/clara/bionemo:v1" }],
  ["localhost/app", { registry: "localhost", apiHost: "localhost", repository: "app", tag: "latest", str: "localhost/app:latest" }],
  ["localhost:5000/app:1", { registry: "localhost:5000", apiHost: "localhost:5000", repository: "app", tag: "1", str: "localhost:5000/app:1" }],
  ["127.0.0.1:5000/base/python:bookworm-python", { registry: "127.0.0.1:5000", repository: "base/python", tag: "bookworm-python", str: "127.0.0.1:5000/base/python:bookworm-python" }],
  ["[::1]:5000/app:v2", { registry: "[::1]:5000", apiHost: "[::1]:5000", repository: "app", tag: "v2", str: "[::1]:5000/app:v2" }],
  ["[::1]/app", { registry: "[::1]", repository: "app", tag: "latest", str: "[::1]/app:latest" }],
  ["[2001:db8::1]:443/team/app@" + D, { registry: "[2001:db8::1]:443", repository: "team/app", tag: undefined, digest: D, str: `[2001:db8::1]:443/team/app@${D}` }],
  ["ghcr.io/owner/repo", { registry: "ghcr.io", repository: "owner/repo", tag: "latest", str: "ghcr.io/owner/repo:latest" }],
  ["my-registry.example.com:8443/a/b/c:tag", { registry: "my-registry.example.com:8443", repository: "a/b/c", tag: "tag", str: "my-registry.example.com:8443/a/b/c:tag" }],
  ["reg:5000/app", { registry: "reg:5000", repository: "app", tag: "latest", str: "reg:5000/app:latest" }],
  ["ubuntu@" + D, { registry: "docker.io", repository: "library/ubuntu", tag: undefined, digest: D, str: `docker.io/library/ubuntu@${D}` }],
  ["ubuntu:22.04@" + D, { registry: "docker.io", repository: "library/ubuntu", tag: "22.04", digest: D, str: `docker.io/library/ubuntu:22.04@${D}` }],
  ["localhost:5000/app:1@" + D, { registry: "localhost:5000", repository: "app", tag: "1", digest: D, str: `localhost:5000/app:1@${D}` }],
  ["nvcr.io/nvidia/pytorch@" + D512, { registry: "nvcr.io", repository: "nvidia/pytorch", tag: undefined, digest: D512, str: `nvcr.io/nvidia/pytorch@${D512}` }],
  ["a_b/c__d/e-f/g---h/i.j", { registry: "docker.io", repository: "a_b/c__d/e-f/g---h/i.j", tag: "latest", str: "docker.io/a_b/c__d/e-f/g---h/i.j:latest" }],
  ["foo:_Tag.With-Mixed_Case", { registry: "docker.io", repository: "library/foo", tag: "_Tag.With-Mixed_Case", str: "docker.io/library/foo:_Tag.With-Mixed_Case" }],
  ["foo:" + "t".repeat(128), { registry: "docker.io", repository: "library/foo", tag: "t".repeat(128), str: `docker.io/library/foo:${"t".repeat(128)}` }],
  // docker's own quirk: without a '/' there is no registry, so `localhost:5000` is repo `localhost` tag `5000`.
  ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000", str: "docker.io/library/localhost:5000" }],
  ["0/1", { registry: "docker.io", repository: "0/1", tag: "latest", str: "docker.io/0/1:latest" }],
  ["sub.domain-x.io/repo", { registry: "sub.domain-x.io", repository: "repo", tag: "latest", str: "sub.domain-x.io/repo:latest" }],
];

const invalidCases: Array<[string, RegExp]> = [
  ["", /empty/],
  ["   ", /empty/],
  ["Ubuntu", /must be lowercase/],
  ["nvcr.io/NVIDIA/pytorch:21.07-py3", /must be lowercase \("NVIDIA"\)/],
  ["MyOrg/app", /must be lowercase/],
  ["ubuntu:", /tag is empty/],
  ["ubuntu:-bad", /invalid tag "-bad"/],
  ["ubuntu:.bad", /invalid tag ".bad"/],
  ["ubuntu:bad+tag", /invalid tag "bad\+tag"/],
  ["ubuntu:" + "t".repeat(129), /longer than 128/],
  ["ubuntu@sha256:abc", /invalid digest/],
  ["ubuntu@sha256:" + "A".repeat(64), /invalid digest/],
  ["ubuntu@md5:" + "a".repeat(32), /invalid digest/],
  ["ubuntu@", /digest after '@' is empty/],
  ["ubuntu@" + D + "@" + D, /more than one '@'/],
  ["ubuntu:tag:more", /invalid repository path component "ubuntu:tag"/],
  ["nvcr.io/", /repository name is empty/],
  ["nvcr.io//x", /empty path component/],
  ["nvcr.io/x/", /empty path component/],
  ["/x", /empty path component/],
  ["foo/-bar", /invalid repository path component "-bar"/],
  ["foo/bar_", /invalid repository path component "bar_"/],
  ["foo/a___b", /invalid repository path component "a___b"/],
  ["foo/a..b", /invalid repository path component "a..b"/],
  ["foo bar", /whitespace/],
  ["-bad.io/app", /invalid registry host "-bad.io"/],
  ["bad_host.io/app", /invalid registry host/],
  ["localhost:port/app", /invalid registry port "port"/],
  ["localhost:99999/app", /invalid registry port/],
  ["::1:5000/app", /invalid registry host "::1:5000"/],
  ["[::1/app", /IPv6/],
  ["[::1]x/app", /invalid registry host/],
  ["[zz::1]:5000/app", /IPv6/],
  [":tag", /repository name is empty/],
  ["@" + D, /repository name is empty/],
  ["nvcr.io/" + "a".repeat(250), /longer than 255/],
  ["a/" + "b".repeat(250), /longer than 255/],
];

describe("parseReference: valid references", () => {
  for (const [input, want] of valid) {
    it(input.length > 80 ? `${input.slice(0, 80)}…` : input, () => {
      const ref = parseReference(input);
      assert.equal(ref.registry, want.registry);
      assert.equal(ref.apiHost, want.apiHost ?? (want.registry === "docker.io" ? "registry-1.docker.io" : want.registry));
      assert.equal(ref.repository, want.repository);
      assert.equal(ref.tag, want.tag);
      assert.equal(ref.digest, want.digest);
      assert.equal(ref.identifier, want.digest ?? want.tag);
      assert.equal(ref.toString(), want.str);
      assert.equal(String(ref), want.str);
      // Round trip: the canonical form parses to itself.
      assert.equal(parseReference(ref.toString()).toString(), want.str);
    });
  }
});

describe("parseReference: invalid references", () => {
  for (const [input, message] of invalidCases) {
    it(JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input), () => {
      assert.throws(
        () => parseReference(input),
        (e: unknown) => {
          assert.ok(isMapBuildError(e), "a MapBuildError");
          assert.equal(e.code, "E_INVALID_REFERENCE");
          assert.match(e.message, message);
          assert.ok(e.hint && e.hint.length > 0, "has a hint");
          assert.ok(!e.message.includes("\n"), "one line");
          return true;
        },
      );
    });
  }
});

describe("parseReference: options and helpers", () => {
  it("defaultTag: false leaves tag undefined but identifier latest", () => {
    const ref = parseReference("nvcr.io/nvidia/pytorch", { defaultTag: false });
    assert.equal(ref.tag, undefined);
    assert.equal(ref.identifier, "latest");
    assert.equal(ref.toString(), "nvcr.io/nvidia/pytorch");
  });
  it("the uppercase hint suggests the lowercase name", () => {
    assert.throws(() => parseReference("nvcr.io/Nvidia/PyTorch"), (e: unknown) => {
      assert.ok(isMapBuildError(e));
      assert.match(e.hint ?? "", /nvidia\/pytorch/);
      return true;
    });
  });
  it("references are immutable and serialise to their string form", () => {
    const ref = parseReference("ubuntu");
    assert.throws(() => {
      (ref as { tag: string | undefined }).tag = "x";
    });
    assert.equal(JSON.stringify({ ref }), '{"ref":"docker.io/library/ubuntu:latest"}');
  });
  it("withDigest pins and keeps the tag; withTag drops the digest", () => {
    const ref = withDigest(parseReference("localhost:5000/app:1"), D);
    assert.equal(ref.identifier, D);
    assert.equal(ref.toString(), `localhost:5000/app:1@${D}`);
    const tagged = withTag(ref, "2");
    assert.equal(tagged.toString(), "localhost:5000/app:2");
    assert.equal(tagged.digest, undefined);
    assert.throws(() => withDigest(ref, "sha256:nope"), /invalid digest/);
    assert.throws(() => withTag(ref, "-x"), /invalid tag/);
  });
  it("normalizeRegistry maps docker config keys to registry names", () => {
    assert.equal(normalizeRegistry("https://index.docker.io/v1/"), "docker.io");
    assert.equal(normalizeRegistry("index.docker.io"), "docker.io");
    assert.equal(normalizeRegistry("registry-1.docker.io"), "docker.io");
    assert.equal(normalizeRegistry("https://NVCR.io"), "nvcr.io");
    assert.equal(normalizeRegistry("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
    assert.equal(normalizeRegistry("[::1]:5000"), "[::1]:5000");
    assert.ok(isDockerHub("docker.io"));
    assert.ok(!isDockerHub("nvcr.io"));
  });
});
