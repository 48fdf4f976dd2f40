#!/usr/bin/env bash
# ansible-test sanity for the collection's plugins. ansible-test needs the collection at
# .../ansible_collections/finproc/dr, so the tracked files are copied there first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/sanity/ansible_collections/finproc/dr"
rm -rf "$root/build/sanity"  # the venv beside it is kept
mkdir -p "$build"
cd "$root"
git ls-files -z --cached --others --exclude-standard | grep -zv '^\.collections/' \
  | while IFS= read -r -d '' file; do
      if [ -L "$file" ] || [ -f "$file" ]; then cp --parents -P "$file" "$build"; fi
    done
cd "$build"
# A repository of its own, so that ansible-test lists exactly these files.
git init -q && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
# The collections it depends on, beside it (ansible-test looks for them in the same tree).
deps=$(python3 -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(list(m.__path__)[0])))')
mkdir -p ../../amazon ../../community
ln -s "$deps/amazon/aws" ../../amazon/aws
ln -s "$deps/community/aws" ../../community/aws
# A venv of its own: ansible-test installs its pinned sanity requirements there, not in .venv.
venv="$root/build/sanity-venv"
core=$(python3 -c 'import importlib.metadata as m; print(m.version("ansible-core"))')
boto=$(python3 -c 'import importlib.metadata as m; print(m.version("boto3"))')
if [ ! -x "$venv/bin/ansible-test" ] || ! "$venv/bin/python" -m pip show "ansible-core" 2>/dev/null | grep -qx "Version: $core"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q "ansible-core==$core" "boto3==$boto" > "$root/build/sanity-venv.log" 2>&1
fi
# ansible-test bootstraps pip in its test venvs with a script it downloads from a host that is not
# reachable here; give it a stand-in that uses ensurepip and PyPI.
pip_version=$("$venv/bin/python" -c 'import re, pathlib, ansible_test as t
text = (pathlib.Path(t.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip=.([0-9.]+).,", text).group(1))')
mkdir -p ~/.ansible/test/cache
cp "$root/scripts/ansible-test/get_pip.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
exec "$venv/bin/ansible-test" sanity --local --requirements --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
