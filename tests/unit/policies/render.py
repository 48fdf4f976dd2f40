"""Render the policies the roles deploy, through the roles' OWN templates and variables.

A converged two-region stack like inventories/local (us-east-2 primary, us-west-2 secondary, the
metrics region us-east-1 with the primary's global key), account 000000000000: the shared defaults
(roles/common/defaults/main.yml) and the play's dr_topology (the finproc.dr.topology filter, as the
common role sets it), then each role's defaults/main.yml and vars/main.yml, then the facts the roles publish on a
converged run (keys, account, peers, table, health checks), and ansible-core's own Templar renders
roles/<role>/templates/<file> as `lookup('template', ...)` does in the role's tasks.

`Stack.documents()` maps every access-path reference (plugins/module_utils/access_paths.py) to the
rendered document; `Stack.description()` is the stack description access_paths() takes.
"""

import copy
import json
from pathlib import Path

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.finproc.dr.plugins.filter.topology import topology
from ansible_collections.finproc.dr.plugins.module_utils import access_paths as ap
from ansible_collections.finproc.dr.plugins.modules import lambda_schedule

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = "000000000000"
PARTITION = "aws"
PRIMARY, SECONDARY, METRICS = "us-east-2", "us-west-2", "us-east-1"
HOSTS = {PRIMARY: "primary", SECONDARY: "secondary"}
KEY_IDS = {
    PRIMARY: "11111111-1111-4111-8111-111111111111",
    SECONDARY: "22222222-2222-4222-8222-222222222222",
    METRICS: "33333333-3333-4333-8333-333333333333",
}
HEALTH_CHECKS = {PRIMARY: "aaaaaaaa-0000-4000-8000-000000000001", SECONDARY: "aaaaaaaa-0000-4000-8000-000000000002"}
FLOW_LOGS = {PRIMARY: "fl-0a0a0a0a0a0a0a0a1", SECONDARY: "fl-0b0b0b0b0b0b0b0b2"}
ZONE = "dev.finproc.example"

_LOADER = DataLoader()


def key_arn(region):
    return "arn:%s:kms:%s:%s:key/%s" % (PARTITION, region, ACCOUNT, KEY_IDS[region])


def _yaml(path):
    path = ROOT / path
    if not path.exists():
        return {}
    return _LOADER.load_from_file(str(path), trusted_as_template=True) or {}


def render(role, template, variables):
    """The document roles/<role>/templates/<template> renders with `variables` (parsed JSON)."""
    text = (ROOT / "roles" / role / "templates" / template).read_text()
    templar = Templar(loader=_LOADER, variables=variables)
    out = templar.template(trust_as_template(text))
    return json.loads(out) if isinstance(out, str) else json.loads(json.dumps(out))


