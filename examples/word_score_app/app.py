"""A tiny MAP example that needs nothing but the Python standard library.

It scores every `*.txt` file in the input folder with a word-weight "model" and writes
`scores.csv` to the output folder. Folders come from the MONAI_* variables a MAP sets
(MONAI_INPUTPATH, MONAI_OUTPUTPATH, MONAI_MODELPATH).

The class is written the way MONAI Deploy App SDK apps are, so that `map-build` (like the
original `monai-deploy package`) reads its version, resources and pip packages statically.
When the SDK is not installed (`map-build package --no-sdk`), small stand-ins for the
three names used here take over, so this one file also works as a single-file app.
"""
import os
from pathlib import Path

try:
    from monai.deploy.core import Application, env, resource
except ImportError:  # packaged with --no-sdk: the decorators only carry packaging metadata

    class Application:
        def __init__(self, *args, **kwargs):
            self.compose()

    def resource(**_kwargs):
        return lambda cls: cls

    def env(**_kwargs):
        return lambda cls: cls


@resource(cpu=1, gpu=0, memory="512Mi")
@env(pip_packages=[])
class WordScoreApp(Application):
    """Scores text files with a word-weight table."""

    version = "1.0.0"

    def compose(self):
        pass

    def run(self, *args, **kwargs):
        input_dir = Path(os.environ.get("MONAI_INPUTPATH", "input"))
        output_dir = Path(os.environ.get("MONAI_OUTPUTPATH", "output"))
        model_dir = Path(os.environ.get("MONAI_MODELPATH", "models"))
        weights = load_weights(model_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        lines = ["file,words,score"]
        for path in sorted(input_dir.glob("*.txt")):
            words = path.read_text(encoding="utf-8").lower().split()
            score = sum(weights.get(w.strip(".,;:!?\"'"), 0.0) for w in words)
            lines.append(f"{path.name},{len(words)},{score:.2f}")
        (output_dir / "scores.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"scored {len(lines) - 1} file(s) with {len(weights)} weights -> {output_dir / 'scores.csv'}")


def load_weights(model_dir):
    """Reads every `*.tsv` file (word<TAB>weight) found under the models folder."""
    weights = {}
    for path in sorted(Path(model_dir).glob("**/*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                word, weight = line.split("\t")
                weights[word.strip()] = float(weight)
    if not weights:
        raise SystemExit(f"no word weights (*.tsv) found under {model_dir}")
    return weights


if __name__ == "__main__":
    WordScoreApp().run()
