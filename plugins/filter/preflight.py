# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The documentation of the two filters of this file, preflight_problems and preflight_warnings, is in
# plugins/filter/preflight_problems.yml and preflight_warnings.yml (ansible-doc reads one per filter).

import functools
import ipaddress
import os
import re

try:
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover
    from urlparse import urlparse

# The failover choice and the primary are the topology filter's (one rule for the whole collection).
from ansible_collections.finproc.dr.plugins.filter.topology import (
    partition_problems,
    primary_problems,
    secondary_problems,
)
# A certificate to import, checked like ACM and TLS clients check it (with cryptography).
from ansible_collections.finproc.dr.plugins.module_utils.certificates import import_findings, key_is_encrypted
# AWS's limits on what the roles send (tags, names, descriptions, paths, numbers): botocore's models.
from ansible_collections.finproc.dr.plugins.module_utils import aws_limits

VALID_ROLES = ("primary", "secondary")
NAT_MODES = ("per_az", "single")
NAME_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]\Z")
# "<prefix>-alb" and "<prefix>-app" (load balancer, target group) must fit in ELBv2's 32 characters
# (_elb_name_max: the rules of aws_limits are read from botocore when a check runs, not on import).
ELB_NAME_SUFFIX = "-alb"
# The ALB access-log bucket <prefix>-<account>-<region>-alb-logs: an account id has 12 digits, and
# a bucket name at most 63 characters (aws_limits: S3 user guide, "General purpose bucket naming rules").
ACCESS_LOG_BUCKET_SUFFIX = "-alb-logs"
ACCOUNT_ID_LENGTH = 12
# Route53 health checks run every 10 or every 30 seconds, nothing else (aws_limits).
HEALTH_CHECK_INTERVALS = aws_limits.HEALTH_CHECK_INTERVALS
# The ALB policies with TLS 1.3 that are at least as strict as ELBSecurityPolicy-TLS13-1-2-2021-06
# (TLS 1.2 only with forward-secret AEAD ciphers, or TLS 1.3 only; FIPS variants).
TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
)
CERTIFICATE_SOURCES = ("request", "import", "arn")
ACM_ARN_RE = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]+\Z")
# What SNS accepts as an e-mail endpoint, roughly: one @, no spaces, a dotted domain.
EMAIL_RE = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
PEM_PRIVATE_KEY = b"PRIVATE KEY-----"


def _elb_name_max():
    return aws_limits.rule("load_balancer").max


def _prefix_max_for_elb():
    return _elb_name_max() - len(ELB_NAME_SUFFIX)


@functools.lru_cache(maxsize=1)
def known_regions():
    """Every region botocore's endpoint data knows, in every partition (no API call)."""
    try:
        import botocore.session
    except ImportError:  # pragma: no cover
        return None
    session = botocore.session.get_session()
    regions = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("ec2", partition_name=partition))
    return frozenset(regions)


def _network(value):
    """An IPv4 network in canonical form, or None."""
    if not isinstance(value, str):
        return None
    if "/" not in value:
        return None
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return None
    if net.version != 4:
        return None
    return net


def _check_cidr(problems, where, what, value, min_prefix=16, max_prefix=28):
    net = _network(value)
    if net is None:
        problems.append("%s: %s %r is not a valid IPv4 CIDR (address/prefix, host bits zero)"
                        % (where, what, value))
        return None
    if not min_prefix <= net.prefixlen <= max_prefix:
        problems.append("%s: %s %s has prefix /%d; AWS allows /%d to /%d"
                        % (where, what, value, net.prefixlen, min_prefix, max_prefix))
        return None
    return net


def _check_list(problems, where, what, value):
    if value is None:
        problems.append("%s: %s is missing" % (where, what))
        return []
    if not isinstance(value, (list, tuple)):
        problems.append("%s: %s must be a list, got %r" % (where, what, value))
        return []
    return list(value)


def _dns_name_problem(value):
    """Why value is not a DNS name the collection accepts (lower case, no trailing dot), or None."""
    if value.endswith("."):
        return "give it without the trailing dot"
    if len(value) > 253:
        return "it has %d characters; a DNS name has at most 253" % len(value)
    labels = value.split(".")
    if len(labels) < 2:
        return "it needs at least two labels (for example dr.example.com)"
    for label in labels:
        if not DNS_LABEL_RE.match(label):
            return ("label %r must be 1 to 63 lower-case letters, digits and dashes, not starting or "
                    "ending with a dash" % label)
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# Whole-number settings: `-e name=180` on the command line arrives as the string '180'.
NUMERIC_SETTINGS = ("rto_target_seconds", "rpo_target_seconds", "app_port", "log_retention_days",
                    "health_check_interval_seconds", "health_check_failure_threshold",
                    "dns_record_ttl_seconds", "dns_resolver_allowance_seconds", "alb_idle_timeout_seconds",
                    "alb_access_log_retention_days")


def _numbers(settings):
    """The settings with whole numbers given as strings of digits read as numbers."""
    settings = dict(settings)
    for key in NUMERIC_SETTINGS:
        value = settings.get(key)
        if isinstance(value, str) and re.match(r"^[0-9]+\Z", value.strip()):
            settings[key] = int(value.strip())
    return settings


