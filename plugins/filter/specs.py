# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the roles hand to the collection's modules, built from the roles' settings.

One function per structure, each documented beside this file (<filter name>.yml):
monitor_alarms (the monitoring role's alarms of a region), health_check_alarms (the alarms on the
Route53 health checks), subnet_specs and nat_gateway_specs (the network role's subnets and NAT
gateways). They replace templates that rendered YAML only for the play to parse it back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

# The monitor's alarms look at two of its runs (monitor_alarms).
RUNS_PER_ALARM_PERIOD = 2
# The period of the alarms on AWS metrics (S3, DynamoDB, Lambda) and of the health-check alarms.
AWS_METRIC_PERIOD = 300
HEALTH_CHECK_PERIOD = 60


def _setting(settings, key, filter_name):
    try:
        return settings[key]
    except (KeyError, TypeError):
        raise AnsibleFilterError("%s: the setting %r is missing" % (filter_name, key)) from None


def _whole(value, key, filter_name):
    """A whole number from an int or a string of digits (as Jinja's int filter reads them)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise AnsibleFilterError("%s: %s must be a whole number, got %r" % (filter_name, key, value)) from None


def _number(value, key, filter_name):
    """A threshold as given: an int stays an int, a string of digits becomes one, else a float."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise AnsibleFilterError("%s: %s must be a number, got %r" % (filter_name, key, value)) from None


def _alarm(name, description, namespace, metric_name, dimensions, statistic, period, threshold, comparison,
           treat_missing_data, evaluation_periods=1):
    """One alarm as finproc.dr.cloudwatch_metric_alarms takes it."""
    return {
        "name": name,
        "description": description,
        "namespace": namespace,
        "metric_name": metric_name,
        "dimensions": dimensions,
        "statistic": statistic,
        "period": period,
        "evaluation_periods": evaluation_periods,
        "threshold": threshold,
        "comparison": comparison,
        "treat_missing_data": treat_missing_data,
    }


def monitor_alarms(settings):
    """The alarms of one region's health monitor (roles/monitoring), in the order the role creates them.

    The monitor reports every schedule_seconds: its alarms look at two runs. Missing data (CloudWatch
    user guide, "Configuring how CloudWatch alarms treat missing data",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
    "breaching - Missing data points are treated as 'bad' and breaching the threshold"; "missing - If
    all data points in the alarm evaluation range are missing, the alarm transitions to
    INSUFFICIENT_DATA"; and for "a metric that continually reports data, you might want to treat
    missing data points as breaching, because it might indicate that something is wrong". A metric the
    monitor puts on every run is breaching when it is missing, unless `self` already says why (the
    monitor stopped) and the metric's own alarm would only repeat it.
    """
    name = "monitor_alarms"

    def get(key):
        return _setting(settings, key, name)

    prefix = get("alarm_prefix")
    namespace = get("namespace")
    region = get("region")
    table = get("table_name")
    bucket = get("bucket_name")
    schedule = _whole(get("schedule_seconds"), "schedule_seconds", name)
    rpo = _whole(get("rpo_target_seconds"), "rpo_target_seconds", name)
    s3_latency = _number(get("s3_replication_latency_threshold_seconds"),
                         "s3_replication_latency_threshold_seconds", name)
    period = schedule * RUNS_PER_ALARM_PERIOD
    peers = list(get("peer_regions"))

    alarms = [_alarm(
        prefix + "self",
        "The health monitor of %s reports a configuration error, or has not reported for %d s (not running, "
        "failing, or unable to put metrics)." % (region, period),
        namespace, "ConfigurationError", {"Region": region, "Target": "monitor"},
        "Maximum", period, 1, "GreaterThanOrEqualToThreshold", "breaching")]
    if peers:
        # The monitor puts HeartbeatWriteFailed (0 or 1) on every run that has a table to write to
        # (files/health_check.py; FINPROC_TABLE_NAME is set only with peers, tasks/function.yml).
        alarms.append(_alarm(
            prefix + "heartbeat-write",
            "The health monitor of %s could not write its heartbeat into the table %s here (refused, e.g. by "
            "IAM or the table's KMS key, throttled, or not done in time): replication cannot be measured from "
            "this region. Missing data is left missing: without data the monitor is not reporting at all, which "
            "the alarm %sself already raises (its missing data is breaching)." % (region, table, prefix),
            namespace, "HeartbeatWriteFailed", {"Region": region, "Target": "global-table"},
            "Maximum", period, 1, "GreaterThanOrEqualToThreshold", "missing"))
    for endpoint in get("endpoints"):
        target = endpoint["target"]
        alarms.append(_alarm(
            prefix + ("service-name" if target == "service-name" else "endpoint-" + endpoint["region"]),
            "Seen from %s: %s failed in every check for %d s." % (region, endpoint["url"], period),
            namespace, "EndpointHealthy", {"Region": endpoint["region"], "Target": target},
            "Maximum", period, 1, "LessThanThreshold", "missing"))
    for peer in peers:
        alarms.append(_alarm(
            prefix + "replication-lag-" + peer,
            "A heartbeat written in %s took more than the RPO target (%d s) to appear in the replica in %s (or "
            "had not appeared when the monitor stopped waiting), or no lag was measured for %d s (the heartbeat "
            "write failed, the replica in %s could not be read, or the monitor did not run): an RPO that is not "
            "measured is not met." % (region, rpo, peer, period, peer),
            namespace, "ReplicationLagSeconds", {"Region": peer, "Target": "global-table"},
            "Maximum", period, rpo, "GreaterThanThreshold", "breaching"))
        alarms.append(_alarm(
            prefix + "heartbeat-age-" + peer,
            "The newest heartbeat of %s seen in %s is older than one schedule plus the RPO target (%d s): %s's "
            "monitor is not running or its writes do not replicate here. No age for %d s counts too: no "
            "heartbeat of %s has ever arrived here, or the replica here could not be read."
            % (peer, region, schedule + rpo, peer, period, peer),
            namespace, "HeartbeatAgeSeconds", {"Region": peer, "Target": "global-table"},
            "Minimum", period, schedule + rpo, "GreaterThanThreshold", "breaching"))
        alarms.append(_alarm(
            prefix + "dynamodb-replication-latency-" + peer,
            "DynamoDB reports replication of %s from %s to %s above the RPO target (%d s)."
            % (table, region, peer, rpo),
            "AWS/DynamoDB", "ReplicationLatency", {"TableName": table, "ReceivingRegion": peer},
            "Maximum", AWS_METRIC_PERIOD, rpo * 1000, "GreaterThanThreshold", "missing"))
    for rule in get("bucket_replication_rules"):
        destination = rule["destination"]["bucket"]
        dimensions = {"SourceBucket": bucket, "DestinationBucket": destination, "RuleId": rule["id"]}
        alarms.append(_alarm(
            prefix + "s3-replication-failures-" + rule["id"],
            "S3 failed to replicate objects of %s to %s (rule %s)." % (bucket, destination, rule["id"]),
            "AWS/S3", "OperationsFailedReplication", dict(dimensions),
            "Sum", AWS_METRIC_PERIOD, 0, "GreaterThanThreshold", "notBreaching"))
        alarms.append(_alarm(
            prefix + "s3-replication-latency-" + rule["id"],
            "Objects of %s take longer than Replication Time Control's %s s to reach %s."
            % (bucket, s3_latency, destination),
            "AWS/S3", "ReplicationLatency", dict(dimensions),
            "Maximum", AWS_METRIC_PERIOD, s3_latency, "GreaterThanThreshold", "notBreaching"))
    alarms.append(_alarm(
        prefix + "lambda-errors",
        "The health monitor function %s failed (an error, not a failed check)." % get("function_name"),
        "AWS/Lambda", "Errors", {"FunctionName": get("function_name")},
        "Sum", AWS_METRIC_PERIOD, 0, "GreaterThanThreshold", "notBreaching"))
    return alarms


