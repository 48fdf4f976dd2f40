#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: iam_role
version_added: 0.1.0
short_description: An IAM role with its trust policy, description, tags and complete set of inline policies, in one run
description:
  - Creates or updates the IAM role I(name) - its trust policy, description, maximum session duration
    and tags - together with the complete set of its inline policies and of its attached managed
    policies, or deletes the role with its policies.
  - One run does what amazon.aws.iam_role and one amazon.aws.iam_policy run per inline policy did
    together. A role that is as wanted costs C(GetRole) (the role's trust policy, description and
    tags), C(ListRolePolicies), one C(GetRolePolicy) per inline policy and
    C(ListAttachedRolePolicies), and no write.
  - Policies are compared as parsed JSON (amazon.aws C(compare_policies)) - the order of statements
    and of list items does not matter, a single value and a list of that one value are the same - as
    IAM returns them (URL-encoded JSON, decoded).
  - C(CreateRole) takes no client token. It is sent once, with the tags in the request; after an answer
    whose outcome is unknown (a 5xx answer, a timeout, a closed connection) the role is looked up by
    name before any new attempt. A role of that name that the lost call made (or that C(CreateRole)
    answers C(EntityAlreadyExists) for) is adopted only when it is ours - its trust policy is
    I(assume_role_policy_document) and it carries the values of I(identity_tags) of I(tags); any other
    role of that name makes the module fail, naming what differs, and changes nothing.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The name of the role; 1 to 64 letters, digits and C(_+=,.@-).
    type: str
    required: true
  path:
    description:
      - The path of the role. Set at creation - IAM cannot change it; a role of that name at another path
        is an error.
    type: str
    default: /
  description:
    description:
      - The description of the role. Not given, it is left as it is.
    type: str
  assume_role_policy_document:
    description:
      - The trust policy of the role, as JSON text or a dictionary. Required with I(state=present).
    type: json
  inline_policies:
    description:
      - The inline policies of the role, by name - each a policy document as JSON text or a dictionary.
      - The set is complete - an inline policy of the role that is not named here is deleted.
    type: dict
    default: {}
  managed_policy_arns:
    description:
      - The ARNs of the managed policies attached to the role.
      - The set is complete - an attached policy that is not listed is detached; C([]) detaches every one.
      - Not given, the role's attached policies are left as they are (as amazon.aws.iam_role does
        without O(managed_policy_arns)).
    type: list
    elements: str
  max_session_duration:
    description:
      - The maximum session duration of the role, in seconds (3600 to 43200). Not given, it is left as it is.
    type: int
  identity_tags:
    description:
      - The keys of I(tags) whose values say that a role of the name I(name) is ours, when it is found
        after a C(CreateRole) whose outcome is unknown or that answered C(EntityAlreadyExists). A key that
        is not in I(tags) is ignored; with none of them in I(tags), such a role is never adopted.
    type: list
    elements: str
    default: ["finproc:stack", "Name"]
  state:
    description:
      - C(present) creates the role or brings it in line with the options.
      - C(absent) deletes its inline policies, detaches its managed policies and deletes the role.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - Check mode is supported. Diff mode reports what differs among the path, description, trust policy,
    maximum session duration, each inline policy (by name), the attached managed policies and the tags.
  - Instance profiles and permissions boundaries are not managed. A role in an instance profile cannot be
    deleted (IAM answers C(DeleteConflict)).
  - IAM is eventually consistent - a role just created may not be assumable at once by the service it
    trusts. This module does not wait for that; the service's module does (finproc.dr.lambda_function
    waits while Lambda answers that the role cannot be assumed).
"""

EXAMPLES = r"""
- name: The monitor's role and its one inline policy
  finproc.dr.iam_role:
    name: finproc-prod-monitor-us-east-2
    description: The health monitor of finproc-prod in us-east-2
    assume_role_policy_document: "{{ lookup('ansible.builtin.template', 'lambda_trust.json.j2') }}"
    inline_policies:
      health-monitor: "{{ lookup('ansible.builtin.template', 'lambda_policy.json.j2') }}"
    tags:
      Name: finproc-prod-monitor-us-east-2
      finproc:stack: finproc-prod
  register: role

