"""The moto form of an IAM policy: what moto's IAM enforcement can check of it, and nothing more.

Emulator plumbing for the permission proofs (tests/integration/test_permissions.py): a user or role
that holds the moto form of a policy in an enforcing moto server may make exactly the calls whose
ACTIONS the policy allows. Why the form differs from the policy, from moto 5.2.5's own code:

- moto/core/responses.py (BaseResponse.call_action) authorizes every request of every service but
  S3 against ``resource="*"`` (only IAM requests naming an existing role and STS AssumeRole pass an
  ARN, moto/iam/responses.py and moto/sts/responses.py ``_determine_resource``), and
  moto/iam/access_control.py (IAMPolicyStatement._match) matches a statement's Resource against
  that "*" as a regular expression: a statement whose Resource names an ARN never matches.
- moto/iam/access_control.py (IAMRequestBase.check_action_permitted) gives a statement's Condition
  no request values, and moto/iam/policy_conditions.py (TrustCondition.verify_condition) then finds
  every condition met (and knows no operator but StringEquals): moto cannot tell a condition that
  AWS would find false. The form drops them, so that nothing suggests they were checked.
- moto/iam/access_control.py (IAMRequestBase.__init__) names the action after the SigV4 signing
  name of the credential scope, which for CloudWatch is ``monitoring`` (botocore's service model,
  ``signingName``), not the IAM prefix ``cloudwatch``.

So the moto form keeps each Allow statement's actions (plus the signing-name twin of a CloudWatch
action), with Resource "*" and no Condition. It proves that a policy's actions are complete; its
resource and condition scoping are proven by the IAM policy evaluator's tests
(tests/unit/policies/), never by moto.
"""

from __future__ import annotations

import copy

# IAM service prefix -> SigV4 signing name, where they differ, for the services the collection calls.
SIGNING_NAMES = {"cloudwatch": "monitoring"}


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def moto_form(policy: dict) -> dict:
    """The moto form of an identity policy (see the module's docstring)."""
    statements = policy["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    form = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            # Without its condition and resources a Deny would refuse more than AWS does.
            raise ValueError(f"only Allow statements have a moto form: {statement.get('Sid', statement)}")
        for element in ("NotAction", "NotResource", "Principal", "NotPrincipal"):
            if element in statement:
                raise ValueError(f"{element} has no moto form: {statement.get('Sid', statement)}")
        actions = _as_list(statement["Action"])
        twins = []
        for action in actions:
            prefix, _sep, name = action.partition(":")
            if prefix in SIGNING_NAMES:
                twins.append(f"{SIGNING_NAMES[prefix]}:{name}")
        moto_statement = {"Effect": "Allow", "Action": actions + twins, "Resource": "*"}
        if "Sid" in statement:
            moto_statement = {"Sid": statement["Sid"], **moto_statement}
        form.append(moto_statement)
    return {"Version": policy.get("Version", "2012-10-17"), "Statement": copy.deepcopy(form)}


def without_statement(policy: dict, sid: str) -> dict:
    """The policy less its statement ``sid`` (which must exist)."""
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    kept = [s for s in statements if s.get("Sid") != sid]
    if len(kept) == len(statements):
        raise KeyError(sid)
    return {**policy, "Statement": copy.deepcopy(kept)}
