#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kms_key
version_added: 0.1.0
short_description: Manage a customer managed KMS key found by its alias, created exactly once
description:
  - Creates or updates the KMS key that the alias I(alias) names (its description, key policy,
    automatic rotation, enabled state and tags), or schedules its deletion.
  - The key is identified by its alias. CreateKey takes no client token, so a CreateKey whose answer
    was lost (a 5xx answer, a timeout, a closed connection) may have made a key that has no alias
    yet; amazon.aws.kms_key then sends CreateKey again (botocore's and AWSRetry's automatic
    retries) and makes a second key. This module sends CreateKey once, with the tags in the request,
    and after an unknown outcome finds the key it made by its identity tags (I(identity_tags), read
    with ListKeys, ListAliases and ListResourceTags of the keys no alias names) before any new
    attempt; the alias is then created for that key.
  - When no key has the alias, a key that carries the identity tags (left without its alias by a run
    cut off between CreateKey and CreateAlias) is looked for the same way and gets the alias, instead
    of a second key being made; check mode reports the missing alias.
  - A key scheduled for deletion that the alias still names is brought back (CancelKeyDeletion,
    then enabled) by I(state=present).
author:
  - finproc.dr maintainers (@finproc)
options:
  alias:
    description:
      - The alias of the key, with or without its C(alias/) prefix; not an C(alias/aws/) alias.
    type: str
    required: true
  description:
    description:
      - The description of the key. Not given, it is left as it is.
    type: str
  policy:
    description:
      - The key policy (the C(default) policy of the key), as JSON text or a dictionary.
      - Compared with the key's policy as parsed JSON (amazon.aws C(compare_policies), so the order of
        statements and of list items does not matter, a single value and a list of that one value
        are the same). Not given, the policy is left as it is (a new key gets the default key policy
        of KMS).
    type: json
  enable_key_rotation:
    description:
      - Whether KMS rotates the key material automatically (every year). Not given, the rotation is
        left as it is.
      - Only symmetric encryption keys rotate.
    type: bool
  enabled:
    description: Whether the key is enabled.
    type: bool
    default: true
  key_spec:
    description:
      - The type of key (KMS C(KeySpec)). Set at creation; a key of another type is an error.
    type: str
    default: SYMMETRIC_DEFAULT
    choices: [SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521,
      ECC_SECG_P256K1, HMAC_224, HMAC_256, HMAC_384, HMAC_512]
  key_usage:
    description:
      - What the key is for (KMS C(KeyUsage)). Set at creation; a key of another usage is an error.
    type: str
    default: ENCRYPT_DECRYPT
    choices: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC]
  identity_tags:
    description:
      - The keys of I(tags) whose values identify the key before its alias exists; after a CreateKey
        whose outcome is unknown, or when no key has the alias, a key that carries all of them (and is
        not pending deletion) is the one an earlier call made. A key that is not in I(tags) is ignored.
      - With none of them in I(tags), a key made by a CreateKey whose answer was lost cannot be found, and
        the module then fails rather than create another.
    type: list
    elements: str
    default: ["finproc:stack", "Name"]
  state:
    description:
      - C(present) creates the key (and its alias) or brings it in line with the options.
      - C(absent) schedules the deletion of the key after I(pending_window) days. The alias is kept
        (KMS deletes it with the key), so the key can still be found, and its deletion cancelled, by
        its alias.
    type: str
    choices: [present, absent]
    default: present
  pending_window:
    description:
      - With I(state=absent), the days (7 to 30) KMS waits before it deletes the key; the deletion
        can be cancelled meanwhile.
    type: int
    default: 30
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - A key that is created gets its I(tags) with CreateKey.
  - Check mode is supported. Diff mode reports what differs among the description, key state,
    rotation, key type and usage, policy (as JSON) and tags, before and after.
  - Grants, multi-Region keys, imported key material and custom key stores are not managed.
  - The identity tags are looked for only while no key has the alias (a first run, or one after a run
    cut off before CreateAlias) and after a CreateKey whose outcome is unknown, and only on the keys no
    alias names (one ListAliases call rules out the AWS managed keys and other teams' keys);
    ListResourceTags refused on a key (C(AccessDeniedException), not a key the caller may tag) counts
    as not this key.
"""

EXAMPLES = r"""
- name: The region's data key, rotated, with its policy
  finproc.dr.kms_key:
    region: us-east-2
    alias: finproc-prod
    description: finproc-prod data key (us-east-2)
    enable_key_rotation: true
    policy: "{{ lookup('ansible.builtin.template', 'key_policy.json.j2') }}"
    tags:
      Name: finproc-prod
      finproc:stack: finproc-prod
  register: key

- name: Schedule its deletion in 30 days (cancellable; the alias stays)
  finproc.dr.kms_key:
    region: us-east-2
    alias: finproc-prod
    pending_window: 30
    state: absent
"""

RETURN = r"""
key_id:
  description: The ID of the key. Not returned when there is no key (or one to be created in check mode).
  returned: when there is a key
  type: str
  sample: 1234abcd-12ab-34cd-56ef-1234567890ab
key_arn:
  description: The ARN of the key.
  returned: when there is a key
  type: str
  sample: arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
key_state:
  description: C(Enabled), C(Disabled), C(PendingDeletion), ...
  returned: when there is a key
  type: str
  sample: Enabled
enabled:
  description: Whether the key is enabled.
  returned: when there is a key
  type: bool
  sample: true
enable_key_rotation:
  description: Whether automatic rotation is on; null for a key that cannot rotate.
  returned: when there is a key
  type: bool
  sample: true
description:
  description: The description of the key.
  returned: when there is a key
  type: str
key_spec:
  description: The type of the key.
  returned: when there is a key
  type: str
  sample: SYMMETRIC_DEFAULT
key_usage:
  description: What the key is for.
  returned: when there is a key
  type: str
  sample: ENCRYPT_DECRYPT
aliases:
  description: The aliases of the key, without their C(alias/) prefix.
  returned: when there is a key
  type: list
  elements: str
  sample: ["finproc-prod"]
key_policies:
  description: The key policy, parsed, as the only item of a list (as amazon.aws.kms_key returns it).
  returned: when there is a key
  type: list
  elements: dict
tags:
  description: The tags of the key.
  returned: when there is a key
  type: dict
  sample: {"Name": "finproc-prod"}
deletion_date:
  description: When KMS deletes the key, when its deletion is scheduled.
  returned: when the key is pending deletion
  type: str
creation_date:
  description: When the key was created.
  returned: when there is a key
  type: str
origin:
  description: Where the key material comes from (C(AWS_KMS)).
  returned: when there is a key
  type: str
key_manager:
  description: C(CUSTOMER) (or C(AWS) for an AWS managed key).
  returned: when there is a key
  type: str
aws_account_id:
  description: The account of the key.
  returned: when there is a key
  type: str
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.tagging import TAG_READERS
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags

# A key's only key policy is named "default" ("GetKeyPolicy - AWS Key Management Service",
# https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html: "The only valid name is
# default").
POLICY_NAME = "default"
# Key states of a key on its way out ("Key states of AWS KMS keys",
# https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
LEAVING = ("PendingDeletion", "PendingReplicaDeletion")
# "AWS KMS eventual consistency" (AWS KMS Developer Guide,
# https://docs.aws.amazon.com/kms/latest/developerguide/programming-eventual-consistency.html): right
# after a change "you might receive unexpected errors, such as a NotFoundException", e.g. after
# CreateKey. Tried again only for calls about the key this run created.
JUST_CREATED_CODES = ("NotFoundException",)


def alias_name(alias):
    return alias if alias.startswith("alias/") else "alias/" + alias


def parse_policy(text):
    return json.loads(text) if text else None


class Key(AWSResource):
    kind = "KMS key"

    def __init__(self, module):
        super(Key, self).__init__(module)
        self.client = aws_client(module, "kms")
        self.alias = alias_name(self.params["alias"])
        # Known once the key is found or created: from then on every call names the key by its ID (KeyId
        # takes "the key ID or key ARN", e.g. https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).
        self.key_id = None

    def identity(self):
        return self.alias

    def became(self, metadata):
        """The key is `metadata`'s, just created (or adopted): from now on read by its ID, with KMS's
        just-created code tried again."""
        self.key_id = metadata["KeyId"]
        self.client = aws_client(self.module, "kms", extra_codes=JUST_CREATED_CODES)

    # -- reads -----------------------------------------------------------------------------------
    def describe(self, key):
        reply = self.call(self.client.describe_key, "DescribeKey", ignore=("NotFoundException",), KeyId=key)
        return reply["KeyMetadata"] if reply else None

    def read(self):
        metadata = self.describe(self.key_id or self.alias)
        if metadata is None and self.key_id is None and self.identity_tags():
            # No key has the alias: a run cut off between CreateKey and CreateAlias (or whose CreateAlias
            # answer was lost and never sent again) left the key it made without the alias. Found by its
            # identity tags, it gets the alias instead of a second key being made (ListKeys, ListAliases,
            # and ListResourceTags of the keys no alias names; only while the alias is missing).
            metadata = self.find_created()
        if metadata is None:
            return None
        self.key_id = metadata["KeyId"]
        state = {"metadata": metadata}
        # Only symmetric encryption keys rotate: others answer UnsupportedOperationException; a key in
        # a state that does not allow it (pending deletion) KMSInvalidStateException
        # ("GetKeyRotationStatus - AWS Key Management Service",
        # https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html): None.
        reply = self.call(
            self.client.get_key_rotation_status,
            "GetKeyRotationStatus",
            ignore=("UnsupportedOperationException", "KMSInvalidStateException"),
            KeyId=self.key_id,
        )
        state["rotation"] = reply["KeyRotationEnabled"] if reply else None
        reply = self.call(self.client.get_key_policy, "GetKeyPolicy", KeyId=self.key_id, PolicyName=POLICY_NAME)
        state["policy"] = parse_policy(reply.get("Policy"))
        state["tags"] = read_tags(self.module, self.client, "kms", self.key_id, what=self.label())
        state["aliases"] = [
            alias["AliasName"]
            for alias in paginate_or_fail(
                self.module, self.client, "list_aliases", "Aliases", self.label(), KeyId=metadata["KeyId"]
            )
        ]
        return state

    def identity_tags(self):
        tags = self.params["tags"] or {}
        return dict((key, "%s" % tags[key]) for key in self.params["identity_tags"] if key in tags)

    def find_created(self):
        """The key a CreateKey whose outcome is unknown made: the account's key (not leaving) that carries
        every identity tag; None when there is none; more than one fails."""
        wanted = self.identity_tags()
        if not wanted:
            self.module.fail_json(
                msg="%s: CreateKey's outcome is unknown and none of identity_tags (%s) is in tags, so the key it may "
                "have made (without the alias) cannot be found; look for it (ListKeys) before running again"
                % (self.label(), ", ".join(self.params["identity_tags"]))
            )
        found = []
        keys = paginate_or_fail(self.module, self.client, "list_keys", "Keys", self.label())
        if not keys:
            return None
        # The key we look for has no alias yet: a key any alias names (the AWS managed keys, other teams'
        # keys, ours of other stacks) is not it, and its tags are not read (one ListAliases call instead of
        # a ListResourceTags per key, which the deployer policy refuses on other teams' keys: AccessDenied
        # events that a bank's CloudTrail alerting would count).
        aliased = set(
            alias["TargetKeyId"]
            for alias in paginate_or_fail(self.module, self.client, "list_aliases", "Aliases", self.label())
            if alias.get("TargetKeyId")
        )
        for key in keys:
            if key["KeyId"] in aliased:
                continue
            try:
                tags = TAG_READERS["kms"](self.client, key["KeyId"])
            except AWS_ERRORS as e:
                # Not a key whose tags we may read (the deployer policy allows ListResourceTags on the
                # stack's keys only), or gone meanwhile: not the key we made.
                if error_code(e) in ("AccessDeniedException", "NotFoundException"):
                    continue
                self.fail_aws(e, "ListResourceTags (%s)" % key["KeyId"])
            if any(tags.get(name) != value for name, value in wanted.items()):
                continue
            metadata = self.describe(key["KeyId"])
            if metadata is not None and metadata["KeyState"] not in LEAVING:
                found.append(metadata)
        if len(found) > 1:
            self.module.fail_json(
                msg="%s: %d keys without the alias carry the tags %s (%s); delete the extra ones: nothing was changed"
                % (self.label(), len(found), wanted, ", ".join(sorted(m["KeyId"] for m in found)))
            )
        return found[0] if found else None

    # -- comparisons -----------------------------------------------------------------------------
    def settings(self, state):
        metadata = state["metadata"]
        return {
            "description": metadata.get("Description", ""),
            "key_state": metadata["KeyState"],
            "enable_key_rotation": state["rotation"],
            "key_spec": metadata.get("KeySpec"),
            "key_usage": metadata.get("KeyUsage"),
            "policy": state["policy"],
            "tags": state["tags"],
            "alias": self.alias if self.alias in state["aliases"] else None,
        }

    def wanted_policy(self):
        policy = self.params["policy"]
        return json.loads(policy) if policy is not None else None

    def desired(self):
        return {
            "description": self.params["description"] or "",
            "key_state": "Enabled" if self.params["enabled"] else "Disabled",
            "enable_key_rotation": bool(self.params["enable_key_rotation"]),
            "key_spec": self.params["key_spec"],
            "key_usage": self.params["key_usage"],
            "policy": self.wanted_policy(),
            "tags": plan_tags({}, self.params["tags"]).after,
            "alias": self.alias,
        }

    def plan(self, state):
        metadata = state["metadata"]
        for option, member in (("key_spec", "KeySpec"), ("key_usage", "KeyUsage")):
            if metadata.get(member) != self.params[option]:
                self.module.fail_json(
                    msg="%s (%s) has %s %s, not %s; a key's %s is set at creation: nothing was changed"
                    % (self.label(), metadata["KeyId"], member, metadata.get(member), self.params[option], member)
                )
        before = self.settings(state)
        after = dict(before)
        writes = {}
        key_state = metadata["KeyState"]
        if key_state == "PendingDeletion":
            # "When you cancel the scheduled deletion of a KMS key, its key state returns to Disabled"
            # ("CancelKeyDeletion - AWS Key Management Service",
            # https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html).
            writes["cancel_deletion"] = True
            key_state = "Disabled"
        wanted_state = "Enabled" if self.params["enabled"] else "Disabled"
        if key_state != wanted_state:
            writes["enable" if self.params["enabled"] else "disable"] = True
        after["key_state"] = wanted_state
        description = self.params["description"]
        if description is not None and description != before["description"]:
            writes["description"] = description
            after["description"] = description
        policy = self.wanted_policy()
        if policy is not None and (before["policy"] is None or compare_policies(before["policy"], policy)):
            writes["policy"] = self.params["policy"]
            after["policy"] = policy
        rotation = self.params["enable_key_rotation"]
        cannot_rotate = state["rotation"] is None and metadata["KeyState"] not in LEAVING
        if rotation and cannot_rotate:
            self.module.fail_json(
                msg="%s (%s) is a %s key: only symmetric encryption keys rotate"
                % (self.label(), metadata["KeyId"], metadata.get("KeySpec"))
            )
        if rotation is not None and state["rotation"] != rotation and not cannot_rotate:
            # Unknown (None) while the key is pending deletion: written once the deletion is cancelled.
            writes["rotation"] = rotation
            after["enable_key_rotation"] = rotation
        tags = plan_tags(state["tags"], self.params["tags"], purge=self.params["purge_tags"])
        if tags.changed:
            writes["tags"] = tags
            after["tags"] = tags.after
        if before["alias"] is None:
            writes["alias"] = True
            after["alias"] = self.alias
        return writes, after

    # -- writes ----------------------------------------------------------------------------------
    def create(self):
        request = {
            "KeySpec": self.params["key_spec"],
            "KeyUsage": self.params["key_usage"],
            "Tags": ansible_dict_to_boto3_tag_list(
                dict(sorted((self.params["tags"] or {}).items())), "TagKey", "TagValue"
            ),
        }
        if self.params["description"]:
            request["Description"] = self.params["description"]
        if self.params["policy"] is not None:
            request["Policy"] = self.params["policy"]
        metadata = create_once(
            self.module,
            self.client,
            "create_key",
            request,
            self.find_created,
            lambda answer: answer["KeyMetadata"],
            self.label(),
        )
        self.became(metadata)
        self.create_alias(metadata)
        state = self.read()
        writes, _after = self.plan(state)
        self.apply(state, writes)

    def create_alias(self, metadata):
        # Sent again after a lost answer (AWSRetry), the alias the first call made answers
        # AlreadyExistsException ("CreateAlias - AWS Key Management Service",
        # https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html): then it must name
        # this key.
        reply = self.call(
            self.client.create_alias,
            "CreateAlias",
            ignore=("AlreadyExistsException",),
            AliasName=self.alias,
            TargetKeyId=metadata["KeyId"],
        )
        if reply is None:
            named = self.describe(self.alias)
            if named is None or named["KeyId"] != metadata["KeyId"]:
                self.module.fail_json(
                    msg="%s names key %s, not the key %s this run created"
                    % (self.label(), named and named["KeyId"], metadata["KeyId"])
                )

    def apply(self, state, writes):
        key = self.key_id
        if writes.get("cancel_deletion"):
            # Sent again after a lost answer (AWSRetry), a key no longer pending deletion answers
            # KMSInvalidStateException: the first call cancelled it.
            self.call(
                self.client.cancel_key_deletion, "CancelKeyDeletion", ignore=("KMSInvalidStateException",), KeyId=key
            )
        if writes.get("enable"):
            self.call(self.client.enable_key, "EnableKey", KeyId=key)
        if "description" in writes:
            self.call(
                self.client.update_key_description, "UpdateKeyDescription", KeyId=key, Description=writes["description"]
            )
        if "policy" in writes:
            self.call(
                self.client.put_key_policy, "PutKeyPolicy", KeyId=key, PolicyName=POLICY_NAME, Policy=writes["policy"]
            )
        if "rotation" in writes:
            if writes["rotation"]:
                self.call(self.client.enable_key_rotation, "EnableKeyRotation", KeyId=key)
            else:
                self.call(self.client.disable_key_rotation, "DisableKeyRotation", KeyId=key)
        if writes.get("tags"):
            apply_tags(self.module, self.client, "kms", key, writes["tags"], what=self.label())
        if writes.get("disable"):
            self.call(self.client.disable_key, "DisableKey", KeyId=key)
        if writes.get("alias"):
            self.create_alias(state["metadata"])

    def absent(self):
        state = self.read()
        if state is None:
            return self.result(False, None, {}, {})
        before = self.settings(state)
        if state["metadata"]["KeyState"] in LEAVING:
            return self.result(False, state, before, before)
        after = dict(before, key_state="PendingDeletion")
        if self.module.check_mode:
            return self.result(True, state, before, after)
        # Sent again after a lost answer (AWSRetry), a deletion already scheduled answers
        # KMSInvalidStateException: the key is read again below, and must be pending deletion.
        self.call(
            self.client.schedule_key_deletion,
            "ScheduleKeyDeletion",
            ignore=("KMSInvalidStateException",),
            KeyId=self.key_id,
            PendingWindowInDays=self.params["pending_window"],
        )
        final = self.read()
        if final is None or final["metadata"]["KeyState"] != "PendingDeletion":
            self.module.fail_json(
                msg="%s: ScheduleKeyDeletion left the key %s" % (self.label(), final and final["metadata"]["KeyState"])
            )
        return self.result(True, final, before, self.settings(final))

    def result(self, changed, state, before, after):
        result = dict(changed=changed, diff=changes(before, after))
        if state is None:
            return result
        metadata = dict(state["metadata"])
        metadata["KeyArn"] = metadata.pop("Arn")
        result.update(camel_dict_to_snake_dict(metadata))
        result["enable_key_rotation"] = state["rotation"]
        result["aliases"] = [alias[len("alias/") :] for alias in state["aliases"]]
        result["key_policies"] = [state["policy"]] if state["policy"] is not None else []
        result["tags"] = state["tags"]
        return result


def validate(module):
    alias = alias_name(module.params["alias"])
    if alias.startswith("alias/aws/"):
        module.fail_json(msg="%s is the alias of an AWS managed key: this module manages customer managed keys" % alias)
    if module.params["policy"] is not None:
        try:
            json.loads(module.params["policy"])
        except ValueError as e:
            module.fail_json(msg="policy is not valid JSON: %s" % e)
    # "PendingWindowInDays ... Valid Range: Minimum value of 7. Maximum value of 30."
    # (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)
    if not 7 <= module.params["pending_window"] <= 30:
        module.fail_json(msg="pending_window must be from 7 to 30 days, not %s" % module.params["pending_window"])


def main():
    argument_spec = resource_argument_spec(
        alias=dict(type="str", required=True),
        description=dict(type="str"),
        policy=dict(type="json"),
        enable_key_rotation=dict(type="bool"),
        enabled=dict(type="bool", default=True),
        key_spec=dict(
            type="str",
            default="SYMMETRIC_DEFAULT",
            choices=[
                "SYMMETRIC_DEFAULT",
                "RSA_2048",
                "RSA_3072",
                "RSA_4096",
                "ECC_NIST_P256",
                "ECC_NIST_P384",
                "ECC_NIST_P521",
                "ECC_SECG_P256K1",
                "HMAC_224",
                "HMAC_256",
                "HMAC_384",
                "HMAC_512",
            ],
        ),
        key_usage=dict(
            type="str", default="ENCRYPT_DECRYPT", choices=["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"]
        ),
        identity_tags=dict(type="list", elements="str", default=["finproc:stack", "Name"]),
        pending_window=dict(type="int", default=30),
    )
    run_module(argument_spec, Key, validate)


if __name__ == "__main__":
    main()
