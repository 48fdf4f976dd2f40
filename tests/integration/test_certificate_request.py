"""A requested certificate: ACM is asked for it, its DNS validation records are written in the
hosted zone, and the run waits for ISSUED. The emulator never validates, so the wait must end at
its timeout with a message that says what DNS must answer, and nothing is built on top of it."""

import boto3
from conftest import run_site, write_inventory


def test_a_requested_certificate_gets_its_validation_records_and_an_honest_timeout(
    tmp_path, local_inventory, environment_name
):
    result = run_site(
        write_inventory(tmp_path, local_inventory),
        extra_vars={
            "dr_environment": environment_name,
            "dr_certificate_source": "request",
            "load_balancing_certificate_wait_timeout": 15,
        },
        playbook="playbooks/traffic.yml",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Wait until ACM has issued the certificate" in output

    zone = f"{environment_name}.finproc.example."
    route53 = boto3.client("route53", region_name="us-east-1")
    zone_id = next(z["Id"] for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone)
    cnames = {
        r["Name"]: r["ResourceRecords"][0]["Value"]
        for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        if r["Type"] == "CNAME"
    }
    for region in ("us-east-2", "us-west-2"):
        acm = boto3.client("acm", region_name=region)
        ours = [
            c["CertificateArn"]
            for c in acm.list_certificates()["CertificateSummaryList"]
            if c["DomainName"] == "api." + zone.rstrip(".")
        ]
        assert len(ours) == 1, f"{region}: expected one requested certificate, found {ours}"
        certificate = acm.describe_certificate(CertificateArn=ours[0])["Certificate"]
        assert certificate["Status"] == "PENDING_VALIDATION"
        assert certificate["Type"] == "AMAZON_ISSUED"
        for option in certificate["DomainValidationOptions"]:
            record = option["ResourceRecord"]
            assert cnames.get(record["Name"]) == record["Value"], f"validation record {record['Name']} missing"
            # The failure says which record DNS must answer and what ACM still waits for.
            assert record["Name"].rstrip(".") in output
        assert "PENDING_VALIDATION" in output
        # Nothing was built on a certificate that is not there.
        elbv2 = boto3.client("elbv2", region_name=region)
        names = [b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"]]
        assert f"finproc-{environment_name}-alb" not in names