def _read_pem(problems, where, what, path, marker, kind):
    """Check that path is a readable file on the controller holding marker; never quote it."""
    full = os.path.expanduser(path)
    try:
        with open(full, "rb") as handle:
            content = handle.read()
    except (OSError, IOError):
        problems.append("%s: %s %s is not a readable file on the controller" % (where, what, path))
        return None
    if marker not in content:
        problems.append("%s: %s %s is not a PEM %s (no %s line)"
                        % (where, what, path, kind, marker.decode("ascii")))
        return None
    return content


def _check_certificate(problems, record, region, service_name=None, warnings=None, import_checks=True):
    where = "host %s" % record.get("host")
    source = record.get("certificate_source")
    if source is None or source == "":
        problems.append("%s: dr_certificate_source is missing (%s)" % (where, ", ".join(CERTIFICATE_SOURCES)))
        return
    if source not in CERTIFICATE_SOURCES:
        problems.append("%s: dr_certificate_source %r is not one of %s"
                        % (where, source, ", ".join(CERTIFICATE_SOURCES)))
        return
    if source == "arn":
        arn = record.get("certificate_arn")
        if not arn:
            problems.append("%s: dr_certificate_source is arn and dr_certificate_arn is missing: give the ARN "
                            "of an ACM certificate of %s (an ACM certificate serves load balancers of its own "
                            "region only)" % (where, region or "the host's region"))
            return
        match = ACM_ARN_RE.match(arn) if isinstance(arn, str) else None
        if match is None:
            problems.append("%s: dr_certificate_arn %r is not an ACM certificate ARN "
                            "(arn:aws:acm:%s:<account>:certificate/<id>; an ACM certificate serves load "
                            "balancers of its own region only)" % (where, arn, region or "<region>"))
        elif region and match.group(1) != region:
            problems.append("%s: dr_certificate_arn %s is a certificate of %s, not of %s; an ACM certificate "
                            "serves load balancers of its own region only" % (where, arn, match.group(1), region))
    elif source == "import":
        pems = {}
        for key, label, required in (("certificate_file", "dr_certificate_file", True),
                                     ("certificate_key_file", "dr_certificate_key_file", True),
                                     ("certificate_chain_file", "dr_certificate_chain_file", False)):
            path = record.get(key)
            if path is None or path == "":
                if required:
                    problems.append("%s: dr_certificate_source is import and %s is missing (the path of a "
                                    "PEM file on the controller)" % (where, label))
                continue
            if not isinstance(path, str):
                problems.append("%s: %s must be the path of a PEM file on the controller, got a %s"
                                % (where, label, type(path).__name__))
                continue
            if key == "certificate_key_file":
                content = _read_pem(problems, where, label, path, PEM_PRIVATE_KEY, "private key")
                if content is not None and key_is_encrypted(content):
                    problems.append("%s: %s %s holds an encrypted private key; ACM imports only an "
                                    "unencrypted one" % (where, label, path))
                    content = None
            else:
                content = _read_pem(problems, where, label, path, PEM_CERTIFICATE, "certificate")
            pems[key] = None if content is None else ("%s %s" % (label, path), content)
        # Readable PEM files: checked like ACM checks an import (plugins/module_utils/certificates.py).
        if import_checks and pems.get("certificate_file") and pems.get("certificate_key_file") and (
                "certificate_chain_file" not in pems or pems["certificate_chain_file"]):
            found, warned = import_findings(pems["certificate_file"], pems["certificate_key_file"],
                                            pems.get("certificate_chain_file"), service_name=service_name)
            problems.extend("%s: %s" % (where, problem) for problem in found)
            if warnings is not None:
                warnings.extend("%s: %s" % (where, warning) for warning in warned)


def _check_region(problems, record, regions, service_name=None, warnings=None, import_checks=True):
    where = "host %s" % record.get("host")
    role = record.get("role")
    region = record.get("region")
    if role is None:
        problems.append("%s: dr_role is missing (primary or secondary)" % where)
    elif role not in VALID_ROLES:
        problems.append("%s: dr_role %r is not one of %s" % (where, role, ", ".join(VALID_ROLES)))
    if not isinstance(region, str) or not region:
        problems.append("%s: the region is missing" % where)
        region = None
    elif regions is not None and region not in regions:
        problems.append("%s: %r is not an AWS region" % (where, region))

    vpc = None
    if record.get("vpc_cidr") is None:
        problems.append("%s: dr_vpc_cidr is missing" % where)
    else:
        vpc = _check_cidr(problems, where, "dr_vpc_cidr", record.get("vpc_cidr"))

    azs = _check_list(problems, where, "dr_azs", record.get("azs"))
    if record.get("azs") is not None:
        if len(azs) < 2:
            problems.append("%s: dr_azs lists %d availability zone(s); at least 2 are needed"
                            % (where, len(azs)))
        if len(set(azs)) != len(azs):
            problems.append("%s: dr_azs repeats an availability zone: %s" % (where, ", ".join(map(str, azs))))
        for index, az in enumerate(azs):
            if region and not (isinstance(az, str) and re.match(r"^%s[a-z]$" % re.escape(region), az)):
                problems.append("%s: dr_azs[%d] %r is not an availability zone of %s (a zone is named after its "
                                "region and one letter: %sa, %sb, ...)" % (where, index, az, region, region, region))
            elif record.get("ec2_zones") is not None:
                _check_zone_with_ec2(problems, where, index, az, region, record.get("ec2_zones"), warnings)

    subnets = []
    for key, label in (("public_subnet_cidrs", "dr_public_subnet_cidrs"),
                       ("private_subnet_cidrs", "dr_private_subnet_cidrs")):
        cidrs = _check_list(problems, where, label, record.get(key))
        if record.get(key) is not None and azs and len(cidrs) != len(azs):
            problems.append("%s: %s has %d entries for %d availability zones; give one per zone"
                            % (where, label, len(cidrs), len(azs)))
        # Each entry named by its list and index: dr_public_subnet_cidrs[1] 10.0.9.0/24.
        for index, cidr in enumerate(cidrs):
            entry = "%s[%d]" % (label, index)
            net = _check_cidr(problems, where, entry, cidr)
            if net is None:
                continue
            if vpc is not None and not net.subnet_of(vpc):
                problems.append("%s: %s %s is outside its VPC %s" % (where, entry, cidr, vpc))
            subnets.append((entry, net))
    for i, (first_entry, first) in enumerate(subnets):
        for second_entry, second in subnets[i + 1:]:
            if first.overlaps(second):
                problems.append("%s: %s %s and %s %s overlap" % (where, first_entry, first, second_entry, second))
    _check_certificate(problems, record, region if regions is None or region in regions else None,
                       service_name, warnings, import_checks)
    return vpc


