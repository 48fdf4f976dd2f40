"""--check against an account without the stack reports what it would create and creates nothing;
and at the most verbose level the imported certificate's private key never reaches the output."""

import os
from pathlib import Path

from conftest import ours, recap, run_site, snapshot, write_inventory


def test_check_mode_on_an_empty_account_creates_nothing(tmp_path, local_inventory, environment_name):
    before = snapshot()
    # -vvv prints every task's module arguments: the private key (acm_certificate's private_key,
    # no_log) must show only as Ansible's mask.
    result = run_site(
        write_inventory(tmp_path, local_inventory),
        "--check",
        "--diff",
        "-vvv",
        extra_vars={"dr_environment": environment_name},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    counts = recap(output)
    assert set(counts) == {"us-east-2", "us-west-2"}
    for host, host_counts in counts.items():
        assert host_counts["failed"] == 0, host
        # The KMS key and the VPC (with what it holds) are reported as to be created.
        assert host_counts["changed"] >= 2, (host, host_counts)
    assert f"VPC finproc-{environment_name}-vpc (10.0.0.0/16) does not exist yet" in output
    after = snapshot()
    assert after == before
    assert ours(after, environment_name) == []

    key = Path(os.environ["FINPROC_EMULATOR_DIR"], "tls", "key.pem").read_text().splitlines()
    body = [line for line in key if line and not line.startswith("-----")]
    assert body, "the emulator's key file has no PEM body"
    # The certificate import ran (its arguments are printed, the key masked) and no line of the key shows.
    assert "TASK [finproc.dr.load_balancing : Import the certificate from its PEM files" in output
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output
    assert not [line for line in body if line in output], "a line of the private key reached the output"
