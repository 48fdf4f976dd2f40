"""Stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py from a host this workplace cannot reach (only PyPI, Debian and
npm are reachable). This does the same job from what is here: ensurepip (bundled with Python),
then the pip version ansible-test asks for, from PyPI. Invoked as:
    python get_pip.py --disable-pip-version-check pip==X.Y [--no-setuptools] [--no-wheel]
"""

import subprocess
import sys

packages = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", *packages])