def _check_zone_with_ec2(problems, where, index, az, region, listed, warnings=None):
    """dr_azs[index] against the zones EC2 DescribeAvailabilityZones listed (roles/preflight/tasks/zones.yml).

    DescribeAvailabilityZones (Amazon EC2 API Reference),
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html: without
    AllAvailabilityZones "the results include only the zones for the Regions where you have chosen the
    option to opt in"; State is available, information, impaired, unavailable or constrained; OptInStatus
    is opt-in-not-required for Availability Zones, opted-in or not-opted-in for Local and Wavelength Zones.
    A zone that is listed and opted in to but not `available` (an event: impaired, information, constrained,
    unavailable) is a warning, not a problem: a converge or a failover must not be stopped by the very AZ
    event it may be answering; the zone's resources are made as AWS allows.
    """
    zones = dict((zone.get("zone_name"), zone) for zone in listed if isinstance(zone, dict))
    shown = ", ".join("%s (%s)" % (name, zones[name].get("state")) for name in sorted(zones)) or "no zone"
    zone = zones.get(az)
    if zone is None:
        problems.append("%s: dr_azs[%d] %s is not a zone this account has in %s; EC2 DescribeAvailabilityZones "
                        "listed %s" % (where, index, az, region, shown))
    elif zone.get("opt_in_status") == "not-opted-in":
        problems.append("%s: dr_azs[%d] %s is an opt-in zone this account has not opted in to; EC2 "
                        "DescribeAvailabilityZones listed %s" % (where, index, az, shown))
    elif zone.get("state") != "available" and warnings is not None:
        warnings.append("%s: dr_azs[%d] %s is %s, not available (an AZ event: see the AWS Health Dashboard); "
                        "EC2 DescribeAvailabilityZones listed %s" % (where, index, az, zone.get("state"), shown))


def _check_endpoints(problems, endpoints):
    """The local inventory talks only to an emulator on loopback."""
    if not endpoints or not endpoints.get("require_loopback"):
        return
    urls = dict(endpoints.get("urls") or {})
    if not urls.get("AWS_ENDPOINT_URL"):
        problems.append(
            "this inventory talks only to a local emulator, and AWS_ENDPOINT_URL is not set: run "
            "'make emulator-up' and '. .emulator/env' (or use -i inventories/production for a real account)")
    for name, url in sorted(urls.items()):
        if not url:
            continue
        host = urlparse(url).hostname or ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost" or host.endswith(".localhost")
        if not loopback:
            problems.append("this inventory talks only to a local emulator, and %s=%s is not on loopback"
                            % (name, url))


def _int_rule(name, value, rule, problems):
    """A whole number within the model's range of `rule` (aws_limits.RULES); False (and a problem) if not."""
    limit = aws_limits.rule(rule)
    if not _is_int(value) or limit.number_problem(value):
        high = "" if limit.max is None else " to %d" % limit.max
        problems.append("%s must be a whole number from %d%s, got %r" % (name, limit.min, high, value))
        return False
    return True


