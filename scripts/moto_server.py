"""Start moto's server with fixes for the few moto bugs the collection runs into.

Emulator handling lives here, outside the collection: roles and modules call AWS exactly as they
would call the real thing, and where moto departs from AWS, moto is mended, not the collection.

- KMS DisableKey, EnableKey, CancelKeyDeletion and ScheduleKeyDeletion: AWS accepts a key ARN as
  KeyId (amazon.aws.kms_key passes one); moto 5.2 looks the ARN up as a key id and fails with 500.
- ELBv2 DescribeLoadBalancerAttributes: AWS lists every attribute of an application load balancer
  with its default value (idle_timeout.timeout_seconds 60, drop_invalid_header_fields false, ...);
  moto lists four, and amazon.aws.elb_application_lb fails on the missing idle timeout.
- ELBv2 DeleteLoadBalancer: AWS refuses to delete a load balancer whose deletion protection is on
  (OperationNotPermitted); moto deletes it, so a destroy that forgot to turn it off would pass.
- ELBv2 DeleteLoadBalancer and DeleteListener: AWS stops counting a deleted listener among the
  users of its ACM certificate (InUseBy); moto keeps it there forever, so the certificate could
  never be deleted.
- Route53 ChangeResourceRecordSets: AWS refuses a CREATE only when a record of that name, type
  and set identifier exists; moto refuses a CREATE it has seen before whenever any record of that
  name and type exists, so a failover record deleted and created again (the SECONDARY moving
  back to a region) is refused, and a CREATE of a record that exists is accepted once the journal
  has moved on. Here a CREATE is refused exactly when AWS refuses it.
- Lambda LoggingConfig: AWS reports, for every function, a LoggingConfig with at least LogFormat
  (default Text) and LogGroup (default /aws/lambda/<function name>), in GetFunction,
  GetFunctionConfiguration, ListFunctions and the replies of CreateFunction and
  UpdateFunctionConfiguration, and keeps the LoggingConfig these two are given; moto neither
  keeps nor reports it. Here the LoggingConfig given (merged over the defaults) is kept and
  reported.
- Lambda UpdateFunctionConfiguration KMSKeyArn: AWS changes the function's key, and removes it
  (KMSKeyArn is then no longer reported) when given ""; moto keeps the key of CreateFunction.
- Lambda UpdateFunctionCode Architectures: AWS changes the function's architecture; moto keeps
  the one of CreateFunction.
- CloudWatch dashboard tags: AWS applies the Tags of a PutDashboard that creates a dashboard
  (and ignores them when it updates one), accepts a dashboard's ARN in TagResource and
  UntagResource, and drops the tags with the dashboard in DeleteDashboards; moto ignores the Tags,
  refuses the ARN (ResourceNotFoundException) and keeps tags it holds for a deleted dashboard.
- ACM GetCertificate of an imported certificate: AWS returns the chain that was imported
  (GetCertificate: "Certificates forming the requested certificate's chain of trust",
  https://docs.aws.amazon.com/acm/latest/APIReference/API_GetCertificate.html; community.aws's
  acm_certificate, tested on AWS, compares it byte for byte with the chain it imported); moto
  appends an "Amazon Root CA 1" to every chain, so a chain compared with the one imported always
  differs. Here an imported certificate's chain is the one imported (none when none was: the
  CertificateChain member is optional in the API model).
- ACM ImportCertificate over an existing ARN (a re-import): AWS replaces the certificate "while
  preserving the AWS service associations of the original certificate" (ACM User Guide,
  "Reimport a certificate", https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html)
  and takes no tags then ("You cannot apply tags when reimporting a certificate",
  ImportCertificate, https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html):
  the certificate keeps its users (InUseBy) and its tags. moto builds a new certificate that has
  neither, so a certificate in use could be deleted and one found by its Name tag is lost.
- EC2 client tokens (CreateNatGateway, CreateFlowLogs, CreateVpcEndpoint): "If you retry a request
  that completed successfully using the same client token and the same parameters, the retry
  succeeds without performing any further actions"; with other parameters, "the retry fails with an
  IdempotentParameterMismatch error" ("Ensuring idempotency in Amazon EC2 API requests",
  https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html). moto ignores the token
  and creates again (a second NAT gateway on an address already associated fails), so a retry
  after a lost answer (scripts/lossy_proxy.py) would not behave as on AWS. Here a token seen before
  returns the first call's resource, or IdempotentParameterMismatch.
- ELBv2 CreateTargetGroup: "This operation is idempotent, which means that it completes at most one
  time. If you attempt to create multiple target groups with the same settings, each call succeeds"
  (CreateTargetGroup, Elastic Load Balancing API Reference,
  https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html);
  moto refuses any second call (DuplicateTargetGroupName). Here a target group of that name with the
  same protocol, port, VPC and target type is returned; other settings are still refused.
  CreateLoadBalancer and CreateListener are idempotent likewise ("If you attempt to create multiple
  load balancers with the same settings, each call succeeds", the same for listeners: API Reference,
  CreateLoadBalancer and CreateListener); moto made a second load balancer of the same name and a
  second listener on the same port. Here the same settings return the one there, other settings are
  refused (DuplicateLoadBalancerName, DuplicateListener).
- Route53 CallerReference: "If you send a CreateHealthCheck request with the same CallerReference and
  settings as a previous request [...] If the health check does exist, Route 53 returns the settings
  for the existing health check"; with other settings, or the reference of a deleted health check,
  HealthCheckAlreadyExists (CreateHealthCheck, https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHealthCheck.html);
  CreateHostedZone answers HostedZoneAlreadyExists "when a hosted zone has already been created with
  the specified CallerReference" (Route 53 API model). moto ignores the reference and creates again,
  so a retried create after a lost answer made a second health check or zone.
"""

