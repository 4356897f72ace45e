/**
 * The README's recipes run as written: each fenced block tagged `recipe=NAME` is taken from the
 * README itself and run in bash against two loopback registries (an open one holding the base in
 * place of nvcr.io, one with a password as the push target), with the registry names swapped and
 * `map-build`/`npx`/`docker` shimmed on PATH. No Docker is needed, as on the CI runners the
 * recipes are for.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, copyFile, cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI_ENTRIES, REPO_ROOT } from "../helpers/cli.js";
import { run, runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { writeWheel } from "../python/wheel-factory.js";
import { EXAMPLE_APP, EXAMPLE_MODEL } from "./fixtures.js";

const TSX = import.meta.resolve("tsx");
const USER = "ci-bot";
const PASSWORD = "s3cret-recipe";

/** `recipe=NAME` blocks of the README: name → language and body. */
export async function readmeRecipes(): Promise<Map<string, { lang: string; body: string }>> {
  const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
  const out = new Map<string, { lang: string; body: string }>();
  for (const m of readme.matchAll(/```(\w+) recipe=([\w-]+)\n([\s\S]*?)```/g)) out.set(m[2]!, { lang: m[1]!, body: m[3]! });
  return out;
}

/** The `run: |` script of a GitHub Actions step, with `${{ … }}` expressions as shell variables. */
function githubRunScript(yaml: string): string {
  const lines = yaml.split("\n");
  const at = lines.findIndex((l) => /^\s*run: \|\s*$/.test(l));
  const indent = /^\s*/.exec(lines[at + 1] ?? "")![0].length;
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((x) => x.trim() !== "" && /^\s*/.exec(x)![0].length < indent);
  const body = end < 0 ? rest : rest.slice(0, end);
  return body.map((l) => l.slice(indent)).join("\n").replace(/\$\{\{\s*secrets\.(\w+)\s*\}\}/g, "$$$1").replace(/\$\{\{\s*github\.sha\s*\}\}/g, "ci");
}

/** GitLab's `variables:` as exports, then the `script:` items. */
function gitlabScript(yaml: string): string {
  const section = (name: string) => {
    const m = new RegExp(`\\n  ${name}:\\n((?:    .*\\n?)+)`).exec(yaml);
    return (m?.[1] ?? "").split("\n").filter(Boolean).map((l) => l.trim());
  };
  const vars = section("variables").map((l) => `export ${l.replace(/:\s+/, "=")}`);
  const script = section("script").map((l) => l.replace(/^- /, ""));
  return [...vars, ...script].join("\n");
}