def _check_settings(problems, settings):
    tags = settings.get("tags")
    if not isinstance(tags, dict):
        problems.append("dr_tags must be a dictionary of tag names to values")
        tags = {}
    for tag in settings.get("required_tags") or []:
        value = tags.get(tag)
        if value is None or str(value).strip() == "":
            problems.append("required tag %s is missing from dr_tags" % tag)
    # Each tag against every service that carries it: _check_sends (with the roles' own tags variables).

    prefix = settings.get("name_prefix")
    if not isinstance(prefix, str) or not NAME_PREFIX_RE.match(prefix):
        problems.append("the name prefix %r (dr_app_name-dr_environment) must be 3 to 30 lower-case letters, "
                        "digits and dashes, starting with a letter" % (prefix,))
    if isinstance(prefix, str) and len(prefix) > _prefix_max_for_elb():
        problems.append("the name prefix %r (dr_app_name-dr_environment) has %d characters; at most %d fit, "
                        "because the load balancer and target group names %s-alb and %s-app may have at most "
                        "%d characters" % (prefix, len(prefix), _prefix_max_for_elb(), prefix, prefix, _elb_name_max()))

    def _int_in(name, value, low, high):
        if not _is_int(value) or not low <= value <= high:
            problems.append("%s must be a whole number from %d to %d, got %r" % (name, low, high, value))
            return False
        return True

    rto_valid = _int_in("dr_rto_target_seconds", settings.get("rto_target_seconds"), 60, 86400)
    _int_in("dr_rpo_target_seconds", settings.get("rpo_target_seconds"), 1, 86400)
    # The target group's port (ELBv2 CreateTargetGroup Port: the model's 1 to 65535).
    _int_rule("dr_app_port", settings.get("app_port"), "target_group_port", problems)
    if settings.get("app_port") in (80, 443):
        problems.append("dr_app_port must differ from the load balancer's ports 80 and 443")
    if settings.get("nat_gateway_mode") not in NAT_MODES:
        problems.append("dr_nat_gateway_mode %r is not one of %s"
                        % (settings.get("nat_gateway_mode"), ", ".join(NAT_MODES)))
    # CloudWatch Logs accepts only these retention periods (days): the Logs model's (aws_limits).
    retentions = aws_limits.log_retention_days()
    if settings.get("log_retention_days") not in retentions:
        problems.append("dr_log_retention_days %r is not a retention CloudWatch Logs accepts (%s)"
                        % (settings.get("log_retention_days"), ", ".join(map(str, retentions))))

    # Route53 health checks and the RTO budget of a DNS failover.
    interval = settings.get("health_check_interval_seconds")
    interval_valid = _is_int(interval) and interval in HEALTH_CHECK_INTERVALS
    if not interval_valid:
        problems.append("dr_health_check_interval_seconds must be %s (the intervals Route53 health checks "
                        "allow), got %r" % (" or ".join(map(str, HEALTH_CHECK_INTERVALS)), interval))
    threshold = settings.get("health_check_failure_threshold")
    threshold_valid = _int_rule("dr_health_check_failure_threshold", threshold, "health_check_failure_threshold",
                                problems)
    # The path of the Route53 health checks (ResourcePath) and of the target group's (HealthCheckPath).
    path = settings.get("health_check_path")
    if not isinstance(path, str) or not path.startswith("/"):
        problems.append("dr_health_check_path %r must be a path that starts with /" % (path,))
    else:
        for name in ("health_check_path", "target_group_health_check_path"):
            limit = aws_limits.rule(name)
            why = limit.length_problem(path)
            if why:
                problems.append("dr_health_check_path %s; %s refuses it" % (why, limit.describe()))
                break
    ttl = settings.get("dns_record_ttl_seconds")
    ttl_valid = _int_in("dr_dns_record_ttl_seconds", ttl, 0, 86400)
    allowance = settings.get("dns_resolver_allowance_seconds")
    allowance_valid = _int_in("dr_dns_resolver_allowance_seconds", allowance, 0, 3600)
    if rto_valid and interval_valid and threshold_valid and ttl_valid and allowance_valid:
        rto = settings.get("rto_target_seconds")
        detection = interval * threshold
        total = detection + ttl + allowance
        if total > rto:
            problems.append(
                "RTO budget: health checks %d s \u00d7 %d failures = %d s + record TTL %d s + resolver allowance "
                "%d s = %d s, more than dr_rto_target_seconds %d s; lower dr_health_check_interval_seconds or "
                "dr_health_check_failure_threshold, or raise the target"
                % (interval, threshold, detection, ttl, allowance, total, rto))

    # The load balancer.
    policy = settings.get("tls_policy")
    if policy not in TLS_POLICIES:
        problems.append("dr_tls_policy %r is not a TLS 1.3 load balancer policy at least as strict as %s; "
                        "use one of %s" % (policy, TLS_POLICIES[0], ", ".join(TLS_POLICIES)))
    # ELBv2's idle_timeout.timeout_seconds: the range the model documents (aws_limits).
    _int_in("dr_alb_idle_timeout_seconds", settings.get("alb_idle_timeout_seconds"),
            *aws_limits.load_balancer_attribute_range("idle_timeout.timeout_seconds"))
    protection = settings.get("alb_deletion_protection")
    if not isinstance(protection, bool) and not (
            isinstance(protection, str) and protection.lower() in ("true", "false")):
        problems.append("dr_alb_deletion_protection must be true or false, got %r" % (protection,))

    # Who the alarms tell: SNS refuses a malformed address only when the topic is subscribed.
    addresses = settings.get("alarm_email_addresses", [])
    if not isinstance(addresses, list):
        problems.append("dr_alarm_email_addresses must be a list of e-mail addresses, got %r" % (addresses,))
    else:
        for index, address in enumerate(addresses):
            if not isinstance(address, str) or not EMAIL_RE.match(address):
                problems.append("dr_alarm_email_addresses[%d] %r is not an e-mail address" % (index, address))


# --- What the roles send to AWS: tags, names, descriptions, paths and numbers (aws_limits) ----------

