"""aws_limits: the rules come from botocore's models; documented constants only where a model lacks them."""

import unicodedata

import pytest
from ansible_collections.finproc.dr.plugins.module_utils import aws_limits
from ansible_collections.finproc.dr.plugins.module_utils.aws_limits import (
    COVERAGE,
    DOCUMENTED,
    RULES,
    TAG_APIS,
    java_regex,
    log_retention_days,
    member_shape,
    rule,
    tag_rules,
)

# The Java class every pattern-carrying tag API uses: Unicode letters, separators, numbers and _.:/=+-@.
TAG_CLASS = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"


@pytest.mark.parametrize(
    "value, matches",
    [
        ("Cost Centre", True),  # a space is \p{Z}
        ("Zürich-Ost", True),  # ü is \p{L}
        ("東京", True),  # CJK letters are \p{L}
        ("٣", True),  # ARABIC-INDIC DIGIT THREE is \p{N}
        ("\u00a0", True),  # NO-BREAK SPACE is \p{Zs}
        ("\u2028", True),  # LINE SEPARATOR is \p{Zl}
        ("Ⅻ", True),  # ROMAN NUMERAL TWELVE is \p{Nl}
        ("a_b.c:d/e=f+g-h@i", True),
        ("", True),
        ("R&D", False),
        ("(EMEA)", False),
        ("tab\there", False),  # a tab is \p{Cc}, not \p{Z}
        ("new\nline", False),
        ("emoji \U0001f600", False),  # \p{So}
        ("a,b", False),
        ("50%", False),
        ("#1", False),
    ],
)
def test_java_unicode_classes_are_translated_faithfully(value, matches):
    assert bool(java_regex(TAG_CLASS).fullmatch(value)) is matches


def test_every_letter_separator_and_number_category_is_covered():
    regex = java_regex(r"[\p{L}\p{Z}\p{N}]+")
    for code in (0x41, 0x3A9, 0x4E00, 0x1D400, 0x2003, 0x3000, 0x661, 0xBD, 0x2163):
        char = chr(code)
        assert unicodedata.category(char)[0] in "LZN"
        assert regex.fullmatch(char), hex(code)
    for code in (0x21, 0x2C, 0x9, 0x1F600, 0x300):  # punctuation, control, symbol, combining mark
        assert not regex.fullmatch(chr(code)), hex(code)


def test_java_ascii_classes_stay_ascii():
    # IAM's role name pattern: Java's \w is [a-zA-Z_0-9] unless UNICODE_CHARACTER_CLASS.
    role = rule("iam_role")
    assert role.pattern == r"[\w+=,.@-]+"
    assert java_regex(role.pattern).fullmatch("finproc-dev-monitor-us-east-1")
    assert not java_regex(role.pattern).fullmatch("zürich")


def test_unsupported_java_constructs_are_refused_not_guessed():
    with pytest.raises(ValueError):
        java_regex(r"[\P{L}]")
    with pytest.raises(ValueError):
        java_regex(r"\p{Alpha}")


def test_the_whole_value_must_match():
    assert not java_regex(r"[\.\-_/#A-Za-z0-9]+").fullmatch("/finproc/dev/app\n")


# --- Tag rules: from the models ----------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(TAG_APIS))
def test_every_tag_api_exists_in_the_installed_model(service):
    api = TAG_APIS[service]
    for member in (api.key, api.value, api.count):
        member_shape(service, api.operation, member)  # a renamed member raises KeyError


def test_tag_patterns_come_from_the_models():
    with_pattern = {s for s in TAG_APIS if tag_rules(s).value.pattern}
    # ELBv2, ACM, Lambda, CloudWatch Logs and IAM refuse characters EC2, KMS, DynamoDB, S3, SNS,
    # EventBridge, CloudWatch and Route53 accept.
    assert with_pattern == {"elbv2", "acm", "lambda", "logs", "iam"}
    for service in with_pattern:
        assert tag_rules(service).value.bad_characters("R&D") == ["&"], service
        assert tag_rules(service).value.bad_characters("Cost Centre: Zürich/1") is None, service


@pytest.mark.parametrize(
    "service, key_max, value_max, count_max",
    [
        ("ec2", 128, 256, 50),
        ("kms", 128, 256, 50),
        ("dynamodb", 128, 256, 50),
        ("s3", 128, 256, 50),
        ("elbv2", 128, 256, 50),
        ("acm", 128, 256, 50),
        ("route53", 128, 256, 10),
        ("sns", 128, 256, 50),
        ("lambda", 128, 256, 50),
        ("events", 128, 256, 50),
        ("cloudwatch", 128, 256, 50),
        ("logs", 128, 256, 50),
        ("iam", 128, 256, 50),
    ],
)
def test_tag_limits_per_service(service, key_max, value_max, count_max):
    rules = tag_rules(service)
    assert (rules.key.max, rules.value.max, rules.count.max) == (key_max, value_max, count_max)
    assert rules.key.min == 1
    # At the limit: accepted; one more: refused.
    assert not rules.key.refuses("k" * key_max) and rules.key.refuses("k" * (key_max + 1))
    assert not rules.value.refuses("v" * value_max) and rules.value.refuses("v" * (value_max + 1))
    assert rules.key.refuses("")