def health_check_alarms(peers, settings):
    """An alarm on the Route53 health check of every region that has one (roles/dns_failover), each
    notifying the topic on ALARM and OK and carrying its region's Name tag."""
    name = "health_check_alarms"
    prefix = _setting(settings, "name_prefix", name)
    topic_arn = _setting(settings, "topic_arn", name)
    evaluation_periods = _whole(_setting(settings, "evaluation_periods", name), "evaluation_periods", name)
    alarms = []
    for peer in peers:
        if len(peer["health_check_id"]) == 0:
            continue
        alarm = _alarm(
            "%s-%s-endpoint-unhealthy" % (prefix, peer["region"]),
            "Route53 health check %s finds the load balancer of %s unhealthy (%s)."
            % (peer["name"], peer["region"], peer["record"] or "no failover record"),
            "AWS/Route53", "HealthCheckStatus", {"HealthCheckId": peer["health_check_id"]},
            "Minimum", HEALTH_CHECK_PERIOD, 1.0, "LessThanThreshold", "breaching",
            evaluation_periods=evaluation_periods)
        alarm.update(alarm_actions=[topic_arn], ok_actions=[topic_arn],
                     tags={"Name": "%s endpoint health" % peer["region"]})
        alarms.append(alarm)
    return alarms


def subnet_specs(settings):
    """The subnets of a region as finproc.dr.ec2_vpc_subnets takes them (roles/network): the public ones
    first, then the private ones, one of each per AZ, in the order of azs."""
    name = "subnet_specs"
    azs = _setting(settings, "azs", name)
    prefix = _setting(settings, "name_prefix", name)
    tags = _setting(settings, "tags", name)
    subnets = []
    for tier in ("public", "private"):
        cidrs = _setting(settings, tier + "_subnet_cidrs", name)
        if len(cidrs) < len(azs):
            raise AnsibleFilterError("%s: %d %s subnet CIDRs for %d AZs" % (name, len(cidrs), tier, len(azs)))
        for index, az in enumerate(azs):
            subnets.append({
                "cidr": cidrs[index],
                "az": az,
                "map_public": False,
                "tags": dict(tags, **{"Name": "%s-%s-%s" % (prefix, tier, az), "finproc:tier": tier}),
            })
    return subnets


def nat_gateway_specs(settings):
    """The NAT gateways of a region as finproc.dr.ec2_vpc_nat_gateways takes them (roles/network): one in the
    public subnet of each of the first count AZs."""
    name = "nat_gateway_specs"
    count = _whole(_setting(settings, "count", name), "count", name)
    subnet_ids = _setting(settings, "public_subnet_ids", name)
    azs = _setting(settings, "azs", name)
    prefix = _setting(settings, "name_prefix", name)
    tags = _setting(settings, "tags", name)
    if count > min(len(subnet_ids), len(azs)):
        raise AnsibleFilterError("%s: %d NAT gateways for %d public subnets in %d AZs"
                                 % (name, count, len(subnet_ids), len(azs)))
    return [{"subnet_id": subnet_ids[index], "tags": dict(tags, Name="%s-nat-%s" % (prefix, azs[index]))}
            for index in range(count)]


class FilterModule(object):
    def filters(self):
        return {
            "monitor_alarms": monitor_alarms,
            "health_check_alarms": health_check_alarms,
            "subnet_specs": subnet_specs,
            "nat_gateway_specs": nat_gateway_specs,
        }
