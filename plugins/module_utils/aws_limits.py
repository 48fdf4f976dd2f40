# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS's limits on what the collection sends, read from botocore's service models.

Every rule names the API parameter it guards: (service, operation, member), where member is a path
into the operation's input (``Tags[].Key`` a list's member, ``tags{k}``/``tags{v}`` a map's key or
value, ``HealthCheckConfig.ResourcePath`` a structure's member) or ``shape:<Name>`` a named shape of
the model. Its ``min``, ``max`` and ``pattern`` come from that shape
(``botocore.session.get_session().get_service_model(service)``), so the next SDK update updates
them. Where the model lacks a limit AWS documents, the rule carries a constant with the page that
says it (``DOCUMENTED``), and a unit test proves the model still lacks it.

The models' patterns are Java regular expressions (``\\p{L}``, ``\\p{Z}``, ``\\p{N}``: Unicode
letters, separators, numbers); ``java_regex`` translates them for Python's ``re`` with the Unicode
categories of ``unicodedata`` (no third-party regex module), and AWS matches the whole value.

Preflight (plugins/filter/preflight.py) checks the inventory with these rules, and
tests/unit/roles/test_limits_coverage.py proves that every tag, name and description the roles send
goes through one of them (``COVERAGE``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import re
import sys
import unicodedata
from collections import namedtuple


class Limit(
    namedtuple("Limit", ["service", "label", "operation", "member", "shape", "min", "max", "pattern", "form", "source"])
):
    """One rule: what AWS accepts for one API parameter. ``pattern`` is the model's (Java), ``form`` a
    documented one (Python) the model lacks; ``source`` says where the limits come from: "model"
    and/or the AWS page that documents what the model lacks."""

    __slots__ = ()

    def describe(self, with_shape=True, with_pattern=False):
        """The service and the rule with its limits: "CloudWatch Logs (TagValue, max 256)"."""
        terms = self.terms(with_shape, with_pattern)
        return "%s (%s)" % (self.label, terms) if terms else self.label

    def terms(self, with_shape=True, with_pattern=False):
        """The rule with its limits: "TagValue, max 256" (and the pattern, the documented form)."""
        parts = []
        if with_shape and self.shape:
            parts.append(self.shape)
        if self.min and self.max is not None:
            parts.append("%d to %d" % (self.min, self.max))
        elif self.max is not None:
            parts.append("max %d" % self.max)
        elif self.min:
            parts.append("min %d" % self.min)
        if with_pattern and self.pattern:
            parts.append("pattern %s" % self.pattern)
        if with_pattern and self.form:
            parts.append("form %s" % self.form)
        return ", ".join(parts)

    def length_problem(self, value):
        """Why the length of `value` is refused ("has 300 characters"), or None."""
        length = len(value)
        if self.max is not None and length > self.max:
            return "has %d characters" % length
        if self.min and length < self.min:
            return "has %d characters" % length if length else "is empty"
        return None

    def number_problem(self, value):
        """Whether the whole number `value` is outside the model's min..max."""
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)

    def bad_characters(self, value):
        """The characters of `value` that a pattern made of one character class refuses (sorted), or
        None when the pattern is not of that kind or every character is accepted."""
        body = _class_pattern(self.pattern) if self.pattern else None
        if body is None:
            return None
        regex = java_regex(body)
        bad = sorted(set(char for char in value if not regex.fullmatch(char)))
        return bad or None

    def form_problem(self, value):
        """Whether `value` breaks the model's pattern as a whole, or the documented form."""
        if self.pattern and not java_regex(self.pattern).fullmatch(value):
            return True
        return bool(self.form) and re.fullmatch(self.form, value) is None

    def refuses(self, value):
        return bool(self.length_problem(value) or self.bad_characters(value) or self.form_problem(value))


# A pattern that is one character class repeated (optionally in ^( ... )$): each character is
# checked alone, so a message can name the characters refused.
_CLASS_PATTERN = re.compile(r"^\^?\(?(\[(?:\\.|[^\]\\])*\])[*+]\)?\$?$")


