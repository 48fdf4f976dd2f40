# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small IAM policy evaluator (standard library only).

It answers "would AWS allow this principal this action on this resource?" from the policy documents
alone: identity policies, one resource policy (key, bucket, topic, function or trust policy) and a
request context. SCPs, RCPs, permission boundaries, session policies, VPC endpoint policies, ACLs and
KMS grants are not modelled, so an "allowed" here is necessary, not sufficient, on a real account.
evaluate_policy() judges one document; is_allowed() combines them as below.

AWS documentation this follows (IAM User Guide unless said otherwise):
- "Policy evaluation logic": an explicit deny in any policy wins; within one account an allow in
  the identity policy or in the resource policy is enough, but "IAM role trust policies and KMS key
  policies are exceptions to this logic, because they must explicitly allow access for principals".
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- "Cross-account policy evaluation logic": across accounts both sides must allow.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- "AWS JSON policy elements: Principal": an account principal (arn:aws:iam::ACCT:root or ACCT)
  delegates to the account, whose identity policies must then allow; "*" and {"AWS": "*"} are
  equivalent. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- "AWS JSON policy elements: NotPrincipal": see _exempt().
- AWS KMS Developer Guide, "Key policies in AWS KMS": every key has a key policy; "Unless the key
  policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key"; the
  account-root statement of the default key policy is what lets IAM policies grant access.
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
- "IAM JSON policy elements: Condition operators": a key missing from the request context makes
  the condition false, except for negated operators (StringNotLike, ArnNotLike, ...: true), for
  ...IfExists (true) and for Null (tests existence).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- "Conditions with multiple context keys or values": operators AND, keys AND, values of one key OR,
  values of a negated operator NOR.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- "Single-valued vs. multivalued context keys": ForAllValues is true when every request value
  matches and ALSO when the key is missing or empty; ForAnyValue is false when it is missing.
  Multivalued keys cannot be policy variables. A multivalued request value under an operator
  without a set qualifier is not defined there; we treat it like ForAnyValue (NOR when negated).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- "IAM policy elements: Variables and tags": ${key} and ${key, 'default'} in Resource and in
  condition values (policy Version 2012-10-17 only); ${*} ${?} ${$} stand for the literal
  characters; a variable that cannot be resolved may make the entire statement invalid: here the
  statement then never applies (neither allows nor denies).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
from datetime import datetime, timezone

__all__ = ["Request", "PolicyResult", "Decision", "evaluate_policy", "is_allowed"]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_VARIABLE = re.compile(r"^\s*([^,\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$")
_TOKENS = re.compile(r"\$\{([^}]*)\}|[*?]|[^$*?]+|\$")
_POLICY_NAMES = {"kms": "key policy", "trust": "trust policy", "s3": "bucket policy", "sns": "topic policy",
                 "sqs": "queue policy", "lambda": "function policy"}


class _Unresolved(Exception):
    """A policy variable that the request context cannot resolve: the statement does not apply."""


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _text(value):
    """A context or policy value as IAM compares it: booleans are "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _arn_parts(arn):
    """arn:partition:service:region:account:resource -> 6 parts, or None for a non-ARN."""
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


class Request:
    """One request: an action on a resource by a principal, with its condition context."""

    def __init__(self, action, resource, principal, context=None):
        self.action = action
        self.resource = resource
        principal = str(principal)
        if _ACCOUNT_ID.match(principal):  # an account id stands for the account's root
            principal = "arn:aws:iam::%s:root" % principal
        self.principal = principal
        parts = _arn_parts(principal)
        self.is_service = parts is None
        self.account = parts[4] if parts else None
        self.partition = parts[1] if parts else None
        # An assumed-role session (arn:aws:sts::A:assumed-role/NAME/session) is its role's session.
        self.role_name = None
        if parts and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
            self.role_name = parts[5].split("/")[1]
        self.context = dict(context or {})  # as given
        # {lower-case key: (values as text, multivalued?)}: what the conditions read
        self._keys = {}
        for key, value in (context or {}).items():
            if value is None:
                continue  # None: the key is not in the request context
            multi = isinstance(value, (list, tuple, set, frozenset))
            self._keys[key.lower()] = ([_text(v) for v in _as_list(value)], multi)
        # What AWS always puts in the context and is derivable from the principal alone.
        # "AWS global condition context keys":
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
        if self.is_service:
            self._keys.setdefault("aws:principalservicename", ([principal], False))
        else:
            arn = principal
            if self.role_name:  # aws:PrincipalArn of a role session is the role's ARN
                arn = "arn:%s:iam::%s:role/%s" % (self.partition, self.account, self.role_name)
            self._keys.setdefault("aws:principalarn", ([arn], False))
            self._keys.setdefault("aws:principalaccount", ([self.account], False))

    def values(self, key):
        """The request's values of a condition key, or None when the key is missing."""
        found = self._keys.get(key.lower())
        return None if found is None else found[0]

    def variable(self, key):
        """The value of a key as a policy variable: None when missing or multivalued (which cannot be
        variables, "Single-valued vs. multivalued context keys")."""
        found = self._keys.get(key.lower())
        return found[0][0] if found is not None and not found[1] and len(found[0]) == 1 else None

    def __repr__(self):
        return "Request(%r, %r, %r)" % (self.action, self.resource, self.principal)


