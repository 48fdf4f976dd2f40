#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sns_topic
version_added: 0.1.0
short_description: Manage a standard SNS topic, its encryption, policy, subscriptions and tags
description:
  - Creates, updates or deletes the standard (not FIFO) SNS topic named I(name) in I(region), with
    its server-side encryption (C(KmsMasterKeyId)), display name and access policy, its
    subscriptions and its tags. Only what differs is written, one SetTopicAttributes per attribute.
  - community.aws.sns_topic cannot set a topic's server-side encryption (it has no option for
    C(KmsMasterKeyId)), and its check mode fails for a topic it would create (with
    C(Couldn't get subscriptions list for topic None), or C(Cannot set display name ... not owned
    by this account) when I(display_name) is given), so C(--check) fails on an empty account. This
    module creates KMS-encrypted topics with their subscriptions idempotently, and its check mode
    and diff report what a run would change without writing anything.
  - The topic is found by its ARN, C(arn:<partition>:sns:<region>:<account>:<name>), built from the
    caller's account (STS GetCallerIdentity) and I(region) and read with GetTopicAttributes; the
    topics of the account are not listed.
  - An option that is not given (I(kms_master_key_id), I(display_name), I(policy), I(subscriptions),
    I(tags)) leaves that setting of an existing topic as it is.
  - SNS keeps the key as it was given (key ARN, key ID or alias) and reports it that way. The
    module compares I(kms_master_key_id) with what SNS reports as text, so give the key in the
    same form every time; the same key in another form is written again and reported as a change.
    The module does not check that the key exists or that SNS and the publishers may use it.
  - Subscriptions are compared by protocol and endpoint only; their attributes (raw message
    delivery, filter policies, ...) are not managed. A new e-mail (or HTTP/S) subscription stays
    C(PendingConfirmation) until its owner confirms it, and SNS cannot remove a pending
    subscription (it deletes it by itself after 48 hours), so with I(purge_subscriptions) an
    unwanted pending subscription is skipped with a warning instead.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The name of the topic; 1 to 256 letters, digits, hyphens and underscores.
      - Only standard topics are managed; a FIFO topic name (ending in C(.fifo)) is refused.
    type: str
    required: true
  state:
    description:
      - C(present) creates the topic or updates it.
      - C(absent) deletes the topic (SNS then deletes its subscriptions).
    type: str
    choices: [present, absent]
    default: present
  kms_master_key_id:
    description:
      - The KMS key that encrypts the topic's messages at rest, as a key ARN, a key ID, an alias
        ARN or an alias name (C(alias/...)); C(alias/aws/sns) is the AWS managed key for SNS.
      - A topic that is created gets it with CreateTopic; an existing topic whose
        C(KmsMasterKeyId) differs gets it with SetTopicAttributes.
      - An empty string removes the encryption. Not given, the encryption is left as it is.
    type: str
  display_name:
    description:
      - The display name of the topic (the sender name of SMS and e-mail messages).
      - Not given, the display name is left as it is.
    type: str
  policy:
    description:
      - The access policy of the topic, as a dictionary.
      - Compared with the topic's C(Policy) attribute as parsed JSON (the order of keys does not
        matter, the order of list items does).
      - Not given, the policy is left as it is (a new topic gets the default policy of SNS).
    type: dict
  subscriptions:
    description:
      - The subscriptions the topic must have. Missing ones are subscribed; with
        I(purge_subscriptions), those not listed are unsubscribed.
      - Not given, the subscriptions are left as they are.
    type: list
    elements: dict
    suboptions:
      protocol:
        description:
          - The protocol of the subscription, as SNS names it (C(email), C(email-json), C(http),
            C(https), C(sms), C(sqs), C(lambda), C(firehose), C(application)).
        type: str
        required: true
      endpoint:
        description:
          - The endpoint of the subscription (an e-mail address, a URL, a phone number, an ARN).
        type: str
        required: true
  purge_subscriptions:
    description:
      - Whether subscriptions not in I(subscriptions) are removed. Ignored when I(subscriptions) is
        not given.
      - Subscriptions pending confirmation cannot be removed; they are skipped with a warning.
    type: bool
    default: true
  tags:
    description:
      - The tags of the topic. A topic that is created gets them with CreateTopic.
      - Not given, the tags are left as they are.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Whether tags not in I(tags) are removed (except C(aws:) tags). Ignored when I(tags) is not
        given.
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Needs C(sts:GetCallerIdentity) (to build the topic's ARN) besides the SNS permissions.
  - Check mode is supported; diff mode reports the key, display name, policy, subscriptions and tags.
    For a topic that would be created, the diff shows a null policy when I(policy) is not given
    (the default policy of SNS is known only once the topic exists).
"""

EXAMPLES = r"""
- name: A KMS-encrypted alerts topic that mails the on-call list
  finproc.dr.sns_topic:
    region: us-east-1
    name: finproc-prod-dr-alerts
    kms_master_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    display_name: finproc DR
    subscriptions:
      - protocol: email
        endpoint: oncall@example.com
    tags:
      Environment: prod
      Service: finproc-dr
  register: alerts_topic

- name: Let CloudWatch publish to it
  finproc.dr.sns_topic:
    region: us-east-1
    name: finproc-prod-dr-alerts
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: CloudWatchAlarms
          Effect: Allow
          Principal:
            Service: cloudwatch.amazonaws.com
          Action: sns:Publish
          Resource: "{{ alerts_topic.topic_arn }}"

- name: Add a subscription, keeping the others
  finproc.dr.sns_topic:
    region: us-east-1
    name: finproc-prod-dr-alerts
    subscriptions:
      - protocol: email
        endpoint: dr-team@example.com
    purge_subscriptions: false

- name: Delete the topic
  finproc.dr.sns_topic:
    region: us-east-1
    name: finproc-dev-dr-alerts
    state: absent
"""

RETURN = r"""
topic_arn:
  description: The ARN of the topic (also when it does not exist, or is deleted).
  returned: always
  type: str
  sample: arn:aws:sns:us-east-1:123456789012:finproc-prod-dr-alerts
topic:
  description:
    - The topic after the run; in check mode, as it is.
    - Its attributes as GetTopicAttributes returns them (values as text, the policies as JSON text),
      keys in snake case, with its tags and subscriptions.
    - Empty when there is no topic (I(state=absent), or one that would be created in check mode).
  returned: always
  type: dict
  contains:
    topic_arn:
      description: The ARN of the topic.
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:finproc-prod-dr-alerts
    kms_master_key_id:
      description: The KMS key of the topic as it was given to SNS; absent when the topic is not encrypted.
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    display_name:
      description: The display name of the topic.
      type: str
      sample: finproc DR
    policy:
      description: The access policy of the topic, as JSON text.
      type: str
    owner:
      description: The account that owns the topic.
      type: str
      sample: "123456789012"
    subscriptions_confirmed:
      description: The number of confirmed subscriptions, as text.
      type: str
      sample: "1"
    subscriptions_pending:
      description: The number of subscriptions pending confirmation, as text.
      type: str
      sample: "0"
    tags:
      description: The tags of the topic.
      type: dict
      sample: {"Environment": "prod"}
    subscriptions:
      description: The subscriptions of the topic.
      type: list
      elements: dict
      contains:
        protocol:
          description: The protocol of the subscription.
          type: str
          sample: email
        endpoint:
          description: The endpoint of the subscription.
          type: str
          sample: oncall@example.com
        subscription_arn:
          description: The ARN of the subscription, or C(PendingConfirmation) until it is confirmed.
          type: str
          sample: PendingConfirmation
"""

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.iam import get_aws_account_info
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags

# option -> topic attribute, for the attributes compared as text
TEXT_ATTRIBUTES = (("kms_master_key_id", "KmsMasterKeyId"), ("display_name", "DisplayName"))


def subscription_key(subscription):
    return (subscription["Protocol"], subscription["Endpoint"])


def subscription_list(keys):
    return [{"protocol": protocol, "endpoint": endpoint} for protocol, endpoint in sorted(set(keys))]


def removable(subscription):
    """Only a subscription with an ARN can be unsubscribed (not PendingConfirmation, nor Deleted)."""
    return subscription.get("SubscriptionArn", "").startswith("arn:")


def settings(state):
    """What the diff shows of a topic as read (attributes, tags, subscriptions)."""
    attributes = state["attributes"]
    policy = attributes.get("Policy")
    return {
        "kms_master_key_id": attributes.get("KmsMasterKeyId") or None,
        "display_name": attributes.get("DisplayName") or "",
        "policy": json.loads(policy) if policy else None,
        "subscriptions": subscription_list(subscription_key(s) for s in state["subscriptions"]),
        "tags": state["tags"],
    }


def topic_result(state):
    if state is None:
        return {}
    topic = snake(state["attributes"])
    topic["tags"] = state["tags"]
    topic["subscriptions"] = [
        {"protocol": s["Protocol"], "endpoint": s["Endpoint"], "subscription_arn": s.get("SubscriptionArn")}
        for s in state["subscriptions"]
    ]
    return topic


class Topic(AWSResource):
    kind = "SNS topic"
    name_pattern = re.compile(r"^[A-Za-z0-9_-]{1,256}\Z")
    name_rule = "1 to 256 letters, digits, hyphens (-) and underscores (_)"

    def __init__(self, module):
        super(Topic, self).__init__(module)
        # SNS throttles with "Throttled" and asks a second writer on the topic to retry
        # ("ConcurrentAccess"): both in client.THROTTLE_CODES.
        self.client = aws_client(module, "sns")
        account_id, partition = get_aws_account_info(module)
        self.arn = "arn:%s:sns:%s:%s:%s" % (partition or "aws", module.region, account_id, self.name)

    def identity(self):
        return "%s (%s)" % (self.name, self.arn)

    # -- reads -----------------------------------------------------------------------------------
    def read(self):
        """The topic (attributes, tags, subscriptions); None when there is none."""
        reply = self.call(
            self.client.get_topic_attributes, "GetTopicAttributes", ignore=("NotFound",), TopicArn=self.arn
        )
        if reply is None:
            return None
        return {
            "attributes": reply["Attributes"],
            "tags": read_tags(self.module, self.client, "sns", self.arn, what=self.label()),
            "subscriptions": self.list_subscriptions(),
        }

    def list_subscriptions(self):
        return paginate_or_fail(
            self.module, self.client, "list_subscriptions_by_topic", "Subscriptions", self.label(), TopicArn=self.arn
        )

    # -- writes ----------------------------------------------------------------------------------
    def create(self):
        attributes = {}
        for option, attribute in TEXT_ATTRIBUTES:
            if self.params[option]:
                attributes[attribute] = self.params[option]
        if self.params["policy"] is not None:
            attributes["Policy"] = json.dumps(self.params["policy"], sort_keys=True)
        request = {"Name": self.name}
        if attributes:
            request["Attributes"] = attributes
        if self.params["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(dict(sorted(self.params["tags"].items())))
        self.arn = self.call(self.client.create_topic, "CreateTopic", **request)["TopicArn"]
        # From now on the topic exists: a NotFound (it is not visible yet) is tried again.
        self.client = aws_client(self.module, "sns", just_created=True)
        for protocol, endpoint in self.wanted_subscriptions() if self.params["subscriptions"] else []:
            self.subscribe(protocol, endpoint)

    def subscribe(self, protocol, endpoint):
        self.call(
            self.client.subscribe,
            "Subscribe (%s %s)" % (protocol, endpoint),
            TopicArn=self.arn,
            Protocol=protocol,
            Endpoint=endpoint,
        )

    def apply(self, state, writes):
        for name, value in writes["attributes"]:
            self.call(
                self.client.set_topic_attributes,
                "SetTopicAttributes (%s)" % name,
                TopicArn=self.arn,
                AttributeName=name,
                AttributeValue=value,
            )
        for protocol, endpoint in writes["subscribe"]:
            self.subscribe(protocol, endpoint)
        for subscription in writes["unsubscribe"]:
            arn = subscription["SubscriptionArn"]
            # NotFound: gone meanwhile
            self.call(self.client.unsubscribe, "Unsubscribe (%s)" % arn, ignore=("NotFound",), SubscriptionArn=arn)
        if writes["tags"]:
            apply_tags(self.module, self.client, "sns", self.arn, writes["tags"], what=self.label())

    def delete(self, state):
        # NotFound: gone meanwhile
        self.call(self.client.delete_topic, "DeleteTopic", ignore=("NotFound",), TopicArn=self.arn)

    # -- comparisons -----------------------------------------------------------------------------
    def wanted_subscriptions(self):
        keys = []
        for subscription in self.params["subscriptions"]:
            key = (subscription["protocol"], subscription["endpoint"])
            if key not in keys:
                keys.append(key)
        return keys

    def settings(self, state):
        return settings(state)

    def plan(self, state):
        """The writes that bring the topic `state` to the options, and the settings after them."""
        before = settings(state)
        after = dict(before)
        attributes, to_subscribe, to_unsubscribe = [], [], []

        for option, attribute in TEXT_ATTRIBUTES:
            wanted = self.params[option]
            if wanted is not None and (state["attributes"].get(attribute) or "") != wanted:
                attributes.append((attribute, wanted))
                after[option] = wanted or (None if option == "kms_master_key_id" else "")
        policy = self.params["policy"]
        if policy is not None:
            policy = json.loads(json.dumps(policy))
            if before["policy"] != policy:
                attributes.append(("Policy", json.dumps(policy, sort_keys=True)))
                after["policy"] = policy

        if self.params["subscriptions"] is not None:
            wanted = self.wanted_subscriptions()
            held = [subscription_key(s) for s in state["subscriptions"]]
            to_subscribe = [key for key in wanted if key not in held]
            if self.params["purge_subscriptions"]:
                for subscription in state["subscriptions"]:
                    if subscription_key(subscription) in wanted:
                        continue
                    if removable(subscription):
                        to_unsubscribe.append(subscription)
                    else:
                        self.module.warn(
                            "subscription %s %s of SNS topic %s is %s: SNS cannot remove it until it is confirmed "
                            "(it deletes unconfirmed subscriptions after 48 hours); left as it is"
                            % (
                                subscription["Protocol"],
                                subscription["Endpoint"],
                                self.arn,
                                subscription.get("SubscriptionArn"),
                            )
                        )
            gone = [subscription_key(s) for s in to_unsubscribe]
            after["subscriptions"] = subscription_list([key for key in held if key not in gone] + to_subscribe)

        tags = plan_tags(state["tags"], self.params["tags"], purge=self.params["purge_tags"])
        after["tags"] = tags.after

        writes = {
            "attributes": attributes,
            "subscribe": to_subscribe,
            "unsubscribe": to_unsubscribe,
            "tags": tags if tags.changed else None,
        }
        return writes, after

    def desired(self):
        """The settings of a topic that would be created."""
        policy = self.params["policy"]
        return {
            "kms_master_key_id": self.params["kms_master_key_id"] or None,
            "display_name": self.params["display_name"] or "",
            "policy": json.loads(json.dumps(policy)) if policy is not None else None,
            "subscriptions": subscription_list(self.wanted_subscriptions() if self.params["subscriptions"] else []),
            "tags": dict((key, str(value)) for key, value in (self.params["tags"] or {}).items()),
        }

    def result(self, changed, state, before, after):
        return dict(
            changed=changed, topic_arn=self.arn, topic=topic_result(state), diff=dict(before=before, after=after)
        )


def validate(module):
    name = module.params["name"]
    if name.endswith(".fifo"):
        module.fail_json(
            msg="%s is a FIFO topic name: this module manages standard SNS topics only (a FIFO topic needs "
            "FifoTopic and ordered, deduplicated publishing); use a name without .fifo" % name
        )


def main():
    subscription_spec = dict(
        protocol=dict(type="str", required=True),
        endpoint=dict(type="str", required=True),
    )
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        kms_master_key_id=dict(type="str", no_log=False),
        display_name=dict(type="str"),
        policy=dict(type="dict"),
        subscriptions=dict(type="list", elements="dict", options=subscription_spec),
        purge_subscriptions=dict(type="bool", default=True),
    )
    run_module(argument_spec, Topic, validate)


if __name__ == "__main__":
    main()