def _class_pattern(pattern):
    """The character class of a class-repeat pattern ("[...]"), or None."""
    match = _CLASS_PATTERN.match(pattern)
    return match.group(1) if match else None


# --- The models -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def service_model(service):
    """botocore's model of `service` (shipped with the SDK: no API call)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def member_shape(service, operation, member):
    """The shape of `member` in the input of `operation` (see the module's docstring for the path)."""
    model = service_model(service)
    if member.startswith("shape:"):
        return model.shape_for(member[len("shape:") :])
    shape = model.operation_model(operation).input_shape
    for part in member.split("."):
        suffix = None
        for ending in ("[]", "{k}", "{v}"):
            if part.endswith(ending):
                part, suffix = part[: -len(ending)], ending
        if part:
            shape = shape.members[part]
        if suffix == "[]":
            shape = shape.member
        elif suffix == "{k}":
            shape = shape.key
        elif suffix == "{v}":
            shape = shape.value
    return shape


def model_limits(service, operation, member):
    """(min, max, pattern, shape name) of a member, as its model has them (None where it has none)."""
    shape = member_shape(service, operation, member)
    metadata = shape.metadata
    return metadata.get("min"), metadata.get("max"), metadata.get("pattern"), shape.name


def model_documentation(service, operation, member):
    """The text the model documents a member with (tags removed)."""
    return re.sub(r"<[^>]+>", "", member_shape(service, operation, member).documentation or "")


# --- Java patterns in Python ----------------------------------------------------------------------

_PROPERTY = re.compile(r"\\([pP])\{(\w+)\}")


@functools.lru_cache(maxsize=None)
def _category_ranges(category):
    """The code points whose Unicode general category starts with `category` (L, Z, N, Lu ...), as
    the body of a character class for re."""
    ranges = []
    start = previous = None
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith(category):
            if start is None:
                start = code
            elif code != previous + 1:
                ranges.append((start, previous))
                start = code
            previous = code
    if start is not None:
        ranges.append((start, previous))
    return "".join("\\U%08x" % low if low == high else "\\U%08x-\\U%08x" % (low, high) for low, high in ranges)


def _translate(pattern):
    """The Java pattern as a Python one: \\p{X} becomes the Unicode category X's code points."""
    out = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            match = _PROPERTY.match(pattern, index)
            if match:
                negated, category = match.group(1) == "P", match.group(2)
                if len(category) > 2 or not category[0].isupper():
                    raise ValueError("unsupported property \\%s{%s} in %r" % (match.group(1), category, pattern))
                if negated and in_class:
                    raise ValueError("unsupported \\P{...} inside a character class in %r" % pattern)
                body = _category_ranges(category)
                out.append(body if in_class else ("[^%s]" if negated else "[%s]") % body)
                index = match.end()
                continue
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            if pattern[index + 1 : index + 2] == "^":
                out.append("^")
                index += 1
            index += 1
            continue
        if char == "[" and in_class:
            raise ValueError("unsupported nested character class in %r" % pattern)
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


@functools.lru_cache(maxsize=None)
def java_regex(pattern):
    """A compiled Python regex that matches what the Java pattern of a model matches. ASCII: Java's
    \\w, \\d and \\s are ASCII unless UNICODE_CHARACTER_CLASS is set (java.util.regex.Pattern)."""
    return re.compile(_translate(pattern), re.ASCII)


# --- What the model lacks, from AWS's pages -------------------------------------------------------

Documented = namedtuple("Documented", ["min", "max", "pattern", "url", "title", "lacks"])

# The general limit on tags per resource ("The maximum number of tags per resource is 50", "The
# reserved prefix is aws:"): AWS Billing user guide, "User-defined tag restrictions",
# https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html
TAGS_PER_RESOURCE = (
    "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html",
    "User-defined tag restrictions - AWS Billing",
)

# The pages (address, title) of what the models lack.
EC2_TAGS = (
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions",
    "Tag your Amazon EC2 resources",
)
S3_TAGS = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/CostAllocTagging.html",
    "Using cost allocation S3 bucket tags - Amazon Simple Storage Service",
)
ROUTE53_QUOTAS = (
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html",
    "Quotas - Amazon Route 53",
)
ROUTE53_TAG = ("https://docs.aws.amazon.com/Route53/latest/APIReference/API_Tag.html", "Tag - Amazon Route 53")
ELB_LB = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
    "CreateLoadBalancer - Elastic Load Balancing",
)
ELB_TG = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
    "CreateTargetGroup - Elastic Load Balancing",
)
S3_BUCKETS = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    "General purpose bucket naming rules - Amazon Simple Storage Service",
)
SNS_TOPIC = (
    "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    "CreateTopic - Amazon Simple Notification Service",
)
DASHBOARD = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    "PutDashboard - Amazon CloudWatch",
)
EC2_SG = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    "CreateSecurityGroup - Amazon Elastic Compute Cloud",
)
LAMBDA_FUNCTION = (
    "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
    "CreateFunction - AWS Lambda",
)
KMS_ALIAS = (
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    "CreateAlias - AWS Key Management Service",
)

