"""The KMS controls (plugins/module_utils/controls/kms.py), against the moto stack of live_stack.py,
broken one thing at a time."""

import json

from live_stack import (
    PRIMARY,
    SECONDARY,
    assert_broken,
    broken_cases,
    by_id,
    client,
    key_policy,
    run,
)


BREAKS = [
    (
        "key rotation off",
        PRIMARY,
        lambda s: client("kms", PRIMARY).disable_key_rotation(KeyId=s[PRIMARY].key),
        {},
        {"kms-key-rotation"},
        "automatic rotation is off",
    ),
    (
        "key policy allows everyone",
        SECONDARY,
        lambda s: client("kms", SECONDARY).put_key_policy(
            KeyId=s[SECONDARY].key,
            PolicyName="default",
            Policy=json.dumps(
                dict(
                    key_policy(SECONDARY),
                    Statement=key_policy(SECONDARY)["Statement"]
                    + [{"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt"}],
                )
            ),
        ),
        {},
        {"kms-key-policy"},
        "statement Open allows Principal *",
    ),
]


@broken_cases(BREAKS)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text)


def test_the_key_is_found_by_the_alias_given(stack, monkeypatch, capsys):
    """key_alias (the encryption role's encryption_key_alias) names the key in every region."""
    result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["kms-key-rotation"], key_alias="other")
    (entry,) = by_id(result, "kms-key-rotation")
    assert entry["resource"] == "alias/other"
    assert entry["detail"] == f"no KMS key has the alias alias/other in {PRIMARY}"