class PolicyResult:
    """The outcome of one policy for one request.

    decision is "Deny" (a Deny statement matches), "Allow" (an Allow statement matches the
    principal itself, or the policy has no Principal elements) or "NotApplicable". delegated holds
    the Allow statements that match only through the principal's ACCOUNT (root or account id):
    they delegate to IAM and do not allow on their own.
    """

    def __init__(self, allow, deny, delegated):
        self.allow, self.deny, self.delegated = allow, deny, delegated
        self.decision = "Deny" if deny else "Allow" if allow else "NotApplicable"

    def __repr__(self):
        return "PolicyResult(%s, allow=%r, deny=%r, delegated=%r)" % (
            self.decision, self.allow, self.deny, self.delegated)


class Decision:
    """The outcome of is_allowed: .allowed, a one-sentence .reason, .allowed_by and .denied_by."""

    def __init__(self, allowed, reason, allowed_by=(), denied_by=()):
        self.allowed, self.reason = allowed, reason
        self.allowed_by, self.denied_by = list(allowed_by), list(denied_by)

    def __bool__(self):
        return self.allowed

    def __repr__(self):
        return "Decision(%r, %r)" % (self.allowed, self.reason)


# ---- wildcards and policy variables ---------------------------------------------------------


def _tokens(text, request):
    """Split a policy string into literal text and wildcards, substituting policy variables.

    request is None when the policy version has no variables (then "${" is plain text).
    """
    out = []
    for match in _TOKENS.finditer(text):
        token, body = match.group(0), match.group(1)
        if token in ("*", "?"):
            out.append(token)
        elif body is not None and request is not None:
            if body in ("*", "?", "$"):
                out.append(("lit", body))
                continue
            parsed = _VARIABLE.match(body)
            if not parsed:
                raise _Unresolved(token)
            found = request.variable(parsed.group(1))
            if found is not None:
                out.append(("lit", found))
            elif parsed.group(2) is not None:
                out.append(("lit", parsed.group(2).replace("''", "'")))
            else:
                raise _Unresolved(token)
        else:
            out.append(("lit", token))
    return out


def _literal(text, request):
    """A policy string without wildcards (the Equals operators): * and ? are plain characters."""
    return "".join(t if isinstance(t, str) else t[1] for t in _tokens(text, request))


def _glob(text, request, ignore_case=False):
    if request is None or "${" not in text:
        return _glob_plain(text, ignore_case)
    regex = "".join(".*" if t == "*" else "." if t == "?" else re.escape(t[1]) for t in _tokens(text, request))
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@functools.lru_cache(maxsize=4096)
def _glob_plain(text, ignore_case):
    """The compiled pattern of a policy string without variables (cached: policies repeat them)."""
    regex = "".join(".*" if t == "*" else "." if t == "?" else re.escape(t[1]) for t in _tokens(text, None))
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob_match(pattern, value, request=None, ignore_case=False):
    return _glob(pattern, request, ignore_case).fullmatch(value) is not None


def _arn_like(pattern, value, request):
    """ARN comparison: partition, service, region and account segment by segment, then the
    resource part, where * and ? also span "/" and ":". Case-sensitive."""
    if pattern == "*":
        return True
    want, have = _arn_parts(pattern), _arn_parts(value)
    if want is None or have is None:
        return _glob_match(pattern, value, request)
    return all(_glob_match(want[i], have[i], request) for i in range(6))


# ---- condition operators --------------------------------------------------------------------


def _number(text):
    return float(text)


def _date(text):
    text = text.strip()
    if re.match(r"^-?\d+(\.\d+)?$", text):  # epoch seconds
        return datetime.fromtimestamp(float(text), timezone.utc)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _compare(parse, test):
    def match(policy_value, value, request):
        wanted = parse(_literal(policy_value, request))  # a bad policy value raises ValueError
        try:
            got = parse(value)
        except (ValueError, OverflowError):
            return False  # a request value of the wrong type matches nothing
        return test(got, wanted)

    return match


