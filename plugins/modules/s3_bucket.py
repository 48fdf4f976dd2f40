#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: s3_bucket
version_added: 0.1.0
short_description: Manage an S3 bucket and the settings this collection sets on it, lifecycle included, in one run
description:
  - Creates the bucket when it is missing and brings in line every setting this module manages, in one module
    run (amazon.aws.s3_bucket and community.aws.s3_lifecycle take two runs, and the first reads about 14
    settings per run, most of which this collection never sets).
  - Only the settings it manages are read (C(GetBucketVersioning), whose C(NoSuchBucket) answer says the
    bucket is missing, C(GetBucketEncryption), C(GetPublicAccessBlock), C(GetBucketOwnershipControls),
    C(GetBucketPolicy), C(GetBucketTagging), C(GetBucketLifecycleConfiguration)); when everything matches,
    those are the only calls made. Each setting that differs is written with its own C(Put*) call, the public
    access block before the policy.
  - C(CreateBucket) takes no client token. It is sent once; after an answer whose outcome is unknown (a 5xx
    answer, a timeout, a closed connection) the bucket is looked up (C(HeadBucket)) before any new attempt; a
    bucket found then, or answered C(BucketAlreadyOwnedByYou), is adopted and brought in line. A name taken
    by another account (C(BucketAlreadyExists)) fails the module.
  - Lifecycle rules whose ID is not listed in I(lifecycle_rules) are kept (as community.aws.s3_lifecycle
    does); a listed rule is replaced whole when it differs.
  - There is no I(state=absent); delete a bucket with amazon.aws.s3_bucket.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description: The name of the bucket.
    type: str
    required: true
  versioning:
    description:
      - C(true) - versioning enabled; C(false) - suspended (a bucket never versioned is left unversioned).
      - Not given - left as it is.
    type: bool
  encryption:
    description:
      - The default encryption of the bucket.
      - Not given - left as it is.
    type: str
    choices: [AES256, "aws:kms"]
  encryption_key_id:
    description:
      - The ARN of the KMS key of I(encryption=aws:kms). S3 reports the key as it was set, so give the ARN
        every time (a key ID or an alias would never compare equal).
      - In check mode it may be empty when the key is still to be created by the same run (a check run on an
        account without the stack); the bucket is then shown with the key it will get, unknown until then
        (an empty C(kms_master_key_id)). Outside check mode it is required with I(encryption=aws:kms).
    type: str
  bucket_key_enabled:
    description: Whether S3 Bucket Keys are used with I(encryption=aws:kms).
    type: bool
    default: false
  public_access:
    description:
      - The bucket's public access block; the four flags are written together.
      - Not given - left as it is.
    type: dict
    suboptions:
      block_public_acls:
        description: BlockPublicAcls.
        type: bool
        default: false
      ignore_public_acls:
        description: IgnorePublicAcls.
        type: bool
        default: false
      block_public_policy:
        description: BlockPublicPolicy.
        type: bool
        default: false
      restrict_public_buckets:
        description: RestrictPublicBuckets.
        type: bool
        default: false
  object_ownership:
    description:
      - The object ownership setting; a new bucket gets it in C(CreateBucket).
      - Not given - left as it is.
    type: str
    choices: [BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter]
  policy:
    description:
      - The bucket policy (JSON). Compared with the bucket's as amazon.aws compares policies
        (C(compare_policies)), so the order of statements and of values does not matter.
      - Not given - left as it is.
    type: json
  tags:
    description: The tags of the bucket. Not given - left as they are.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Whether the tags not in I(tags) are removed (C(aws:) tags never are).
    type: bool
    default: true
  lifecycle_rules:
    description:
      - Lifecycle rules this module owns, by ID. Rules of other IDs on the bucket are kept.
      - Not given - the lifecycle configuration is left as it is.
    type: list
    elements: dict
    suboptions:
      id:
        description: The ID of the rule.
        type: str
        required: true
      status:
        description: Whether the rule applies.
        type: str
        choices: [enabled, disabled]
        default: enabled
      prefix:
        description: The key prefix the rule applies to; empty - every object.
        type: str
        default: ""
      expiration_days:
        description: Current versions expire this many days after their creation.
        type: int
      noncurrent_version_expiration_days:
        description: Non-current versions are deleted this many days after they became non-current.
        type: int
      abort_incomplete_multipart_upload_days:
        description: Incomplete multipart uploads are aborted this many days after they started.
        type: int
  wait_timeout:
    description: How long (seconds) to wait for a new bucket to exist (C(HeadBucket)).
    type: int
    default: 120
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported. A bucket that does not exist yet is reported as would-be-created with no
    further read, and RV(exists) is C(false).
  - The diff shows, per setting, only the settings that differ (C(versioning), C(encryption),
    C(public_access_block), C(object_ownership), C(policy), C(tags), C(lifecycle_rules)); a bucket still to be
    created is shown whole.