describe("README recipes", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let open: TestRegistry;
  let secured: TestRegistry;
  let recipes: Map<string, { lang: string; body: string }>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    tmp = await makeTempDir("mb-recipes-");
    [open, secured] = await Promise.all([startRegistry(), startRegistry({ user: `${USER}:${PASSWORD}` })]);
    await pushPythonBase(open.host);
    recipes = await readmeRecipes();
    await cp(EXAMPLE_APP, join(tmp.dir, "my_app"), { recursive: true });
    await copyFile(EXAMPLE_MODEL, join(tmp.dir, "model.ts"));
    // the SDK the example imports, offline: a generated wheel found through pip's own variables
    const wheels = join(tmp.dir, "wheels");
    await mkdir(join(tmp.dir, "data"), { recursive: true });
    await mkdir(wheels);
    const sdk = await writeWheel(wheels, { name: "monai-deploy-app-sdk", version: "0.5.1", files: { "monai/deploy/__init__.py": "", "monai/deploy/core/__init__.py": "" } });
    await copyFile(sdk.path, join(tmp.dir, "data", sdk.filename));
    const bin = join(tmp.dir, "bin");
    await mkdir(bin);
    const shims: Record<string, string> = {
      "map-build": `exec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(TSX)} ${JSON.stringify(CLI_ENTRIES["map-build"])} "$@"`,
      npx: `[ "$1" = map-build ] && shift; exec map-build "$@"`,
      docker: `exit 0 # the recipes' runners have no Docker; loading the tarball is docker's business`,
      skopeo: `if [ "$1" = copy ]; then shift; exec ${JSON.stringify((await runOk("bash", ["-c", "command -v skopeo"])).trim())} copy --src-tls-verify=false "$@"; fi; exec skopeo "$@"`,
    };
    for (const [name, body] of Object.entries(shims)) {
      await writeFile(join(bin, name), `#!/bin/bash\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    }
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_") && !k.startsWith("MAP_BUILD_") && k !== "DOCKER_HOST"));
    Object.assign(env, {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: tmp.dir,
      MONAI_BASEIMAGE: `${open.host}/base/python:3`,
      PIP_CONFIG_FILE: "/dev/null",
      PIP_NO_INDEX: "1",
      PIP_FIND_LINKS: wheels,
      SOURCE_DATE_EPOCH: "0",
      REGISTRY_PASSWORD: PASSWORD,
      CI_PROJECT_DIR: tmp.dir,
      CI_REGISTRY_IMAGE: `${secured.host}/group/project`,
      CI_REGISTRY_USER: USER,
      CI_REGISTRY_PASSWORD: PASSWORD,
      CI_COMMIT_SHORT_SHA: "abc1234",
    });
  });
  after(async () => {
    await Promise.allSettled([open?.stop(), secured?.stop()]);
    await tmp?.cleanup();
  });

  const localize = (script: string) =>
    script
      .replaceAll("nvcr.io/nvidia/pytorch:21.07-py3", `${open.host}/base/python:3`)
      .replaceAll("registry.example.com", secured.host)
      .replaceAll("/data/", `${tmp.dir}/data/`);

  const runRecipe = async (script: string) => {
    const r = await run("bash", ["-euo", "pipefail", "-c", localize(script)], { env, cwd: tmp.dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, `recipe failed:\n${localize(script)}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`);
    return r;
  };

  const pulled = (ref: string) => runOk("skopeo", ["inspect", "--tls-verify=false", "--creds", `${USER}:${PASSWORD}`, `docker://${ref}`]);

  it("the README tags its recipes", () => {
    assert.deepEqual([...recipes.keys()].sort(), ["air-gapped", "github-actions", "gitlab-ci", "push", "quick-start"]);
  });

  it("quick start: a tarball, inspected", async () => {
    const r = await runRecipe(recipes.get("quick-start")!.body);
    assert.match(r.stdout, /verdict {5}conforms/);
  });

  it("push with credentials, then inspect on the same registry", async () => {
    const r = await runRecipe(recipes.get("push")!.body);
    const pushedRef = `${secured.host}/apps/my_app:1.0`.replace(/[.]/g, "\\.");
    assert.match(r.stdout, new RegExp(`^${pushedRef}@sha256:[0-9a-f]{64}$`, "m"), "a push prints ref@digest");
    await pulled(`${secured.host}/apps/my_app:1.0`);
    // the CI log of a push: rows named by output and role, then what moved
    const target = `push ${secured.host}/apps/my_app`.replace(/[.]/g, "\\.");
    assert.match(r.stderr, new RegExp(`^\\[ *[\\d.]+s\\] ${target} {2}base 1/1 +(done|exists)`, "m"));
    assert.match(r.stderr, new RegExp(`^\\[ *[\\d.]+s\\] ${target} {2}manifest +done`, "m"));
    assert.match(r.stderr, new RegExp(`; ${target}: uploaded [\\d.]+ [KM]iB, mounted 0 B, existing [\\d.]+ (B|KiB|MiB); [\\d.]+s$`, "m"));
  });

  it("GitHub Actions: the run step", async () => {
    await runRecipe(githubRunScript(recipes.get("github-actions")!.body));
    await pulled(`${secured.host}/apps/my_app:ci`);
  });

  it("GitLab CI: variables and script", async () => {
    await runRecipe(gitlabScript(recipes.get("gitlab-ci")!.body));
    await pulled(`${secured.host}/group/project/my_app:abc1234`);
    const cache = await run("bash", ["-c", `ls ${JSON.stringify(join(tmp.dir, ".map-build-cache"))}`]);
    assert.equal(cache.code, 0, "the cache dir the job keeps is where map-build wrote");
  });

  it("air-gapped: skopeo copy into a layout, then build from it", async () => {
    await runRecipe(recipes.get("air-gapped")!.body);
    const inspected = await run("bash", ["-c", "map-build inspect my_app.tar --json"], { env, cwd: tmp.dir });
    assert.equal(JSON.parse(inspected.stdout).ok, true, inspected.stderr);
  });
});