def _ip(policy_value, value, request):
    network = ipaddress.ip_network(_literal(policy_value, request), strict=False)
    try:
        return ipaddress.ip_address(value) in network
    except ValueError:
        return False


def _binary(policy_value, value, request):
    try:
        return base64.b64decode(value, validate=True) == base64.b64decode(policy_value)
    except ValueError:
        return False


def _string_ic(p, v, r):
    return _literal(p, r).casefold() == v.casefold()


# Each positive operator: match(policy value, one request value, request) -> bool.
_POSITIVE = {
    "StringEquals": lambda p, v, r: _literal(p, r) == v,
    "StringEqualsIgnoreCase": _string_ic,
    "StringLike": _glob_match,
    "ArnEquals": _arn_like,  # ArnEquals and ArnLike compare the same way (condition operators page)
    "ArnLike": _arn_like,
    "Bool": lambda p, v, r: _literal(p, r).lower() == v.lower(),
    "BinaryEquals": _binary,
    "IpAddress": _ip,
}
for _kind, _parse in (("Numeric", _number), ("Date", _date)):
    _POSITIVE[_kind + "Equals"] = _compare(_parse, lambda a, b: a == b)
    _POSITIVE[_kind + "LessThan"] = _compare(_parse, lambda a, b: a < b)
    _POSITIVE[_kind + "LessThanEquals"] = _compare(_parse, lambda a, b: a <= b)
    _POSITIVE[_kind + "GreaterThan"] = _compare(_parse, lambda a, b: a > b)
    _POSITIVE[_kind + "GreaterThanEquals"] = _compare(_parse, lambda a, b: a >= b)
# Negated operators: true when NONE of the policy values matches (NOR), and when the key is missing.
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


def _parse_operator(name):
    """'ForAnyValue:StringLikeIfExists' -> (set qualifier or None, positive op, negated, if_exists)."""
    qualifier, operator = name.rpartition(":")[::2]
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise ValueError("unknown condition set operator %r in %r" % (qualifier, name))
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    if operator == "Null":
        if if_exists or qualifier:
            raise ValueError("the Null condition operator takes no qualifier: %r" % name)
        return None, "Null", False, False
    negated = operator in _NEGATED
    positive = _NEGATED.get(operator, operator)
    if positive not in _POSITIVE:
        raise ValueError("unknown condition operator %r" % name)
    return qualifier or None, positive, negated, if_exists