# What the roles tag: (the role's tags variable, the resources, the service whose tag API carries them
# (aws_limits.TAG_APIS), the tags the collection adds to the role's tags). Every tagged task of the
# roles is checked against this table by tests/unit/roles/test_limits_coverage.py.
STACK_TAGS = ("Name", "finproc:stack")
TAGGED = (
    ("encryption_tags", "KMS keys", "kms", STACK_TAGS),
    ("network_tags", "VPC, internet gateway, NAT gateways and their Elastic IPs, security groups, gateway "
     "endpoints and flow log", "ec2", STACK_TAGS),
    ("network_tags", "subnets and route tables", "ec2", STACK_TAGS + ("finproc:tier",)),
    ("network_tags", "flow-log group", "logs", STACK_TAGS),
    ("network_tags", "flow-log role", "iam", STACK_TAGS),
    ("data_tags", "global table", "dynamodb", STACK_TAGS),
    ("data_tags", "buckets", "s3", STACK_TAGS),
    ("data_tags", "replication role", "iam", STACK_TAGS),
    ("load_balancing_tags", "certificate", "acm", STACK_TAGS),
    ("load_balancing_tags", "access-log bucket", "s3", STACK_TAGS),
    ("load_balancing_tags", "load balancer and target group", "elbv2", STACK_TAGS),
    ("dns_failover_tags", "hosted zone and health checks", "route53", STACK_TAGS),
    ("dns_failover_tags", "health-check topic", "sns", STACK_TAGS),
    ("dns_failover_tags", "health-check alarms", "cloudwatch", STACK_TAGS),
    ("monitoring_tags", "log groups", "logs", STACK_TAGS),
    ("monitoring_tags", "monitor role", "iam", STACK_TAGS),
    ("monitoring_tags", "monitor function", "lambda", STACK_TAGS),
    ("monitoring_tags", "schedule rule", "events", STACK_TAGS),
    ("monitoring_tags", "monitoring topic", "sns", STACK_TAGS),
    ("monitoring_tags", "monitoring alarms and dashboard", "cloudwatch", STACK_TAGS),
)

# Every name, description and path a role sends that a user can set or that the role derives from
# the prefix (roles/preflight reads them from the roles' own settings): the role variable -> (the
# rule of aws_limits.RULES it is sent as, or None; the service whose Name tag carries it, or None; the
# form it is sent in).
NAMED = {
    "encryption_key_alias": ("kms_alias", "kms", "alias/%s"),
    "encryption_key_description": ("kms_description", None, "%s"),
    "encryption_global_key_description": ("kms_description", None, "%s"),
    "network_flow_log_group": ("log_group", "logs", "%s"),
    "network_flow_logs_role_name": ("iam_role", "iam", "%s"),
    "data_table_name": ("dynamodb_table", "dynamodb", "%s"),
    "data_table_hash_key_name": ("dynamodb_attribute", None, "%s"),
    "data_table_range_key_name": ("dynamodb_attribute", None, "%s"),
    "data_bucket_name": ("s3_bucket", "s3", "%s"),
    "data_replication_role_name": ("iam_role", "iam", "%s"),
    "load_balancing_alb_name": ("load_balancer", "elbv2", "%s"),
    "load_balancing_target_group_name": ("target_group", "elbv2", "%s"),
    "load_balancing_certificate_name": (None, "acm", "%s"),
    "load_balancing_health_check_path": ("target_group_health_check_path", None, "%s"),
    "dns_failover_health_check_name": (None, "route53", "%s"),
    "dns_failover_health_check_path": ("health_check_path", None, "%s"),
    "dns_failover_topic_name": ("sns_topic", "sns", "%s"),
    "dns_failover_zone_comment": ("hosted_zone_comment", None, "%s"),
    "monitoring_function_name": ("lambda_function", "lambda", "%s"),
    "monitoring_function_description": ("lambda_description", None, "%s"),
    "monitoring_function_log_group": ("log_group", "logs", "%s"),
    "monitoring_application_log_group": ("log_group", "logs", "%s"),
    "monitoring_role_name": ("iam_role", "iam", "%s"),
    "monitoring_rule_name": ("events_rule", "events", "%s"),
    "monitoring_topic_name": ("sns_topic", "sns", "%s"),
    "monitoring_dashboard_name": ("dashboard", "cloudwatch", "%s"),
    "monitoring_namespace": ("metric_namespace", None, "%s"),
}
# Names a role leaves out when they are empty.
OPTIONAL_NAMES = ("data_table_range_key_name",)
# Whole numbers a role sends: the role variable -> the rule of aws_limits.RULES (the model's range).
NUMBERS = {
    "load_balancing_app_port": "target_group_port",
    "load_balancing_health_check_interval_seconds": "target_group_health_check_interval",
    "load_balancing_health_check_timeout_seconds": "target_group_health_check_timeout",
    "load_balancing_healthy_threshold": "target_group_healthy_threshold",
    "load_balancing_unhealthy_threshold": "target_group_unhealthy_threshold",
    "monitoring_function_timeout_seconds": "lambda_timeout",
    "monitoring_function_memory_mb": "lambda_memory",
    # One of the retentions CloudWatch Logs accepts (aws_limits.log_retention_days).
    "network_flow_logs_retention_days": "log_retention",
    "monitoring_log_retention_days": "log_retention",
}
# A role setting that defaults to a shared one is checked as the shared one, under its dr_* name.
SHARED = {
    "load_balancing_app_port": "app_port",
    "load_balancing_health_check_path": "health_check_path",
    "dns_failover_health_check_path": "health_check_path",
    "network_flow_logs_retention_days": "log_retention_days",
    "monitoring_log_retention_days": "log_retention_days",
}


