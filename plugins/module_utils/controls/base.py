# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The control registry and the helpers the areas share.

A control is one function of its area file, registered where it is defined::

    @control("table-pitr", "Table point-in-time recovery enabled", resource=lambda s: s.table_name)
    def table_pitr(check):
        ...
        yield resource, passed, detail

``check`` is the runner (runner.Controls): ``check.stack`` (stack.Stack, the live state read once),
``check.params`` (the module's parameters: every expected value), ``check.guard``. ``resource``
names what an entry reports when the control fails before it could name one. Controls are evaluated
and reported in the order they are registered (runner.AREAS, then the order in each file).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import fnmatch
import json

try:
    from urllib.parse import unquote
except ImportError:  # Python 2
    from urllib import unquote

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

# area: the file that registers it (kms, data, network, traffic, monitoring, tags), which dr_controls_info's
# `controls` option may name to select the area's controls.
Control = collections.namedtuple("Control", ["id", "title", "evaluate", "resource", "area"])

# Every control, in registration order (see runner.AREAS).
REGISTRY = []

STACK_TAG = "finproc:stack"


def control(control_id, title, resource=None):
    """Registers the decorated generator function as the control `control_id`."""

    def register(evaluate):
        if any(c.id == control_id for c in REGISTRY):
            raise ValueError("control %s is registered twice" % control_id)
        REGISTRY.append(Control(control_id, title, evaluate, resource or (lambda stack: stack.region),
                                evaluate.__module__.rsplit(".", 1)[-1]))
        return evaluate

    return register


class Missing(Exception):
    """A resource a control needs is not there (the control fails with this text)."""


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def normalized_name(name):
    return (name or "").lower().rstrip(".")


def describe_error(e):
    if isinstance(e, botocore.exceptions.ClientError):
        error = e.response.get("Error", {})
        return "AWS error: %s failed: %s (%s)" % (e.operation_name, error.get("Message") or "", error.get("Code"))
    return "AWS error: %s" % e


def key_matches(reference, key, alias):
    """Whether `reference` (key ARN, key ID, alias name or alias ARN) names `key` (KeyMetadata)."""
    if not reference or not key:
        return False
    arn = key["Arn"]
    alias_arn = arn.split(":key/")[0] + ":" + alias
    return reference in (arn, key["KeyId"], alias, alias_arn)


def policy_document(document):
    """A policy as a dict (IAM returns it URL-encoded text when botocore has not decoded it)."""
    if isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return json.loads(unquote(document))


def principals(statement):
    """The principals of a statement, as a list of strings ('*' for everyone)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if not isinstance(principal, dict):
        return as_list(principal)
    found = []
    for value in principal.values():
        found.extend(as_list(value))
    return found


def covers(patterns, value):
    """Whether an IAM pattern (* and ?, case sensitive) of `patterns` matches `value`."""
    return any(fnmatch.fnmatchcase(value, pattern.replace("[", "[[]")) for pattern in patterns)


def condition_value(condition, operators, key):
    """The values of `key` (case-insensitive) under the first of `operators` that has it."""
    for operator in operators:
        block = (condition or {}).get(operator) or {}
        for name, value in block.items():
            if name.lower() == key.lower():
                return [str(v).lower() for v in as_list(value)]
    return None


def tls_deny_resources(policy):
    """The resources a policy denies s3:* to Principal * on when aws:SecureTransport is false."""
    resources = []
    for statement in as_list(policy.get("Statement")):
        if statement.get("Effect") != "Deny" or "*" not in principals(statement):
            continue
        actions = [a.lower() for a in as_list(statement.get("Action"))]
        if "s3:*" not in actions and "*" not in actions:
            continue
        secure = condition_value(statement.get("Condition"), ("Bool", "BoolIfExists"), "aws:SecureTransport")
        if secure != ["false"]:
            continue
        resources.extend(as_list(statement.get("Resource")))
    return resources


def verdict(resource, problems, passed_detail):
    """One entry (resource, passed, detail): the problems joined, or `passed_detail` when none."""
    if problems:
        return resource, False, "; ".join(problems)
    return resource, True, passed_detail


def missing_tags(tags, wanted):
    """What is missing or different in `tags` against `wanted`, as text."""
    problems = []
    for key in sorted(wanted):
        if key not in tags:
            problems.append("no %s" % key)
        elif tags[key] != wanted[key]:
            problems.append("%s=%r, wanted %r" % (key, tags[key], wanted[key]))
    return problems