def _condition_holds(name, key, policy_values, request, variables):
    qualifier, operator, negated, if_exists = _parse_operator(name)
    policy_values = [_text(v) for v in _as_list(policy_values)]
    values = request.values(key)
    if operator == "Null":
        # "true": the key is absent (or empty); "false": it is present. Values OR.
        absent = not values
        return any((pv.lower() == "true") == absent for pv in policy_values)
    if not values:  # missing, or present with no value (an empty list counts as missing)
        if if_exists or qualifier == "ForAllValues":
            return True  # ForAllValues with a missing or empty key: TRUE (the AWS trap)
        if qualifier == "ForAnyValue":
            return False
        return negated  # missing key: false, except for the negated operators
    match = _POSITIVE[operator]

    def one(value):  # this request value matches one of the policy values (OR)
        hit = any(match(pv, value, variables) for pv in policy_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    if qualifier == "ForAnyValue" or not negated:
        return any(one(v) for v in values)
    return all(one(v) for v in values)  # negated, no qualifier: no value matches (NOR)


def _conditions_hold(condition, request, variables):
    """variables: the request when the policy version has policy variables, else None."""
    for name, keys in (condition or {}).items():  # operators AND
        for key, policy_values in keys.items():  # keys AND
            if not _condition_holds(name, key, policy_values, request, variables):
                return False
    return True


# ---- principals -----------------------------------------------------------------------------


def _principal_entries(element):
    """[(kind, value)]: kind "*" (anyone), "AWS", "Service" or another type (never matched)."""
    if element == "*":
        return [("*", "*")]
    if not isinstance(element, dict):
        raise ValueError("a Principal is '*' or a mapping, not %r" % (element,))
    entries = []
    for kind, values in element.items():
        for value in _as_list(values):
            value = str(value)
            if kind == "AWS" and value == "*":
                entries.append(("*", "*"))
            elif kind == "AWS" and _ACCOUNT_ID.match(value):
                entries.append(("AWS", "arn:aws:iam::%s:root" % value))
            else:
                entries.append((kind, value))
    return entries


def _is_role_of_session(parts, request):
    """The ARN parts name the role of the request's assumed-role session (its path is not in the
    session ARN, so the role is compared by account and name)."""
    return bool(
        request.role_name
        and parts[2] == "iam"
        and parts[4] == request.account
        and parts[5].startswith("role/")
        and parts[5].rsplit("/", 1)[-1] == request.role_name
    )


def _exempt(entries, request):
    """Is the principal exempt from a NotPrincipal Deny? AWS "might validate the account first, then
    the role, and then the assumed-role user", so a Deny with NotPrincipal "might deny access to the
    entire account containing the principal" unless the account ARN is listed too ("AWS JSON policy
    elements: NotPrincipal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    We take the strict reading: exempt only when the principal, its role (for a session) and its
    account are all listed."""
    if any(kind == "*" for kind, _value in entries):
        return True
    if request.is_service:
        return any(k == "Service" and v.lower() == request.principal.lower() for k, v in entries)
    listed = [v for k, v in entries if k == "AWS"]
    root = "arn:%s:iam::%s:root" % (request.partition, request.account)
    if request.principal not in listed or root not in listed:
        return False
    return not request.role_name or any(_is_role_of_session(_arn_parts(v) or [""] * 6, request) for v in listed)


def _principal_match(entries, request):
    """ "direct" when an entry names the principal (or anyone), "account" when one names only its
    account (delegation to IAM), else None."""
    found = None
    for kind, value in entries:
        if kind == "*":
            return "direct"
        if kind == "Service" and request.is_service and value.lower() == request.principal.lower():
            return "direct"
        if kind != "AWS" or request.is_service:
            continue
        if value == request.principal:
            return "direct"
        parts = _arn_parts(value)
        if parts is None or parts[4] != request.account:
            continue
        if _is_role_of_session(parts, request):
            return "direct"
        if parts[2] == "iam" and parts[5] == "root":
            found = "account"
    return found


# ---- one policy -----------------------------------------------------------------------------


def _load(document):
    if isinstance(document, (str, bytes)):
        document = json.loads(document)
    if not isinstance(document, dict):
        raise ValueError("a policy document is a mapping or its JSON text")
    statements = document.get("Statement", [])
    return document.get("Version"), statements if isinstance(statements, list) else [statements]


def _statement_applies(statement, request, variables):
    """None when the statement does not apply, else "direct" or "account" (its principal match)."""
    if "Action" in statement:
        hit = any(_glob_match(a, request.action, ignore_case=True) for a in _as_list(statement["Action"]))
    elif "NotAction" in statement:
        hit = not any(_glob_match(a, request.action, ignore_case=True) for a in _as_list(statement["NotAction"]))
    else:
        raise ValueError("a statement needs Action or NotAction: %r" % (statement,))
    if not hit:
        return None
    if "Resource" in statement:
        hit = any(_arn_like(r, request.resource, variables) for r in _as_list(statement["Resource"]))
    elif "NotResource" in statement:
        hit = not any(_arn_like(r, request.resource, variables) for r in _as_list(statement["NotResource"]))
    # (no Resource: a trust policy, which applies to its role)
    if not hit:
        return None
    how = "direct"  # no Principal: an identity policy, the principal is the identity it is attached to
    if "Principal" in statement:
        how = _principal_match(_principal_entries(statement["Principal"]), request)
    elif "NotPrincipal" in statement:
        how = None if _exempt(_principal_entries(statement["NotPrincipal"]), request) else "direct"
    if how is None or not _conditions_hold(statement.get("Condition"), request, variables):
        return None
    return how


def evaluate_policy(document, request):
    """Evaluate one policy document for one Request -> PolicyResult."""
    version, statements = _load(document)
    variables = request if version == "2012-10-17" else None
    allow, deny, delegated = [], [], []
    for index, statement in enumerate(statements):
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise ValueError("statement Effect must be Allow or Deny, not %r" % (effect,))
        for name in statement.get("Condition") or {}:
            _parse_operator(name)  # a typo raises even when the statement does not otherwise match
        try:
            how = _statement_applies(statement, request, variables)
        except _Unresolved:
            how = None
        if how is None:
            continue
        label = str(statement.get("Sid") or "#%d" % index)
        if effect == "Deny":
            deny.append(label)  # a Deny naming the account applies to every principal in it
        elif how == "direct":
            allow.append(label)
        else:
            delegated.append(label)
    return PolicyResult(allow, deny, delegated)


# ---- several policies -----------------------------------------------------------------------


def _resource_policy_name(resource_type, resource):
    parts = _arn_parts(resource) if resource != "*" else None
    return _POLICY_NAMES.get(resource_type or (parts[2] if parts else None), "resource policy")


def _describe(policy, labels):
    """'identity policy X statement S' / 'key policy statements A, B'."""
    noun = "statement" if len(labels) == 1 else "statements"
    return "%s %s %s" % (policy, noun, ", ".join(labels))


def is_allowed(request, identity_policies=(), resource_policy=None, resource_type=None):
    """Would AWS allow the request, given the principal's identity policies and the resource's policy?

    resource_type "kms" (key policy) or "trust" (role trust policy) selects the semantics of a policy
    that must allow; None takes them from the resource ARN (a KMS key; an IAM role with an sts:
    action), else a generic resource policy.
    """
    parts = _arn_parts(request.resource) if request.resource != "*" else None
    if resource_type is None and parts:
        if parts[2] == "kms":
            resource_type = "kms"
        elif parts[2] == "iam" and parts[5].startswith("role/") and request.action.lower().startswith("sts:"):
            resource_type = "trust"
    strict = resource_type in ("kms", "trust")  # the resource policy itself must allow
    if isinstance(identity_policies, dict) and "Statement" not in identity_policies:
        named = list(identity_policies.items())
    else:
        if isinstance(identity_policies, (dict, str, bytes)):
            identity_policies = [identity_policies]
        named = [("#%d" % i, doc) for i, doc in enumerate(identity_policies)]
    if request.is_service:
        named = []  # a service principal has no identity policy
    identity = [(label, evaluate_policy(doc, request)) for label, doc in named]
    resource_name = _resource_policy_name(resource_type, request.resource)
    resource = None if resource_policy is None else evaluate_policy(resource_policy, request)

    denied_by, denials = [], []
    for label, result in identity:
        denied_by += ["%s:%s" % (label, s) for s in result.deny]
        if result.deny:
            denials.append(_describe("identity policy %s" % label, result.deny))
    if resource is not None and resource.deny:
        denied_by += ["%s:%s" % (resource_name, s) for s in resource.deny]
        denials.append(_describe(resource_name, resource.deny))
    if denied_by:
        return Decision(False, "denied by " + " and ".join(denials), denied_by=denied_by)

    id_by = ["%s:%s" % (label, s) for label, result in identity for s in result.allow]
    id_text = " and ".join(
        _describe("identity policy %s" % label, result.allow) for label, result in identity if result.allow
    )
    res_allow = resource.allow if resource else []
    res_delegated = resource.delegated if resource else []
    res_by = ["%s:%s" % (resource_name, s) for s in res_allow]
    what = "%s on %s for %s" % (request.action, request.resource, request.principal)
    cross = bool(parts and parts[4] and request.account and parts[4] != request.account)

    if strict and resource is None:
        return Decision(False, "no %s was given, and only it can allow %s" % (resource_name, what))
    if res_allow and not cross:
        return Decision(True, "allowed by " + _describe(resource_name, res_allow), allowed_by=res_by)
    resource_ok = res_allow or res_delegated
    if id_by and (resource_ok or not (strict or cross)):
        if resource_ok and (strict or cross):
            labels = res_allow or res_delegated
            by = id_by + ["%s:%s" % (resource_name, s) for s in labels]
            return Decision(True, "allowed by %s and %s" % (id_text, _describe(resource_name, labels)), by)
        return Decision(True, "allowed by " + id_text, allowed_by=id_by)
    if request.is_service:
        return Decision(False, "no statement of the %s allows %s (a service principal has no identity policy)"
                        % (resource_name, what))
    if res_allow:  # across accounts, the principal's own account must allow it too
        return Decision(False, "%s allows it, but across accounts an identity policy of account %s must allow %s too"
                        % (_describe(resource_name, res_allow), request.account, what))
    if res_delegated:
        return Decision(False, "%s delegates to IAM in account %s, but no identity policy allows %s"
                        % (_describe(resource_name, res_delegated), request.account, what))
    if strict:
        extra = " (%s allows it, but without the %s that has no effect)" % (id_text, resource_name) if id_by else ""
        return Decision(False, "no statement of the %s allows %s%s" % (resource_name, what, extra))
    if cross and id_by:
        return Decision(False, "no statement of the %s allows %s across accounts" % (resource_name, what))
    if resource is None:
        return Decision(False, "no statement of the identity policies allows %s" % what)
    return Decision(False, "no statement of the identity policies or the %s allows %s" % (resource_name, what))
