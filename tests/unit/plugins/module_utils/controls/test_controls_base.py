"""The helpers the areas share (plugins/module_utils/controls/base.py)."""

import pytest

from ansible_collections.finproc.dr.plugins.module_utils.controls import base


@pytest.mark.parametrize(
    ("resources", "covered"),
    [
        (["arn:aws:s3:::b", "arn:aws:s3:::b/*"], True),
        (["arn:aws:s3:::b*"], True),
        (["arn:aws:s3:::b/*"], False),
        (["arn:aws:s3:::b"], False),
        (["arn:aws:s3:::b/logs/*", "arn:aws:s3:::b"], False),
    ],
)
def test_which_resources_a_tls_deny_must_cover(resources, covered):
    arn = "arn:aws:s3:::b"
    found = base.covers(resources, arn) and base.covers(resources, arn + "/any-object")
    assert found is covered


def test_a_key_is_named_by_its_arn_id_alias_or_alias_arn():
    key = {"Arn": "arn:aws:kms:us-east-2:123456789012:key/k-1", "KeyId": "k-1"}
    for reference in (key["Arn"], "k-1", "alias/finproc-dev", "arn:aws:kms:us-east-2:123456789012:alias/finproc-dev"):
        assert base.key_matches(reference, key, "alias/finproc-dev"), reference
    for reference in (None, "", "k-2", "alias/other", "arn:aws:kms:us-west-2:123456789012:key/k-1"):
        assert not base.key_matches(reference, key, "alias/finproc-dev"), reference