class Stack:
    """The facts of a converged stack and the variables each role sees on each host."""

    def __init__(self, regions=(PRIMARY, SECONDARY), prefix_vars=None):
        self.regions = list(regions)
        self.group_vars = dict(_yaml("roles/common/defaults/main.yml"), dr_dns_zone_name=ZONE, **(prefix_vars or {}))
        self.hosts = {region: self._host_facts(region) for region in self.regions}

    # -- the facts each host has after a converged run ------------------------------------------
    def _host_facts(self, region):
        role = "primary" if region == self.regions[0] else "secondary"
        prefix = "%s-%s" % (self.value("dr_app_name"), self.value("dr_environment"))
        facts = {
            "inventory_hostname": region,
            "dr_role": role,
            "dr_azs": [region + "a", region + "b"],
            # encryption role (roles/encryption/tasks/main.yml)
            "encryption_account_id": ACCOUNT,
            "encryption_partition": PARTITION,
            "encryption_key_arn": key_arn(region),
            "encryption_key_id": KEY_IDS[region],
            # data role (roles/data/tasks/main.yml, bucket.yml, table_wait.yml)
            "data_self": {
                "host": region,
                "region": region,
                "dr_role": role,
                "kms_key_arn": key_arn(region),
                "bucket_name": "%s-%s-%s" % (prefix, ACCOUNT, region),
            },
            "data_bucket": {"exists": True},  # finproc.dr.s3_bucket's result (bucket.yml)
            # network role (roles/network/tasks/flow_logs.yml)
            "network_account_id": ACCOUNT,
            "network_partition": PARTITION,
            "network_flow_log_id": FLOW_LOGS[region],
            # load_balancing and dns_failover roles
            "load_balancing_dns_name": "%s-alb-1.%s.elb.amazonaws.com" % (prefix, region),
            "dns_failover_self": {"region": region, "health_check_id": HEALTH_CHECKS[region]},
        }
        if role == "primary":
            facts["encryption_global_key_arn"] = key_arn(METRICS)
            facts["data_table_arn"] = "arn:%s:dynamodb:%s:%s:table/%s-transactions" % (
                PARTITION,
                region,
                ACCOUNT,
                prefix,
            )
            facts["data_table_regions"] = {r: {"status": "ACTIVE"} for r in self.regions}
            facts["data_table_key_name"] = "transactionId"
        return facts

    def value(self, name):
        return Templar(loader=_LOADER, variables=self.group_vars).template(trust_as_template("{{ %s }}" % name))

    def hostvars(self):
        return {region: dict(self.group_vars, **facts) for region, facts in self.hosts.items()}

    def variables(self, role, region, **extra):
        """What a task of `role` on the host `region` sees (group vars < role defaults < role vars < facts)."""
        variables = dict(self.group_vars)
        variables.update(_yaml("roles/%s/defaults/main.yml" % role))
        variables.update(_yaml("roles/%s/vars/main.yml" % role))
        variables.update(copy.deepcopy(self.hosts[region]))
        hostvars = self.hostvars()
        variables.update(
            hostvars=hostvars,
            dr_topology=topology(list(self.regions), hostvars),
            ansible_play_hosts_all=list(self.regions),
            role_path=str(ROOT / "roles" / role),
            playbook_dir=str(ROOT / "playbooks"),
        )
        variables.update(extra)
        return variables

    # -- the role-level facts set by the roles' set_fact tasks ---------------------------------
    def data_facts(self, region):
        peers = [self.hosts[r]["data_self"] for r in self.regions]
        me = self.hosts[region]["data_self"]
        if me["dr_role"] == "primary":
            destinations = [p for p in peers if p["host"] != region]
        else:
            destinations = [p for p in peers if p["dr_role"] == "primary"]
        return {
            "data_peers": peers,
            "data_replication_destinations": destinations,
            "data_bucket_arn": "arn:%s:s3:::%s" % (PARTITION, me["bucket_name"]),
        }

    def monitoring_facts(self, region):
        """roles/monitoring/tasks/targets.yml on a converged stack."""
        targets = [
            {
                "host": r,
                "region": r,
                "dr_role": self.hosts[r]["dr_role"],
                "lb_dns_name": self.hosts[r]["load_balancing_dns_name"],
                "health_check_id": self.hosts[r]["dns_failover_self"]["health_check_id"],
            }
            for r in self.regions
        ]
        primary = self.hosts[self.regions[0]]
        table_regions = list(primary["data_table_regions"])
        return {
            "monitoring_targets": targets,
            "monitoring_table_name": primary["data_table_arn"].split("/")[1],
            "monitoring_table_key": primary["data_table_key_name"],
            "monitoring_table_regions": table_regions,
            "monitoring_peer_regions": [r for r in table_regions if r != region] if region in table_regions else [],
        }

    # -- the rendered documents -------------------------------------------------------------------
    def key_policy(self, region):
        """The key policy of `region`'s key; the metrics region's key is made by the primary."""
        host = region if region in self.regions else self.regions[0]
        return render(
            "encryption", "key_policy.json.j2", self.variables("encryption", host, encryption_policy_region=region)
        )

    def documents(self):
        """{access-path reference: rendered document} of the whole stack."""
        prefix = self.description()["name_prefix"]
        docs = {}
        for region in self.regions:
            docs[("key-policy", region)] = self.key_policy(region)
            data = self.variables("data", region, **self.data_facts(region))
            bucket = self.hosts[region]["data_self"]["bucket_name"]
            docs[("bucket-policy", bucket)] = render("data", "bucket_policy.json.j2", data)
            if len(self.regions) > 1:
                role = "%s-s3-replication-%s" % (prefix, region)
                docs[("trust", role)] = render("data", "replication_trust.json.j2", data)
                docs[("role-policy", role, ap.REPLICATION_POLICY)] = render("data", "replication_policy.json.j2", data)
            monitoring = self.variables("monitoring", region, **self.monitoring_facts(region))
            role = "%s-monitor-%s" % (prefix, region)
            docs[("trust", role)] = render("monitoring", "lambda_trust.json.j2", monitoring)
            docs[("role-policy", role, ap.MONITOR_POLICY)] = render("monitoring", "lambda_policy.json.j2", monitoring)
            network = self.variables("network", region)
            role = "%s-flow-logs-%s" % (prefix, region)
            docs[("trust", role)] = render("network", "flow_logs_trust.json.j2", network)
            docs[("role-policy", role, ap.FLOW_LOGS_POLICY)] = render("network", "flow_logs_policy.json.j2", network)
            docs[("function-policy", region)] = self.function_policy(region)
            load_balancing = self.variables("load_balancing", region)
            log_bucket = "%s-%s-%s-alb-logs" % (prefix, ACCOUNT, region)
            docs[("bucket-policy", log_bucket)] = render(
                "load_balancing", "access_logs_bucket_policy.json.j2", load_balancing
            )
            topic = "arn:%s:sns:%s:%s:%s-monitoring" % (PARTITION, region, ACCOUNT, prefix)
            docs[("topic-policy", topic)] = self.default_topic_policy(topic)
        if METRICS not in self.regions:
            docs[("key-policy", METRICS)] = self.key_policy(METRICS)
        topic = "arn:%s:sns:%s:%s:%s-dns-health" % (PARTITION, METRICS, ACCOUNT, prefix)
        docs[("topic-policy", topic)] = self.default_topic_policy(topic)
        return docs

    def function_policy(self, region):
        """The function's resource policy: the statement finproc.dr.lambda_schedule adds, made by
        that module's own code (Schedule.wanted_statement is what AddPermission writes)."""
        prefix = self.description()["name_prefix"]
        name = prefix + "-health-monitor"
        schedule = lambda_schedule.Schedule.__new__(lambda_schedule.Schedule)
        schedule.statement_id = "%s-invoke" % name  # the module's default statement_id
        schedule.function_arn = "arn:%s:lambda:%s:%s:function:%s" % (PARTITION, region, ACCOUNT, name)
        rule_arn = "arn:%s:events:%s:%s:rule/%s" % (PARTITION, region, ACCOUNT, name)
        return {"Version": "2012-10-17", "Id": "default", "Statement": [schedule.wanted_statement(rule_arn)]}

    @staticmethod
    def default_topic_policy(topic_arn):
        """The policy SNS gives a new topic (finproc.dr.sns_topic sets none): every principal of
        the owner's account may use the topic (AWS:SourceOwner). SNS developer guide, "Amazon SNS
        access control case examples" / the default policy GetTopicAttributes returns."""
        return {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
                }
            ],
        }

    def alb_access_logs_prefix(self):
        variables = self.variables("load_balancing", self.regions[0])
        return Templar(loader=_LOADER, variables=variables).template(
            trust_as_template("{{ load_balancing_access_logs_prefix }}")
        )

    def description(self):
        """The stack as access_paths() takes it."""
        monitoring = self.variables("monitoring", self.regions[0])
        templar = Templar(loader=_LOADER, variables=monitoring)
        prefix = templar.template(trust_as_template("{{ monitoring_name_prefix }}"))
        return {
            "partition": PARTITION,
            "account_id": ACCOUNT,
            "name_prefix": prefix,
            "monitoring_namespace": templar.template(trust_as_template("{{ monitoring_namespace }}")),
            "application_log_group": templar.template(trust_as_template("{{ monitoring_application_log_group }}")),
            "metrics_region": METRICS,
            "metrics_key_arn": key_arn(METRICS),
            "alb_access_logs_prefix": self.alb_access_logs_prefix(),
            "regions": [
                {
                    "region": r,
                    "dr_role": self.hosts[r]["dr_role"],
                    "kms_key_arn": key_arn(r),
                    "bucket_name": self.hosts[r]["data_self"]["bucket_name"],
                    "health_check_id": HEALTH_CHECKS[r],
                    "flow_log_id": FLOW_LOGS[r],
                }
                for r in self.regions
            ],
        }
