import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  parseWwwAuthenticate,
  findChallenge,
  scopeFor,
  pullScope,
  pushScope,
  splitScopes,
} from "../../../src/registry/www-authenticate.js";

describe("parseWwwAuthenticate", () => {
  it("parses the distribution Bearer challenge", () => {
    const h = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"';
    assert.deepEqual(parseWwwAuthenticate(h), [
      {
        scheme: "bearer",
        params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/ubuntu:pull" },
      },
    ]);
  });

  it("keeps a realm with a query string and a scope with commas inside quotes", () => {
    const h = 'Bearer realm="https://nvcr.io/proxy_auth?scope=x&a=b",scope="repository:nvidia/pytorch:pull,push"';
    const [c] = parseWwwAuthenticate(h);
    assert.equal(c?.params.realm, "https://nvcr.io/proxy_auth?scope=x&a=b");
    assert.equal(c?.params.scope, "repository:nvidia/pytorch:pull,push");
  });

  it("lower-cases scheme and parameter names, not values", () => {
    const [c] = parseWwwAuthenticate('BASIC Realm="My Registry"');
    assert.deepEqual(c, { scheme: "basic", params: { realm: "My Registry" } });
  });

  it("unescapes quoted-pairs and keeps commas and equals signs inside quotes", () => {
    const [c] = parseWwwAuthenticate('Bearer realm="a\\"b\\\\c, d=e", error="invalid_token"');
    assert.equal(c?.params.realm, 'a"b\\c, d=e');
    assert.equal(c?.params.error, "invalid_token");
  });

  it("accepts whitespace around = and between parameters", () => {
    const [c] = parseWwwAuthenticate('Bearer  realm = "r" ,\tservice= s ,  scope ="x"');
    assert.deepEqual(c?.params, { realm: "r", service: "s", scope: "x" });
  });

  it("reads unquoted values leniently (URL realms without quotes)", () => {
    const [c] = parseWwwAuthenticate("Bearer realm=https://auth.example.com/token?x=1,service=example");
    assert.deepEqual(c?.params, { realm: "https://auth.example.com/token?x=1", service: "example" });
  });

  it("splits several challenges in one header", () => {
    const cs = parseWwwAuthenticate('Basic realm="basic-realm", Bearer realm="https://t/token",service="svc", Negotiate');
    assert.deepEqual(
      cs.map((c) => c.scheme),
      ["basic", "bearer", "negotiate"],
    );
    assert.deepEqual(cs[1]?.params, { realm: "https://t/token", service: "svc" });
    assert.deepEqual(cs[2]?.params, {});
  });

  it("parses token68 challenges, including trailing '='", () => {
    const cs = parseWwwAuthenticate("Negotiate abc+/def==, NTLM, Basic realm=x");
    assert.equal(cs[0]?.scheme, "negotiate");
    assert.equal(cs[0]?.token68, "abc+/def==");
    assert.deepEqual(cs[0]?.params, {});
    assert.equal(cs[1]?.scheme, "ntlm");
    assert.equal(cs[1]?.token68, undefined);
    assert.deepEqual(cs[2], { scheme: "basic", params: { realm: "x" } });
  });

  it("a scheme alone, empty list elements and empty input", () => {
    assert.deepEqual(parseWwwAuthenticate(""), []);
    assert.deepEqual(parseWwwAuthenticate(" , ,"), []);
    assert.deepEqual(parseWwwAuthenticate("Basic"), [{ scheme: "basic", params: {} }]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="x",, ,Bearer realm="y"').map((c) => c.params.realm), ["x", "y"]);
  });

  it("keeps the first of duplicate parameters", () => {
    const [c] = parseWwwAuthenticate('Bearer realm="first", realm="second"');
    assert.equal(c?.params.realm, "first");
  });

  it("survives an unterminated quoted string and junk", () => {
    const [c] = parseWwwAuthenticate('Bearer realm="https://t/token');
    assert.equal(c?.params.realm, "https://t/token");
    const cs = parseWwwAuthenticate('"junk" Bearer realm="r"');
    assert.deepEqual(findChallenge(cs, "Bearer")?.params, { realm: "r" });
  });

  it("parses an error challenge with insufficient scope", () => {
    const h = 'Bearer realm="https://t/token",service="svc",scope="repository:a:pull repository:b:pull,push",error="insufficient_scope"';
    const c = findChallenge(parseWwwAuthenticate(h), "bearer");
    assert.equal(c?.params.error, "insufficient_scope");
    assert.deepEqual(splitScopes(c?.params.scope), ["repository:a:pull", "repository:b:pull,push"]);
  });
});

describe("scopes", () => {
  it("formats repository scopes", () => {
    assert.equal(scopeFor("library/ubuntu", ["pull"]), "repository:library/ubuntu:pull");
    assert.equal(scopeFor("a/b", ["pull", "push", "pull"]), "repository:a/b:pull,push");
    assert.equal(pullScope("nvidia/pytorch"), "repository:nvidia/pytorch:pull");
    assert.equal(pushScope("team/app"), "repository:team/app:pull,push");
    assert.deepEqual(splitScopes(undefined), []);
  });
  it("findChallenge is case-insensitive and returns undefined when absent", () => {
    const cs = parseWwwAuthenticate('Basic realm="x"');
    assert.equal(findChallenge(cs, "BASIC")?.params.realm, "x");
    assert.equal(findChallenge(cs, "bearer"), undefined);
  });
});
