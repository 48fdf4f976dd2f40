"""The tags control (plugins/module_utils/controls/tags.py), against the moto stack of live_stack.py,
broken one thing at a time."""

from live_stack import (
    ACCOUNT,
    PREFIX,
    PRIMARY,
    SECONDARY,
    assert_broken,
    broken_cases,
    client,
)


BREAKS = [
    (
        "target group without CostCenter",
        PRIMARY,
        lambda s: client("elbv2", PRIMARY).remove_tags(ResourceArns=[s[PRIMARY].target_group], TagKeys=["CostCenter"]),
        {},
        {"tags"},
        "target group missing required tags",
    ),
    (
        "an alarm of another environment",
        SECONDARY,
        lambda s: client("cloudwatch", SECONDARY).tag_resource(
            ResourceARN=f"arn:aws:cloudwatch:{SECONDARY}:{ACCOUNT}:alarm:{PREFIX}-{SECONDARY}-monitor-lambda-errors",
            Tags=[{"Key": "Environment", "Value": "prod"}],
        ),
        {},
        {"tags"},
        f"{PREFIX}-{SECONDARY}-monitor-lambda-errors: Environment='prod', wanted 'dev'",
    ),
]


@broken_cases(BREAKS)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text)
