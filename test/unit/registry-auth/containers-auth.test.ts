/** containers' auth files: where they are looked up, in skopeo/podman's order, and their place in the default chain. */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { containersAuthFiles, defaultKeychain } from "../../../src/registry/keychain/index.js";
import { makeTempDir } from "../../helpers/tmp.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("containers auth files", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir("mb-cauth-");
  });
  after(async () => {
    await tmp?.cleanup();
  });

  it("REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/auth.json, then ~/.config/containers/auth.json", () => {
    assert.deepEqual(containersAuthFiles({ env: { REGISTRY_AUTH_FILE: "/a.json", XDG_RUNTIME_DIR: "/run/user/1", HOME: "/home/u" } }), [
      "/a.json",
      "/run/user/1/containers/auth.json",
      "/home/u/.config/containers/auth.json",
    ]);
    assert.deepEqual(containersAuthFiles({ env: { HOME: "/home/u" } }), ["/home/u/.config/containers/auth.json"]);
  });

  it("default chain: --authfile before the environment; XDG before docker's config.json; each named when nothing is found", async () => {
    const home = join(tmp.dir, "home");
    const xdg = join(tmp.dir, "run");
    await mkdir(join(xdg, "containers"), { recursive: true });
    await mkdir(join(home, ".docker"), { recursive: true });
    await writeFile(join(xdg, "containers", "auth.json"), JSON.stringify({ auths: { "r.example": { auth: b64("podman:p1") } } }));
    await writeFile(join(home, ".docker", "config.json"), JSON.stringify({ auths: { "r.example": { auth: b64("docker:p2") } } }));
    const given = join(tmp.dir, "given.json");
    await writeFile(given, JSON.stringify({ auths: { "r.example": { auth: b64("given:p0") } } }));
    const env = { HOME: home, XDG_RUNTIME_DIR: xdg, MAP_BUILD_REGISTRY_USER: "envuser", MAP_BUILD_REGISTRY_PASSWORD: "p3", MAP_BUILD_REGISTRY_HOST: "r.example" };

    assert.equal((await defaultKeychain({ env, authfile: given }).resolve("r.example"))?.username, "given");
    assert.equal((await defaultKeychain({ env }).resolve("r.example"))?.username, "envuser");
    const noEnv = { HOME: home, XDG_RUNTIME_DIR: xdg };
    const fromXdg = await defaultKeychain({ env: noEnv }).resolve("r.example");
    assert.equal(fromXdg?.username, "podman");
    assert.equal(fromXdg?.source, `auths in ${join(xdg, "containers", "auth.json")}`);
    assert.deepEqual(defaultKeychain({ env: noEnv }).describe?.("other.example"), [
      "MAP_BUILD_REGISTRY_USER/PASSWORD",
      join(xdg, "containers", "auth.json"),
      join(home, ".config", "containers", "auth.json"),
      join(home, ".docker", "config.json"),
    ]);
  });
});