# The characters CreateSecurityGroup takes in a name or a description.
_SG_CHARACTERS = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+"
_BUCKET = (
    r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3)$)"
    r"[a-z0-9][a-z0-9.-]*[a-z0-9]"
)
_ELB_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_ALL = ("min", "max", "pattern")

# Each: (service, operation, member) -> Documented(min, max, form, url, title, lacks), `lacks` the
# model attributes absent from the shape (a test fails, saying to use the model, the day one appears).
DOCUMENTED = {
    # EC2 "Tag restrictions": 50 tags per resource; key 128, value 256 Unicode characters; "EC2
    # allows for any character in its tags".
    ("ec2", "CreateTags", "Tags"): Documented(None, 50, None, *EC2_TAGS, lacks=("max",)),
    ("ec2", "CreateTags", "Tags[].Key"): Documented(1, 128, None, *EC2_TAGS, lacks=("min", "max")),
    ("ec2", "CreateTags", "Tags[].Value"): Documented(None, 256, None, *EC2_TAGS, lacks=("max",)),
    # S3: "You can associate up to 50 tags with a bucket"; key up to 128, value up to 256 Unicode characters.
    ("s3", "PutBucketTagging", "Tagging.TagSet"): Documented(None, 50, None, *S3_TAGS, lacks=("max",)),
    ("s3", "PutBucketTagging", "Tagging.TagSet[].Key"): Documented(1, 128, None, *S3_TAGS, lacks=("max",)),
    ("s3", "PutBucketTagging", "Tagging.TagSet[].Value"): Documented(None, 256, None, *S3_TAGS, lacks=("max",)),
    # Route53: at most 10 tags on a health check or a hosted zone (Quotas, "Tags"); the model says
    # 10 per ChangeTagsForResource request only (which amazon.aws and tagging.py chunk by).
    ("route53", "ChangeTagsForResource", "AddTags"): Documented(None, 10, None, *ROUTE53_QUOTAS, lacks=()),
    # A Route53 tag key is required (the model has only its max).
    ("route53", "ChangeTagsForResource", "AddTags[].Key"): Documented(1, None, None, *ROUTE53_TAG, lacks=("min",)),
    # ELBv2 (the same text is in the model's documentation, not in its constraints): "can have a
    # maximum of 32 characters, must contain only alphanumeric characters or hyphens, must not begin
    # or end with a hyphen, and must not begin with "internal-"".
    ("elbv2", "CreateLoadBalancer", "Name"): Documented(1, 32, "(?!internal-)" + _ELB_NAME, *ELB_LB, lacks=_ALL),
    ("elbv2", "CreateTargetGroup", "Name"): Documented(1, 32, _ELB_NAME, *ELB_TG, lacks=_ALL),
    # S3 "General purpose bucket naming rules": 3 to 63 characters; lower-case letters, numbers,
    # dots and hyphens; begin and end with a letter or number; no two adjacent periods; not an IP
    # address; not starting with xn--, sthree- or amzn-s3-demo-; not ending with -s3alias, --ol-s3,
    # .mrap or --x-s3.
    ("s3", "CreateBucket", "Bucket"): Documented(3, 63, _BUCKET, *S3_BUCKETS, lacks=_ALL),
    # SNS CreateTopic: "Topic names must be made up of only uppercase and lowercase ASCII letters,
    # numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
    ("sns", "CreateTopic", "Name"): Documented(1, 256, r"[A-Za-z0-9_-]+", *SNS_TOPIC, lacks=_ALL),
    # PutDashboard: "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"."
    ("cloudwatch", "PutDashboard", "DashboardName"): Documented(1, 255, r"[A-Za-z0-9_-]+", *DASHBOARD, lacks=_ALL),
    # CreateSecurityGroup: "Up to 255 characters in length. Can't start with sg-. Valid characters:
    # a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (the description: the same, may start with sg-).
    ("ec2", "CreateSecurityGroup", "GroupName"): Documented(1, 255, "(?!sg-)" + _SG_CHARACTERS, *EC2_SG, lacks=_ALL),
    ("ec2", "CreateSecurityGroup", "Description"): Documented(1, 255, _SG_CHARACTERS, *EC2_SG, lacks=_ALL),
    # CreateFunction, FunctionName: "The length constraint applies only to the full ARN. If you
    # specify only the function name, it is limited to 64 characters in length." (the model's max,
    # 140, is the ARN's; its pattern stays the model's).
    ("lambda", "CreateFunction", "FunctionName"): Documented(1, 64, None, *LAMBDA_FUNCTION, lacks=()),
    # CreateAlias: "This value must begin with alias/ followed by a name ... The alias name cannot
    # begin with alias/aws/." (the length and characters are the model's).
    ("kms", "CreateAlias", "AliasName"): Documented(None, None, r"alias/(?!aws/).+", *KMS_ALIAS, lacks=()),
}

