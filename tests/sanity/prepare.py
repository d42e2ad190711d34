"""Set up `make sanity`: the collection where ansible-test wants it, and pip for its venvs.

ansible-test works on a collection under ``ansible_collections/<namespace>/<name>/``. This
copies the files git knows (tracked, or new and not ignored) that the collection ships, that
is without galaxy.yml's ``build_ignore``, plus tests/sanity/ (the ignore file), into
``build/ansible_collections/hungyen/mail``, and makes the copy its own git work tree so that
ansible-test lists the copy's files, not those of the checkout around it.

ansible-test creates each sanity test's virtual environment without pip and bootstraps pip
with a script it downloads from ci-files.testing.ansible.com, out of reach of these machines
(they reach PyPI only). The stand-in tests/sanity/get_pip.py is put where ansible-test looks
for that script first (~/.ansible/test/cache/get_pip_<pip version>.py).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALWAYS = "tests/sanity/"
STAND_IN = ROOT / "tests" / "sanity" / "get_pip.py"
STAND_IN_MARK = '"""Stand-in for ansible-test'


def galaxy() -> dict:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))


def known_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True).stdout.decode("utf-8")
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def shipped(path: str, patterns: list[str]) -> bool:
    """ansible-galaxy's rule: a file is left out when it or a folder above it matches."""
    if path.startswith(ALWAYS):
        return True
    parts = path.split("/")
    prefixes = ("/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return not any(fnmatch.fnmatch(prefix, pattern)
                   for prefix in prefixes for pattern in patterns)


def copy_collection(target: Path) -> int:
    meta = galaxy()
    patterns = list(meta.get("build_ignore") or [])
    if target.exists():
        shutil.rmtree(target)
    files = [name for name in known_files() if shipped(name, patterns)]
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination, follow_symlinks=False)
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    # ansible-test's own output (and, with --venv, its virtual environment) is no content.
    (target / ".git" / "info" / "exclude").write_text("/tests/output/\n", encoding="utf-8")
    return len(files)


def pip_version() -> str:
    """The pip that ansible-test installs into the virtual environments it creates."""
    from ansible_test._internal.python_requirements import get_venv_packages

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return get_venv_packages(types.SimpleNamespace(version=version))["pip"]


def install_pip_bootstrap() -> Path:
    """Put the stand-in in ansible-test's cache unless a real download is already there."""
    cache = Path.home() / ".ansible" / "test" / "cache"
    script = cache / f"get_pip_{pip_version().replace('.', '_')}.py"
    if script.exists() and not script.read_text(encoding="utf-8").startswith(STAND_IN_MARK):
        return script
    cache.mkdir(parents=True, exist_ok=True)
    if not script.exists() or script.read_bytes() != STAND_IN.read_bytes():
        shutil.copyfile(STAND_IN, script)
    return script


def main() -> None:
    meta = galaxy()
    target = ROOT / "build" / "ansible_collections" / meta["namespace"] / meta["name"]
    count = copy_collection(target)
    install_pip_bootstrap()
    print(f"sanity: {count} files of {meta['namespace']}.{meta['name']} "
          f"{meta['version']} in {os.path.relpath(target, ROOT)}")


if __name__ == "__main__":
    main()
