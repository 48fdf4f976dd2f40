"""The collection builds, installs offline into an empty path, and documents itself from there."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def run(*cmd, **kw):
    """Run outside the repository's configuration (no ansible.cfg, no .collections)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH")}
    env.update(ANSIBLE_NOCOLOR="1", **kw.pop("env", {}))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=300, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    built = run("ansible-galaxy", "collection", "build", "--output-path", str(out), cwd=ROOT)
    assert built.returncode == 0, built.stderr
    tarball = out / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
    assert tarball.exists()
    target = tmp_path_factory.mktemp("collections")
    done = run(
        "ansible-galaxy",
        "collection",
        "install",
        "--offline",
        str(tarball),
        "-p",
        str(target),
        cwd=tmp_path_factory.mktemp("elsewhere"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]


def test_the_tarball_holds_no_local_artefacts(installed):
    files = {p.relative_to(installed).as_posix() for p in installed.rglob("*")}
    for unwanted in (".venv", ".emulator", ".collections", ".git", "build"):
        assert not any(f == unwanted or f.startswith(unwanted + "/") for f in files), unwanted
    manifest = json.loads((installed / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["dependencies"] == GALAXY["dependencies"]


def test_every_module_is_in_the_aws_action_group(installed):
    runtime = yaml.safe_load((installed / "meta" / "runtime.yml").read_text())
    group = runtime["action_groups"]["aws"]
    assert {"extend_group": ["amazon.aws.aws", "community.aws.aws"]} in [
        g.get("metadata") for g in group if isinstance(g, dict)
    ]
    assert sorted(g for g in group if isinstance(g, str)) == MODULES


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_each_role_from_the_installed_collection(installed, role):
    result = run(
        "ansible-doc",
        "-t",
        "role",
        "--json",
        f"finproc.dr.{role}",
        env={"ANSIBLE_COLLECTIONS_PATH": str(installed.parents[2])},
        cwd=installed.parents[2],
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)[f"finproc.dr.{role}"]
    assert str(installed) in doc["path"]
    assert doc["entry_points"]["main"]["options"]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_shows_each_module_with_examples_and_returns(installed, module):
    result = run(
        "ansible-doc",
        "--json",
        f"finproc.dr.{module}",
        env={"ANSIBLE_COLLECTIONS_PATH": str(installed.parents[2])},
        cwd=installed.parents[2],
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)[f"finproc.dr.{module}"]
    assert doc["doc"]["options"] and doc["examples"] and doc["return"]


def test_the_monitor_the_role_packages_is_in_the_collection(installed):
    """The monitoring role packages files/health_check.py from beside its roles/ folder."""
    packaged = installed / "roles" / "monitoring" / ".." / ".." / "files" / "health_check.py"
    assert packaged.read_bytes() == (ROOT / "files" / "health_check.py").read_bytes()