# The general 50 tags per resource, for the tag APIs whose model has no count.
for _service, _operation, _member in (
    ("kms", "TagResource", "Tags"),
    ("dynamodb", "TagResource", "Tags"),
    ("elbv2", "AddTags", "Tags"),
    ("sns", "TagResource", "Tags"),
    ("lambda", "TagResource", "Tags"),
    ("events", "TagResource", "Tags"),
    ("cloudwatch", "TagResource", "Tags"),
):
    DOCUMENTED[(_service, _operation, _member)] = Documented(None, 50, None, *TAGS_PER_RESOURCE, lacks=("max",))


@functools.lru_cache(maxsize=None)
def limit(service, label, operation, member):
    """The Limit of one member: the model's min, max and pattern; a documented one where the model
    has none (a documented form is checked besides the model's pattern: both must match)."""
    low, high, pattern, shape = model_limits(service, operation, member)
    documented = DOCUMENTED.get((service, operation, member))
    sources = ["model"] if (low is not None or high is not None or pattern) else []
    if documented is not None:
        if documented.min is not None and (low is None or documented.min > low):
            low = documented.min
        if documented.max is not None and (high is None or documented.max < high):
            high = documented.max
        sources.append("%s (%s)" % (documented.title, documented.url))
    form = documented.pattern if documented is not None else None
    return Limit(service, label, operation, member, shape, low, high, pattern, form, "; ".join(sources))


# --- Tags -----------------------------------------------------------------------------------------

TagApi = namedtuple("TagApi", ["service", "label", "operation", "key", "value", "count"])