def _shown(value, placeholder=None):
    """A value as messages quote it: repr, at most 80 characters; a placeholder account id as <account>."""
    text = repr(value)
    if placeholder:
        text = text.replace(placeholder, "<account>")
    return text if len(text) <= 80 else text[:60] + "..." + text[-17:]


def _and(items):
    items = list(items)
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _refused(limits, what):
    """Who refuses a value: 'CloudWatch Logs (TagValue, max 256) refuses it', or 'EC2, KMS and S3 (tag value
    max 256) refuse it'."""
    if len(limits) == 1:
        return "%s refuses it" % limits[0].describe()
    return "%s (%s %s) refuse it" % (_and(limit.label for limit in limits), what, limits[0].terms(with_shape=False))


def _tag_text(value):
    return "" if value is None else str(value)


def _tags_problems(shown, tags, entries):
    """The problems of one tags variable (`shown`) on the resources of `entries` (TAGGED's)."""
    found = []
    services = []
    for _label, service, _added in entries:
        if service not in services:
            services.append(service)
    for key in sorted(tags, key=str):
        key_text, value_text = str(key), _tag_text(tags[key])
        if key_text.lower().startswith("aws:"):
            found.append("%s: tag %s: the aws: prefix is reserved for AWS" % (shown, _shown(key_text)))
            continue
        for aspect, text, pick in (("key", key_text, lambda rules: rules.key),
                                   ("value", value_text, lambda rules: rules.value)):
            lengths, characters = {}, {}
            for service in services:
                limit = pick(aws_limits.tag_rules(service))
                why = limit.length_problem(text)
                if why:
                    lengths.setdefault((why, limit.max), []).append(limit)
                bad = limit.bad_characters(text)
                if bad:
                    characters.setdefault(tuple(bad), []).append(limit)
            for (why, _high), limits in sorted(lengths.items(), key=lambda item: item[0][1] or 0):
                found.append("%s: tag %s %s %s; %s" % (shown, _shown(key_text), aspect, why,
                                                       _refused(limits, "tag " + aspect)))
            for bad, limits in characters.items():
                quoted = "" if aspect == "key" else " " + _shown(text)  # a key is quoted once
                found.append("%s: tag %s %s%s has %s, which %s refuse%s (tag %s pattern %s)"
                             % (shown, _shown(key_text), aspect, quoted, _and(repr(char) for char in bad),
                                _and(limit.label for limit in limits), "s" if len(limits) == 1 else "", aspect,
                                limits[0].pattern))
    # The count, with the tags the collection adds (aws: tags do not count, and are refused above).
    given = set(str(key) for key in tags if not str(key).lower().startswith("aws:"))
    # Keys that differ only in case, where a service refuses them (aws_limits.CASE_INSENSITIVE_TAG_KEYS).
    for service in services:
        if service not in aws_limits.CASE_INSENSITIVE_TAG_KEYS:
            continue
        labels = [label for label, other, _added in entries if other == service]
        keys = given.union(*[added for _label, other, added in entries if other == service])
        by_case = {}
        for key in sorted(keys):
            by_case.setdefault(key.lower(), []).append(key)
        for same in by_case.values():
            if len(same) > 1:
                found.append("%s: tags %s differ only in case (with the tags the collection adds); %s refuses such "
                             "keys on the %s" % (shown, _and(repr(key) for key in same),
                                                 aws_limits.TAG_APIS[service].label, _and(labels)))
    counts = {}
    for label, service, added in entries:
        total = len(given | set(added))
        limit = aws_limits.tag_rules(service).count
        if total > limit.max:
            labels, refusing = counts.setdefault((limit.max, total, len(set(added) - given)), ([], []))
            labels.append(label)
            if limit.label not in refusing:
                refusing.append(limit.label)
    for (high, total, extra), (labels, refusing) in sorted(counts.items()):
        found.append("%s: %d tags plus the %d the collection adds = %d on the %s; %s allow%s at most %d"
                     % (shown, len(given), extra, total, _and(labels), _and(refusing),
                        "s" if len(refusing) == 1 else "", high))
    return found


def _record_tags_problems(record_tags, dr_tags):
    """The problems of the tags variables of one host: each role's own (its value), shown as dr_tags
    when it holds dr_tags; each checked against every service its role tags through."""
    groups = {}
    order = []
    for variable, label, service, added in TAGGED:
        tags = record_tags.get(variable, dr_tags) if record_tags is not None else dr_tags
        shown = "dr_tags" if tags == dr_tags else variable
        if shown not in groups:
            groups[shown] = (tags, [])
            order.append(shown)
        groups[shown][1].append((label, service, added))
    found = []
    for shown in order:
        tags, entries = groups[shown]
        if not isinstance(tags, dict):
            if shown != "dr_tags":  # dr_tags has its own problem
                found.append("%s must be a dictionary of tag names to values" % shown)
            continue
        found.extend(_tags_problems(shown, tags, entries))
    return found


