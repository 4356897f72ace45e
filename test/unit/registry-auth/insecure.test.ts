import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { registryScheme, isLoopbackHost, isInsecureRegistry, splitHostPort } from "../../../src/registry/insecure.js";

describe("registryScheme", () => {
  const loopback = [
    "127.0.0.1",
    "127.0.0.1:5000",
    "127.1.2.3:443",
    "localhost",
    "localhost:5000",
    "LOCALHOST:5000",
    "[::1]",
    "[::1]:5000",
    "[0:0:0:0:0:0:0:1]:5000",
    "::1",
    "[::ffff:127.0.0.1]:5000",
  ];
  for (const host of loopback) {
    it(`http for loopback ${host}`, () => assert.equal(registryScheme(host, []), "http"));
  }

  const remote = [
    "nvcr.io",
    "docker.io",
    "registry-1.docker.io",
    "128.0.0.1:5000",
    "10.0.0.1:5000",
    "[::2]:5000",
    "[::ffff:10.0.0.1]:5000",
    "localhost.example.com:5000",
    "mylocalhost:5000",
    "127.0.0.1.nip.io:5000",
  ];
  for (const host of remote) {
    it(`https for ${host}`, () => assert.equal(registryScheme(host, []), "https"));
  }

  it("an entry without a port covers every port of that host", () => {
    assert.equal(registryScheme("myreg:5000", ["myreg"]), "http");
    assert.equal(registryScheme("myreg", ["myreg"]), "http");
    assert.equal(registryScheme("MyReg:443", ["myreg"]), "http");
    assert.equal(registryScheme("otherreg:5000", ["myreg"]), "https");
  });

  it("an entry with a port covers only that port", () => {
    assert.equal(registryScheme("myreg:5000", ["myreg:5000"]), "http");
    assert.equal(registryScheme("myreg:5001", ["myreg:5000"]), "https");
    assert.equal(registryScheme("myreg", ["myreg:5000"]), "https");
  });

  it("IPv6 and IP entries, URL-shaped entries and CIDR ranges", () => {
    assert.equal(registryScheme("[fd00::5]:5000", ["[fd00::5]:5000"]), "http");
    assert.equal(registryScheme("[fd00::5]:5000", ["fd00:0:0::5"]), "http");
    assert.equal(registryScheme("[fd00::5]:5001", ["[fd00::5]:5000"]), "https");
    assert.equal(registryScheme("10.1.2.3:5000", ["http://10.1.2.3:5000/"]), "http");
    assert.equal(registryScheme("10.1.2.3:5000", ["10.0.0.0/8"]), "http");
    assert.equal(registryScheme("11.1.2.3:5000", ["10.0.0.0/8"]), "https");
    assert.equal(registryScheme("[fd00::5]:5000", ["fd00::/8"]), "http");
    assert.equal(registryScheme("reg.example.com", ["10.0.0.0/8", ""]), "https");
  });

  it("helpers", () => {
    assert.deepEqual(splitHostPort("[::1]:5000"), { host: "::1", port: "5000" });
    assert.deepEqual(splitHostPort("Reg.IO:443"), { host: "reg.io", port: "443" });
    assert.deepEqual(splitHostPort("fd00::1"), { host: "fd00::1", port: undefined });
    assert.deepEqual(splitHostPort("nvcr.io"), { host: "nvcr.io", port: undefined });
    assert.ok(isLoopbackHost("127.0.0.1:1"));
    assert.ok(!isLoopbackHost("nvcr.io"));
    assert.ok(isInsecureRegistry("a:1", ["a:1"]));
  });
});