def test_route53_counts_tags_by_ten_from_its_model():
    # ChangeTagsForResource AddTags: "Array Members: Minimum number of 1 item. Maximum number of 10 items."
    assert member_shape("route53", "ChangeTagsForResource", "AddTags").metadata["max"] == 10
    assert "model" in tag_rules("route53").count.source
    assert "DNSLimitations.html" in tag_rules("route53").count.source


@pytest.mark.parametrize("service", ["logs", "iam", "acm"])
def test_a_count_the_model_has_is_the_models(service):
    assert tag_rules(service).count.source == "model"


# --- What the models lack: documented, and proven still missing ---------------------------------


@pytest.mark.parametrize("where", sorted(DOCUMENTED), ids=lambda where: "%s.%s.%s" % where)
def test_each_documented_limit_is_one_the_model_still_lacks(where):
    documented = DOCUMENTED[where]
    assert documented.url.startswith("https://docs.aws.amazon.com/") and documented.title
    shape = member_shape(*where)
    for attribute in documented.lacks:
        assert attribute not in shape.metadata, (
            "botocore's model of %s %s %s now has %s=%r: use the model now, and drop it from DOCUMENTED"
            % (where + (attribute, shape.metadata[attribute]))
        )


def test_the_lambda_name_limit_is_the_one_the_model_documents():
    # The model's max (140) is the whole ARN's; its documentation says 64 for a name.
    assert member_shape("lambda", "CreateFunction", "FunctionName").metadata["max"] == 140
    assert "limited to 64 characters" in aws_limits.model_documentation("lambda", "CreateFunction", "FunctionName")
    assert rule("lambda_function").max == 64


def test_the_idle_timeout_range_comes_from_the_models_documentation():
    assert aws_limits.load_balancer_attribute_range("idle_timeout.timeout_seconds") == (1, 4000)
    # The attribute's value is a string in the model (LoadBalancerAttributeValue): no number range there.
    assert member_shape("elbv2", "ModifyLoadBalancerAttributes", "Attributes[].Value").type_name == "string"
    with pytest.raises(ValueError):
        aws_limits.load_balancer_attribute_range("no_such.attribute")


def test_log_retentions_come_from_the_models_documentation():
    days = log_retention_days()
    assert days[0] == 1 and days[-1] == 3653 and 30 in days and 400 in days
    assert 31 not in days
    assert "enum" not in member_shape("logs", "PutRetentionPolicy", "retentionInDays").metadata


# --- Each rule: refused beyond its limit, accepted at it -----------------------------------------