"""

EXAMPLES = r"""
- name: A versioned, SSE-KMS encrypted, private bucket with a lifecycle rule
  finproc.dr.s3_bucket:
    name: finproc-dev-123456789012-us-east-2
    versioning: true
    encryption: aws:kms
    encryption_key_id: arn:aws:kms:us-east-2:123456789012:key/11111111-2222-3333-4444-555555555555
    bucket_key_enabled: true
    public_access:
      block_public_acls: true
      ignore_public_acls: true
      block_public_policy: true
      restrict_public_buckets: true
    object_ownership: BucketOwnerEnforced
    policy: "{{ lookup('ansible.builtin.template', 'bucket_policy.json.j2') }}"
    tags: {Name: finproc-dev-123456789012-us-east-2}
    lifecycle_rules:
      - id: noncurrent-versions
        noncurrent_version_expiration_days: 30
        abort_incomplete_multipart_upload_days: 7
  register: bucket

- name: Only when the bucket exists (check mode of a new stack)
  ansible.builtin.debug:
    msg: "{{ bucket.bucket.arn }}"
  when: bucket.exists
"""

RETURN = r"""
exists:
  description:
    - Whether the bucket exists after the run. Always C(true) but in check mode for a bucket still to be
      created; later tasks test it instead of looking the bucket up.
  returned: always
  type: bool
  sample: true
bucket:
  description:
    - The bucket, each managed setting as read (and as written by this run); in check mode, as it would be.
  returned: always
  type: dict
  contains:
    name:
      description: The bucket's name.
      type: str
    arn:
      description: The bucket's ARN.
      type: str
      sample: arn:aws:s3:::finproc-dev-123456789012-us-east-2
    region:
      description: The bucket's region.
      type: str
    versioning:
      description: C(Enabled), C(Suspended), or null for a bucket never versioned.
      type: str
    encryption:
      description: The default encryption (C(sse_algorithm), C(kms_master_key_id), C(bucket_key_enabled)).
      type: dict
    public_access_block:
      description: The four public access block flags (snake case); {} when the bucket has none.
      type: dict
    object_ownership:
      description: The object ownership setting, or null.
      type: str
    policy:
      description: The bucket policy as a dict, or null.
      type: dict
    tags:
      description: The bucket's tags.
      type: dict
    lifecycle_rules:
      description: Every lifecycle rule of the bucket (S3's shape), ours and the others.
      type: list
      elements: dict
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import exit_result
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import wait_for

# OperationAborted: "A conflicting conditional operation is currently in progress against this resource.
# Try again." (S3 API reference, "Error responses", List of error codes,
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): busy, safe to retry.
RETRY_CODES = ["OperationAborted"]
MISSING = ("NoSuchBucket",)
# HeadBucket has no body: a missing bucket answers 404 ("HeadBucket - Amazon Simple Storage Service",
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html: "If the bucket does not exist or you
# do not have permission to access it, the HEAD request returns a generic 400 Bad Request, 403 Forbidden or
# 404 Not Found code").
HEAD_MISSING = ("404", "NoSuchBucket", "NotFound")