import sys

from moto.acm.models import AWSCertificateManagerBackend, acm_backends
from moto.acm.responses import AWSCertificateManagerResponse
from moto.awslambda.models import LambdaFunction
from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses import EC2Response
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer
from moto.kms.models import KmsBackend
from moto.route53.exceptions import ResourceRecordAlreadyExists
from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend
from moto.server import main


def _accept_key_arns(name):
    original = getattr(KmsBackend, name)

    def method(self, key_id, *args, **kwargs):
        return original(self, self.get_key_id(key_id), *args, **kwargs)

    method.__name__ = name
    setattr(KmsBackend, name, method)


for _name in ("disable_key", "enable_key", "cancel_key_deletion", "schedule_key_deletion"):
    _accept_key_arns(_name)


# The attributes AWS reports for a new application load balancer (DescribeLoadBalancerAttributes).
ALB_DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
}
_original_lb_init = FakeLoadBalancer.__init__


def _lb_init(self, *args, **kwargs):
    _original_lb_init(self, *args, **kwargs)
    if self.type == "application":
        self.attrs = dict(ALB_DEFAULT_ATTRIBUTES, **self.attrs)
        self.attrs["load_balancing.cross_zone.enabled"] = "true"


FakeLoadBalancer.__init__ = _lb_init


class OperationNotPermitted(ELBClientError):
    def __init__(self, msg):
        super().__init__("OperationNotPermitted", msg)


_original_delete_lb = ELBv2Backend.delete_load_balancer