# Each rule of RULES: a value accepted at its limit and one AWS refuses beyond it.
NAME_CASES = [
    ("kms_alias", "alias/" + "a" * 250, "alias/" + "a" * 251),
    ("kms_alias", "alias/finproc-dev", "alias/aws/finproc"),
    ("kms_alias", "alias/finproc_dev:1", "alias/finproc dev"),
    ("kms_description", "d" * 8192, "d" * 8193),
    ("dynamodb_table", "t" * 255, "t" * 256),
    ("dynamodb_table", "abc", "ab"),
    ("dynamodb_table", "finproc-dev.tx_1", "finproc dev"),
    ("dynamodb_attribute", "k" * 255, "k" * 256),
    ("dynamodb_attribute", "k", ""),
    ("record_name", "api." + "a" * 1020, "api." + "a" * 1021),
    ("s3_bucket", "b" * 63, "b" * 64),
    ("s3_bucket", "abc", "ab"),
    ("s3_bucket", "finproc-dev.1", "Finproc-dev"),
    ("s3_bucket", "a.b", "a..b"),
    ("s3_bucket", "finproc-dev", "finproc-dev-"),
    ("s3_bucket", "x-s3alias-1", "finproc-s3alias"),
    ("s3_bucket", "192.168.5.4a", "192.168.5.4"),
    ("iam_role", "r" * 64, "r" * 65),
    ("iam_role", "a+=,.@_-1", "a b"),
    ("iam_role_description", "d" * 1000, "d" * 1001),
    ("iam_role_description", "Zürich (EMEA)", "Tokyo \u6771\u4eac"),
    ("iam_policy", "p" * 128, "p" * 129),
    ("log_group", "/" + "g" * 511, "/" + "g" * 512),
    ("log_group", "/finproc/dev/app#1", "/finproc/dev/app:1"),
    ("lambda_function", "f" * 64, "f" * 65),
    ("lambda_function", "finproc-dev_monitor", "finproc.dev"),
    ("lambda_description", "d" * 256, "d" * 257),
    ("events_rule", "e" * 64, "e" * 65),
    ("events_rule", "a.b-c_d", "a/b"),
    ("events_rule_description", "d" * 512, "d" * 513),
    ("alarm", "a" * 255, "a" * 256),
    ("alarm_description", "d" * 1024, "d" * 1025),
    ("metric_namespace", "finproc/dev/dr", ":finproc"),
    ("metric_namespace", "n" * 255, "n" * 256),
    ("dashboard", "d" * 255, "d" * 256),
    ("dashboard", "finproc-dev_1", "finproc.dev"),
    ("sns_topic", "t" * 256, "t" * 257),
    ("sns_topic", "finproc-dev_1", "finproc.dev"),
    ("load_balancer", "l" * 32, "l" * 33),
    ("load_balancer", "finproc-dev-alb", "internal-alb"),
    ("load_balancer", "a-1", "-alb"),
    ("target_group", "t" * 32, "t" * 33),
    ("target_group", "finproc-dev-app", "finproc-dev-app-"),
    ("security_group", "s" * 255, "s" * 256),
    ("security_group", "finproc-dev-alb", "sg-alb"),
    ("security_group", "a (b) #1 {c}", "caf\u00e9"),
    ("security_group_description", "sg-" + "d" * 252, "d" * 256),
    ("security_group_description", "finproc: HTTP & HTTPS", "finproc \u2014 HTTP"),
    ("certificate_domain", "api.dr.example.com", "api..example.com"),
    ("certificate_domain", "*.dr.example.com", "-api.example.com"),
    ("hosted_zone_comment", "c" * 256, "c" * 257),
    ("health_check_path", "/" + "h" * 254, "/" + "h" * 255),
    ("target_group_health_check_path", "/" + "h" * 1023, "/" + "h" * 1024),
]


@pytest.mark.parametrize("name, accepted, refused", NAME_CASES)
def test_each_name_rule_refuses_beyond_and_accepts_at_its_limit(name, accepted, refused):
    assert not rule(name).refuses(accepted), (name, accepted)
    assert rule(name).refuses(refused), (name, refused)


NUMBER_CASES = [
    ("target_group_port", 1, 65535),
    ("target_group_health_check_interval", 5, 300),
    ("target_group_health_check_timeout", 2, 120),
    ("target_group_healthy_threshold", 2, 10),
    ("target_group_unhealthy_threshold", 2, 10),
    ("health_check_failure_threshold", 1, 10),
    ("health_check_interval", 10, 30),
    ("lambda_memory", 128, None),
    ("lambda_timeout", 1, None),
]


@pytest.mark.parametrize("name, low, high", NUMBER_CASES)
def test_each_number_rule_is_the_models_range(name, low, high):
    limit = rule(name)
    assert limit.min == low and limit.source == "model"
    if high is not None:
        assert limit.max == high
    assert not limit.number_problem(low) and limit.number_problem(low - 1)
    assert not limit.number_problem(limit.max) and limit.number_problem(limit.max + 1)


def test_every_rule_has_its_cases():
    assert {case[0] for case in NAME_CASES + NUMBER_CASES} == set(RULES)


def test_every_rule_and_coverage_entry_stands_on_the_installed_model():
    for name in RULES:
        rule(name)  # raises when the operation or member is gone
    for entry in set(COVERAGE.values()):
        for service, operation, member in aws_limits.coverage_target(entry):
            member_shape(service, operation, member)


def test_the_rules_are_cached():
    assert rule("iam_role") is rule("iam_role")
    assert tag_rules("logs") is tag_rules("logs")


# --- The modules' own name checks say what the rules say (one limit for one thing) ---------------


@pytest.mark.parametrize(
    "module, class_name, name",
    [
        ("sns_topic", "Topic", "sns_topic"),
        ("lambda_function", "Function", "lambda_function"),
        ("cloudwatch_dashboard", "Dashboard", "dashboard"),
    ],
)
def test_a_modules_name_check_agrees_with_the_rule(module, class_name, name):
    import importlib

    resource = getattr(importlib.import_module("ansible_collections.finproc.dr.plugins.modules." + module), class_name)
    limit = rule(name)
    for value in ("a" * limit.max, "a" * (limit.max + 1), "", "a", "A-b_9", "a.b", "a b", "a/b", "abc\n", "é"):
        accepted = bool(resource.name_pattern.match(value))
        assert accepted is not limit.refuses(value), (module, value, accepted)