# What each Get* answers for a setting the bucket does not have (S3 API reference, the error codes of
# GetBucketEncryption, GetPublicAccessBlock, GetBucketOwnershipControls, GetBucketPolicy, GetBucketTagging,
# GetBucketLifecycleConfiguration: "List of error codes", https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
NOT_SET = {
    "get_bucket_encryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "get_public_access_block": ("NoSuchPublicAccessBlockConfiguration",),
    "get_bucket_ownership_controls": ("OwnershipControlsNotFoundError",),
    "get_bucket_policy": ("NoSuchBucketPolicy",),
    "get_bucket_tagging": ("NoSuchTagSet",),
    "get_bucket_lifecycle_configuration": ("NoSuchLifecycleConfiguration",),
}
PUBLIC_ACCESS_FLAGS = (
    ("block_public_acls", "BlockPublicAcls"),
    ("ignore_public_acls", "IgnorePublicAcls"),
    ("block_public_policy", "BlockPublicPolicy"),
    ("restrict_public_buckets", "RestrictPublicBuckets"),
)
# The order of the writes: the public access block before the policy (a policy is checked against the
# block when it is put: "PutBucketPolicy", BlockPublicPolicy, S3 user guide "Blocking public access to your
# Amazon S3 storage", https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
SETTINGS = (
    "versioning",
    "encryption",
    "public_access_block",
    "object_ownership",
    "policy",
    "tags",
    "lifecycle_rules",
)


RULE_DAYS = ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days")


def api_name(client, operation):
    """The API operation of a client method (get_bucket_encryption -> GetBucketEncryption), for messages."""
    raw = getattr(client, "client", client)  # the botocore client inside a RetryingBotoClientWrapper
    return raw.meta.method_to_api_mapping.get(operation, operation)


# ---------------------------------------------------------------- lifecycle rules


def wanted_rule(spec):
    """A rule of lifecycle_rules in S3's shape (LifecycleRule of the S3 model)."""
    rule = {"ID": spec["id"], "Filter": {"Prefix": spec["prefix"] or ""}, "Status": spec["status"].capitalize()}
    if spec["expiration_days"] is not None:
        rule["Expiration"] = {"Days": spec["expiration_days"]}
    if spec["noncurrent_version_expiration_days"] is not None:
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": spec["noncurrent_version_expiration_days"]}
    if spec["abort_incomplete_multipart_upload_days"] is not None:
        days = spec["abort_incomplete_multipart_upload_days"]
        rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return rule


def canonical_rule(rule):
    """A rule in one form for comparison: the prefix in Filter (the older top-level Prefix moved there),
    an empty prefix as no filter, ExpiredObjectDeleteMarker false as absent."""
    rule = json.loads(json.dumps(rule, default=str))
    prefix = rule.pop("Prefix", None)
    rule_filter = rule.get("Filter")
    if rule_filter is None:
        rule_filter = {"Prefix": prefix} if prefix else {}
    if rule_filter == {"Prefix": ""}:
        rule_filter = {}
    rule["Filter"] = rule_filter
    expiration = rule.get("Expiration")
    if isinstance(expiration, dict) and expiration.get("ExpiredObjectDeleteMarker") is False:
        expiration.pop("ExpiredObjectDeleteMarker")
        if not expiration:
            rule.pop("Expiration")
    return rule


def merge_rules(current, ours):
    """The bucket's rules after the run: each of `ours` replaces the rule of its ID (or is added at the
    end), the others are kept as they are, in their order."""
    by_id = dict((rule["ID"], rule) for rule in ours)
    merged = [by_id.get(rule.get("ID"), rule) for rule in current]
    present = set(rule.get("ID") for rule in current)
    merged.extend(rule for rule in ours if rule["ID"] not in present)
    return merged


def same_rules(current, merged):
    return [canonical_rule(rule) for rule in current] == [canonical_rule(rule) for rule in merged]