def _name_problems(variable, value, placeholder):
    """The problems of one name a role sends (NAMED) against its rule and its service's Name tag."""
    rule, tag_service, form = NAMED[variable]
    if not isinstance(value, str):
        return ["%s must be a string, got %s" % (variable, _shown(value, placeholder))]
    found = []
    limits = [aws_limits.rule(rule)] if rule else []
    if tag_service:
        limits.append(aws_limits.tag_rules(tag_service).value)
    for limit in limits:
        is_tag = rule is None or limit is not limits[0]
        what = "%s's Name tag" % limit.label if is_tag else limit.label
        # The Name tag carries the value itself (an alias without its alias/).
        sent = value if is_tag else form % value
        why = limit.length_problem(sent)
        bad = limit.bad_characters(sent)
        if why:
            found.append("%s %s %s; %s refuses it%s" % (variable, _shown(sent, placeholder), why, limit.describe(),
                                                        " (as the Name tag)" if is_tag else ""))
        elif bad:
            found.append("%s %s has %s, which %s refuses (%s pattern %s)"
                         % (variable, _shown(sent, placeholder), _and(repr(char) for char in bad), what,
                            limit.shape, limit.pattern))
        elif limit.form_problem(sent):
            found.append("%s %s is not a name %s accepts (%s; %s)"
                         % (variable, _shown(sent, placeholder), what, limit.terms(with_pattern=True), limit.source))
    return found


def _number_problems(variable, value):
    if isinstance(value, str) and re.match(r"^[0-9]+\Z", value.strip()):
        value = int(value.strip())
    if NUMBERS[variable] == "log_retention":
        retentions = aws_limits.log_retention_days()
        if _is_int(value) and value in retentions:
            return []
        return ["%s %r is not a retention CloudWatch Logs accepts (%s)"
                % (variable, value, ", ".join(map(str, retentions)))]
    limit = aws_limits.rule(NUMBERS[variable])
    if _is_int(value) and not limit.number_problem(value):
        return []
    high = "" if limit.max is None else " to %d" % limit.max
    return ["%s must be a whole number from %d%s (%s %s), got %r"
            % (variable, limit.min, high, limit.label, limit.shape, value)]


def _check_sends(problems, settings, regions):
    """Tags, names, descriptions, paths and numbers the roles send, against AWS's limits (aws_limits).

    Each host's record may carry `sends` (roles/preflight reads them from the roles' settings): `tags`
    (each role's tags variable), `names` and `numbers` (NAMED, NUMBERS). Without it, dr_tags is checked
    against every resource the roles tag. A problem every host has is said once, others per host."""
    dr_tags = settings.get("tags")  # not a dictionary: a problem of its own (_check_settings)
    placeholder = settings.get("account_id_placeholder")
    prefix = settings.get("name_prefix")
    # Names derive from the prefix: with a bad prefix, its own problem says it all.
    prefix_ok = isinstance(prefix, str) and NAME_PREFIX_RE.match(prefix) and len(prefix) <= _prefix_max_for_elb()
    per_host = []
    for record in regions or [{}]:
        sends = record.get("sends") if isinstance(record.get("sends"), dict) else {}
        found = _record_tags_problems(sends.get("tags"), dr_tags)
        if prefix_ok:
            for variable, value in sorted((sends.get("names") or {}).items()):
                if variable in OPTIONAL_NAMES and value in ("", None):
                    continue
                if variable in NAMED and not (variable in SHARED and value == settings.get(SHARED[variable])):
                    found.extend(_name_problems(variable, value, placeholder))
        for variable, value in sorted((sends.get("numbers") or {}).items()):
            if variable in NUMBERS and not (variable in SHARED and value == settings.get(SHARED[variable])):
                found.extend(_number_problems(variable, value))
        per_host.append((record.get("host"), found))
    everywhere = set(per_host[0][1]).intersection(*[set(found) for _host, found in per_host[1:]])
    said = set()
    for host, found in per_host:
        for problem in found:
            if problem in everywhere:
                if problem not in said:
                    said.add(problem)
                    problems.append(problem)
            else:
                problems.append("host %s: %s" % (host, problem))


def _check_access_logs(problems, settings, regions):
    """The ALB access logs: on or off, their retention, and a log bucket name S3 accepts."""
    enabled = settings.get("alb_access_logs_enabled", True)
    if isinstance(enabled, str) and enabled.lower() in ("true", "false"):
        enabled = enabled.lower() == "true"
    if not isinstance(enabled, bool):
        problems.append("dr_alb_access_logs_enabled must be true or false, got %r" % (enabled,))
        return
    if not enabled:
        return
    retention = settings.get("alb_access_log_retention_days", 400)
    if not _is_int(retention) or not 1 <= retention <= 36500:
        problems.append("dr_alb_access_log_retention_days must be a whole number from 1 to 36500, got %r"
                        % (retention,))
    prefix = settings.get("name_prefix")
    if not isinstance(prefix, str) or not NAME_PREFIX_RE.match(prefix) or len(prefix) > _prefix_max_for_elb():
        return  # already a problem of its own
    for record in regions:
        region = record.get("region")
        if not isinstance(region, str) or not region:
            continue
        length = len(prefix) + 1 + ACCOUNT_ID_LENGTH + 1 + len(region) + len(ACCESS_LOG_BUCKET_SUFFIX)
        bucket_max = aws_limits.rule("s3_bucket").max
        if length > bucket_max:
            problems.append(
                "host %s: the access-log bucket %s-<account>-%s%s would have %d characters; S3 allows at most %d: "
                "shorten dr_app_name or dr_environment by %d, or set dr_alb_access_logs_enabled: false"
                % (record.get("host"), prefix, region, ACCESS_LOG_BUCKET_SUFFIX, length, bucket_max,
                   length - bucket_max))


