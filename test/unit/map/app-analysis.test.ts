import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir } from "../../helpers/tmp.js";
import { analyzeApp } from "../../../src/map/app-analysis.js";
import { PyFloat } from "../../../src/map/python-json.js";
import { tokenize } from "../../../src/map/python-tokens.js";
import { evalLiteral } from "../../../src/map/python-literal.js";
import { isMapBuildError } from "../../../src/errors.js";

const SAMPLE_APP = `
import logging
import monai.deploy.core as md
from monai.deploy.core import Application, env, resource  # comment with "quotes"

@resource(cpu=1, gpu=1, memory="7Gi")
@env(pip_packages=["scikit-image >= 0.17.2"])
class App(Application):
    """Docstring with 'quotes' and a fake
    version = "9.9.9" inside it."""

    version = "1.0.0"

    def compose(self):
        version = "nope"  # a local, not the attribute

if __name__ == "__main__":
    App(do_run=True)
`;

describe("analyzeApp", () => {
  let dir = "";
  let cleanup: () => Promise<void> = async () => {};
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-app-"));
  });
  after(() => cleanup());

  async function folder(name: string, files: Record<string, string>): Promise<string> {
    const root = join(dir, name);
    for (const [f, text] of Object.entries(files)) {
      await mkdir(join(root, f, ".."), { recursive: true });
      await writeFile(join(root, f), text);
    }
    return root;
  }

  it("reads the documented sample folder app", async () => {
    const root = await folder("my_app", { "__main__.py": "from app import App\n\nif __name__ == '__main__':\n    App(do_run=True)\n", "app.py": SAMPLE_APP });
    const info = await analyzeApp(root);
    assert.equal(info.kind, "folder");
    assert.equal(info.root, root);
    assert.equal(info.command, "python3 -u /opt/monai/app/app.py");
    assert.equal(info.mainModuleFile, "app.py");
    assert.equal(info.appClass, "App");
    assert.equal(info.version, "1.0.0");
    assert.deepEqual(info.resources, { cpu: 1, gpu: 1, memory: "7Gi" });
    assert.deepEqual(info.pipPackages, ["scikit-image >= 0.17.2"]);
    assert.deepEqual(info.unresolved, []);
    assert.deepEqual(info.warnings, []);
  });

  it("follows relative imports, md.* names, multi-line decorators and continuations", async () => {
    const root = await folder("app2", {
      "__main__.py": "from .seg_app import (\n    Other,\n    SegApp as S,\n)\nS().run()\n",
      "seg_app.py": `import monai.deploy.core as md
class Other: pass
@md.resource(
    cpu=2.0,   # float stays float
    memory=\\
        '''16Gi''',
)
@monai.deploy.core.env(pip_packages=[
    "  Monai>=1.0 ", 'torch', "monai>=1.0",  r"pydicom>=2.3" "  ",
])
class SegApp(md.Application):
    version: str = "2.0.0" \\
        "-rc.1"
if __name__ == "__main__":
    SegApp(do_run=True)
`,
    });
    const info = await analyzeApp(root);
    assert.equal(info.command, "python3 -u /opt/monai/app/seg_app.py");
    assert.equal(info.appClass, "SegApp");
    assert.equal(info.version, "2.0.0-rc.1");
    assert.ok(info.resources.cpu instanceof PyFloat && info.resources.cpu.value === 2);
    assert.equal(info.resources.memory, "16Gi");
    assert.equal(info.resources.gpu, undefined);
    assert.deepEqual(info.pipPackages, ["monai>=1.0", "torch", "pydicom>=2.3"]);
  });

  it("warns when the class lives in __main__.py (B9)", async () => {
    const root = await folder("app3", { "__main__.py": SAMPLE_APP });
    const info = await analyzeApp(root);
    assert.equal(info.command, "python3 -u /opt/monai/app/__main__.py");
    assert.match(info.warnings.join("\n"), /B9/);
  });

  it("reports non-literal values with the flag to pass", async () => {
    const root = await folder("app4", {
      "__main__.py": "from app import App\n",
      "app.py": `from monai.deploy.core import Application, env, resource
PKGS = ["numpy"]
@resource(cpu=get_cpus(), gpu=1, memory=MEM)
@env(pip_packages=PKGS)
class App(Application):
    version = get_version()
`,
    });
    const info = await analyzeApp(root);
    assert.deepEqual(info.resources, { gpu: 1 });
    const options = info.unresolved.map((u) => `${u.field}:${u.options.join("/")}`).sort();
    assert.deepEqual(options, ["pip_packages:requirements", "resources:cpu", "resources:memory", "version:version"]);
    assert.match(info.warnings.join("\n"), /__name__/);
  });

  it("reads a requirements path given to @env relative to cwd", async () => {
    const root = await folder("app5", {
      "__main__.py": "from app import App\n",
      "app.py": "@env(pip_packages='reqs/requirements.txt')\nclass App(Application):\n    pass\nif __name__ == '__main__':\n    App()\n",
      "reqs/requirements.txt": "\nNumPy>=1.21\r\nnumpy>=1.21\nscipy\n\n",
    });
    const info = await analyzeApp(root, { cwd: root });
    assert.deepEqual(info.pipPackages, ["numpy>=1.21", "scipy"]);
  });

  it("analyses a single-file app", async () => {
    const root = await folder("single", { "my_app.py": SAMPLE_APP, "sibling.py": "" });
    const info = await analyzeApp(join(root, "my_app.py"));
    assert.equal(info.kind, "file");
    assert.equal(info.root, root);
    assert.equal(info.command, "python3 -u /opt/monai/app/my_app.py");
    assert.equal(info.version, "1.0.0");
    assert.deepEqual(info.warnings, []);
  });

  it("refuses missing paths, folders without __main__.py and special files", async () => {
    const empty = await folder("nomain", { "app.py": SAMPLE_APP });
    execFileSync("mkfifo", [join(dir, "fifo.py")]);
    for (const [p, re] of [[join(dir, "missing"), /does not exist/], [empty, /__main__\.py/], [join(dir, "fifo.py"), /not a regular/]] as const) {
      await assert.rejects(analyzeApp(p), (e) => isMapBuildError(e) && e.code === "E_APP_INVALID" && re.test(e.message) && !!e.hint);
    }
    await assert.rejects(analyzeApp(empty), (e) => isMapBuildError(e) && /__main__\.py that imports/.test(e.hint ?? ""));
  });

  it("reports when no Application class is found", async () => {
    const root = await folder("plain", { "__main__.py": "print('hi')\n" });
    const info = await analyzeApp(root);
    assert.equal(info.command, "python3 -u /opt/monai/app/__main__.py");
    assert.equal(info.unresolved[0]?.field, "app_class");
  });
});

describe("python tokens and literals", () => {
  it("decodes strings like Python", () => {
    const src = String.raw`x = ("a\tb" 'c\'d' """e
f""" r"\n" u"\u00e9\x41\101" "\d")` + "\n";
    const [line] = tokenize(src);
    assert.ok(line);
    const v = evalLiteral(line.tokens, 2);
    const py = execFileSync("python3", ["-c", "import ast,sys,json; print(json.dumps(ast.literal_eval(sys.stdin.read().split('=',1)[1])))"], { input: src, encoding: "utf8" });
    assert.deepEqual(v, { ok: true, value: JSON.parse(py) });
  });
  it("evaluates containers and rejects expressions", () => {
    const lit = (s: string) => evalLiteral(tokenize(`${s}\n`)[0]?.tokens ?? []);
    assert.deepEqual(lit("[1, -2, (3,), {'a': None}, True]"), { ok: true, value: [1, -2, [3], { a: null }, true] });
    assert.equal(lit("f'{x}'").ok, false);
    assert.equal(lit("b'x'").ok, false);
    assert.equal(lit("1 + 2").ok, false);
    assert.equal(lit("name").ok, false);
  });
});
