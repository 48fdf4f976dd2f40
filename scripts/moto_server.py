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
"""

import sys

from moto.acm.models import acm_backends
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer
from moto.kms.models import KmsBackend
from moto.route53.exceptions import ResourceRecordAlreadyExists
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

if __name__ == "__main__":
    sys.exit(main())
