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


def recipe(makefile, target):
    """The recipe lines of a Makefile target."""
    lines = makefile.split("\n" + target + ":", 1)[1].splitlines()[1:]
    return "\n".join(line for line in lines[: next(i for i, x in enumerate(lines) if not x.startswith("\t"))])


def test_make_runs_the_failover_and_localstack_scenarios():
    makefile = (ROOT / "Makefile").read_text()
    assert "MOLECULE_SCENARIOS := molecule test -s failover && molecule test -s localstack" in makefile
    assert "$(MOLECULE_SCENARIOS)" in recipe(makefile, "molecule")
    # make test runs them beside the integration shards, on an emulator instance of their own.
    beside = recipe(makefile, "molecule-beside")
    assert "$(MOLECULE_SCENARIOS)" in beside and "FINPROC_EMULATOR_INSTANCE=2" in beside
    assert "molecule-beside" in recipe(makefile, "test")


def test_the_localstack_scenario_runs_verify_yml_with_the_foundation_controls():
    """molecule/localstack converges only the foundation (encryption, network, data): its verify runs
    playbooks/verify.yml limited to those areas (their controls, their resources' tags, the access
    paths their documents decide), so the controls tests/state no longer holds are checked there too."""
    localstack = scenario("localstack")
    env = localstack["provisioner"]["env"]
    assert localstack["provisioner"]["playbooks"]["verify"] == "../default/verify.yml"
    assert "foundation.yml" in (ROOT / "molecule" / "localstack" / "converge.yml").read_text()
    # Unset: the foundation's areas; set but empty (a LocalStack Pro run of site.yml): every control.
    assert env["FINPROC_VERIFY_CONTROLS"] == "${FINPROC_VERIFY_CONTROLS-kms,data,network}"
    verify = yaml.safe_load(playbook("localstack", "verify").read_text())
    tasks = {t["name"]: t for play in verify for t in play.get("tasks", [])}
    check = tasks["Check the controls with verify.yml (read-only; fails naming a failed control)"]
    assert "playbooks/verify.yml" in check["ansible.builtin.command"]["cmd"]
    assert (
        "-e dr_verify_controls={{ lookup('ansible.builtin.env', 'FINPROC_VERIFY_CONTROLS') | quote }}"
        in (check["ansible.builtin.command"]["cmd"])
    )
    assert "lookup('ansible.builtin.env', 'FINPROC_VERIFY_CONTROLS') | length > 0" in check["when"]
    # verify.yml hands it to dr_controls_info's controls option, whose choices hold the areas.
    plays = yaml.safe_load((ROOT / "playbooks" / "verify.yml").read_text())
    evaluate = next(t for p in plays for t in p.get("tasks", []) if "finproc.dr.dr_controls_info" in t)
    assert evaluate["finproc.dr.dr_controls_info"]["controls"] == "{{ verify_selection }}"
    assert (
        "dr_verify_controls"
        in next(p for p in plays if "verify_selection" in p.get("vars", {}))["vars"]["verify_selection"]
    )
