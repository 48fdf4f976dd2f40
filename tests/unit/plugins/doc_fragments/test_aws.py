"""finproc.dr.aws documents exactly what amazon.aws's common.modules, region.modules and boto3 did."""

import copy
from pathlib import Path

import pytest
from ansible.parsing.plugin_docs import read_docstring
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import add_fragments

from ansible_collections.finproc.dr.plugins.doc_fragments.aws import ModuleDocFragment, merge_fragments

MODULES = sorted((Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("*.py"))
AMAZON = ["amazon.aws.common.modules", "amazon.aws.region.modules", "amazon.aws.boto3"]


def with_fragments(doc, path, fragments):
    doc = copy.deepcopy(doc)
    doc["extends_documentation_fragment"] = fragments
    add_fragments(doc, str(path), fragment_loader=fragment_loader, is_module=True)
    return doc


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_module_documents_the_same_options_notes_and_requirements_as_with_amazon_fragments(path):
    doc = read_docstring(str(path))["doc"]
    fragments = doc["extends_documentation_fragment"]
    assert "finproc.dr.aws" in fragments, "every module takes its connection options from finproc.dr.aws"
    assert not set(AMAZON) & set(fragments)
    # amazon.aws.tags stood between region.modules and boto3; it adds options only, no notes
    expanded = [f for name in fragments for f in (AMAZON if name == "finproc.dr.aws" else [name])]
    ours = with_fragments(doc, path, fragments)
    theirs = with_fragments(doc, path, expanded)
    assert ours == theirs
    for option in ("access_key", "secret_key", "session_token", "profile", "endpoint_url", "region"):
        assert option in ours["options"]
    assert any(r.startswith("boto3 >= ") for r in ours["requirements"])


def test_fragment_is_the_three_amazon_fragments():
    import yaml

    mine = yaml.safe_load(ModuleDocFragment().DOCUMENTATION)
    assert "region" in mine["options"] and "access_key" in mine["options"]
    assert [n.split()[0] for n in mine["notes"]] == ["B(Caution:)", "The"]
    assert any(r.startswith("botocore >= ") for r in mine["requirements"])


def test_an_option_documented_twice_is_an_error():
    with pytest.raises(ValueError, match="region"):
        merge_fragments(["options:\n  region: {type: str}\n", "options:\n  region: {type: str}\n"])