# The call each tag of the collection goes through (the modules' and amazon.aws's): the key, the
# value and the list (or map) that carries them.
TAG_APIS = {
    "ec2": TagApi("ec2", "EC2", "CreateTags", "Tags[].Key", "Tags[].Value", "Tags"),
    "kms": TagApi("kms", "KMS", "TagResource", "Tags[].TagKey", "Tags[].TagValue", "Tags"),
    "dynamodb": TagApi("dynamodb", "DynamoDB", "TagResource", "Tags[].Key", "Tags[].Value", "Tags"),
    "s3": TagApi("s3", "S3", "PutBucketTagging", "Tagging.TagSet[].Key", "Tagging.TagSet[].Value", "Tagging.TagSet"),
    "elbv2": TagApi("elbv2", "ELBv2", "AddTags", "Tags[].Key", "Tags[].Value", "Tags"),
    "acm": TagApi("acm", "ACM", "AddTagsToCertificate", "Tags[].Key", "Tags[].Value", "Tags"),
    "route53": TagApi("route53", "Route53", "ChangeTagsForResource", "AddTags[].Key", "AddTags[].Value", "AddTags"),
    "sns": TagApi("sns", "SNS", "TagResource", "Tags[].Key", "Tags[].Value", "Tags"),
    "lambda": TagApi("lambda", "Lambda", "TagResource", "Tags{k}", "Tags{v}", "Tags"),
    "events": TagApi("events", "EventBridge", "TagResource", "Tags[].Key", "Tags[].Value", "Tags"),
    "cloudwatch": TagApi("cloudwatch", "CloudWatch", "TagResource", "Tags[].Key", "Tags[].Value", "Tags"),
    # finproc.dr.cloudwatch_log_groups tags with CreateLogGroup and TagResource (same shapes).
    "logs": TagApi("logs", "CloudWatch Logs", "TagResource", "tags{k}", "tags{v}", "tags"),
    "iam": TagApi("iam", "IAM", "TagRole", "Tags[].Key", "Tags[].Value", "Tags"),
}

# Services that refuse two tag keys of a resource differing only in case (the models cannot say it):
# "Although tag keys are case sensitive, IAM has additional validations for IAM resources to prevent
# the application of tag keys that only differ in casing" ("What is Tag Editor?", Tagging AWS
# Resources and Tag Editor, https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html,
# which refers to "Tags for IAM resources", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html).
CASE_INSENSITIVE_TAG_KEYS = ("iam",)

TagRules = namedtuple("TagRules", ["key", "value", "count"])


@functools.lru_cache(maxsize=None)
def tag_rules(service):
    """The key, value and count Limits of `service`'s tags."""
    api = TAG_APIS[service]
    return TagRules(
        limit(service, api.label, api.operation, api.key),
        limit(service, api.label, api.operation, api.value),
        limit(service, api.label, api.operation, api.count),
    )


# --- Names, descriptions, paths and numbers -------------------------------------------------------