- name: Delete it (its inline policies first)
  finproc.dr.iam_role:
    name: finproc-prod-monitor-us-east-2
    state: absent
"""

RETURN = r"""
iam_role:
  description:
    - The role as IAM describes it (C(GetRole), or C(CreateRole)'s answer for a role just made), in snake
      case, with its tags as a dictionary, its trust policy parsed, its inline policies by name and the
      ARNs of its attached managed policies.
    - Not returned when there is no role (or, in check mode, one still to be created).
  returned: when there is a role
  type: dict
  contains:
    arn:
      description: The ARN of the role.
      type: str
      sample: arn:aws:iam::123456789012:role/finproc-prod-monitor-us-east-2
    role_name:
      description: The name of the role.
      type: str
    role_id:
      description: The ID of the role.
      type: str
    path:
      description: The path of the role.
      type: str
    description:
      description: The description of the role.
      type: str
    max_session_duration:
      description: The maximum session duration, in seconds.
      type: int
    assume_role_policy_document:
      description: The trust policy, parsed.
      type: dict
    inline_policies:
      description: The inline policies, by name, parsed.
      type: dict
    managed_policy_arns:
      description: The ARNs of the attached managed policies.
      type: list
      elements: str
    tags:
      description: The tags of the role.
      type: dict
"""

import json

try:
    from urllib.parse import unquote
except ImportError:  # Python 2 (ansible-test sanity imports the module with every Python it knows)
    from urllib import unquote

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags

# "The request was rejected because it referenced a resource entity that does not exist" (NoSuchEntity,
# GetRole - AWS Identity and Access Management, https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html).
GONE = ("NoSuchEntity",)
# "The request was rejected because it attempted to create a resource that already exists"
# (EntityAlreadyExists, CreateRole - AWS Identity and Access Management,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
TAKEN = ("EntityAlreadyExists",)


def parse_policy(document):
    """A policy as IAM returns it (URL-encoded JSON text: "Policies returned by this operation are
    URL-encoded compliant with RFC 3986", GetRole and GetRolePolicy - AWS Identity and Access Management,
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html; botocore decodes it into a
    dict already) or as given (JSON text or a dict): a dict."""
    if document is None or isinstance(document, dict):
        return document
    text = document.strip()
    if not text.startswith("{"):
        text = unquote(text)
    return json.loads(text)


def policy_text(document):
    """The text sent to IAM: the user's JSON text as given, or a dict as compact JSON."""
    if isinstance(document, dict):
        return json.dumps(document, sort_keys=True, separators=(",", ":"))
    return document


def differs(current, wanted):
    return current is None or compare_policies(current, wanted)


class Role(AWSResource):
    kind = "IAM role"

    def __init__(self, module):
        super(Role, self).__init__(module)
        self.client = aws_client(module, "iam")
        self.fresh = False  # made by this run's CreateRole (its answer read)

    # -- reads -----------------------------------------------------------------------------------
    def get_role(self):
        reply = self.call(self.client.get_role, "GetRole", ignore=GONE, RoleName=self.name)
        return reply["Role"] if reply else None

    def read(self):
        """The role (GetRole: its trust policy, description and tags - the Role data type holds "Tags: A
        list of tags that are attached to the role", https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html,
        so no ListRoleTags), its inline policies (ListRolePolicies, GetRolePolicy each) and the ARNs of its
        attached managed policies (ListAttachedRolePolicies); None when there is no role."""
        role = self.get_role()
        if role is None:
            return None
        return self.read_policies(role)

    def read_policies(self, role):
        names = paginate_or_fail(
            self.module, self.client, "list_role_policies", "PolicyNames", self.label(), RoleName=self.name
        )
        policies = {}
        for name in names:
            reply = self.call(
                self.client.get_role_policy, "GetRolePolicy", ignore=GONE, RoleName=self.name, PolicyName=name
            )
            if reply is not None:  # deleted meanwhile: not there
                policies[name] = parse_policy(reply["PolicyDocument"])
        attached = paginate_or_fail(
            self.module,
            self.client,
            "list_attached_role_policies",
            "AttachedPolicies",
            self.label(),
            RoleName=self.name,
        )
        return {"role": role, "policies": policies, "attached": sorted(p["PolicyArn"] for p in attached)}

    # -- comparisons -----------------------------------------------------------------------------
    def wanted_trust(self):
        return parse_policy(self.params["assume_role_policy_document"])

    def wanted_policies(self):
        return dict((name, parse_policy(doc)) for name, doc in (self.params["inline_policies"] or {}).items())

    def settings(self, state):
        role = state["role"]
        return {
            "path": role.get("Path", "/"),
            "description": role.get("Description", ""),
            "assume_role_policy_document": parse_policy(role.get("AssumeRolePolicyDocument")),
            "max_session_duration": role.get("MaxSessionDuration"),
            "inline_policies": dict(state["policies"]),
            "managed_policy_arns": list(state["attached"]),
            "tags": plan_tags(dict((t["Key"], t["Value"]) for t in role.get("Tags") or []), None).before,
        }

    def desired(self):
        return {
            "path": self.params["path"],
            "description": self.params["description"] or "",
            "assume_role_policy_document": self.wanted_trust(),
            "max_session_duration": self.params["max_session_duration"] or 3600,
            "inline_policies": self.wanted_policies(),
            "managed_policy_arns": sorted(self.params["managed_policy_arns"] or []),
            "tags": plan_tags({}, self.params["tags"]).after,
        }

    def plan(self, state):
        before = self.settings(state)
        if before["path"] != self.params["path"]:
            self.module.fail_json(
                msg="%s has the path %s, not %s; IAM cannot change a role's path: nothing was changed"
                % (self.label(), before["path"], self.params["path"])
            )
        after = dict(before)
        writes = {}
        trust = self.wanted_trust()
        if differs(before["assume_role_policy_document"], trust):
            writes["trust"] = policy_text(self.params["assume_role_policy_document"])
            after["assume_role_policy_document"] = trust
        update = {}
        description = self.params["description"]
        if description is not None and description != before["description"]:
            update["Description"] = after["description"] = description
        duration = self.params["max_session_duration"]
        if duration is not None and duration != before["max_session_duration"]:
            update["MaxSessionDuration"] = after["max_session_duration"] = duration
        writes["update"] = update
        wanted = self.wanted_policies()
        writes["delete"] = sorted(set(before["inline_policies"]) - set(wanted))
        writes["put"] = dict(
            (name, policy_text(self.params["inline_policies"][name]))
            for name in sorted(wanted)
            if differs(before["inline_policies"].get(name), wanted[name])
        )
        after["inline_policies"] = wanted
        leave = self.params["managed_policy_arns"] is None
        managed = sorted(set(before["managed_policy_arns"] if leave else self.params["managed_policy_arns"]))
        writes["detach"] = sorted(set(before["managed_policy_arns"]) - set(managed))
        writes["attach"] = sorted(set(managed) - set(before["managed_policy_arns"]))
        after["managed_policy_arns"] = managed
        tags = plan_tags(before["tags"], self.params["tags"], purge=self.params["purge_tags"])
        writes["tags"] = tags if tags.changed else None
        after["tags"] = tags.after
        return writes, after

    # -- writes ----------------------------------------------------------------------------------
    def identity_tags(self):
        tags = self.params["tags"] or {}
        return dict((key, "%s" % tags[key]) for key in self.params["identity_tags"] if key in tags)

    def find_ours(self):
        """The role of our name, when it is ours (after a lost CreateRole answer, or EntityAlreadyExists):
        its trust policy is ours and it carries our identity tags. None: no such role. A role of that name
        that is not ours fails the module: it belongs to someone else, and nothing is changed."""
        role = self.get_role()
        if role is None:
            return None
        found = self.settings({"role": role, "policies": {}, "attached": []})
        wanted = self.identity_tags()
        problems = []
        if not wanted:
            problems.append("none of identity_tags (%s) is in tags" % ", ".join(self.params["identity_tags"]))
        mismatched = sorted(key for key, value in wanted.items() if found["tags"].get(key) != value)
        if mismatched:
            problems.append(
                "its tags %s are not ours (%s)"
                % (", ".join(mismatched), ", ".join("%s=%s" % (k, found["tags"].get(k)) for k in mismatched))
            )
        if differs(found["assume_role_policy_document"], self.wanted_trust()):
            problems.append("its trust policy is not ours")
        if problems:
            self.module.fail_json(
                msg="%s: a role of that name (%s) exists that this module did not make: %s. It may belong to "
                "someone else: nothing was changed; delete or rename it, or choose another name"
                % (self.label(), role.get("Arn"), "; ".join(problems)),
                iam_role=self.result(False, {"role": role, "policies": {}, "attached": []}, {}, {})["iam_role"],
            )
        return role

    def created(self, answer):
        self.fresh = True
        return answer["Role"]

    def create(self):
        request = {
            "RoleName": self.name,
            "Path": self.params["path"],
            "AssumeRolePolicyDocument": policy_text(self.params["assume_role_policy_document"]),
        }
        if self.params["description"]:
            request["Description"] = self.params["description"]
        if self.params["max_session_duration"] is not None:
            request["MaxSessionDuration"] = self.params["max_session_duration"]
        if self.params["tags"]:
            # Tags at creation ("Tags: A list of tags that you want to attach to the new role", CreateRole).
            request["Tags"] = ansible_dict_to_boto3_tag_list(dict(sorted(self.params["tags"].items())))
        role = create_once(
            self.module, self.client, "create_role", request, self.find_ours, self.created, self.label(),
            exists_codes=TAKEN,
        )  # fmt: skip
        # From now on, calls about the role retry IAM's NoSuchEntity: "changes that you make [...] might not be
        # immediately visible" ("Changes that I make are not always immediately visible", Troubleshoot IAM,
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
        self.client = aws_client(self.module, "iam", extra_codes=GONE)
        if self.fresh:
            # What CreateRole answered is the new role ("Role: A structure containing details about the new
            # role", CreateRole); it has no inline or managed policy yet. Tags and description as sent, where
            # the answer leaves them out.
            role = dict(role)
            role.setdefault("Tags", request.get("Tags", []))
            role.setdefault("Description", request.get("Description", ""))
            # "MaxSessionDuration [...] If you do not specify a value for this setting, the default value of one
            # hour is applied" (CreateRole).
            role.setdefault("MaxSessionDuration", request.get("MaxSessionDuration", 3600))
            state = {"role": role, "policies": {}, "attached": []}
        else:
            state = self.read_policies(role)  # adopted: as it is
        writes, after = self.plan(state)
        return self.apply(state, writes, after)

    def apply(self, state, writes, after=None):
        name = self.name
        if "trust" in writes:
            self.call(
                self.client.update_assume_role_policy, "UpdateAssumeRolePolicy", RoleName=name,
                PolicyDocument=writes["trust"],
            )  # fmt: skip
        if writes.get("update"):
            self.call(self.client.update_role, "UpdateRole", RoleName=name, **writes["update"])
        if writes.get("tags"):
            apply_tags(self.module, self.client, "iam", name, writes["tags"], what=self.label())
        # Permissions go before others come: an extra policy is deleted (and a stray managed policy
        # detached) before a wanted one is written, so the role never holds more than both.
        for policy in writes.get("delete", []):
            # Sent again after a lost answer (AWSRetry), the policy the first call deleted answers NoSuchEntity.
            self.call(self.client.delete_role_policy, "DeleteRolePolicy", ignore=GONE, RoleName=name, PolicyName=policy)
        for arn in writes.get("detach", []):
            self.call(self.client.detach_role_policy, "DetachRolePolicy", ignore=GONE, RoleName=name, PolicyArn=arn)
        for policy, document in sorted(writes.get("put", {}).items()):
            # "Adds or updates an inline policy document that is embedded in the specified IAM role"
            # (PutRolePolicy, https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html): the same
            # call sent again after a lost answer writes the same document.
            self.call(self.client.put_role_policy, "PutRolePolicy", RoleName=name, PolicyName=policy,
                      PolicyDocument=document)  # fmt: skip
        for arn in writes.get("attach", []):
            self.call(self.client.attach_role_policy, "AttachRolePolicy", RoleName=name, PolicyArn=arn)
        if after is None:
            return None  # read again
        role = dict(state["role"])
        role["AssumeRolePolicyDocument"] = after["assume_role_policy_document"]
        role["Description"] = after["description"]
        if after["max_session_duration"] is not None:
            role["MaxSessionDuration"] = after["max_session_duration"]
        role["Tags"] = ansible_dict_to_boto3_tag_list(after["tags"])
        return {"role": role, "policies": after["inline_policies"], "attached": after["managed_policy_arns"]}

    def delete(self, state):
        # DeleteRole: "you must first remove those items" - the inline policies (DeleteRolePolicy) and the
        # attached managed policies (DetachRolePolicy), https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html
        # A call sent again after a lost answer answers NoSuchEntity: the first one was carried out.
        for policy in sorted(state["policies"]):
            self.call(
                self.client.delete_role_policy, "DeleteRolePolicy", ignore=GONE, RoleName=self.name, PolicyName=policy
            )
        for arn in state["attached"]:
            self.call(
                self.client.detach_role_policy, "DetachRolePolicy", ignore=GONE, RoleName=self.name, PolicyArn=arn
            )
        self.call(self.client.delete_role, "DeleteRole", ignore=GONE, RoleName=self.name)

    # -- result ----------------------------------------------------------------------------------
    def result(self, changed, state, before, after):
        diff = changes(before, after)
        # Each inline policy by name: only those that differ.
        old, new = diff["before"].get("inline_policies"), diff["after"].get("inline_policies")
        if old is not None and new is not None:
            names = [n for n in sorted(set(old) | set(new)) if n not in old or n not in new or differs(old[n], new[n])]
            diff["before"]["inline_policies"] = dict((n, old[n]) for n in names if n in old)
            diff["after"]["inline_policies"] = dict((n, new[n]) for n in names if n in new)
        result = dict(changed=changed, diff=diff)
        if state is None:
            return result
        role = dict(state["role"])
        tags = plan_tags(dict((t["Key"], t["Value"]) for t in role.pop("Tags", None) or []), None).before
        role["AssumeRolePolicyDocument"] = parse_policy(role.get("AssumeRolePolicyDocument"))
        described = snake(role, keep=("AssumeRolePolicyDocument",))
        described["tags"] = tags
        described["inline_policies"] = dict(state["policies"])
        described["managed_policy_arns"] = list(state["attached"])
        result["iam_role"] = described
        return result


def validate(module):
    params = module.params
    documents = [("assume_role_policy_document", params["assume_role_policy_document"])]
    documents += [
        ("inline_policies[%s]" % name, doc) for name, doc in sorted((params["inline_policies"] or {}).items())
    ]
    for option, document in documents:
        if document is None:
            continue
        try:
            parsed = parse_policy(document)
        except ValueError as e:
            module.fail_json(msg="%s is not valid JSON: %s" % (option, e))
        if not isinstance(parsed, dict):
            module.fail_json(msg="%s is not a policy document (a JSON object)" % option)
    if params["state"] == "present" and params["assume_role_policy_document"] is None:
        module.fail_json(msg="assume_role_policy_document is required with state=present")
    # "MaxSessionDuration ... Valid Range: Minimum value of 3600. Maximum value of 43200." (CreateRole)
    duration = params["max_session_duration"]
    if duration is not None and not 3600 <= duration <= 43200:
        module.fail_json(msg="max_session_duration must be from 3600 to 43200 seconds, not %s" % duration)


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        description=dict(type="str"),
        assume_role_policy_document=dict(type="json"),
        inline_policies=dict(type="dict", default={}),
        managed_policy_arns=dict(type="list", elements="str"),
        max_session_duration=dict(type="int"),
        identity_tags=dict(type="list", elements="str", default=["finproc:stack", "Name"]),
    )
    run_module(argument_spec, Role, validate)


if __name__ == "__main__":
    main()