def _check_dns(problems, settings, regions):
    """The hosted zone, the service name in it, and which secondary takes the failover record."""
    zone = settings.get("dns_zone_name")
    zone_valid = False
    if zone is None or zone == "":
        problems.append("dr_dns_zone_name is missing: the public hosted zone that carries the service name "
                        "(for example dr.example.com)")
    elif not isinstance(zone, str):
        problems.append("dr_dns_zone_name %r is not a DNS name" % (zone,))
    else:
        reason = _dns_name_problem(zone)
        if reason:
            problems.append("dr_dns_zone_name %r is not a valid DNS name: %s" % (zone, reason))
        else:
            zone_valid = True

    # Without a zone the service name (api.<zone> by default) has nothing to be checked against.
    service = settings.get("service_name")
    if zone is not None and zone != "":
        if service is None or service == "":
            problems.append("dr_service_name is missing: the name clients use, in dr_dns_zone_name "
                            "(for example api.%s)" % zone)
        elif not isinstance(service, str):
            problems.append("dr_service_name %r is not a DNS name" % (service,))
        else:
            reason = _dns_name_problem(service)
            if reason:
                problems.append("dr_service_name %r is not a valid DNS name: %s" % (service, reason))
            elif zone_valid and service != zone and not service.endswith("." + zone):
                problems.append("dr_service_name %s is not in dr_dns_zone_name %s: it must be the zone itself "
                                "or a name that ends with .%s" % (service, zone, zone))

    problems.extend(secondary_problems(regions, settings.get("failover_secondary")))


def preflight_problems(regions, settings):
    """Return every problem of the inventory, as sentences naming the host and setting."""
    return _findings(regions, settings)[0]


def preflight_warnings(regions, settings):
    """Return what works but needs attention (a certificate to import that expires soon), as sentences."""
    return _findings(regions, settings)[1]


def preflight_zone_findings(regions):
    """The zone checks alone, once EC2 listed the zones (roles/preflight/tasks/zones.yml): a dict of
    problems and warnings, each the same sentence preflight_problems / preflight_warnings give for it.

    That task runs after every other check passed, in a new worker process: the whole _findings there
    would load botocore's models again for nothing (about 1.7 s of CPU per run, docs/performance.md).
    """
    problems, warnings = [], []
    for record in regions or []:
        region, listed = record.get("region"), record.get("ec2_zones")
        if not isinstance(region, str) or not region or listed is None:
            continue
        for index, az in enumerate(record.get("azs") or []):
            if isinstance(az, str) and re.match(r"^%s[a-z]$" % re.escape(region), az):
                _check_zone_with_ec2(problems, "host %s" % record.get("host"), index, az, region, listed, warnings)
    return {"problems": problems, "warnings": warnings}


def _findings(regions, settings):
    """(problems, warnings) of the inventory."""
    problems, warnings = [], []
    settings = _numbers(settings or {})
    regions = list(regions or [])
    known = settings.get("known_regions")
    known = set(known) if known else known_regions()

    if not regions:
        problems.append("the inventory has no region host in group 'regions'")

    # A certificate to import must cover the service name (when that is a valid name: else a problem of its own).
    service = settings.get("service_name")
    service = service if isinstance(service, str) and service and not _dns_name_problem(service) else None
    vpcs = []
    for record in regions:
        vpc = _check_region(problems, record, known, service, warnings,
                            settings.get("certificate_import_checks", True) is not False)
        if vpc is not None:
            vpcs.append((record.get("host"), vpc))

    problems.extend(primary_problems(regions))
    problems.extend(partition_problems(regions))

    seen = {}
    for record in regions:
        region = record.get("region")
        if isinstance(region, str) and region:
            if region in seen:
                problems.append("hosts %s and %s both deploy region %s; each region appears once"
                                % (seen[region], record.get("host"), region))
            else:
                seen[region] = record.get("host")

    for i, (host_a, vpc_a) in enumerate(vpcs):
        for host_b, vpc_b in vpcs[i + 1:]:
            if vpc_a.overlaps(vpc_b):
                problems.append("VPC CIDRs overlap: %s (%s) and %s (%s); DR regions need distinct ranges"
                                % (host_a, vpc_a, host_b, vpc_b))

    _check_settings(problems, settings)
    _check_sends(problems, settings, regions)
    _check_access_logs(problems, settings, regions)
    _check_dns(problems, settings, regions)
    _check_endpoints(problems, settings.get("endpoints"))
    return problems, warnings


class FilterModule(object):
    def filters(self):
        return {
            "preflight_problems": preflight_problems,
            "preflight_warnings": preflight_warnings,
            "preflight_zone_findings": preflight_zone_findings,
        }
