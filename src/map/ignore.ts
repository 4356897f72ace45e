/**
 * The `.dockerignore` the legacy packager put in its build context (map-format.md §1.2, SDK
 * monai/deploy/packager/templates.py), applied to the app folder. Every pattern applies at any depth,
 * and an ignored directory hides everything under it.
 *
 * Trailing slashes: Docker runs each pattern through filepath.Clean, which drops the trailing `/`, so
 * `build-*\/` also excludes a *file* named `build-x`. We match what upstream's `docker build` did and
 * ignore `isDir`; the parameter stays so callers need not change if a stricter mode is ever wanted.
 */
export const DOCKERIGNORE_PATTERNS: readonly string[] = [
  ".git", ".gitignore", ".gitconfig", ".codeclimate.yml", ".travis.yml", ".taskcluster.yml",
  "docker-compose.yml", ".docker", "__pycache__", "*.pyc", ".Python", "*$py.class", ".conda",
  "conda-bld", ".cmake", "cmake-build*/", "build-*/", "develop-eggs/", ".eggs/", "sdist/", "wheels/",
  "*.egg-info/", ".installed.cfg", "*.egg", "MANIFEST", "*.manifest", "*.spec", "pip-log.txt",
  "pip-delete-this-directory.txt", "htmlcov/", ".tox/", ".coverage", ".coverage.*", ".cache",
  "nosetests.xml", "coverage.xml", "*.cover", "*.log", ".hypothesis/", ".pytest_cache/", ".mypy_cache/",
  ".vscode", ".ipynb_checkpoints", ".env", ".venv", "env/", "venv/", "ENV/", "env.bak/", "venv.bak/",
];

/** One path component against a Go filepath.Match-style pattern (`*`, `?`, `[...]`; no `/`). */
function componentRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/^\^|^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const MATCHERS: readonly RegExp[] = DOCKERIGNORE_PATTERNS.map((p) => componentRegex(p.replace(/\/+$/, "")));

/**
 * True when `relPath` (relative to the app folder, `/`-separated) or any of its parent directories
 * matches an ignore pattern. Walkers may call it per entry and skip ignored directories entirely.
 */
export function isIgnored(relPath: string, _isDir = false): boolean {
  const parts = relPath.split("/").filter((p) => p !== "" && p !== ".");
  return parts.some((part) => MATCHERS.some((m) => m.test(part)));
}