# Each rule by the name preflight and the coverage table use: (service, label, operation, member).
RULES = {
    "kms_alias": ("kms", "KMS", "CreateAlias", "AliasName"),
    "kms_description": ("kms", "KMS", "CreateKey", "Description"),
    # The model's TableName shape (3 to 255 of [a-zA-Z0-9_.-]); CreateTable's member also takes an ARN.
    "dynamodb_table": ("dynamodb", "DynamoDB", "CreateTable", "shape:TableName"),
    "dynamodb_attribute": ("dynamodb", "DynamoDB", "CreateTable", "AttributeDefinitions[].AttributeName"),
    "s3_bucket": ("s3", "S3", "CreateBucket", "Bucket"),
    "iam_role": ("iam", "IAM", "CreateRole", "RoleName"),
    "iam_role_description": ("iam", "IAM", "CreateRole", "Description"),
    "iam_policy": ("iam", "IAM", "PutRolePolicy", "PolicyName"),
    "log_group": ("logs", "CloudWatch Logs", "CreateLogGroup", "logGroupName"),
    "lambda_function": ("lambda", "Lambda", "CreateFunction", "FunctionName"),
    "lambda_description": ("lambda", "Lambda", "CreateFunction", "Description"),
    "lambda_timeout": ("lambda", "Lambda", "CreateFunction", "Timeout"),
    "lambda_memory": ("lambda", "Lambda", "CreateFunction", "MemorySize"),
    "events_rule": ("events", "EventBridge", "PutRule", "Name"),
    "events_rule_description": ("events", "EventBridge", "PutRule", "Description"),
    "alarm": ("cloudwatch", "CloudWatch", "PutMetricAlarm", "AlarmName"),
    "alarm_description": ("cloudwatch", "CloudWatch", "PutMetricAlarm", "AlarmDescription"),
    "metric_namespace": ("cloudwatch", "CloudWatch", "PutMetricAlarm", "Namespace"),
    "dashboard": ("cloudwatch", "CloudWatch", "PutDashboard", "DashboardName"),
    "sns_topic": ("sns", "SNS", "CreateTopic", "Name"),
    "load_balancer": ("elbv2", "ELBv2", "CreateLoadBalancer", "Name"),
    "target_group": ("elbv2", "ELBv2", "CreateTargetGroup", "Name"),
    "target_group_port": ("elbv2", "ELBv2", "CreateTargetGroup", "Port"),
    "target_group_health_check_path": ("elbv2", "ELBv2", "CreateTargetGroup", "HealthCheckPath"),
    "target_group_health_check_interval": ("elbv2", "ELBv2", "CreateTargetGroup", "HealthCheckIntervalSeconds"),
    "target_group_health_check_timeout": ("elbv2", "ELBv2", "CreateTargetGroup", "HealthCheckTimeoutSeconds"),
    "target_group_healthy_threshold": ("elbv2", "ELBv2", "CreateTargetGroup", "HealthyThresholdCount"),
    "target_group_unhealthy_threshold": ("elbv2", "ELBv2", "CreateTargetGroup", "UnhealthyThresholdCount"),
    "security_group": ("ec2", "EC2", "CreateSecurityGroup", "GroupName"),
    "security_group_description": ("ec2", "EC2", "CreateSecurityGroup", "Description"),
    "certificate_domain": ("acm", "ACM", "RequestCertificate", "DomainName"),
    "hosted_zone_comment": ("route53", "Route53", "CreateHostedZone", "HostedZoneConfig.Comment"),
    "record_name": ("route53", "Route53", "ChangeResourceRecordSets", "ChangeBatch.Changes[].ResourceRecordSet.Name"),
    "health_check_path": ("route53", "Route53", "CreateHealthCheck", "HealthCheckConfig.ResourcePath"),
    "health_check_failure_threshold": ("route53", "Route53", "CreateHealthCheck", "HealthCheckConfig.FailureThreshold"),
    "health_check_interval": ("route53", "Route53", "CreateHealthCheck", "HealthCheckConfig.RequestInterval"),
}


def rule(name):
    """The Limit of a rule of RULES."""
    return limit(*RULES[name])


# Route53 health checks run every 10 or every 30 seconds (the model has the range 10 to 30):
# "RequestInterval ... you can't change the value of RequestInterval after you create a health
# check ... 10 or 30" (CreateHealthCheck's HealthCheckConfig, "HealthCheckConfig - Amazon Route 53",
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
HEALTH_CHECK_INTERVALS = (10, 30)


@functools.lru_cache(maxsize=None)
def log_retention_days():
    """The retentions CloudWatch Logs accepts, read from the model's documentation of
    PutRetentionPolicy's retentionInDays ("Possible values are: 1, 3, 5, ... and 3653."): its shape
    (Days, an integer) has no enum."""
    text = model_documentation("logs", "PutRetentionPolicy", "retentionInDays")
    found = re.search(r"Possible values are:\s*([0-9,\sand]+)\.", text)
    if not found:
        raise ValueError("the Logs model no longer lists the retentions of PutRetentionPolicy: %r" % text[:200])
    return tuple(int(days) for days in re.findall(r"\d+", found.group(1)))