# ---------------------------------------------------------------- the bucket


class Bucket(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.region = module.region
        self.label = "bucket %s" % self.name
        self.client = aws_client(module, "s3", extra_codes=RETRY_CODES)

    @property
    def fresh(self):
        """The client for the calls about a bucket this run has just created (also retries NoSuchBucket:
        client.JUST_CREATED_CODES)."""
        return aws_client(self.module, "s3", just_created=True, extra_codes=RETRY_CODES)

    # -- reads -------------------------------------------------------------------------------------

    def get(self, client, operation, missing=()):
        """``operation(Bucket=name)``; None when S3 answers that the setting is not set; else fail."""
        try:
            return getattr(client, operation)(aws_retry=True, Bucket=self.name)
        except AWS_ERRORS as e:
            if error_code(e) in NOT_SET.get(operation, ()) + tuple(missing):
                return None
            fail_aws(self.module, e, api_name(client, operation), self.label)

    def read(self, client):
        """The managed settings as S3 answers them (settings() shape), or None for a missing bucket.

        The first read, GetBucketVersioning, answers NoSuchBucket for a bucket that does not exist
        ("GetBucketVersioning", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html;
        NoSuchBucket "The specified bucket does not exist", "Error responses"): no HeadBucket first.
        """
        versioning = self.get(client, "get_bucket_versioning", missing=MISSING)
        if versioning is None:
            return None
        encryption = self.get(client, "get_bucket_encryption")
        block = self.get(client, "get_public_access_block")
        ownership = self.get(client, "get_bucket_ownership_controls")
        policy = self.get(client, "get_bucket_policy")
        tagging = self.get(client, "get_bucket_tagging")
        lifecycle = self.get(client, "get_bucket_lifecycle_configuration")

        encryption_rule = ((encryption or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or [{}]
        default = encryption_rule[0].get("ApplyServerSideEncryptionByDefault") or {}
        block = (block or {}).get("PublicAccessBlockConfiguration") or {}
        ownership_rules = ((ownership or {}).get("OwnershipControls") or {}).get("Rules") or [{}]
        return {
            "versioning": versioning.get("Status"),
            "encryption": {
                "sse_algorithm": default.get("SSEAlgorithm"),
                "kms_master_key_id": default.get("KMSMasterKeyID"),
                "bucket_key_enabled": bool(encryption_rule[0].get("BucketKeyEnabled")),
            },
            "public_access_block": dict((key, bool(block[flag])) for key, flag in PUBLIC_ACCESS_FLAGS if flag in block),
            "object_ownership": ownership_rules[0].get("ObjectOwnership"),
            "policy": json.loads(policy["Policy"]) if policy and policy.get("Policy") else None,
            "tags": dict((tag["Key"], tag["Value"]) for tag in (tagging or {}).get("TagSet") or []),
            "lifecycle_rules": (lifecycle or {}).get("Rules") or [],
            # Not compared: sent back as read when the rules are put, so a put never changes it.
            "transition_default_minimum_object_size": (lifecycle or {}).get("TransitionDefaultMinimumObjectSize"),
        }

    def exists(self):
        """Whether HeadBucket finds the bucket (create_once's look-up after an unknown outcome)."""
        try:
            self.client.head_bucket(aws_retry=True, Bucket=self.name)
        except AWS_ERRORS as e:
            if error_code(e) in HEAD_MISSING:
                return None
            fail_aws(self.module, e, "HeadBucket", self.label)
        return True

    # -- the plan ----------------------------------------------------------------------------------

    def wanted_encryption(self):
        algorithm = self.params["encryption"]
        if algorithm == "aws:kms":
            return {
                "sse_algorithm": algorithm,
                "kms_master_key_id": self.params["encryption_key_id"],
                "bucket_key_enabled": self.params["bucket_key_enabled"],
            }
        # SSE-S3: no key; a bucket key is for SSE-KMS only ("Reducing the cost of SSE-KMS with Amazon S3 Bucket
        # Keys", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html), not compared.
        return {"sse_algorithm": algorithm, "kms_master_key_id": None}

    def plan(self, current):
        """(after, writes): the settings after the run, and {setting: what to write} for those that differ."""
        params = self.params
        after = dict(current)
        writes = {}
        versioning = params["versioning"]
        if versioning is not None:
            status = "Enabled" if versioning else "Suspended"
            # Suspending a bucket that was never versioned changes nothing: it stays unversioned.
            if current["versioning"] != status and (versioning or current["versioning"] is not None):
                writes["versioning"] = after["versioning"] = status
        if params["encryption"]:
            wanted = self.wanted_encryption()
            seen = dict((key, current["encryption"].get(key)) for key in wanted)
            if seen != wanted:
                writes["encryption"] = wanted
                after["encryption"] = dict(current["encryption"], **wanted)
                after["encryption"].setdefault("bucket_key_enabled", False)
        if params["public_access"] is not None:
            wanted = dict((key, params["public_access"][key]) for key, _flag in PUBLIC_ACCESS_FLAGS)
            if current["public_access_block"] != wanted:
                writes["public_access_block"] = after["public_access_block"] = wanted
        if params["object_ownership"] and current["object_ownership"] != params["object_ownership"]:
            writes["object_ownership"] = after["object_ownership"] = params["object_ownership"]
        if params["policy"] is not None:
            wanted = json.loads(params["policy"])
            if current["policy"] is None or compare_policies(current["policy"], wanted):
                writes["policy"] = after["policy"] = wanted
        if params["tags"] is not None:
            tag_plan = plan_tags(current["tags"], params["tags"], params["purge_tags"])
            if tag_plan.changed:
                writes["tags"] = after["tags"] = tag_plan.after
        if params["lifecycle_rules"] is not None:
            merged = merge_rules(current["lifecycle_rules"], [wanted_rule(rule) for rule in params["lifecycle_rules"]])
            if not same_rules(current["lifecycle_rules"], merged):
                writes["lifecycle_rules"] = after["lifecycle_rules"] = merged
                writes["transition_default_minimum_object_size"] = current.get("transition_default_minimum_object_size")
        return after, writes

    @staticmethod
    def blank():
        """The settings of a bucket of which nothing is known yet (to be created): every given one differs."""
        return {
            "versioning": None,
            "encryption": {},
            "public_access_block": {},
            "object_ownership": None,
            "policy": None,
            "tags": {},
            "lifecycle_rules": [],
            "transition_default_minimum_object_size": None,
        }

    # -- writes ------------------------------------------------------------------------------------

    def create(self):
        """CreateBucket; True when this run made the bucket, False when it adopted ours.

        "CreateBucket" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html): outside
        us-east-1 the region goes in CreateBucketConfiguration.LocationConstraint; ObjectOwnership
        (x-amz-object-ownership) sets the ownership at birth. Its errors: "BucketAlreadyExists: The
        requested bucket name is not available. The bucket namespace is shared by all users of the system"
        and "BucketAlreadyOwnedByYou: The bucket that you tried to create already exists, and you own it.
        Amazon S3 returns this error in all AWS Regions except in the North Virginia Region. For legacy
        compatibility, if you re-create an existing bucket that you already own in the North Virginia
        Region, Amazon S3 returns 200 OK and resets the bucket access control lists (ACLs)" (ACLs are off with
        BucketOwnerEnforced). No client token: sent once by create_once, HeadBucket after an
        unknown outcome, BucketAlreadyOwnedByYou adopted.
        """
        request = {"Bucket": self.name}
        if self.region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        if self.params["object_ownership"]:
            request["ObjectOwnership"] = self.params["object_ownership"]

        def taken(error):
            return error_code(error) == "BucketAlreadyExists"

        try:
            adopted = create_once(
                self.module,
                self.client,
                "create_bucket",
                request,
                self.exists,
                lambda answer: None,
                self.label,
                exists_codes=["BucketAlreadyOwnedByYou"],
                refused_codes=RETRY_CODES,
                reraise=taken,
            )
        except AWS_ERRORS as e:
            self.module.fail_json_aws(
                e,
                msg="bucket %s: the name is taken by another AWS account (bucket names are global across "
                "accounts and regions): choose another name" % self.name,
            )
        # "BucketExists" waiter of botocore (HeadBucket until 200), bounded by wait_timeout.
        wait_for(
            self.module,
            self.client,
            "bucket_exists",
            self.params["wait_timeout"],
            delay=5,
            what="bucket %s to exist" % self.name,
            Bucket=self.name,
        )
        return adopted is None

    def put(self, client, operation, **params):
        try:
            getattr(client, operation)(aws_retry=True, Bucket=self.name, **params)
        except AWS_ERRORS as e:
            fail_aws(self.module, e, api_name(client, operation), self.label)

    def apply(self, client, writes):
        if "versioning" in writes:
            self.put(client, "put_bucket_versioning", VersioningConfiguration={"Status": writes["versioning"]})
        if "encryption" in writes:
            wanted = writes["encryption"]
            default = {"SSEAlgorithm": wanted["sse_algorithm"]}
            rule = {"ApplyServerSideEncryptionByDefault": default}
            if wanted["sse_algorithm"] == "aws:kms":
                default["KMSMasterKeyID"] = wanted["kms_master_key_id"]
                rule["BucketKeyEnabled"] = wanted["bucket_key_enabled"]
            self.put(client, "put_bucket_encryption", ServerSideEncryptionConfiguration={"Rules": [rule]})
        if "public_access_block" in writes:
            wanted = writes["public_access_block"]
            block = dict((flag, wanted[key]) for key, flag in PUBLIC_ACCESS_FLAGS)
            self.put(client, "put_public_access_block", PublicAccessBlockConfiguration=block)
        if "object_ownership" in writes:
            rules = [{"ObjectOwnership": writes["object_ownership"]}]
            self.put(client, "put_bucket_ownership_controls", OwnershipControls={"Rules": rules})
        if "policy" in writes:
            self.put(client, "put_bucket_policy", Policy=json.dumps(writes["policy"], sort_keys=True))
        if "tags" in writes:
            tags = writes["tags"]
            if tags:
                tag_set = [{"Key": key, "Value": tags[key]} for key in sorted(tags)]
                self.put(client, "put_bucket_tagging", Tagging={"TagSet": tag_set})
            else:
                # PutBucketTagging replaces the whole set and takes at least one tag: no tag left is a delete.
                self.put(client, "delete_bucket_tagging")
        if "lifecycle_rules" in writes:
            # PutBucketLifecycleConfiguration replaces the whole configuration ("PutBucketLifecycleConfiguration",
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html: "Creates a
            # new lifecycle configuration for the bucket or replaces an existing lifecycle configuration"): the
            # rules of other IDs are sent back as they were read.
            # TransitionDefaultMinimumObjectSize is a parameter of the put, not of the configuration: a put without
            # it sets the default ("all_storage_classes_128K", same page), so the bucket's own is sent back.
            configuration = {"Rules": writes["lifecycle_rules"]}
            more = {}
            if writes.get("transition_default_minimum_object_size"):
                more["TransitionDefaultMinimumObjectSize"] = writes["transition_default_minimum_object_size"]
            self.put(client, "put_bucket_lifecycle_configuration", LifecycleConfiguration=configuration, **more)

    # -- the run -----------------------------------------------------------------------------------

    @staticmethod
    def managed(settings):
        """The settings without what is read only to be sent back (shown and compared: the managed ones)."""
        return dict((key, value) for key, value in settings.items() if key in SETTINGS)

    def shown(self, settings):
        result = {
            "name": self.name,
            # The partition of the client's region, as botocore's endpoint data has it (no computation of our own).
            "arn": "arn:%s:s3:::%s" % (getattr(self.client, "client", self.client).meta.partition, self.name),
            "region": self.region,
        }
        result.update(self.managed(settings))
        result["public_access_block"] = camel_dict_to_snake_dict(settings["public_access_block"])
        return result

    def run(self):
        current = self.read(self.client)
        if current is None:
            after, writes = self.plan(self.blank())
            if self.module.check_mode:
                # Would be created: no further read (there is nothing to read).
                exit_result(self.module, True, {}, self.managed(after), exists=False, bucket=self.shown(after))
            if self.create():
                writes.pop("object_ownership", None)  # set at birth by CreateBucket
                self.apply(self.fresh, writes)
                exit_result(self.module, True, {}, self.managed(after), exists=True, bucket=self.shown(after))
            # Adopted (the answer of our CreateBucket was lost, or BucketAlreadyOwnedByYou): read it and bring
            # it in line like any other; this run made it, so it is changed and shown whole.
            current = self.read(self.fresh)
            if current is None:
                message = "bucket %s: created, but GetBucketVersioning answers NoSuchBucket" % self.name
                self.module.fail_json(msg=message)
            after, writes = self.plan(current)
            self.apply(self.fresh, writes)
            exit_result(self.module, True, {}, self.managed(after), exists=True, bucket=self.shown(after))
        after, writes = self.plan(current)
        if not self.module.check_mode:
            self.apply(self.client, writes)
        diff = changes(self.managed(current), self.managed(after))
        exit_result(self.module, bool(writes), diff["before"], diff["after"], exists=True, bucket=self.shown(after))


def validate(module):
    params = module.params
    problems = []
    if params["encryption"] == "aws:kms" and not params["encryption_key_id"] and not module.check_mode:
        problems.append("encryption aws:kms needs encryption_key_id (the key's ARN)")
    if params["encryption"] != "aws:kms" and params["encryption_key_id"]:
        problems.append("encryption_key_id is for encryption aws:kms only")
    if params["policy"] is not None:
        try:
            json.loads(params["policy"])
        except ValueError as e:
            problems.append("policy is not JSON: %s" % e)
    ids = [rule["id"] for rule in params["lifecycle_rules"] or []]
    for rule_id in sorted(set(rule_id for rule_id in ids if ids.count(rule_id) > 1)):
        problems.append("lifecycle_rules: the ID %s is listed %d times" % (rule_id, ids.count(rule_id)))
    for rule in params["lifecycle_rules"] or []:
        days = [rule[key] for key in RULE_DAYS]
        if all(day is None for day in days):
            problems.append("lifecycle_rules %s: give at least one of the *_days" % rule["id"])
        if any(day is not None and day < 1 for day in days):
            problems.append("lifecycle_rules %s: days must be positive integers" % rule["id"])
    if problems:
        module.fail_json(msg="; ".join(problems))


def main():
    flag = dict(type="bool", default=False)
    rule = dict(
        id=dict(type="str", required=True),
        status=dict(type="str", default="enabled", choices=["enabled", "disabled"]),
        prefix=dict(type="str", default=""),
        expiration_days=dict(type="int"),
        noncurrent_version_expiration_days=dict(type="int"),
        abort_incomplete_multipart_upload_days=dict(type="int"),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        versioning=dict(type="bool"),
        encryption=dict(type="str", choices=["AES256", "aws:kms"]),
        encryption_key_id=dict(type="str"),
        bucket_key_enabled=dict(type="bool", default=False),
        public_access=dict(
            type="dict",
            options=dict(
                block_public_acls=flag,
                ignore_public_acls=flag,
                block_public_policy=flag,
                restrict_public_buckets=flag,
            ),
        ),
        object_ownership=dict(type="str", choices=["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]),
        policy=dict(type="json"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        lifecycle_rules=dict(type="list", elements="dict", options=rule),
        wait_timeout=dict(type="int", default=120),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    Bucket(module).run()


if __name__ == "__main__":
    main()
