"""`make test` runs the molecule failover scenario and not the default one: that is only sound while
the failover scenario holds every step of the default one, with the same playbooks and settings."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def scenario(name):
    return yaml.safe_load((ROOT / "molecule" / name / "molecule.yml").read_text())


def playbook(name, step):
    """The file a scenario's step runs, resolved from the scenario's folder."""
    folder = ROOT / "molecule" / name
    return (folder / scenario(name)["provisioner"]["playbooks"][step]).resolve()


def test_the_failover_scenario_runs_every_step_of_the_default_one_in_order():
    default = scenario("default")["scenario"]["test_sequence"]
    failover = iter(scenario("failover")["scenario"]["test_sequence"])
    assert all(step in failover for step in default), "a step of the default scenario is missing or out of order"


def test_the_shared_steps_run_the_same_playbooks():
    for step in ("create", "converge", "verify", "destroy"):
        assert playbook("failover", step) == playbook("default", step), step
    assert playbook("failover", "side_effect").name == "side_effect.yml"
    assert "failover_drill.yml" in playbook("failover", "side_effect").read_text()


def test_the_shared_settings_are_the_same_and_the_drill_is_checked():
    default, failover = scenario("default"), scenario("failover")
    for key in ("driver", "platforms", "verifier", "dependency"):
        assert failover[key] == default[key], key
    assert failover["provisioner"]["config_options"] == default["provisioner"]["config_options"]
    assert failover["provisioner"]["inventory"] == default["provisioner"]["inventory"]
    env = failover["provisioner"]["env"]
    assert {k: v for k, v in env.items() if k in default["provisioner"]["env"]} == default["provisioner"]["env"]
    # Its verify checks the stack's state after the drill, and what the drill left.
    assert env["FINPROC_STATE_TESTS"].split() == ["tests/state", "tests/drill"]


def test_make_runs_the_failover_and_localstack_scenarios():
    makefile = (ROOT / "Makefile").read_text()
    assert "molecule test -s failover && molecule test -s localstack" in makefile
