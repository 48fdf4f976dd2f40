#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dynamodb_global_table
version_added: 0.1.0
short_description: Manage a DynamoDB global table (version 2019.11.21) and its replicas
description:
  - Creates or updates a DynamoDB table in its home region (the module's I(region)) and manages
    its replicas in other regions, which makes it a global table (version 2019.11.21).
  - Neither amazon.aws nor community.aws manages global-table replicas, point-in-time recovery,
    deletion protection or encryption with a customer KMS key (community.aws.dynamodb_table has
    none of these).
  - Streams (required by global tables), server-side encryption with a customer KMS key per
    region, table class, billing mode, point-in-time recovery and deletion protection in every
    region of the table, and tags on every replica.
  - AWS accepts one replica change per UpdateTable and none while the table is not ACTIVE, so
    replica changes are made one at a time, waiting for ACTIVE in between (I(wait_timeout)).
  - Each replica's key is read from the replica's own DescribeTable in its region
    (C(SSEDescription.KMSMasterKeyArn)), and only where that is missing from the home region's
    C(Replicas[].KMSMasterKeyId). Keys are compared by key ID, so a converged table is never updated
    whatever form AWS answers in. Where neither names a key, the replica's key is left as it is and
    the module warns.
  - Replicas that are not listed are only removed with I(purge_replicas=true), since removing a
    replica deletes that region's copy of the data.
  - With I(state=absent) the module refuses to delete a table whose deletion protection is on,
    unless the same task sets I(deletion_protection=false).
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description: The table's name (the same in every region).
    type: str
    required: true
  state:
    description: Whether the table (and its replicas) should exist.
    type: str
    choices: [present, absent]
    default: present
  hash_key_name:
    description: The partition key attribute. Required to create a table; cannot be changed.
    type: str
  hash_key_type:
    description: The partition key's type.
    type: str
    choices: [S, N, B]
    default: S
  range_key_name:
    description: The sort key attribute, if any. Cannot be changed.
    type: str
  range_key_type:
    description: The sort key's type.
    type: str
    choices: [S, N, B]
    default: S
  billing_mode:
    description: On-demand (C(PAY_PER_REQUEST)) or provisioned capacity.
    type: str
    choices: [PAY_PER_REQUEST, PROVISIONED]
    default: PAY_PER_REQUEST
  read_capacity:
    description: Read capacity units when I(billing_mode=PROVISIONED).
    type: int
  write_capacity:
    description: Write capacity units when I(billing_mode=PROVISIONED).
    type: int
  stream_view_type:
    description: What the table's stream records; global tables need C(NEW_AND_OLD_IMAGES).
    type: str
    choices: [NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY]
    default: NEW_AND_OLD_IMAGES
  kms_key_id:
    description:
      - The customer KMS key (ARN, key ID, alias name or alias ARN) that encrypts the table in
        its home region. Aliases and key IDs are resolved to the key ARN through KMS.
    type: str
    required: false
  table_class:
    description: The table class.
    type: str
    choices: [STANDARD, STANDARD_INFREQUENT_ACCESS]
    default: STANDARD
  point_in_time_recovery:
    description: Point-in-time recovery, in every region of the table.
    type: bool
    default: true
  deletion_protection:
    description:
      - Deletion protection, in every region of the table.
      - With I(state=present), when not given, deletion protection is turned on (data is never
        lost by default).
      - With I(state=absent), C(false) is the explicit consent to turn it off and delete.
    type: bool
  replicas:
    description: The regions, other than the home region, that hold a replica.
    type: list
    elements: dict
    default: []
    suboptions:
      region_name:
        description: The replica's region.
        type: str
        required: true
      kms_key_id:
        description: The customer KMS key of that region (ARN, key ID or alias), resolved to its ARN.
        type: str
  purge_replicas:
    description: Remove replicas that are not listed in I(replicas) (their data goes with them).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the table (and each replica) to become ACTIVE, or to go.
    type: int
    default: 900
  tags:
    description: Tags of the table, set on every replica too.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not listed in I(tags), when I(tags) is given.
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
"""

EXAMPLES = r"""
- name: A global table in us-east-2 with a replica in us-west-2, each with its own key
  finproc.dr.dynamodb_global_table:
    region: us-east-2
    name: finproc-dev-transactions
    hash_key_name: transactionId
    kms_key_id: alias/finproc-dev
    replicas:
      - region_name: us-west-2
        kms_key_id: arn:aws:kms:us-west-2:123456789012:key/0aa1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5
    point_in_time_recovery: true
    deletion_protection: true
    tags:
      App: finproc

- name: Remove the us-west-2 replica (its data goes with it)
  finproc.dr.dynamodb_global_table:
    region: us-east-2
    name: finproc-dev-transactions
    replicas: []
    purge_replicas: true

- name: Delete the table everywhere, turning deletion protection off explicitly
  finproc.dr.dynamodb_global_table:
    region: us-east-2
    name: finproc-dev-transactions
    deletion_protection: false
    state: absent
"""

RETURN = r"""
table:
  description: The table as DescribeTable returns it in the home region, keys in snake case.
  returned: when the table exists (after the change; in check mode, as it is)
  type: dict
  contains:
    table_name:
      description: The table's name.
      type: str
    table_arn:
      description: The table's ARN in the home region.
      type: str
    table_status:
      description: ACTIVE once usable.
      type: str
      sample: ACTIVE
    replicas:
      description: The replicas, each with C(region_name), C(replica_status) and C(kms_master_key_id).
      type: list
      elements: dict
    sse_description:
      description: Encryption at rest.
      type: dict
    stream_specification:
      description: The stream.
      type: dict
    deletion_protection_enabled:
      description: Deletion protection in the home region.
      type: bool
regions:
  description:
    - Per region of the table, its status and the settings this module manages.
    - C(kms_key_arn) is the key as the region's own DescribeTable names it (for a replica without
      one, as the home region's C(Replicas[]) names it); the wanted key's ARN when it is the same key.
  returned: when the table exists
  type: dict
  sample:
    us-east-2:
      table_status: ACTIVE
      point_in_time_recovery: true
      deletion_protection: true
      kms_key_arn: arn:aws:kms:us-east-2:123456789012:key/...
    us-west-2:
      table_status: ACTIVE
      point_in_time_recovery: true
      deletion_protection: true
      kms_key_arn: arn:aws:kms:us-west-2:123456789012:key/...
changes:
  description: The steps taken (or, in check mode, that would be taken), in order.
  returned: always
  type: list
  elements: str
  sample: ["create table in us-east-2", "create replica in us-west-2"]
"""

import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import TAG_READERS
from ansible_collections.finproc.dr.plugins.module_utils.tagging import TAGGERS
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import poll_until

# UpdateTable is refused while the table or a replica changes, replica builds are throttled, and
# continuous backups are unavailable for a while after a table is created.
BUSY_CODES = ["ResourceInUseException", "LimitExceededException", "ContinuousBackupsUnavailableException"]
# The back-off of those (client.aws_client's retries and delay): 12 attempts, from 5 s.
BUSY_RETRIES = 12
BUSY_DELAY = 5
POLL_SECONDS = 5
# How a replica starts out on AWS (for check mode's account of what would follow its creation).
NEW_REPLICA = {"deletion_protection": False, "point_in_time_recovery": False, "tags": {}, "arn": None}


def key_id(reference):
    """The key ID a key reference names without a KMS call: the last path element of a key ARN
    (arn:aws:kms:<region>:<account>:key/<key-id>), or a bare key ID; None for an alias or nothing.

    DynamoDB answers a table's key in more than one form: SSEDescription.KMSMasterKeyArn is "The
    KMS key ARN used for the KMS encryption", while Replicas[].KMSMasterKeyId is only "The KMS key
    of the replica that will be used for KMS encryption", format undocumented and optional
    (Amazon DynamoDB API Reference, "SSEDescription" and "ReplicaDescription":
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicaDescription.html;
    the same text in botocore's dynamodb 2012-08-10 service model). It has been seen answering the
    bare key ID (aws/aws-cdk#35136) and, per AWS Support, not being filled in at all
    (hashicorp/terraform-provider-aws#37335). Keys are therefore compared by key ID.
    """
    if not reference:
        return None
    if reference.startswith("arn:"):
        resource = reference.split(":", 5)[-1]
        return resource.split("/", 1)[1] if resource.startswith("key/") else None
    if reference.startswith("alias/"):
        return None
    return reference


def same_key(found, wanted_arn):
    """Whether a key reference as DynamoDB answered it names the wanted key (an ARN): same key ID."""
    found_id = key_id(found)
    return found_id is not None and found_id == key_id(wanted_arn)


class GlobalTable(object):
    """present() and absent() for resource.run: a table and its replicas converge region by region,
    each step recorded in `changes` (and, in check mode, only recorded), which the present/absent
    skeleton of resource.AWSResource (one read, one plan, one apply) does not model."""

    missing_region = "region (the table's home region) is required"

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.home = module.region
        self.changes = []
        self.wanted_keys = {}  # region -> wanted key ARN, once resolved (present only)

    # -- clients and calls ---------------------------------------------------------------------
    def ddb(self, region, busy=False):
        if busy:
            return aws_client(self.module, "dynamodb", region=region, extra_codes=BUSY_CODES, retries=BUSY_RETRIES,
                              delay=BUSY_DELAY)
        return aws_client(self.module, "dynamodb", region=region)

    def fail(self, e, region, operation, step):
        self.module.fail_json_aws(e, msg="%s failed in %s while %s (table %s)" % (operation, region, step, self.name),
                                  changes=self.changes)

    def call(self, region, operation, step, busy=False, **params):
        """One API call, retried (and, for updates, retried while the table is busy)."""
        try:
            return getattr(self.ddb(region, busy), operation)(aws_retry=True, **params)
        except AWS_ERRORS as e:
            self.fail(e, region, "".join(part.capitalize() for part in operation.split("_")), step)

    def describe(self, region):
        try:
            return self.ddb(region).describe_table(aws_retry=True, TableName=self.name)["Table"]
        except AWS_ERRORS as e:
            if error_code(e) == "ResourceNotFoundException":
                return None
            self.module.fail_json_aws(e, msg="DescribeTable failed in %s (table %s)" % (region, self.name))

    def refuse_deleting(self, table):
        """`table`, unless DynamoDB is deleting it (a converge right after destroy_data): that table is going,
        neither ours to adopt nor to wait for; the run stops saying so, and the next one creates the table."""
        if table and table.get("TableStatus") == "DELETING":
            self.module.fail_json(msg="table %s in %s is being deleted (TableStatus DELETING): run again once "
                                  "DynamoDB has deleted it, and the table is created anew" % (self.name, self.home))
        return table

    def resolve_key(self, region, key):
        """A key ARN for any form of key reference (ARN, ID, alias), looked up only when needed."""
        if not key or (key.startswith("arn:") and ":key/" in key):
            return key
        kms = aws_client(self.module, "kms", region=region)
        try:
            return kms.describe_key(aws_retry=True, KeyId=key)["KeyMetadata"]["Arn"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="cannot resolve KMS key %s in %s" % (key, region))

    # -- reading -------------------------------------------------------------------------------
    def region_state(self, region, table):
        """The settings this module manages, as they are in one region."""
        backups = self.call(region, "describe_continuous_backups", "reading point-in-time recovery",
                            TableName=self.name)["ContinuousBackupsDescription"]
        pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED"
        try:
            tags = TAG_READERS["dynamodb"](self.ddb(region), table["TableArn"])  # every page
        except AWS_ERRORS as e:
            self.fail(e, region, "ListTagsOfResource", "reading tags")
        return {
            "table_status": table.get("TableStatus"),
            "point_in_time_recovery": pitr,
            "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
            "tags": tags,
            "arn": table["TableArn"],
        }

    def key_in(self, region, found):
        """The key as answered, or the wanted key ARN when both name the same key (one form in views)."""
        wanted = self.wanted_keys.get(region)
        return wanted if wanted and same_key(found, wanted) else found

    def current(self):
        table = self.describe(self.home)
        if table is None:
            return None, {}
        regions = {self.home: self.region_state(self.home, table)}
        home_key = (table.get("SSEDescription") or {}).get("KMSMasterKeyArn")
        regions[self.home]["kms_key_arn"] = self.key_in(self.home, home_key)
        for replica in table.get("Replicas", []):
            region = replica["RegionName"]
            if region == self.home:
                continue
            replica_table = self.describe(region)
            if replica_table is None:
                regions[region] = {"table_status": replica.get("ReplicaStatus"), "arn": None}
            else:
                regions[region] = self.region_state(region, replica_table)
            # The replica's key from its own DescribeTable in its region (documented as the key
            # ARN, see key_id); only where that says nothing, the home region's Replicas[] entry.
            own = ((replica_table or {}).get("SSEDescription") or {}).get("KMSMasterKeyArn")
            regions[region]["kms_key_arn"] = self.key_in(region, own or replica.get("KMSMasterKeyId"))
            regions[region]["replica_status"] = replica.get("ReplicaStatus")
        return table, regions

    # -- waiting -------------------------------------------------------------------------------
    def wait(self, read, done, on_timeout):
        return poll_until(self.module, read, done, self.params["wait_timeout"], delay=POLL_SECONDS, sleep=time.sleep,
                          clock=time.monotonic, on_timeout=on_timeout)

    def pending(self, table):
        """What is not ACTIVE yet in the table as the home region describes it."""
        if table is None:
            return ["table in %s: missing" % self.home]
        pending = []
        if table.get("TableStatus") != "ACTIVE":
            pending.append("table in %s: %s" % (self.home, table.get("TableStatus")))
        return pending + ["replica in %s: %s" % (r["RegionName"], r.get("ReplicaStatus"))
                          for r in table.get("Replicas", []) if r.get("ReplicaStatus") != "ACTIVE"]

    def wait_active(self, step):
        def timed_out(table):
            self.module.fail_json(
                msg="timed out after %d s waiting for ACTIVE while %s (table %s): %s"
                % (self.params["wait_timeout"], step, self.name, "; ".join(self.pending(table))),
                changes=self.changes)

        return self.wait(lambda: self.describe(self.home), lambda table: not self.pending(table), timed_out)

    def wait_gone(self, region):
        def timed_out(table):
            self.module.fail_json(msg="timed out after %d s waiting for table %s in %s to be deleted"
                                  % (self.params["wait_timeout"], self.name, region), changes=self.changes)

        self.wait(lambda: self.describe(region), lambda table: table is None, timed_out)

    # -- wanted state --------------------------------------------------------------------------
    def wanted_replicas(self):
        return dict((r["region_name"], r.get("kms_key_id")) for r in self.params["replicas"]
                    if r["region_name"] != self.home)

    def key_schema(self):
        schema = [{"AttributeName": self.params["hash_key_name"], "KeyType": "HASH"}]
        attributes = [{"AttributeName": self.params["hash_key_name"], "AttributeType": self.params["hash_key_type"]}]
        if self.params.get("range_key_name"):
            schema.append({"AttributeName": self.params["range_key_name"], "KeyType": "RANGE"})
            attributes.append({"AttributeName": self.params["range_key_name"],
                               "AttributeType": self.params["range_key_type"]})
        return schema, attributes

    def billing(self):
        result = {"BillingMode": self.params["billing_mode"]}
        if self.params["billing_mode"] == "PROVISIONED":
            result["ProvisionedThroughput"] = {"ReadCapacityUnits": self.params["read_capacity"],
                                               "WriteCapacityUnits": self.params["write_capacity"]}
        return result

    def sse(self, key_arn):
        return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}

    # -- changes -------------------------------------------------------------------------------
    def step(self, text):
        self.changes.append(text)
        return not self.module.check_mode

    def create(self, home_key):
        schema, attributes = self.key_schema()
        params = dict(
            TableName=self.name,
            KeySchema=schema,
            AttributeDefinitions=attributes,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": self.params["stream_view_type"]},
            TableClass=self.params["table_class"],
            DeletionProtectionEnabled=self.params["deletion_protection"] is not False,
            **self.billing()
        )
        if home_key:
            params["SSESpecification"] = self.sse(home_key)
        if self.params.get("tags"):
            params["Tags"] = ansible_dict_to_boto3_tag_list(self.params["tags"])
        if self.step("create table in %s" % self.home):
            # CreateTable takes no client token; a table's name is unique in its region ("you attempted to
            # recreate an existing table": ResourceInUseException, CreateTable - Amazon DynamoDB,
            # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html). Sent once:
            # after a lost answer, or that code, the table of this name is looked up and adopted.
            create_once(self.module, self.ddb(self.home), "create_table", params,
                        lambda: self.refuse_deleting(self.describe(self.home)),
                        lambda answer: answer["TableDescription"],
                        "table %s in %s" % (self.name, self.home), exists_codes=["ResourceInUseException"])
            return self.wait_active("creating the table")
        return None

    def create_replica(self, region, create):
        """UpdateTable's replica Create, sent once: a retry after a lost answer is refused ("one or more replicas
        already existed": ValidationException) and would fail the run. After a lost answer, or that code, the
        replica is looked up in the table's Replicas and the creation counts as done. Busy (BUSY_CODES): sent
        again after a back-off."""
        def find():
            table = self.describe(self.home)
            regions = [replica["RegionName"] for replica in (table or {}).get("Replicas", [])]
            return table if region in regions else None

        create_once(self.module, self.ddb(self.home, busy=True), "update_table",
                    dict(TableName=self.name, ReplicaUpdates=[{"Create": create}]), find,
                    lambda answer: answer["TableDescription"], "the replica in %s of table %s" % (region, self.name),
                    exists_codes=["ValidationException"], refused_codes=BUSY_CODES, attempts=BUSY_RETRIES,
                    delay=BUSY_DELAY)

    def converge_table(self, table, home_key):
        """Settings of the table in its home region (billing, stream, SSE, class)."""
        schema, attributes = self.key_schema() if self.params.get("hash_key_name") else (None, None)
        if schema:
            types_wanted = dict((a["AttributeName"], a["AttributeType"]) for a in attributes)
            types = dict((a["AttributeName"], a["AttributeType"]) for a in table.get("AttributeDefinitions", []))
            current_keys = [(k["AttributeName"], k["KeyType"], types.get(k["AttributeName"]))
                            for k in table["KeySchema"]]
            wanted_keys = [(k["AttributeName"], k["KeyType"], types_wanted[k["AttributeName"]]) for k in schema]
            if current_keys != wanted_keys:
                self.module.fail_json(msg="the key schema of table %s is %s; it cannot be changed to %s"
                                      % (self.name, current_keys, wanted_keys))
        update = {}
        current_mode = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        if current_mode != self.params["billing_mode"]:
            update["BillingMode"] = self.billing()  # PROVISIONED needs its ProvisionedThroughput in the same call
        elif self.params["billing_mode"] == "PROVISIONED":
            throughput = table.get("ProvisionedThroughput", {})
            if (throughput.get("ReadCapacityUnits"), throughput.get("WriteCapacityUnits")) != (
                    self.params["read_capacity"], self.params["write_capacity"]):
                update["ProvisionedThroughput"] = self.billing()["ProvisionedThroughput"]
        stream = table.get("StreamSpecification") or {}
        if not stream.get("StreamEnabled") or stream.get("StreamViewType") != self.params["stream_view_type"]:
            if stream.get("StreamEnabled"):
                self.module.fail_json(msg="table %s streams %s; a stream's view type cannot be changed in place "
                                      "(and a global table cannot drop its stream)"
                                      % (self.name, stream.get("StreamViewType")))
            update["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.params["stream_view_type"]}
        current_key = (table.get("SSEDescription") or {}).get("KMSMasterKeyArn")
        if home_key and not same_key(current_key, home_key):
            update["SSESpecification"] = self.sse(home_key)
        if (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD") != self.params["table_class"]:
            update["TableClass"] = self.params["table_class"]
        for key in sorted(update):
            if self.step("update %s of the table in %s" % (key, self.home)):
                self.call(self.home, "update_table", "updating " + key, busy=True, TableName=self.name,
                          **(update[key] if key == "BillingMode" else {key: update[key]}))
                self.wait_active("updating " + key)

    def converge_replicas(self, table, wanted, regions):
        """Replicas created, re-keyed and (with purge_replicas) deleted; `regions` as current() read them."""
        current = dict((r["RegionName"], r) for r in table.get("Replicas", []) if r["RegionName"] != self.home)
        unknown = []
        for region, key in sorted(wanted.items()):
            found = (regions.get(region) or {}).get("kms_key_arn")
            if region not in current:
                create = {"RegionName": region}
                if key:
                    create["KMSMasterKeyId"] = key
                if self.step("create replica in %s" % region):
                    self.create_replica(region, create)
                    self.wait_active("creating the replica in " + region)
            elif key and not found:
                unknown.append(region)  # unknown is not different: no update
            elif key and not same_key(found, key) and self.step(
                    "change the KMS key of the replica in %s" % region):
                self.call(self.home, "update_table", "changing the key of the replica in " + region, busy=True,
                          TableName=self.name,
                          ReplicaUpdates=[{"Update": {"RegionName": region, "KMSMasterKeyId": key}}])
                self.wait_active("changing the key of the replica in " + region)
        if unknown:
            self.module.warn(
                "table %s: DynamoDB reports no KMS key for the replica in %s (no SSEDescription.KMSMasterKeyArn "
                "in that region's DescribeTable, no Replicas[].KMSMasterKeyId in %s's); its key was left as it is. "
                "Check it: verify.yml's control table-sse-kms, or aws dynamodb describe-table in that region."
                % (self.name, ", ".join(unknown), self.home))
        if self.params["purge_replicas"]:
            for region in sorted(set(current) - set(wanted)):
                if self.step("delete replica in %s" % region):
                    self.call(self.home, "update_table", "deleting the replica in " + region, busy=True,
                              TableName=self.name, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
                    self.wait_active("deleting the replica in " + region)

    def converge_region(self, region, state):
        """Deletion protection, point-in-time recovery and tags in one region of the table."""
        protection = self.params["deletion_protection"]
        if protection is None:
            protection = True
        if state.get("deletion_protection") != protection and self.step(
                "%s deletion protection in %s" % ("enable" if protection else "disable", region)):
            self.call(region, "update_table", "setting deletion protection", busy=True, TableName=self.name,
                      DeletionProtectionEnabled=protection)
        pitr = self.params["point_in_time_recovery"]
        if state.get("point_in_time_recovery") != pitr and self.step(
                "%s point-in-time recovery in %s" % ("enable" if pitr else "disable", region)):
            self.call(region, "update_continuous_backups", "setting point-in-time recovery", busy=True,
                      TableName=self.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": pitr})
        plan = plan_tags(state.get("tags", {}), self.params.get("tags"), self.params["purge_tags"])
        if plan.to_unset:
            self.step("remove tags %s in %s" % (", ".join(plan.to_unset), region))
        if plan.to_set:
            self.step("set tags %s in %s" % (", ".join(sorted(plan.to_set)), region))
        if plan.changed and not self.module.check_mode:
            try:
                TAGGERS["dynamodb"](self.ddb(region), state["arn"], plan.to_set, plan.to_unset)
            except AWS_ERRORS as e:
                self.fail(e, region, "Tagging", "setting tags")

    # -- views ---------------------------------------------------------------------------------
    def view(self, table, regions):
        """The settings this module manages, for diff."""
        if table is None:
            return {}
        return {
            "billing_mode": (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
            "stream_view_type": (table.get("StreamSpecification") or {}).get("StreamViewType"),
            "table_class": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
            "regions": dict((region, {
                "kms_key_arn": state.get("kms_key_arn"),
                "point_in_time_recovery": state.get("point_in_time_recovery"),
                "deletion_protection": state.get("deletion_protection"),
                "tags": state.get("tags"),
            }) for region, state in regions.items()),
        }

    def wanted_view(self, home_key, replicas, before):
        regions = {}
        keys = dict(replicas)
        keys[self.home] = home_key
        kept = dict((r, {}) for r in keys)
        if not self.params["purge_replicas"]:
            for region in (before.get("regions") or {}):
                kept.setdefault(region, {})
        for region in kept:
            old = (before.get("regions") or {}).get(region, {})
            tags = dict(old.get("tags") or {})
            if self.params.get("tags") is not None:
                tags = dict(self.params["tags"]) if self.params["purge_tags"] else dict(tags, **self.params["tags"])
            regions[region] = {
                "kms_key_arn": keys.get(region) or old.get("kms_key_arn"),
                "point_in_time_recovery": self.params["point_in_time_recovery"],
                "deletion_protection": self.params["deletion_protection"] is not False,
                "tags": tags,
            }
        return {
            "billing_mode": self.params["billing_mode"],
            "stream_view_type": self.params["stream_view_type"],
            "table_class": self.params["table_class"],
            "regions": regions,
        }

    def result(self, changed, before, after_table, after_regions, after_view):
        out = {"changed": changed, "changes": self.changes, "diff": diff(before, after_view)}
        if after_table is not None:
            out["table"] = snake(after_table, keep=())
            out["regions"] = dict((region, dict((k, v) for k, v in state.items() if k not in ("tags", "arn")))
                                  for region, state in after_regions.items())
        return out

    # -- entry points --------------------------------------------------------------------------
    def present(self):
        home_key = self.resolve_key(self.home, self.params.get("kms_key_id"))
        replicas = dict((region, self.resolve_key(region, key)) for region, key in self.wanted_replicas().items())
        self.wanted_keys = dict((region, key) for region, key in dict(replicas, **{self.home: home_key}).items() if key)
        table, regions = self.current()
        before = self.view(table, regions)
        just_created = False
        if table is None:
            if not self.params.get("hash_key_name"):
                self.module.fail_json(msg="table %s does not exist in %s; hash_key_name is needed to create it"
                                      % (self.name, self.home))
            table = self.create(home_key)
            if table is None:  # check mode: what a real run would do next, in its order
                for region in sorted(replicas):
                    self.step("create replica in %s" % region)
                created = {"deletion_protection": self.params["deletion_protection"] is not False,
                           "point_in_time_recovery": False, "tags": dict(self.params.get("tags") or {})}
                self.converge_region(self.home, created)
                for region in sorted(replicas):
                    self.converge_region(region, NEW_REPLICA)
                return self.result(True, before, None, {}, self.wanted_view(home_key, replicas, before))
            regions = {self.home: self.region_state(self.home, table)}
            just_created = True
        else:
            self.refuse_deleting(table)
            if table.get("TableStatus") != "ACTIVE" or any(
                    r.get("ReplicaStatus") != "ACTIVE" for r in table.get("Replicas", [])):
                self.wait_active("waiting for a change already under way")
                table, regions = self.current()  # the replicas' keys and settings as the change left them
            self.converge_table(table, home_key)
        if self.changes and not just_created and not self.module.check_mode:
            table = self.describe(self.home)
        before_replicas = len(self.changes)
        self.converge_replicas(table, replicas, regions)
        if len(self.changes) != before_replicas and not self.module.check_mode:
            table, regions = self.current()
        for region in sorted(regions, key=lambda r: (r != self.home, r)):
            if regions[region].get("arn"):
                self.converge_region(region, regions[region])
        if self.module.check_mode:  # replicas that would be created get their settings next
            for region in sorted(set(replicas) - set(regions)):
                self.converge_region(region, NEW_REPLICA)
        changed = bool(self.changes)
        if changed and not self.module.check_mode:
            table, regions = self.current()
            after = self.view(table, regions)
        elif changed:
            after = self.wanted_view(home_key, replicas, before)
        else:
            after = before
        return self.result(changed, before, table, regions, after)

    def absent(self):
        table, regions = self.current()
        before = self.view(table, regions)
        if table is None:
            return self.result(False, before, None, {}, {})
        protected = sorted(region for region, state in regions.items() if state.get("deletion_protection"))
        if protected and self.params["deletion_protection"] is not False:
            self.module.fail_json(
                msg="refusing to delete table %s: deletion protection is on in %s. Set deletion_protection: false "
                "in this task to turn it off and delete the table and its replicas (their data goes with them)."
                % (self.name, ", ".join(protected)))
        for region in protected:
            if self.step("disable deletion protection in %s" % region):
                self.call(region, "update_table", "turning deletion protection off", busy=True,
                          TableName=self.name, DeletionProtectionEnabled=False)
        for region in sorted(r for r in regions if r != self.home):
            if self.step("delete replica in %s" % region):
                self.call(self.home, "update_table", "deleting the replica in " + region, busy=True,
                          TableName=self.name, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
                self.wait_active("deleting the replica in " + region)
        if self.step("delete table in %s" % self.home):
            self.call(self.home, "delete_table", "deleting the table", busy=True, TableName=self.name)
            self.wait_gone(self.home)
        return self.result(True, before, None, {}, {})


def validate(module):
    """Bad input is rejected before any AWS call."""
    params = module.params
    if not re.match(r"^[a-zA-Z0-9_.-]{3,255}$", params["name"]):
        module.fail_json(msg="table name %r: 3 to 255 letters, digits, '_', '-' and '.'" % params["name"])
    if params["billing_mode"] == "PROVISIONED" and not (params["read_capacity"] and params["write_capacity"]):
        module.fail_json(msg="billing_mode PROVISIONED needs read_capacity and write_capacity")
    if params["billing_mode"] == "PAY_PER_REQUEST" and (params["read_capacity"] or params["write_capacity"]):
        module.fail_json(msg="read_capacity and write_capacity apply only to billing_mode PROVISIONED")
    regions = [r["region_name"] for r in params["replicas"]]
    if len(set(regions)) != len(regions):
        module.fail_json(msg="replicas lists a region twice: %s" % ", ".join(regions))
    if params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 second")


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        hash_key_name=dict(type="str"),
        hash_key_type=dict(type="str", default="S", choices=["S", "N", "B"]),
        range_key_name=dict(type="str"),
        range_key_type=dict(type="str", default="S", choices=["S", "N", "B"]),
        billing_mode=dict(type="str", default="PAY_PER_REQUEST", choices=["PAY_PER_REQUEST", "PROVISIONED"]),
        read_capacity=dict(type="int"),
        write_capacity=dict(type="int"),
        stream_view_type=dict(type="str", default="NEW_AND_OLD_IMAGES",
                              choices=["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"]),
        kms_key_id=dict(type="str", required=False),
        table_class=dict(type="str", default="STANDARD", choices=["STANDARD", "STANDARD_INFREQUENT_ACCESS"]),
        point_in_time_recovery=dict(type="bool", default=True),
        deletion_protection=dict(type="bool"),
        replicas=dict(type="list", elements="dict", default=[], options=dict(
            region_name=dict(type="str", required=True),
            kms_key_id=dict(type="str"),
        )),
        purge_replicas=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
    )
    run_module(argument_spec, GlobalTable, validate)


if __name__ == "__main__":
    main()