@functools.lru_cache(maxsize=None)
def load_balancer_attribute_range(attribute):
    """(low, high) of a load balancer attribute, read from the model's documentation of
    ModifyLoadBalancerAttributes' attribute keys ("idle_timeout.timeout_seconds - The idle timeout
    value, in seconds. The valid range is 1-4000 seconds."): an attribute's value is a string (no
    min or max in the model)."""
    text = model_documentation("elbv2", "ModifyLoadBalancerAttributes", "Attributes[].Key")
    found = re.search(r"%s - [^-]*?The valid range is (\d+)-(\d+)" % re.escape(attribute), text)
    if not found:
        raise ValueError("the ELBv2 model no longer documents the range of %s: %r" % (attribute, text[:200]))
    return int(found.group(1)), int(found.group(2))


# --- Coverage: every module parameter the roles send a tag, name or description through ----------

# (module, parameter) -> a tag API (service of TAG_APIS, as "tags:<service>") or a rule of RULES.
# tests/unit/roles/test_limits_coverage.py walks the roles' tasks and fails on a parameter missing here.
COVERAGE = {
    ("amazon.aws.ec2_vpc_net", "tags"): "tags:ec2",
    ("amazon.aws.ec2_vpc_net", "name"): "tags:ec2",  # the VPC's Name tag
    ("finproc.dr.ec2_vpc", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc", "name"): "tags:ec2",  # the VPC's Name tag
    ("finproc.dr.ec2_vpc", "internet_gateway"): "tags:ec2",  # the gateway's name (its Name tag) and tags
    ("finproc.dr.ec2_vpc_subnets", "subnets"): "tags:ec2",  # each subnet's tags
    ("amazon.aws.ec2_vpc_igw", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc_nat_gateways", "gateways"): "tags:ec2",  # each gateway's (and EIP's) tags
    ("amazon.aws.ec2_vpc_route_table", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc_route_tables", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc_route_tables", "route_tables"): "tags:ec2",  # each table's name (its Name tag) and tags
    ("amazon.aws.ec2_security_group", "tags"): "tags:ec2",
    ("amazon.aws.ec2_security_group", "name"): "security_group",
    ("amazon.aws.ec2_security_group", "description"): "security_group_description",
    # Each group of its `groups` list (the walker reads each as the arguments of one group).
    ("finproc.dr.ec2_security_groups", "tags"): "tags:ec2",
    ("finproc.dr.ec2_security_groups", "name"): "security_group",
    ("finproc.dr.ec2_security_groups", "description"): "security_group_description",
    ("amazon.aws.ec2_vpc_endpoint", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc_endpoints", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc_endpoints", "endpoints"): "tags:ec2",  # each endpoint's own tags (its Name)
    ("finproc.dr.ec2_vpc_flow_log", "tags"): "tags:ec2",
    ("finproc.dr.ec2_vpc_flow_log", "log_group_name"): "log_group",
    ("amazon.aws.cloudwatchlogs_log_group", "tags"): "tags:logs",
    ("amazon.aws.cloudwatchlogs_log_group", "log_group_name"): "log_group",
    # Each group of finproc.dr.cloudwatch_log_groups' `groups` list (the walker reads each as one group).
    ("finproc.dr.cloudwatch_log_groups", "tags"): "tags:logs",
    ("finproc.dr.cloudwatch_log_groups", "name"): "log_group",
    ("amazon.aws.iam_role", "tags"): "tags:iam",
    ("amazon.aws.iam_role", "name"): "iam_role",
    ("amazon.aws.iam_role", "description"): "iam_role_description",
    ("amazon.aws.iam_policy", "iam_name"): "iam_role",
    ("amazon.aws.iam_policy", "policy_name"): "iam_policy",
    ("finproc.dr.dynamodb_global_table", "tags"): "tags:dynamodb",
    ("finproc.dr.dynamodb_global_table", "name"): "dynamodb_table",
    ("finproc.dr.dynamodb_global_table", "hash_key_name"): "dynamodb_attribute",
    ("finproc.dr.dynamodb_global_table", "range_key_name"): "dynamodb_attribute",
    ("finproc.dr.iam_role", "tags"): "tags:iam",
    ("finproc.dr.iam_role", "name"): "iam_role",
    ("finproc.dr.iam_role", "description"): "iam_role_description",
    ("finproc.dr.iam_role", "inline_policies"): "iam_policy",  # each key: PutRolePolicy's PolicyName
    ("amazon.aws.s3_bucket", "tags"): "tags:s3",
    ("amazon.aws.s3_bucket", "name"): "s3_bucket",
    ("finproc.dr.s3_bucket", "tags"): "tags:s3",
    ("finproc.dr.s3_bucket", "name"): "s3_bucket",
    ("finproc.dr.acm_certificate", "tags"): "tags:acm",
    ("finproc.dr.acm_certificate", "name"): "tags:acm",  # the certificate's Name tag
    ("finproc.dr.acm_certificate", "domain_name"): "certificate_domain",
    ("finproc.dr.elb_target_group", "tags"): "tags:elbv2",
    ("finproc.dr.elb_target_group", "name"): "target_group",
    ("amazon.aws.elb_application_lb", "tags"): "tags:elbv2",
    ("amazon.aws.elb_application_lb", "name"): "load_balancer",
    ("amazon.aws.route53_zone", "tags"): "tags:route53",
    ("amazon.aws.route53_zone", "comment"): "hosted_zone_comment",
    ("amazon.aws.route53_health_check", "tags"): "tags:route53",
    ("amazon.aws.route53_health_check", "health_check_name"): "tags:route53",  # its Name tag
    # Its CallerReference is the name's first 14 characters and 50 more (HealthCheckNonce: max 64, read
    # from the model by the module).
    ("finproc.dr.route53_health_check", "tags"): "tags:route53",
    ("finproc.dr.route53_health_check", "name"): "tags:route53",  # its Name tag
    ("finproc.dr.sns_topic", "tags"): "tags:sns",
    ("finproc.dr.sns_topic", "name"): "sns_topic",
    ("finproc.dr.cloudwatch_metric_alarms", "tags"): "tags:cloudwatch",
    ("finproc.dr.cloudwatch_metric_alarms", "alarms"): "alarm",  # each alarm's name
    ("finproc.dr.cloudwatch_dashboard", "tags"): "tags:cloudwatch",
    ("finproc.dr.cloudwatch_dashboard", "name"): "dashboard",
    ("finproc.dr.lambda_function", "tags"): "tags:lambda",
    ("finproc.dr.lambda_function", "name"): "lambda_function",
    ("finproc.dr.lambda_function", "description"): "lambda_description",
    ("finproc.dr.lambda_function", "log_group"): "log_group",
    ("finproc.dr.lambda_schedule", "tags"): "tags:events",
    ("finproc.dr.lambda_schedule", "name"): "events_rule",
    ("finproc.dr.lambda_schedule", "description"): "events_rule_description",
    # The failover drill's canary item and the record it resolves.
    ("finproc.dr.failover_probe", "table_name"): "dynamodb_table",
    ("finproc.dr.failover_probe", "key_name"): "dynamodb_attribute",
    ("finproc.dr.failover_probe", "record_name"): "record_name",
}


# finproc.dr.kms_key takes amazon.aws.kms_key's parameters (the roles use one or the other).
for _module in ("amazon.aws.kms_key", "finproc.dr.kms_key"):
    COVERAGE.update({(_module, "tags"): "tags:kms", (_module, "alias"): "kms_alias",
                     (_module, "description"): "kms_description"})


def coverage_target(entry):
    """The (service, operation, member) triples an entry of COVERAGE stands on."""
    if entry.startswith("tags:"):
        api = TAG_APIS[entry[len("tags:") :]]
        return [
            (api.service, api.operation, api.key),
            (api.service, api.operation, api.value),
            (api.service, api.operation, api.count),
        ]
    service, _label, operation, member = RULES[entry]
    return [(service, operation, member)]