def _delete_load_balancer(self, arn):
    balancer = self.load_balancers.get(arn)
    if balancer is not None and balancer.attrs.get("deletion_protection.enabled") == "true":
        raise OperationNotPermitted(f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")
    listeners = list(balancer.listeners) if balancer is not None else []
    result = _original_delete_lb(self, arn)
    _release_certificates(self, listeners)
    return result


def _release_certificates(backend, listener_arns):
    """Deleted listeners no longer use their certificates."""
    certificates = acm_backends[backend.account_id][backend.region_name]._certificates
    for bundle in certificates.values():
        bundle.in_use_by[:] = [user for user in bundle.in_use_by if user not in listener_arns]


_original_delete_listener = ELBv2Backend.delete_listener


def _delete_listener(self, listener_arn):
    listener = _original_delete_listener(self, listener_arn)
    _release_certificates(self, [listener_arn])
    return listener


ELBv2Backend.delete_load_balancer = _delete_load_balancer
ELBv2Backend.delete_listener = _delete_listener

_original_change_rrsets = Route53Backend.change_resource_record_sets


def _change_resource_record_sets(self, zoneid, change_list):
    zone = self.get_hosted_zone(zoneid)
    for change in change_list:
        record = change.get("ResourceRecordSet", {})
        if change.get("Action") != "CREATE":
            continue
        name = record.get("Name", "")
        name = name if name.endswith(".") else name + "."
        exists = any(
            r.name == name and r.type == record.get("Type") and r.set_identifier == record.get("SetIdentifier")
            for r in zone.rrsets
        )
        if exists:
            raise ResourceRecordAlreadyExists(name=name, _type=record.get("Type"))
        change["Action"] = "UPSERT"  # the same as CREATE for a record that does not exist
    return _original_change_rrsets(self, zoneid, change_list)


Route53Backend.change_resource_record_sets = _change_resource_record_sets


def _logging_config(function, given):
    """A function's LoggingConfig: `given` over the defaults AWS reports."""
    return dict({"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}, **(given or {}))


_original_lambda_init = LambdaFunction.__init__


def _lambda_init(self, account_id, spec, region, version=1):
    _original_lambda_init(self, account_id, spec, region, version)
    self.logging_config = _logging_config(self, spec.get("LoggingConfig"))


_original_lambda_get_configuration = LambdaFunction.get_configuration


def _lambda_get_configuration(self, *args, **kwargs):
    config = _original_lambda_get_configuration(self, *args, **kwargs)
    config["LoggingConfig"] = dict(getattr(self, "logging_config", None) or _logging_config(self, None))
    return config


_original_lambda_update_configuration = LambdaFunction.update_configuration


def _lambda_update_configuration(self, config_updates):
    _original_lambda_update_configuration(self, config_updates)
    # New objects, never changed in place: a published version is a shallow copy of $LATEST.
    if "LoggingConfig" in config_updates:
        self.logging_config = _logging_config(self, config_updates["LoggingConfig"])
    if "KMSKeyArn" in config_updates:
        self.kms_key_arn = config_updates["KMSKeyArn"] or None  # "": no key, as if none was ever given
    return self.get_configuration()


_original_lambda_update_function_code = LambdaFunction.update_function_code


def _lambda_update_function_code(self, updated_spec):
    architectures = updated_spec.get("Architectures")
    if architectures is None or updated_spec.get("DryRun"):
        return _original_lambda_update_function_code(self, updated_spec)
    previous = self.architectures
    self.architectures = list(architectures)  # validated by moto's setter, before the code changes
    try:
        return _original_lambda_update_function_code(self, updated_spec)
    except Exception:
        self.architectures = previous
        raise


LambdaFunction.__init__ = _lambda_init
LambdaFunction.get_configuration = _lambda_get_configuration
LambdaFunction.update_configuration = _lambda_update_configuration
LambdaFunction.update_function_code = _lambda_update_function_code

_original_put_dashboard = CloudWatchResponse.put_dashboard


def _put_dashboard(self):
    name = self._get_param("DashboardName")
    new = self.cloudwatch_backend.get_dashboard(name) is None
    result = _original_put_dashboard(self)
    tags = self._get_param("Tags", [])
    if new and tags:  # the Tags of an update are ignored, as AWS does
        self.cloudwatch_backend.tagger.tag_resource(self.cloudwatch_backend.get_dashboard(name).arn, tags)
    return result


def _is_dashboard(backend, arn):
    return any(dashboard.arn == arn for dashboard in backend.dashboards.values())


_original_cloudwatch_tag_resource = CloudWatchBackend.tag_resource


def _cloudwatch_tag_resource(self, arn, tags):
    if not _is_dashboard(self, arn):
        return _original_cloudwatch_tag_resource(self, arn, tags)
    self.tagger.tag_resource(arn, self.tagger.convert_dict_to_tags_input(tags))


_original_cloudwatch_untag_resource = CloudWatchBackend.untag_resource


def _cloudwatch_untag_resource(self, arn, tag_keys):
    if not _is_dashboard(self, arn):
        return _original_cloudwatch_untag_resource(self, arn, tag_keys)
    self.tagger.untag_resource_using_names(arn, tag_keys)


_original_delete_dashboards = CloudWatchBackend.delete_dashboards


def _delete_dashboards(self, dashboards):
    arns = [self.dashboards[name].arn for name in dashboards if name in self.dashboards]
    error = _original_delete_dashboards(self, dashboards)
    if error is None:  # all deleted (none is, when one is missing)
        for arn in arns:
            self.tagger.delete_all_tags_for_resource(arn)
    return error


CloudWatchResponse.put_dashboard = _put_dashboard
CloudWatchBackend.tag_resource = _cloudwatch_tag_resource
CloudWatchBackend.untag_resource = _cloudwatch_untag_resource
CloudWatchBackend.delete_dashboards = _delete_dashboards

_original_import_certificate = AWSCertificateManagerBackend.import_certificate


def _import_certificate(self, certificate, private_key, chain, arn, tags):
    previous = self._certificates.get(arn) if arn else None
    imported_arn = _original_import_certificate(self, certificate, private_key, chain=chain, arn=arn, tags=tags)
    bundle = self._certificates[imported_arn]
    bundle.chain = chain  # as imported, validated by moto already; None when none was
    if previous is not None:  # a re-import: the same certificate, its users and tags kept
        bundle.in_use_by = previous.in_use_by
        bundle.tags = previous.tags
    return imported_arn


_original_get_certificate_response = AWSCertificateManagerResponse.get_certificate


def _get_certificate_response(self):
    bundle = self.acm_backend._certificates.get(self._get_param("CertificateArn"))
    if bundle is None or bundle.chain is not None:
        return _original_get_certificate_response(self)
    bundle.chain = b""  # moto's reply decodes the chain; the member is left out below
    try:
        result = _original_get_certificate_response(self)
    finally:
        bundle.chain = None
    result.result.pop("CertificateChain", None)
    return result


AWSCertificateManagerBackend.import_certificate = _import_certificate
AWSCertificateManagerResponse.get_certificate = _get_certificate_response

_original_create_target_group = ELBv2Backend.create_target_group


def _create_target_group(self, name, **kwargs):
    for group in self.target_groups.values():
        same = (group.protocol, str(group.port), group.vpc_id, group.target_type) == (
            kwargs.get("protocol"),
            str(kwargs.get("port")),
            kwargs.get("vpc_id"),
            kwargs.get("target_type") or "instance",
        )
        if group.name == name and same:
            return group
    return _original_create_target_group(self, name, **kwargs)


ELBv2Backend.create_target_group = _create_target_group

_original_create_load_balancer = ELBv2Backend.create_load_balancer
_original_create_listener = ELBv2Backend.create_listener


def _create_load_balancer(self, name, security_groups, subnet_ids, subnet_mappings=None, *args, **kwargs):
    wanted = sorted(list(subnet_ids or []) + [m["SubnetId"] for m in subnet_mappings or []])
    for balancer in self.load_balancers.values():
        if balancer.name != name:
            continue
        if sorted(s.id for s in balancer.subnets) == wanted and sorted(balancer.security_groups or []) == sorted(
            security_groups or []
        ):
            return balancer
        raise OperationNotPermittedOrDuplicate("DuplicateLoadBalancerName", "A load balancer with the name exists.")
    return _original_create_load_balancer(self, name, security_groups, subnet_ids, subnet_mappings, *args, **kwargs)


def _create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs):
    balancer = self.load_balancers.get(load_balancer_arn)
    for listener in balancer.listeners.values() if balancer is not None else []:
        if str(listener.port) == str(port):
            if listener.protocol == (protocol or "").upper():
                return listener
            raise OperationNotPermittedOrDuplicate("DuplicateListener", "A listener with the port exists.")
    return _original_create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs)


class OperationNotPermittedOrDuplicate(ELBClientError):
    def __init__(self, code, msg):
        super().__init__(code, msg)


ELBv2Backend.create_load_balancer = _create_load_balancer
ELBv2Backend.create_listener = _create_listener


def _references(backend):
    """The backend's caller references: reference -> the health check's settings, or None once deleted
    (kept on the backend, so that a reset of moto's state forgets them too)."""
    return backend.__dict__.setdefault("_finproc_health_check_references", {})


_original_create_health_check = Route53Backend.create_health_check
_original_delete_health_check = Route53Backend.delete_health_check
_original_create_hosted_zone = Route53Backend.create_hosted_zone


def _create_health_check(self, caller_reference, health_check_args):
    references = _references(self)
    if caller_reference in references:
        for check in self.health_checks.values():
            if check.caller_reference == caller_reference and references[caller_reference] == health_check_args:
                return check
        raise Route53ClientError(
            "HealthCheckAlreadyExists",
            "A health check with the CallerReference %s exists or existed, with other settings" % caller_reference,
        )
    check = _original_create_health_check(self, caller_reference, health_check_args)
    _references(self)[caller_reference] = dict(health_check_args)
    return check


def _delete_health_check(self, health_check_id):
    check = self.health_checks.get(health_check_id)
    if check is not None:
        _references(self)[check.caller_reference] = None
    return _original_delete_health_check(self, health_check_id)


def _create_hosted_zone(self, name, private_zone, caller_reference=None, *args, **kwargs):
    if caller_reference and any(z.caller_reference == caller_reference for z in self.zones.values()):
        raise Route53ClientError(
            "HostedZoneAlreadyExists", "A hosted zone was created with the CallerReference %s" % caller_reference
        )
    return _original_create_hosted_zone(self, name, private_zone, caller_reference, *args, **kwargs)


Route53Backend.create_health_check = _create_health_check
Route53Backend.delete_health_check = _delete_health_check
Route53Backend.create_hosted_zone = _create_hosted_zone

# EC2 client tokens, on the region's EC2 backend (reset with it): (action, token) -> (the other
# parameters, the first answer).


def _honour_client_token(name):
    original = getattr(EC2Response, name)

    def method(self):
        token = self._get_param("ClientToken")
        if not token:
            return original(self)
        params = {k: v for k, v in self.querystring.items() if k not in ("ClientToken", "Action", "Version")}
        tokens = self.ec2_backend.__dict__.setdefault("_finproc_client_tokens", {})
        key = (name, token)
        seen = tokens.get(key)
        if seen is not None:
            if seen[0] != params:
                raise EC2ClientError(
                    "IdempotentParameterMismatch",
                    "The client token %s was used before with other parameters." % token,
                )
            return seen[1]
        answer = original(self)
        tokens[key] = (params, answer)
        return answer

    method.__name__ = name
    setattr(EC2Response, name, method)


for _name in ("create_nat_gateway", "create_flow_logs", "create_vpc_endpoint", "create_route_table"):
    _honour_client_token(_name)

if __name__ == "__main__":
    sys.exit(main())
