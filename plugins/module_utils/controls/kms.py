# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""KMS controls: the region's key (alias/<key_alias>) rotates and its policy gives kms:* to the
account root only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import as_list, control, principals, verdict


@control("kms-key-rotation", "KMS key enabled, customer managed, rotating", resource=lambda s: s.alias)
def kms_key_rotation(ctx):
    s = ctx.stack
    key = s.need_key()
    problems = []
    if key.get("KeyState") != "Enabled":
        problems.append("key state %s, wanted Enabled" % key.get("KeyState"))
    if key.get("KeyManager") != "CUSTOMER":
        problems.append("managed by %s, wanted a customer managed key" % key.get("KeyManager"))
    try:
        rotation = s.client("kms").get_key_rotation_status(aws_retry=True, KeyId=key["Arn"])
    except is_boto3_error_code(["KMSInvalidStateException", "UnsupportedOperationException"]) as e:
        problems.append("rotation status unreadable: %s" % e.response["Error"].get("Message"))
    else:
        if not rotation.get("KeyRotationEnabled"):
            problems.append("automatic rotation is off")
    yield verdict(key["Arn"], problems, "Enabled, customer managed, automatic rotation on")


@control(
    "kms-key-policy",
    "KMS key policy grants kms:* to the account root only, nothing to Principal *",
    resource=lambda s: s.alias,
)
def kms_key_policy(ctx):
    s = ctx.stack
    key = s.need_key()
    found = s.client("kms").get_key_policy(aws_retry=True, KeyId=key["Arn"], PolicyName="default")
    policy = json.loads(found["Policy"])
    root = "arn:%s:iam::%s:root" % (s.partition, s.account_id)
    roots = (root, s.account_id)
    problems = []
    account_control = False
    for index, statement in enumerate(as_list(policy.get("Statement"))):
        name = statement.get("Sid") or "#%d" % (index + 1)
        if statement.get("Effect") != "Allow":
            continue
        who = principals(statement)
        actions = [a.lower() for a in as_list(statement.get("Action"))]
        if "*" in who:
            problems.append("statement %s allows Principal *" % name)
        everything = "kms:*" in actions or "*" in actions or "NotAction" in statement
        if everything and not all(p in roots for p in who):
            problems.append("statement %s grants %s to %s" % (
                name, "kms:*" if "NotAction" not in statement else "NotAction",
                ", ".join(p for p in who if p not in roots)))
        if statement.get("Sid") == "AccountControl" and everything and who and all(p in roots for p in who):
            account_control = True
    if not account_control:
        problems.append("no statement AccountControl allowing kms:* to %s" % root)
    yield verdict(key["Arn"], problems, "kms:* for the account root only (AccountControl); no Principal *")
