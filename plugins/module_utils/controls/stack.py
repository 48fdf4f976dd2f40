# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The live state of one region of the stack (stack.Stack), read lazily, each call made once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.access_paths import (
    TABLE_SUFFIX, alb_log_bucket_name, derived_names)
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client, paginate
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.tagging import TAG_READERS
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import (
    STACK_TAG, Missing, chunks, normalized_name)

# Route53 ListTagsForResources takes 10 IDs a call.
ROUTE53_TAG_CHUNK = 10


class Stack(object):
    """The live state of one region of the stack, read lazily, each call made once."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.region = module.region
        self.prefix = module.params["name_prefix"]
        self.peers = module.params["peers"]
        self.primary_region = [p["region"] for p in self.peers if p["dr_role"] == "primary"][0]
        self.is_primary = module.params["dr_role"] == "primary"
        self.other_regions = [p["region"] for p in self.peers if p["region"] != self.region]
        # Every expected name is a parameter (verify.yml passes the roles' own settings); the
        # names the roles derive in their vars/main.yml (no setting changes them) come from
        # access_paths.derived_names, which the access-path table uses as well.
        self.alias = "alias/" + (module.params["key_alias"] or self.prefix)
        self._cache = {}
        self.account_id, self.partition = self.caller()
        self.bucket_name = self.bucket_of(self.region)
        self.table_name = module.params["table_name"] or self.prefix + TABLE_SUFFIX
        names = derived_names(self.prefix)
        self.alb_name = names["alb"]
        self.target_group_name = names["target_group"]
        self.function_name = names["function"]
        self.rule_name = names["rule"]
        self.topic_name = names["monitoring_topic"]
        self.dns_topic_name = names["dns_topic"]
        self.alarm_prefix = "%s-%s-monitor-" % (self.prefix, self.region)
        self.flow_log_group = names["flow_log_group"]
        self.function_log_group = "/aws/lambda/" + self.function_name
        # Each log group with the retention its role gives it (monitoring: the function's and the
        # application's; network: the flow logs').
        retention = module.params["log_retention_days"]
        flow_retention = module.params["flow_log_retention_days"] or retention
        self.log_group_retention = dict([(self.function_log_group, retention),
                                         (module.params["application_log_group"], retention),
                                         (self.flow_log_group, flow_retention)])
        self.log_groups = [self.function_log_group, module.params["application_log_group"], self.flow_log_group]
        # The area of each log group (the role that makes it: runner.RESOURCE_AREAS).
        self.log_group_areas = dict([(self.function_log_group, "monitoring"),
                                     (module.params["application_log_group"], "monitoring"),
                                     (self.flow_log_group, "network")])
        self.health_check_name = "%s-%s" % (self.prefix, self.region)
        self.service_name = self.params["service_name"] or "api." + self.params["zone_name"]
        self.wanted_tags = dict((k, str(v)) for k, v in self.params["required_tags"].items())
        self.wanted_tags[STACK_TAG] = self.prefix

    # -- plumbing --------------------------------------------------------------------------------
    def client(self, service, region=None):
        return aws_client(self.module, service, region=region or self.region)

    def cached(self, key, read):
        """`read()` once per key; its AWS error (or Missing) is kept and raised again for every later caller."""
        if key not in self._cache:
            try:
                self._cache[key] = (True, read())
            except (Missing,) + AWS_ERRORS as e:
                self._cache[key] = (False, e)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def read_or_none(self, key, service, operation, absent, region=None, **params):
        """`operation` of `service` once per `key`; None when AWS answers one of the `absent` codes
        (the resource does not exist), any other error kept and raised again as cached() does."""
        def read():
            try:
                return getattr(self.client(service, region), operation)(aws_retry=True, **params)
            except is_boto3_error_code(absent):
                return None
        return self.cached(key, read)

    def caller(self):
        try:
            identity = self.client("sts").get_caller_identity(aws_retry=True)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="STS GetCallerIdentity failed (credentials or endpoint of %s)"
                                      % self.region)
        return identity["Account"], identity["Arn"].split(":")[1]

    def bucket_of(self, region):
        """The data bucket of a region: I(bucket_names), else the data role's default name."""
        return (self.params["bucket_names"] or {}).get(region) or "%s-%s-%s" % (self.prefix, self.account_id, region)

    def alb_log_bucket(self, region=None):
        return alb_log_bucket_name(self.prefix, self.account_id, region or self.region)

    def bucket_arn(self, name):
        return "arn:%s:s3:::%s" % (self.partition, name)

    # -- KMS -------------------------------------------------------------------------------------
    def key(self, region=None):
        """KeyMetadata of alias/<prefix> in `region`; None when the alias does not exist."""
        region = region or self.region
        found = self.read_or_none(("key", region), "kms", "describe_key", "NotFoundException", region, KeyId=self.alias)
        return found["KeyMetadata"] if found else None

    def need_key(self, region=None):
        key = self.key(region)
        if key is None:
            raise Missing("no KMS key has the alias %s in %s" % (self.alias, region or self.region))
        return key

    def key_tags(self):
        key = self.need_key()
        return self.cached(("key-tags",), lambda: boto3_tag_list_to_ansible_dict(
            paginate(self.client("kms"), "list_resource_tags", KeyId=key["Arn"]).get("Tags", []),
            tag_name_key_name="TagKey", tag_value_key_name="TagValue"))

    # -- DynamoDB --------------------------------------------------------------------------------
    def table(self, region=None):
        region = region or self.region
        found = self.read_or_none(("table", region), "dynamodb", "describe_table", "ResourceNotFoundException", region,
                                  TableName=self.table_name)
        return found["Table"] if found else None

    def need_table(self):
        table = self.table()
        if table is None:
            raise Missing("table %s not found in %s" % (self.table_name, self.region))
        return table

    def table_tags(self):
        table = self.need_table()
        return self.cached(("table-tags",), lambda: TAG_READERS["dynamodb"](self.client("dynamodb"), table["TableArn"]))

    # -- S3 --------------------------------------------------------------------------------------
    def bucket_call(self, operation, not_found_codes, **params):
        """An S3 Get of the bucket; None for one of `not_found_codes` (the setting is absent)."""
        def read():
            try:
                return getattr(self.client("s3"), operation)(aws_retry=True, Bucket=self.bucket_name, **params)
            except is_boto3_error_code("NoSuchBucket"):
                raise Missing("bucket %s not found" % self.bucket_name) from None
            except is_boto3_error_code(not_found_codes):  # pylint: disable=duplicate-except
                return None
        return self.cached(("s3", operation), read)

    # -- EC2 -------------------------------------------------------------------------------------
    def vpcs(self):
        return self.cached(("vpcs",), lambda: paginate(
            self.client("ec2"), "describe_vpcs",
            Filters=[{"Name": "tag:" + STACK_TAG, "Values": [self.prefix]}])["Vpcs"])

    def vpc(self):
        vpcs = self.vpcs()
        if len(vpcs) != 1:
            raise Missing("%d VPCs tagged %s=%s in %s, wanted exactly one (%s)"
                          % (len(vpcs), STACK_TAG, self.prefix, self.region,
                             ", ".join(v["VpcId"] for v in vpcs) or "none"))
        return vpcs[0]

    def subnets(self):
        vpc_id = self.vpc()["VpcId"]
        return self.cached(("subnets",), lambda: paginate(
            self.client("ec2"), "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"])

    def security_groups(self):
        """The stack's two groups by name (a missing one is absent)."""
        vpc_id = self.vpc()["VpcId"]
        names = [self.prefix + "-alb", self.prefix + "-app"]
        groups = self.cached(("groups",), lambda: paginate(
            self.client("ec2"), "describe_security_groups",
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": names}],
        )["SecurityGroups"])
        return dict((g["GroupName"], g) for g in groups)

    # -- ELBv2 -----------------------------------------------------------------------------------
    def alb(self):
        found = self.read_or_none(("alb",), "elbv2", "describe_load_balancers", "LoadBalancerNotFound",
                                  Names=[self.alb_name])
        return ((found or {}).get("LoadBalancers") or [None])[0]

    def need_alb(self):
        alb = self.alb()
        if alb is None:
            raise Missing("load balancer %s not found in %s" % (self.alb_name, self.region))
        return alb

    def listeners(self):
        arn = self.need_alb()["LoadBalancerArn"]
        return self.cached(("listeners",), lambda: paginate(
            self.client("elbv2"), "describe_listeners", LoadBalancerArn=arn)["Listeners"])

    def listener_rules(self, listener_arn):
        return self.cached(("rules", listener_arn), lambda: paginate(
            self.client("elbv2"), "describe_rules", ListenerArn=listener_arn)["Rules"])

    def target_group(self):
        found = self.read_or_none(("target-group",), "elbv2", "describe_target_groups", "TargetGroupNotFound",
                                  Names=[self.target_group_name])
        return ((found or {}).get("TargetGroups") or [None])[0]

    def elb_tags(self, arns):
        """Tags of load balancer and target group ARNs, in one DescribeTags."""
        def read():
            described = self.client("elbv2").describe_tags(aws_retry=True, ResourceArns=arns)["TagDescriptions"]
            return dict((d["ResourceArn"], boto3_tag_list_to_ansible_dict(d.get("Tags", []))) for d in described)
        return self.cached(("elb-tags", tuple(arns)), read)

    # -- Route53 ---------------------------------------------------------------------------------
    def health_checks(self):
        """Every health check of the account with its tags: [(check, tags)]."""
        def read():
            route53 = self.client("route53")
            checks = paginate(route53, "list_health_checks")["HealthChecks"]
            tags = {}
            for chunk in chunks([c["Id"] for c in checks], ROUTE53_TAG_CHUNK):
                sets = route53.list_tags_for_resources(aws_retry=True, ResourceType="healthcheck", ResourceIds=chunk)
                for tag_set in sets["ResourceTagSets"]:
                    tags[tag_set["ResourceId"]] = boto3_tag_list_to_ansible_dict(tag_set.get("Tags", []))
            return [(c, tags.get(c["Id"], {})) for c in checks]
        return self.cached(("health-checks",), read)

    def health_check(self):
        """The region's health check (its Name tag) and its tags."""
        found = [(c, t) for c, t in self.health_checks() if t.get("Name") == self.health_check_name]
        if len(found) != 1:
            raise Missing("%d Route53 health checks tagged Name=%s, wanted exactly one%s"
                          % (len(found), self.health_check_name,
                             " (%s)" % ", ".join(c["Id"] for c, _t in found) if found else ""))
        return found[0]

    def zone_id(self):
        def read():
            zones = self.client("route53").list_hosted_zones_by_name(
                aws_retry=True, DNSName=self.params["zone_name"], MaxItems="100")["HostedZones"]
            return [z["Id"].split("/")[-1] for z in zones
                    if normalized_name(z["Name"]) == normalized_name(self.params["zone_name"])
                    and not z.get("Config", {}).get("PrivateZone")]
        zones = self.cached(("zones",), read)
        if len(zones) != 1:
            raise Missing("%d public hosted zones named %s, wanted exactly one"
                          % (len(zones), self.params["zone_name"]))
        return zones[0]

    def service_records(self):
        """Every record set named service_name (any type), read from the name on."""
        zone_id = self.zone_id()

        def read():
            route53 = self.client("route53")
            wanted = normalized_name(self.service_name)
            records = []
            request = {"HostedZoneId": zone_id, "StartRecordName": self.service_name, "MaxItems": "100"}
            while True:
                page = route53.list_resource_record_sets(aws_retry=True, **request)
                sets = page["ResourceRecordSets"]
                records.extend(r for r in sets if normalized_name(r["Name"]) == wanted)
                if not page.get("IsTruncated") or not sets or normalized_name(sets[-1]["Name"]) != wanted:
                    return records
                request = {"HostedZoneId": zone_id, "StartRecordName": page["NextRecordName"], "MaxItems": "100"}
                for token in ("NextRecordType", "NextRecordIdentifier"):
                    if page.get(token):
                        request["Start" + token[len("Next"):]] = page[token]
        return self.cached(("records",), read)

    # -- SNS, CloudWatch -------------------------------------------------------------------------
    def topic_arn(self, name, region):
        return "arn:%s:sns:%s:%s:%s" % (self.partition, region, self.account_id, name)

    def topic_attributes(self, arn, region):
        found = self.read_or_none(("topic", arn), "sns", "get_topic_attributes", ["NotFound", "NotFoundException"],
                                  region, TopicArn=arn)
        return found["Attributes"] if found else None

    def topic_tags(self, arn, region):
        return self.cached(("topic-tags", arn), lambda: TAG_READERS["sns"](self.client("sns", region), arn))

    def monitoring_alarms(self):
        return self.cached(("alarms",), lambda: paginate(
            self.client("cloudwatch"), "describe_alarms", AlarmNamePrefix=self.alarm_prefix)["MetricAlarms"])

    def alarms_named(self, names, region):
        def read():
            found = []
            for chunk in chunks(names, 100):
                found.extend(paginate(self.client("cloudwatch", region), "describe_alarms",
                                      AlarmNames=chunk)["MetricAlarms"])
            return found
        return self.cached(("alarms-named", region, tuple(names)), read)

    def alarm_tags(self, arn):
        return self.cached(("alarm-tags", arn), lambda: TAG_READERS["cloudwatch"](self.client("cloudwatch"), arn))

    # -- Logs ------------------------------------------------------------------------------------
    def log_group(self, name):
        def read():
            groups = paginate(self.client("logs"), "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
            return ([g for g in groups if g["logGroupName"] == name] or [None])[0]
        return self.cached(("log-group", name), read)

    def log_group_tags(self, group):
        arn = group["arn"][:-2] if group["arn"].endswith(":*") else group["arn"]
        return self.cached(("log-group-tags", arn), lambda: TAG_READERS["logs"](self.client("logs"), arn))

    # -- Lambda, EventBridge, IAM ----------------------------------------------------------------
    def function(self):
        return self.read_or_none(("function",), "lambda", "get_function", "ResourceNotFoundException",
                                 FunctionName=self.function_name)

    def need_function(self):
        function = self.function()
        if function is None:
            raise Missing("function %s not found in %s" % (self.function_name, self.region))
        return function

    def rule(self):
        return self.read_or_none(("rule",), "events", "describe_rule", "ResourceNotFoundException",
                                 Name=self.rule_name)

    def need_rule(self):
        rule = self.rule()
        if rule is None:
            raise Missing("EventBridge rule %s not found in %s" % (self.rule_name, self.region))
        return rule

    def rule_targets(self):
        return self.cached(("rule-targets",), lambda: paginate(
            self.client("events"), "list_targets_by_rule", Rule=self.rule_name)["Targets"])

    def rule_tags(self):
        arn = self.need_rule()["Arn"]
        return self.cached(("rule-tags",), lambda: TAG_READERS["events"](self.client("events"), arn))
