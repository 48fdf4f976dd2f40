"""--check against an account without the stack reports what it would create and creates nothing."""

from conftest import ours, recap, run_site, snapshot, write_inventory


def test_check_mode_on_an_empty_account_creates_nothing(tmp_path, local_inventory, environment_name):
    before = snapshot()
    result = run_site(
        write_inventory(tmp_path, local_inventory), "--check", "--diff", extra_vars={"dr_environment": environment_name}
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
