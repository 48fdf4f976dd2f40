"""Tests of the IAM policy evaluator (plugins/module_utils/iam_policy.py).

Every expectation below is what the AWS documentation cited in the module's docstring states; the
rows that pin a documented trap name the page next to them.
"""

import pytest

from ansible_collections.finproc.dr.plugins.module_utils.iam_policy import (
    Request,
    evaluate_policy,
    is_allowed,
)

ACCT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
OTHER_ROLE = f"arn:aws:iam::{ACCT}:role/other"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/i-0123"
ROOT = f"arn:aws:iam::{ACCT}:root"
KEY = f"arn:aws:kms:us-west-2:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET = "arn:aws:s3:::finproc-dr-data-us-east-2"
OBJECT = BUCKET + "/reports/2026/q4.csv"
TOPIC = f"arn:aws:sns:us-east-2:{ACCT}:finproc-dr-alarms"


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def allow(action="*", resource="*", **more):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action="*", resource="*", **more):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def _sid(statement, sid):
    return {"Sid": sid, **statement}


# ---- evaluate_policy: statements, actions, resources, principals ------------------------------

POLICY_CASES = [
    # id, policy, request, decision, allow labels, deny labels
    (
        "explicit deny wins over allow",
        doc(_sid(allow("s3:*"), "All"), _sid(deny("s3:DeleteObject"), "NoDelete")),
        Request("s3:DeleteObject", OBJECT, ROLE),
        "Deny",
        ["All"],
        ["NoDelete"],
    ),
    (
        "a statement without Sid is labelled by its index",
        doc(deny("kms:Encrypt"), allow("s3:GetObject")),
        Request("s3:GetObject", OBJECT, ROLE),
        "Allow",
        ["#1"],
        [],
    ),
    (
        "no statement matches",
        doc(allow("s3:GetObject", BUCKET + "/*")),
        Request("s3:PutObject", OBJECT, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "actions match case-insensitively, with * and ?",
        doc({"Sid": "A", "Effect": "Allow", "Action": ["S3:get*", "kms:Re?ncrypt*"], "Resource": "*"}),
        Request("s3:GetObjectVersion", OBJECT, ROLE),
        "Allow",
        ["A"],
        [],
    ),
    (
        "? is one character exactly",
        doc(allow("kms:Re?ncrypt*")),
        Request("kms:ReXXEncryptFrom", KEY, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "a wildcard action does not match another service",
        doc(allow("kms:*")),
        Request("s3:GetObject", OBJECT, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "NotAction: every action but the listed ones",
        doc({"Sid": "N", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        Request("s3:GetObject", OBJECT, ROLE),
        "Allow",
        ["N"],
        [],
    ),
    (
        "NotAction: the listed action is not matched",
        doc({"Sid": "N", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
        Request("iam:CreateUser", "*", ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "NotResource: a deny on every resource but the bucket's objects",
        doc({"Sid": "Fence", "Effect": "Deny", "Action": "s3:*", "NotResource": BUCKET + "/*"}),
        Request("s3:GetObject", "arn:aws:s3:::elsewhere/x", ROLE),
        "Deny",
        [],
        ["Fence"],
    ),
    (
        "NotResource: the listed resource is not matched",
        doc({"Sid": "Fence", "Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET + "/*"]}),
        Request("s3:GetObject", OBJECT, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "bucket/* matches objects at any depth (* spans /)",
        doc(allow("s3:GetObject", BUCKET + "/*")),
        Request("s3:GetObject", OBJECT, ROLE),
        "Allow",
        ["#0"],
        [],
    ),
    (
        "bucket/* does not match the bucket itself",
        doc(allow("s3:ListBucket", BUCKET + "/*")),
        Request("s3:ListBucket", BUCKET, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "the bucket does not match its objects",
        doc(allow("s3:GetObject", BUCKET)),
        Request("s3:GetObject", OBJECT, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "resource ARNs are case-sensitive",
        doc(allow("s3:GetObject", "arn:aws:s3:::FINPROC-DR-DATA-US-EAST-2/*")),
        Request("s3:GetObject", OBJECT, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "a * in the region segment matches any region",
        doc(allow("kms:Decrypt", f"arn:aws:kms:*:{ACCT}:key/*")),
        Request("kms:Decrypt", KEY, ROLE),
        "Allow",
        ["#0"],
        [],
    ),
    (
        "a * in the region segment does not reach into the account segment",
        doc(allow("kms:Decrypt", f"arn:aws:kms:*:{OTHER}:key/*")),
        Request("kms:Decrypt", KEY, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "a partial region wildcard",
        doc(allow("kms:Decrypt", f"arn:aws:kms:eu-*:{ACCT}:key/*")),
        Request("kms:Decrypt", KEY, ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "a request on '*' (no resource-level permission) is matched only by Resource '*'",
        doc(allow("kms:ListKeys", f"arn:aws:kms:*:{ACCT}:key/*")),
        Request("kms:ListKeys", "*", ROLE),
        "NotApplicable",
        [],
        [],
    ),
    (
        "a statement without Resource (trust policy) matches",
        doc(
            {
                "Sid": "T",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
        Request("sts:AssumeRole", ROLE, "lambda.amazonaws.com"),
        "Allow",
        ["T"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("policy", "request_", "decision", "allowed", "denied"),
    [case[1:] for case in POLICY_CASES],
    ids=[case[0] for case in POLICY_CASES],
)
def test_evaluate_policy(policy, request_, decision, allowed, denied):
    result = evaluate_policy(policy, request_)
    assert (result.decision, result.allow, result.deny) == (decision, allowed, denied)


def test_evaluate_policy_takes_json_text_and_a_single_statement():
    text = (
        '{"Version": "2012-10-17", "Statement": {"Sid": "One", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
    )
    assert evaluate_policy(text, Request("s3:GetObject", OBJECT, ROLE)).allow == ["One"]


def resource_statement(principal, effect="Allow", key="Principal", sid="S", **more):
    return {"Sid": sid, "Effect": effect, key: principal, "Action": "*", "Resource": "*", **more}


PRINCIPAL_CASES = [
    # id, Principal element, request principal, (allow, delegated)
    ("the role by ARN", {"AWS": ROLE}, ROLE, (["S"], [])),
    ("another role", {"AWS": OTHER_ROLE}, ROLE, ([], [])),
    ("a list of principals", {"AWS": [OTHER_ROLE, ROLE]}, ROLE, (["S"], [])),
    ("a session of the role", {"AWS": ROLE}, SESSION, (["S"], [])),
    ("a session of another role", {"AWS": OTHER_ROLE}, SESSION, ([], [])),
    ("'*' is everyone", "*", ROLE, (["S"], [])),
    ('{"AWS": "*"} is everyone', {"AWS": "*"}, ROLE, (["S"], [])),
    ('{"AWS": "*"} includes services', {"AWS": "*"}, "logs.us-east-2.amazonaws.com", (["S"], [])),
    ("the account root delegates for a role", {"AWS": ROOT}, ROLE, ([], ["S"])),
    ("an account id is its root", {"AWS": ACCT}, ROLE, ([], ["S"])),
    ("the account root is the root", {"AWS": ACCT}, ROOT, (["S"], [])),
    ("an account id as request principal", {"AWS": ROOT}, ACCT, (["S"], [])),
    ("another account's root", {"AWS": OTHER}, ROLE, ([], [])),
    ("a service principal", {"Service": "logs.us-east-2.amazonaws.com"}, "logs.us-east-2.amazonaws.com", (["S"], [])),
    ("another service", {"Service": ["s3.amazonaws.com"]}, "logs.us-east-2.amazonaws.com", ([], [])),
    ("an IAM ARN never matches a service", {"AWS": ROLE}, "s3.amazonaws.com", ([], [])),
    ("a service never matches a role", {"Service": "s3.amazonaws.com"}, ROLE, ([], [])),
]


@pytest.mark.parametrize(
    ("element", "principal", "expected"),
    [case[1:] for case in PRINCIPAL_CASES],
    ids=[case[0] for case in PRINCIPAL_CASES],
)
def test_principal(element, principal, expected):
    result = evaluate_policy(doc(resource_statement(element)), Request("s3:GetObject", OBJECT, principal))
    assert (result.allow, result.delegated) == expected
    assert result.decision == ("Allow" if expected[0] else "NotApplicable")


NOT_PRINCIPAL_CASES = [
    # NotPrincipal with Deny: everyone but the named principals is denied. AWS may check the
    # account, then the role, then the session: each must be listed ("AWS JSON policy elements:
    # NotPrincipal", examples "IAM user..." and "IAM role in the same or different account").
    ("the role and its account are exempt", {"AWS": [ROLE, ROOT]}, ROLE, []),
    ("the role without its account is denied", {"AWS": ROLE}, ROLE, ["S"]),
    ("an account id lists the account", {"AWS": [ROLE, ACCT]}, ROLE, []),
    ("another role is denied", {"AWS": [ROLE, ROOT]}, OTHER_ROLE, ["S"]),
    ("naming the account does not exempt its roles", {"AWS": ROOT}, ROLE, ["S"]),
    ("the account root itself", {"AWS": ROOT}, ROOT, []),
    ("a session: session, role and account listed", {"AWS": [SESSION, ROLE, ROOT]}, SESSION, []),
    ("a session: without its role", {"AWS": [SESSION, ROOT]}, SESSION, ["S"]),
    (
        "a session: a role of that name in another account",
        {"AWS": [SESSION, f"arn:aws:iam::{OTHER}:role/app", ROOT]},
        SESSION,
        ["S"],
    ),
    ("a session: without the session", {"AWS": [ROLE, ROOT]}, SESSION, ["S"]),
    ("a service is denied unless named", {"AWS": [ROLE, ROOT]}, "s3.amazonaws.com", ["S"]),
    ("a named service is exempt", {"Service": "s3.amazonaws.com"}, "s3.amazonaws.com", []),
    ("'*' exempts everyone", "*", ROLE, []),
]


@pytest.mark.parametrize(
    ("element", "principal", "denied"),
    [case[1:] for case in NOT_PRINCIPAL_CASES],
    ids=[case[0] for case in NOT_PRINCIPAL_CASES],
)
def test_not_principal(element, principal, denied):
    statement = resource_statement(element, effect="Deny", key="NotPrincipal")
    assert evaluate_policy(doc(statement), Request("s3:GetObject", OBJECT, principal)).deny == denied


def test_deny_naming_the_account_applies_to_its_roles():
    result = evaluate_policy(
        doc(resource_statement({"AWS": ROOT}, effect="Deny")), Request("s3:GetObject", OBJECT, ROLE)
    )
    assert result.deny == ["S"]


# ---- conditions ----------------------------------------------------------------------------------

ARN_A = "arn:aws:s3:::finproc-dr-data-us-east-2"
CONDITION_CASES = [
    # id, Condition, context, holds
    ("StringEquals", {"StringEquals": {"k": "abc"}}, {"k": "abc"}, True),
    ("StringEquals is case-sensitive", {"StringEquals": {"k": "abc"}}, {"k": "ABC"}, False),
    ("StringEquals has no wildcards", {"StringEquals": {"k": "a*"}}, {"k": "abc"}, False),
    ("StringEquals, * as a plain character", {"StringEquals": {"k": "a*"}}, {"k": "a*"}, True),
    ("StringEquals, missing key", {"StringEquals": {"k": "abc"}}, {}, False),
    ("StringNotEquals", {"StringNotEquals": {"k": "abc"}}, {"k": "xyz"}, True),
    ("StringNotEquals, equal", {"StringNotEquals": {"k": "abc"}}, {"k": "abc"}, False),
    ("StringNotEquals, missing key is true", {"StringNotEquals": {"k": "abc"}}, {}, True),
    ("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}, True),
    ("StringEqualsIgnoreCase, other", {"StringEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abd"}, False),
    ("StringNotEqualsIgnoreCase", {"StringNotEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}, False),
    ("StringNotEqualsIgnoreCase, missing", {"StringNotEqualsIgnoreCase": {"k": "ABC"}}, {}, True),
    ("StringLike *", {"StringLike": {"k": "reports/*"}}, {"k": "reports/2026/q4"}, True),
    ("StringLike ?", {"StringLike": {"k": "a?c"}}, {"k": "abc"}, True),
    ("StringLike ? is one character", {"StringLike": {"k": "a?c"}}, {"k": "abbc"}, False),
    ("StringLike is case-sensitive", {"StringLike": {"k": "A*"}}, {"k": "abc"}, False),
    ("StringLike, missing key", {"StringLike": {"k": "*"}}, {}, False),
    ("StringNotLike", {"StringNotLike": {"k": "a*"}}, {"k": "bcd"}, True),
    ("StringNotLike, matching", {"StringNotLike": {"k": "a*"}}, {"k": "abc"}, False),
    ("StringNotLike, missing key is true", {"StringNotLike": {"k": "a*"}}, {}, True),
    ("values of one key OR", {"StringEquals": {"k": ["x", "y"]}}, {"k": "y"}, True),
    ("values of one key OR, none", {"StringEquals": {"k": ["x", "y"]}}, {"k": "z"}, False),
    ("negated values NOR, one equal", {"StringNotEquals": {"k": ["x", "y"]}}, {"k": "y"}, False),
    ("negated values NOR, none equal", {"StringNotEquals": {"k": ["x", "y"]}}, {"k": "z"}, True),
    ("keys AND", {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
    ("keys AND, both", {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "2"}, True),
    ("operators AND", {"StringEquals": {"a": "1"}, "Bool": {"b": "true"}}, {"a": "1", "b": False}, False),
    ("operators AND, both", {"StringEquals": {"a": "1"}, "Bool": {"b": "true"}}, {"a": "1", "b": True}, True),
    (
        "context keys are case-insensitive",
        {"StringEquals": {"AWS:SourceAccount": ACCT}},
        {"aws:sourceaccount": ACCT},
        True,
    ),
    ("ArnEquals", {"ArnEquals": {"aws:SourceArn": ARN_A}}, {"aws:SourceArn": ARN_A}, True),
    ("ArnEquals, other", {"ArnEquals": {"aws:SourceArn": ARN_A}}, {"aws:SourceArn": ARN_A + "-x"}, False),
    (
        "ArnLike, region wildcard",
        {"ArnLike": {"aws:SourceArn": f"arn:aws:logs:*:{ACCT}:*"}},
        {"aws:SourceArn": f"arn:aws:logs:us-east-2:{ACCT}:log-group:x:*"},
        True,
    ),
    (
        "ArnLike, other account",
        {"ArnLike": {"aws:SourceArn": f"arn:aws:logs:*:{ACCT}:*"}},
        {"aws:SourceArn": f"arn:aws:logs:us-east-2:{OTHER}:log-group:x"},
        False,
    ),
    ("ArnLike, not an ARN", {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, {"aws:SourceArn": "finproc"}, False),
    # "Each of the six colon-delimited components of the ARN is checked separately": the * of the
    # region segment cannot swallow the account segment.
    (
        "ArnLike, a * stays in its segment",
        {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:us-*:{ACCT}:alarms"}},
        {"aws:SourceArn": f"arn:aws:sns:us-east-2:{OTHER}:{ACCT}:alarms"},
        False,
    ),
    (
        "ArnLike is case-sensitive",
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::FINPROC*"}},
        {"aws:SourceArn": ARN_A},
        False,
    ),
    ("ArnNotEquals", {"ArnNotEquals": {"aws:SourceArn": ARN_A}}, {"aws:SourceArn": ARN_A}, False),
    ("ArnNotEquals, missing key is true", {"ArnNotEquals": {"aws:SourceArn": ARN_A}}, {}, True),
    ("ArnNotLike", {"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::other*"}}, {"aws:SourceArn": ARN_A}, True),
    ("ArnLike, missing key", {"ArnLike": {"aws:SourceArn": "*"}}, {}, False),
    ("NumericEquals", {"NumericEquals": {"n": "10"}}, {"n": 10}, True),
    ("NumericEquals, other", {"NumericEquals": {"n": "10"}}, {"n": "11"}, False),
    ("NumericNotEquals", {"NumericNotEquals": {"n": "10"}}, {"n": "11"}, True),
    ("NumericNotEquals, missing key is true", {"NumericNotEquals": {"n": "10"}}, {}, True),
    ("NumericLessThan", {"NumericLessThan": {"n": "10"}}, {"n": 9}, True),
    ("NumericLessThan, equal", {"NumericLessThan": {"n": "10"}}, {"n": 10}, False),
    ("NumericLessThanEquals", {"NumericLessThanEquals": {"n": "10"}}, {"n": 10}, True),
    ("NumericGreaterThan", {"NumericGreaterThan": {"n": "10"}}, {"n": 10}, False),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"n": "10"}}, {"n": "10.0"}, True),
    ("Numeric, not a number", {"NumericLessThan": {"n": "10"}}, {"n": "ten"}, False),
    ("Numeric, missing key", {"NumericLessThan": {"n": "10"}}, {}, False),
    (
        "DateLessThan",
        {"DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"}},
        {"aws:CurrentTime": "2026-06-01T00:00:00Z"},
        True,
    ),
    (
        "DateLessThan, later",
        {"DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"}},
        {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
        False,
    ),
    (
        "DateGreaterThan, epoch",
        {"DateGreaterThan": {"aws:EpochTime": "1700000000"}},
        {"aws:EpochTime": 1800000000},
        True,
    ),
    ("Date, epoch against ISO", {"DateEquals": {"t": "1970-01-01T00:00:10Z"}}, {"t": "10"}, True),
    (
        "DateLessThanEquals",
        {"DateLessThanEquals": {"t": "2026-01-01T00:00:00+01:00"}},
        {"t": "2025-12-31T23:00:00Z"},
        True,
    ),
    (
        "Date, the offset counts",
        {"DateLessThanEquals": {"t": "2026-01-01T00:00:00+01:00"}},
        {"t": "2025-12-31T23:30:00Z"},
        False,
    ),
    ("DateGreaterThanEquals", {"DateGreaterThanEquals": {"t": "2026-01-01"}}, {"t": "2025-12-31T23:00:00Z"}, False),
    ("DateNotEquals, missing key is true", {"DateNotEquals": {"t": "2026-01-01"}}, {}, True),
    ("Date, missing key", {"DateLessThan": {"t": "2026-01-01"}}, {}, False),
    ("a boolean context value is the text 'true'", {"StringEquals": {"k": "true"}}, {"k": True}, True),
    ("Bool 'true' against True", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}, True),
    ("Bool 'true' against 'false'", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
    ("Bool JSON true against 'true'", {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}, True),
    ("Bool 'false' against False", {"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
    ("Bool, missing key", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    ("BinaryEquals", {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": b"BinaryValue"}, True),
    ("BinaryEquals, other", {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": b"Other"}, False),
    ("IpAddress", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress, outside", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
    ("IpAddress, IPv6", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}, True),
    (
        "IpAddress, v4 against a v6 range",
        {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}},
        {"aws:SourceIp": "203.0.113.7"},
        False,
    ),
    ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    (
        "NotIpAddress, inside",
        {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "203.0.113.7"},
        False,
    ),
    ("NotIpAddress, missing key is true", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    # ...IfExists: a missing key makes the condition true; a present one is checked as usual.
    ("StringEqualsIfExists, missing", {"StringEqualsIfExists": {"k": "abc"}}, {}, True),
    ("StringEqualsIfExists, an empty value", {"StringEqualsIfExists": {"k": "abc"}}, {"k": []}, True),
    ("None counts as a missing key", {"StringNotEquals": {"k": "abc"}}, {"k": None}, True),
    ("StringEqualsIfExists, other", {"StringEqualsIfExists": {"k": "abc"}}, {"k": "xyz"}, False),
    (
        "StringNotEqualsIfExists, missing (issue 11, finding 4)",
        {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        {},
        True,
    ),
    ("StringNotEqualsIfExists, equal", {"StringNotEqualsIfExists": {"k": "aws:kms"}}, {"k": "aws:kms"}, False),
    ("NumericLessThanIfExists, missing", {"NumericLessThanIfExists": {"n": "5"}}, {}, True),
    ("BoolIfExists, missing", {"BoolIfExists": {"b": "true"}}, {}, True),
    (
        "ArnLikeIfExists, present",
        {"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::x*"}},
        {"aws:SourceArn": ARN_A},
        False,
    ),
    # Null: "true" holds when the key is absent, "false" when it is present.
    ("Null true, missing", {"Null": {"k": "true"}}, {}, True),
    ("Null true, present", {"Null": {"k": "true"}}, {"k": "v"}, False),
    ("Null false, present", {"Null": {"k": "false"}}, {"k": "v"}, True),
    ("Null false, missing", {"Null": {"k": "false"}}, {}, False),
    ("Null JSON true, missing", {"Null": {"k": True}}, {}, True),
    # An empty value counts as null ("Multivalued context key examples": a Null false check keeps
    # "missing context keys or context keys with empty values" from evaluating to true).
    ("Null false, empty value", {"Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": []}, False),
    # Set operators ("Single-valued vs. multivalued context keys").
    (
        "ForAllValues, every value listed",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ["a"]},
        True,
    ),
    (
        "ForAllValues, one value not listed",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ["a", "c"]},
        False,
    ),
    ("ForAllValues TRAP: missing key is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    (
        "ForAllValues TRAP: empty key is true",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": []},
        True,
    ),
    (
        "ForAllValues:StringNotLike, key1:legal (AWS example)",
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {"aws:TagKeys": ["key1:legal"]},
        False,
    ),
    (
        "ForAllValues:StringNotLike, key2:audit (AWS example)",
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {"aws:TagKeys": ["key2:audit"]},
        True,
    ),
    (
        "ForAllValues:StringNotLike, missing (AWS example)",
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {},
        True,
    ),
    (
        "ForAnyValue, one value listed",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": ["b", "a"]},
        True,
    ),
    (
        "ForAnyValue, no value listed",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": ["b"]},
        False,
    ),
    ("ForAnyValue, missing key is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
    (
        "ForAnyValue, empty key is false",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": []},
        False,
    ),
    ("ForAnyValue:StringNotEquals, one other", {"ForAnyValue:StringNotEquals": {"k": "a"}}, {"k": ["a", "b"]}, True),
    ("ForAnyValue:StringNotEquals, all listed", {"ForAnyValue:StringNotEquals": {"k": "a"}}, {"k": ["a"]}, False),
    ("ForAnyValue:StringLikeIfExists, missing", {"ForAnyValue:StringLikeIfExists": {"k": "a*"}}, {}, True),
    ("multivalued request, plain operator: any value", {"StringEquals": {"k": "a"}}, {"k": ["b", "a"]}, True),
    ("multivalued request, negated operator: no value", {"StringNotEquals": {"k": "a"}}, {"k": ["b", "a"]}, False),
    # Policy variables ("IAM policy elements: Variables and tags").
    ("variable", {"StringEquals": {"k": "${aws:username}"}}, {"k": "alice", "aws:username": "alice"}, True),
    # Version 2008-10-17 has no policy variables, in conditions either.
    (
        "no variables in 2008-10-17",
        {"StringEquals": {"k": "${aws:username}"}},
        {"k": "alice", "aws:username": "alice", "__policy_version__": "2008-10-17"},
        False,
    ),
    ("variable, other value", {"StringEquals": {"k": "${aws:username}"}}, {"k": "bob", "aws:username": "alice"}, False),
    ("variable that cannot be resolved: no match", {"StringEquals": {"k": "${aws:username}"}}, {"k": ""}, False),
    ("variable, default value", {"StringEquals": {"k": "${aws:username, 'nobody'}"}}, {"k": "nobody"}, True),
    ("variable, default with a quote", {"StringEquals": {"k": "${x, 'it''s'}"}}, {"k": "it's"}, True),
    (
        "variable value is literal in StringLike",
        {"StringLike": {"k": "${aws:username}/*"}},
        {"k": "alicex/y", "aws:username": "alice?"},
        False,
    ),
    ("${*} is a literal *", {"StringLike": {"k": "a${*}"}}, {"k": "a*"}, True),
    ("${*} is not a wildcard", {"StringLike": {"k": "a${*}"}}, {"k": "abc"}, False),
    ("${?} is a literal ?", {"StringLike": {"k": "a${?}"}}, {"k": "ab"}, False),
    ("${$} is a literal $", {"StringEquals": {"k": "${$}{x}"}}, {"k": "${x}"}, True),
    (
        "a multivalued key is no variable",
        {"StringEquals": {"k": "${aws:TagKeys}"}},
        {"k": "a", "aws:TagKeys": ["a"]},
        False,
    ),
    ("derived aws:PrincipalArn", {"ArnEquals": {"aws:PrincipalArn": ROLE}}, {}, True),
    ("derived aws:PrincipalAccount", {"StringEquals": {"aws:PrincipalAccount": ACCT}}, {}, True),
    (
        "a given key wins over the derived one",
        {"StringEquals": {"aws:PrincipalAccount": ACCT}},
        {"aws:PrincipalAccount": OTHER},
        False,
    ),
]


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [case[1:] for case in CONDITION_CASES],
    ids=[case[0] for case in CONDITION_CASES],
)
def test_condition(condition, context, holds):
    context = dict(context)
    policy = doc(
        _sid(allow("s3:GetObject", Condition=condition), "C"), version=context.pop("__policy_version__", "2012-10-17")
    )
    result = evaluate_policy(policy, Request("s3:GetObject", OBJECT, ROLE, context))
    assert (result.decision, result.allow) == (("Allow", ["C"]) if holds else ("NotApplicable", []))


def test_derived_keys_of_a_session_and_a_service():
    session = Request("s3:GetObject", OBJECT, SESSION, {"aws:SecureTransport": True})
    assert session.context == {"aws:SecureTransport": True}  # the context as given, nothing added
    assert session.values("aws:PrincipalArn") == [ROLE]  # a role session's aws:PrincipalArn is the role
    assert session.values("AWS:PRINCIPALACCOUNT") == [ACCT]
    service = Request("s3:PutObject", OBJECT, "logs.us-east-2.amazonaws.com")
    assert service.values("aws:PrincipalServiceName") == ["logs.us-east-2.amazonaws.com"]
    assert service.values("aws:PrincipalArn") is None


VARIABLE_RESOURCE = doc(_sid(deny("s3:*", BUCKET + "/home/${aws:username}/*"), "Own"))


@pytest.mark.parametrize(
    ("version", "obj", "context", "denied"),
    [
        ("2012-10-17", "/home/alice/a.txt", {"aws:username": "alice"}, ["Own"]),
        ("2012-10-17", "/home/bob/a.txt", {"aws:username": "alice"}, []),
        # Unresolvable variable: the statement never applies, not even a Deny.
        ("2012-10-17", "/home/alice/a.txt", {}, []),
        # Version 2008-10-17 has no variables: ${...} is plain text.
        ("2008-10-17", "/home/${aws:username}/a.txt", {"aws:username": "alice"}, ["Own"]),
        ("2008-10-17", "/home/alice/a.txt", {"aws:username": "alice"}, []),
    ],
)
def test_variables_in_resource(version, obj, context, denied):
    policy = dict(VARIABLE_RESOURCE, Version=version)
    assert evaluate_policy(policy, Request("s3:GetObject", BUCKET + obj, ROLE, context)).deny == denied


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualz": {"k": "v"}},
        {"ForSomeValues:StringEquals": {"k": "v"}},
        {"NullIfExists": {"k": "true"}},
        {"ForAllValues:Null": {"k": "true"}},
        {"IfExists": {"k": "v"}},
    ],
    ids=str,
)
def test_unknown_operator_raises(condition):
    with pytest.raises(ValueError, match="condition"):
        evaluate_policy(doc(allow(Condition=condition)), Request("s3:GetObject", OBJECT, ROLE, {"k": "v"}))


@pytest.mark.parametrize(
    "statement",
    [
        # Operators are ANDed: a false one first must not hide a typo in the next one.
        allow(Condition={"StringEquals": {"k": "nope"}, "StringEqualz": {"k": "v"}}),
        # A statement for another action must not hide its typo either.
        deny("kms:*", Condition={"StringEqualz": {"k": "v"}}),
    ],
    ids=["after a false operator", "in a statement that does not match"],
)
def test_unknown_operator_raises_wherever_it_is(statement):
    with pytest.raises(ValueError, match="StringEqualz"):
        evaluate_policy(doc(statement), Request("s3:GetObject", OBJECT, ROLE, {"k": "v"}))


@pytest.mark.parametrize(
    "statement",
    [{"Effect": "Permit", "Action": "*", "Resource": "*"}, {"Effect": "Allow", "Resource": "*"}],
    ids=["bad Effect", "no Action"],
)
def test_malformed_statement_raises(statement):
    with pytest.raises(ValueError):
        evaluate_policy(doc(statement), Request("s3:GetObject", OBJECT, ROLE))


# ---- is_allowed ----------------------------------------------------------------------------------

KEY_POLICY_ROOT = doc(
    {"Sid": "AccountControl", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
)
KEY_POLICY_OTHER = doc(
    {"Sid": "OtherOnly", "Effect": "Allow", "Principal": {"AWS": OTHER_ROLE}, "Action": "kms:*", "Resource": "*"}
)
KEY_POLICY_ROLE = doc(
    {"Sid": "AllowApp", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["kms:Decrypt"], "Resource": "*"}
)
KEY_POLICY_VIA_S3 = doc(
    {
        "Sid": "ViaS3",
        "Effect": "Allow",
        "Principal": {"AWS": ACCT},
        "Action": "kms:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}},
    }
)
ENCRYPT = {
    "replicate-named-buckets": doc(
        {"Sid": "EncryptIntoUsWest2", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": KEY}
    )
}
DECRYPT_REQUEST = Request("kms:Decrypt", KEY, ROLE)
WHAT = f"kms:Decrypt on {KEY} for {ROLE}"

TLS_ONLY = doc(
    {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET, BUCKET + "/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
)
UPLOADS = {
    "app-uploads": doc({"Sid": "PutReports", "Effect": "Allow", "Action": "s3:PutObject", "Resource": BUCKET + "/*"})
}
PUT = f"s3:PutObject on {OBJECT} for {ROLE}"
LOGS = "logs.us-east-2.amazonaws.com"
BUCKET_FOR_LOGS = doc(
    {
        "Sid": "LogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": LOGS},
        "Action": "s3:PutObject",
        "Resource": BUCKET + "/*",
    }
)
BUCKET_FOR_ACCOUNT = doc(
    {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "s3:*", "Resource": BUCKET + "/*"}
)
BUCKET_FOR_ROLE = doc(
    {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:PutObject", "Resource": BUCKET + "/*"}
)
OTHER_ACCOUNT_ROLE = f"arn:aws:iam::{OTHER}:role/publisher"
TOPIC_FOR_OTHER = doc(
    {
        "Sid": "Publisher",
        "Effect": "Allow",
        "Principal": {"AWS": OTHER_ACCOUNT_ROLE},
        "Action": "sns:Publish",
        "Resource": TOPIC,
    }
)
PUBLISH_IDENTITY = {"publish": doc({"Sid": "Pub", "Effect": "Allow", "Action": "sns:Publish", "Resource": TOPIC})}

# Role trust policies, like key policies, must allow: an identity policy alone cannot ("Policy
# evaluation logic": "IAM role trust policies and KMS key policies are exceptions to this logic,
# because they must explicitly allow access for principals").
TARGET_ROLE = f"arn:aws:iam::{ACCT}:role/finproc-dr-monitor"
ASSUME = {"deploy": doc({"Sid": "Assume", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": TARGET_ROLE})}
TRUST_LAMBDA = doc(
    {"Sid": "Lambda", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
TRUST_ACCOUNT = doc({"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"})
TRUST_ROLE = doc({"Sid": "App", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"})
ASSUME_WHAT = f"sts:AssumeRole on {TARGET_ROLE} for {ROLE}"

IS_ALLOWED_CASES = [
    (
        "trust: an identity allow alone cannot assume a role trusting only Lambda",
        Request("sts:AssumeRole", TARGET_ROLE, ROLE),
        ASSUME,
        TRUST_LAMBDA,
        None,
        False,
        f"no statement of the trust policy allows {ASSUME_WHAT} (identity policy deploy statement Assume"
        " allows it, but without the trust policy that has no effect)",
        [],
        [],
    ),
    (
        "trust: the service it trusts",
        Request("sts:AssumeRole", TARGET_ROLE, "lambda.amazonaws.com"),
        {},
        TRUST_LAMBDA,
        None,
        True,
        "allowed by trust policy statement Lambda",
        ["trust policy:Lambda"],
        [],
    ),
    (
        "trust: the account root + an identity allow",
        Request("sts:AssumeRole", TARGET_ROLE, ROLE),
        ASSUME,
        TRUST_ACCOUNT,
        None,
        True,
        "allowed by identity policy deploy statement Assume and trust policy statement Account",
        ["deploy:Assume", "trust policy:Account"],
        [],
    ),
    (
        "trust: the account root alone",
        Request("sts:AssumeRole", TARGET_ROLE, ROLE),
        {},
        TRUST_ACCOUNT,
        "trust",
        False,
        f"trust policy statement Account delegates to IAM in account {ACCT},"
        f" but no identity policy allows {ASSUME_WHAT}",
        [],
        [],
    ),
    (
        "trust: naming the role, no identity policy needed",
        Request("sts:AssumeRole", TARGET_ROLE, ROLE),
        {},
        TRUST_ROLE,
        None,
        True,
        "allowed by trust policy statement App",
        ["trust policy:App"],
        [],
    ),
    (
        "trust: no trust policy given",
        Request("sts:AssumeRole", TARGET_ROLE, ROLE),
        ASSUME,
        None,
        "trust",
        False,
        f"no trust policy was given, and only it can allow {ASSUME_WHAT}",
        [],
        [],
    ),
    (
        "an IAM role as a resource of a non-sts action is no trust question",
        Request("iam:PassRole", TARGET_ROLE, ROLE),
        {"pass": doc({"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": TARGET_ROLE})},
        None,
        None,
        True,
        "allowed by identity policy pass statement Pass",
        ["pass:Pass"],
        [],
    ),
    # id, request, identity policies, resource policy, resource_type, allowed, reason, allowed_by, denied_by
    (
        "kms: root statement + identity allow",
        DECRYPT_REQUEST,
        ENCRYPT,
        KEY_POLICY_ROOT,
        "kms",
        True,
        "allowed by identity policy replicate-named-buckets statement EncryptIntoUsWest2"
        " and key policy statement AccountControl",
        ["replicate-named-buckets:EncryptIntoUsWest2", "key policy:AccountControl"],
        [],
    ),
    (
        "kms: root statement without identity allow",
        DECRYPT_REQUEST,
        {},
        KEY_POLICY_ROOT,
        "kms",
        False,
        f"key policy statement AccountControl delegates to IAM in account {ACCT}, but no identity policy allows {WHAT}",
        [],
        [],
    ),
    (
        "kms: identity allow, key policy names only another principal",
        DECRYPT_REQUEST,
        ENCRYPT,
        KEY_POLICY_OTHER,
        "kms",
        False,
        f"no statement of the key policy allows {WHAT} (identity policy replicate-named-buckets statement"
        " EncryptIntoUsWest2 allows it, but without the key policy that has no effect)",
        [],
        [],
    ),
    (
        "kms: key policy names the role, no identity policy needed",
        DECRYPT_REQUEST,
        {},
        KEY_POLICY_ROLE,
        "kms",
        True,
        "allowed by key policy statement AllowApp",
        ["key policy:AllowApp"],
        [],
    ),
    (
        "kms: the key ARN selects key-policy semantics",
        DECRYPT_REQUEST,
        ENCRYPT,
        KEY_POLICY_OTHER,
        None,
        False,
        f"no statement of the key policy allows {WHAT} (identity policy replicate-named-buckets statement"
        " EncryptIntoUsWest2 allows it, but without the key policy that has no effect)",
        [],
        [],
    ),
    (
        "kms: the delegating statement's condition must hold",
        Request("kms:Decrypt", KEY, ROLE, {"kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}),
        ENCRYPT,
        KEY_POLICY_VIA_S3,
        "kms",
        False,
        f"no statement of the key policy allows {WHAT} (identity policy replicate-named-buckets statement"
        " EncryptIntoUsWest2 allows it, but without the key policy that has no effect)",
        [],
        [],
    ),
    (
        "kms: the delegating statement's condition holds",
        Request("kms:Decrypt", KEY, ROLE, {"kms:ViaService": "s3.us-west-2.amazonaws.com"}),
        ENCRYPT,
        KEY_POLICY_VIA_S3,
        "kms",
        True,
        "allowed by identity policy replicate-named-buckets statement EncryptIntoUsWest2"
        " and key policy statement ViaS3",
        ["replicate-named-buckets:EncryptIntoUsWest2", "key policy:ViaS3"],
        [],
    ),
    (
        "kms: no key policy given",
        DECRYPT_REQUEST,
        ENCRYPT,
        None,
        "kms",
        False,
        f"no key policy was given, and only it can allow {WHAT}",
        [],
        [],
    ),
    (
        "kms: a service principal allowed by the key policy",
        Request("kms:GenerateDataKey", KEY, LOGS),
        {},
        doc(
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Principal": {"Service": LOGS},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
            }
        ),
        "kms",
        True,
        "allowed by key policy statement Logs",
        ["key policy:Logs"],
        [],
    ),
    (
        "identity policy alone, no resource policy",
        Request("s3:PutObject", OBJECT, ROLE),
        UPLOADS,
        None,
        None,
        True,
        "allowed by identity policy app-uploads statement PutReports",
        ["app-uploads:PutReports"],
        [],
    ),
    (
        "identity policies as a list are labelled by index",
        Request("s3:PutObject", OBJECT, ROLE),
        list(UPLOADS.values()),
        None,
        None,
        True,
        "allowed by identity policy #0 statement PutReports",
        ["#0:PutReports"],
        [],
    ),
    (
        "nothing allows",
        Request("s3:DeleteObject", OBJECT, ROLE),
        UPLOADS,
        None,
        None,
        False,
        f"no statement of the identity policies allows s3:DeleteObject on {OBJECT} for {ROLE}",
        [],
        [],
    ),
    (
        "an identity deny wins over an identity allow",
        Request("s3:PutObject", OBJECT, ROLE),
        dict(UPLOADS, guard=doc({"Sid": "NoPut", "Effect": "Deny", "Action": "s3:Put*", "Resource": "*"})),
        None,
        None,
        False,
        "denied by identity policy guard statement NoPut",
        [],
        ["guard:NoPut"],
    ),
    (
        "a bucket-policy deny wins over an identity allow",
        Request("s3:PutObject", OBJECT, ROLE, {"aws:SecureTransport": False}),
        UPLOADS,
        TLS_ONLY,
        None,
        False,
        "denied by bucket policy statement DenyInsecureTransport",
        [],
        ["bucket policy:DenyInsecureTransport"],
    ),
    (
        "TLS-only bucket policy lets a TLS upload through",
        Request("s3:PutObject", OBJECT, ROLE, {"aws:SecureTransport": True}),
        UPLOADS,
        TLS_ONLY,
        None,
        True,
        "allowed by identity policy app-uploads statement PutReports",
        ["app-uploads:PutReports"],
        [],
    ),
    (
        "a deny in a key policy wins over a direct allow",
        DECRYPT_REQUEST,
        {},
        doc(
            KEY_POLICY_ROLE["Statement"][0],
            {"Sid": "Never", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
        ),
        "kms",
        False,
        "denied by key policy statement Never",
        [],
        ["key policy:Never"],
    ),
    (
        "service principal allowed by the bucket policy",
        Request("s3:PutObject", OBJECT, LOGS),
        {},
        BUCKET_FOR_LOGS,
        None,
        True,
        "allowed by bucket policy statement LogDelivery",
        ["bucket policy:LogDelivery"],
        [],
    ),
    (
        "service principal: identity policies cannot help",
        Request("s3:PutObject", OBJECT, LOGS),
        UPLOADS,
        BUCKET_FOR_ROLE,
        None,
        False,
        f"no statement of the bucket policy allows s3:PutObject on {OBJECT} for {LOGS}"
        " (a service principal has no identity policy)",
        [],
        [],
    ),
    (
        "account root in a bucket policy needs an identity allow",
        Request("s3:PutObject", OBJECT, ROLE),
        {},
        BUCKET_FOR_ACCOUNT,
        None,
        False,
        f"bucket policy statement Account delegates to IAM in account {ACCT}, but no identity policy allows {PUT}",
        [],
        [],
    ),
    (
        "account root in a bucket policy with an identity allow",
        Request("s3:PutObject", OBJECT, ROLE),
        UPLOADS,
        BUCKET_FOR_ACCOUNT,
        None,
        True,
        "allowed by identity policy app-uploads statement PutReports",
        ["app-uploads:PutReports"],
        [],
    ),
    (
        "bucket policy naming the role allows without identity policy",
        Request("s3:PutObject", OBJECT, ROLE),
        {},
        BUCKET_FOR_ROLE,
        None,
        True,
        "allowed by bucket policy statement App",
        ["bucket policy:App"],
        [],
    ),
    (
        "a bucket policy deny naming the account applies to its role",
        Request("s3:PutObject", OBJECT, ROLE),
        UPLOADS,
        doc({"Sid": "Freeze", "Effect": "Deny", "Principal": {"AWS": ACCT}, "Action": "s3:*", "Resource": "*"}),
        None,
        False,
        "denied by bucket policy statement Freeze",
        [],
        ["bucket policy:Freeze"],
    ),
    (
        "cross-account: the topic policy alone is not enough",
        Request("sns:Publish", TOPIC, OTHER_ACCOUNT_ROLE),
        {},
        TOPIC_FOR_OTHER,
        None,
        False,
        f"topic policy statement Publisher allows it, but across accounts an identity policy of account {OTHER}"
        f" must allow sns:Publish on {TOPIC} for {OTHER_ACCOUNT_ROLE} too",
        [],
        [],
    ),
    (
        "cross-account: the topic policy delegates to the other account",
        Request("sns:Publish", TOPIC, OTHER_ACCOUNT_ROLE),
        PUBLISH_IDENTITY,
        doc(resource_statement({"AWS": OTHER}, sid="OtherAccount")),
        None,
        True,
        "allowed by identity policy publish statement Pub and topic policy statement OtherAccount",
        ["publish:Pub", "topic policy:OtherAccount"],
        [],
    ),
    (
        "cross-account: topic policy and identity policy",
        Request("sns:Publish", TOPIC, OTHER_ACCOUNT_ROLE),
        PUBLISH_IDENTITY,
        TOPIC_FOR_OTHER,
        None,
        True,
        "allowed by identity policy publish statement Pub and topic policy statement Publisher",
        ["publish:Pub", "topic policy:Publisher"],
        [],
    ),
    (
        "cross-account: the identity policy alone is not enough",
        Request("sns:Publish", TOPIC, OTHER_ACCOUNT_ROLE),
        PUBLISH_IDENTITY,
        doc(),
        None,
        False,
        f"no statement of the topic policy allows sns:Publish on {TOPIC} for {OTHER_ACCOUNT_ROLE} across accounts",
        [],
        [],
    ),
]


@pytest.mark.parametrize(
    ("request_", "identity", "resource", "resource_type", "allowed", "reason", "allowed_by", "denied_by"),
    [case[1:] for case in IS_ALLOWED_CASES],
    ids=[case[0] for case in IS_ALLOWED_CASES],
)
def test_is_allowed(request_, identity, resource, resource_type, allowed, reason, allowed_by, denied_by):
    decision = is_allowed(request_, identity, resource, resource_type)
    assert (decision.allowed, decision.reason) == (allowed, reason)
    assert (decision.allowed_by, decision.denied_by) == (allowed_by, denied_by)
    assert bool(decision) is allowed


# The realistic case: an S3 bucket policy's TLS-only deny (S3 User Guide, "Bucket policy examples":
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html, "Managing access
# based on HTTP or HTTPS requests"). aws:SecureTransport is present in every S3 request (Bool).
@pytest.mark.parametrize(("secure", "allowed"), [(False, False), ("false", False), (True, True), ("true", True)])
def test_tls_only_bucket_policy(secure, allowed):
    request = Request("s3:PutObject", OBJECT, ROLE, {"aws:SecureTransport": secure})
    decision = is_allowed(request, UPLOADS, TLS_ONLY)
    assert decision.allowed is allowed
    assert decision.denied_by == ([] if allowed else ["bucket policy:DenyInsecureTransport"])
