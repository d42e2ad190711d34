"""Stand-in for ansible-test's pip bootstrap script, for machines that reach PyPI only.

ansible-test creates each sanity test's virtual environment without pip, then runs
~/.ansible/test/cache/get_pip_<version>.py, which it downloads from
ci-files.testing.ansible.com (out of reach here), with the arguments of a pip install:
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``. `make sanity` puts
this file there instead. It installs the pip that comes with Python (ensurepip, no network),
then the requested pip from PyPI, and leaves out setuptools when asked to, as get-pip does.
A Python without ensurepip (Debian's, without python3-venv) gets the pip from the pip on
PATH, the project's virtual environment's.
"""

import importlib.util
import shutil
import subprocess
import sys

GET_PIP_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    args = sys.argv[1:]
    if importlib.util.find_spec("ensurepip"):
        # In a child process: ensurepip.bootstrap() would hide pip's configuration (the
        # index, the certificates) from this process's environment, and so from the install.
        subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
        pip = [sys.executable, "-m", "pip"]
    else:
        pip = [shutil.which("pip") or "pip", "--python", sys.executable]
    subprocess.check_call([*pip, "install", "--upgrade",
                           *[arg for arg in args if arg not in GET_PIP_OPTIONS]])
    if "--no-setuptools" in args and importlib.util.find_spec("ensurepip"):
        subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet",
                               "setuptools"])


if __name__ == "__main__":
    main()
