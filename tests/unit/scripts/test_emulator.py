"""The emulator launcher's decisions that need no emulator: environment, external endpoints,
missing prerequisites."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def emulator(tmp_path, monkeypatch):
    monkeypatch.setenv("FINPROC_EMULATOR_DIR", str(tmp_path / "state"))
    for key in ("AWS_ENDPOINT_URL", "FINPROC_EMULATOR", "AWS_ENDPOINT_URL_KMS", "FINPROC_EMULATOR_INSTANCE") + (
        "FINPROC_MOTO_PORT",
        "FINPROC_LOCALSTACK_PORT",
    ):
        monkeypatch.delenv(key, raising=False)
    spec = importlib.util.spec_from_file_location("emulator_under_test", ROOT / "scripts" / "emulator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exports(lines):
    return dict(line[len("export ") :].split("=", 1) for line in lines if line.startswith("export "))


def test_the_embedded_split_routes_dynamodb_and_s3_to_localstack_and_the_rest_to_moto(emulator):
    env = exports(emulator.env_lines())
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5566"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:4566"
    assert env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] == "http://127.0.0.1:4566"
    assert env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:4566"
    assert env["FINPROC_EMULATOR"] == "embedded"
    assert env["AWS_ACCESS_KEY_ID"] == "test"
    # Ansible masks a no_log value (the secret key) wherever it occurs in a result: a short word
    # such as "test" would mangle "latest" in verify.yml's reports.
    assert len(env["AWS_SECRET_ACCESS_KEY"]) >= 20 and env["AWS_SECRET_ACCESS_KEY"].startswith("finproc-")
    assert sorted(k for k in env if k.startswith("AWS_ENDPOINT_URL_")) == [
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
        "AWS_ENDPOINT_URL_S3",
    ]


def test_an_external_endpoint_is_used_as_it_is_and_nothing_starts(emulator, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://localhost:4599")
    monkeypatch.setattr(emulator, "start", lambda *a, **k: pytest.fail("started a process"))
    monkeypatch.setattr(emulator, "ensure_venv", lambda *a, **k: pytest.fail("installed something"))
    emulator.cmd_up()
    assert "starting nothing" in capsys.readouterr().out
    env = exports(emulator.ENV_FILE.read_text().splitlines())
    assert env["AWS_ENDPOINT_URL"] == "http://localhost:4566"
    assert env["AWS_ENDPOINT_URL_KMS"] == "http://localhost:4599"
    assert env["FINPROC_EMULATOR"] == "external"
    emulator.cmd_down()
    assert "nothing of ours to stop" in capsys.readouterr().out


def test_our_own_environment_is_not_mistaken_for_an_external_endpoint(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5566")
    monkeypatch.setenv("FINPROC_EMULATOR", "embedded")
    assert emulator.external_endpoint() is False


def test_a_missing_python_313_is_named_with_the_way_to_get_it(emulator, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("FINPROC_PYTHON313", raising=False)
    with pytest.raises(SystemExit):
        emulator.find_python313()
    err = capsys.readouterr().err
    assert "Python 3.13 is needed" in err
    assert "pyenv install 3.13" in err


def test_a_missing_jdk_is_named(emulator, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SystemExit):
        emulator.find_java_home()
    assert "openjdk-17-jdk-headless" in capsys.readouterr().err


def test_a_missing_npm_is_named(emulator, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(SystemExit):
        emulator.require_npm()
    assert "apt-get install npm" in capsys.readouterr().err


def test_a_stale_pid_file_does_not_count_as_running(emulator):
    emulator.STATE.mkdir(parents=True)
    emulator.pidfile("moto").write_text("999999999")
    assert emulator.running_pid("moto") is None
    assert not emulator.pidfile("moto").exists()


def test_status_exit_code(emulator):
    emulator.STATE.mkdir(parents=True)
    assert emulator.cmd_status() == 1


def test_usage(emulator, capsys):
    assert emulator.main(["emulator.py", "sideways"]) == 2
    assert "Usage: emulator.py up | down | env | status | install" in capsys.readouterr().err


def test_the_environment_names_the_emulator_folder_for_the_local_inventory(emulator):
    env = exports(emulator.env_lines())
    assert env["FINPROC_EMULATOR_DIR"] == str(emulator.STATE)


def test_the_listeners_certificate_is_made_once_private_and_for_the_local_zones(emulator, capsys):
    import subprocess

    emulator.ensure_tls()
    cert, key = emulator.TLS_DIR / "cert.pem", emulator.TLS_DIR / "key.pem"
    assert key.stat().st_mode & 0o077 == 0, "the private key is readable by others"
    text = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:*.dev.finproc.example" in text
    assert "DNS:*.finproc.example" in text
    first = cert.read_bytes()
    emulator.ensure_tls()
    assert cert.read_bytes() == first, "a fresh certificate was replaced"
    assert capsys.readouterr().out.count("wrote a self-signed certificate") == 1


def test_another_environment_gets_a_certificate_of_its_service_name_with_the_same_key(emulator):
    # Preflight refuses a certificate that does not cover api.<environment>.finproc.example, and the
    # listeners' certificate covers *.dev.finproc.example only (a wildcard covers one label).
    import subprocess

    def openssl(*args):
        return subprocess.run(["openssl", *args], capture_output=True, text=True, check=True).stdout

    cert = emulator.environment_certificate("it1234")
    assert cert == emulator.TLS_DIR / "environments" / "it1234.pem"
    assert "DNS:*.it1234.finproc.example" in openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName")
    key = emulator.TLS_DIR / "key.pem"
    assert openssl("x509", "-in", str(cert), "-noout", "-pubkey") == openssl("pkey", "-in", str(key), "-pubout")
    first = cert.read_bytes()
    assert emulator.environment_certificate("it1234").read_bytes() == first, "a fresh certificate was replaced"


def test_localstack_is_mended_once_where_it_departs_from_aws(emulator, tmp_path, capsys):
    """The emulator layer, not the modules, carries the workarounds: among them, DescribeTable in a
    replica's region answers the replica's own SSEDescription (dr_controls_info reads only that, as
    AWS reports it); each fix is applied once, and a file not as expected is reported, not broken."""
    site = tmp_path / "venv" / "lib" / "python3.13" / "site-packages"
    for relative, shipped, _fixed in emulator.LOCALSTACK_FIXES:
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("before\n" + shipped + "after\n")
    assert any(
        "SSEDescription" in fixed and relative.endswith("dynamodb/provider.py")
        for relative, _shipped, fixed in emulator.LOCALSTACK_FIXES
    )
    emulator.apply_localstack_fixes(tmp_path / "venv")
    once = {relative: (site / relative).read_text() for relative, _s, _f in emulator.LOCALSTACK_FIXES}
    for relative, _shipped, fixed in emulator.LOCALSTACK_FIXES:
        assert once[relative] == "before\n" + fixed + "after\n"
    emulator.apply_localstack_fixes(tmp_path / "venv")
    assert {relative: (site / relative).read_text() for relative in once} == once
    relative = emulator.LOCALSTACK_FIXES[0][0]
    (site / relative).write_text("something else\n")
    emulator.apply_localstack_fixes(tmp_path / "venv")
    assert (site / relative).read_text() == "something else\n"
    captured = capsys.readouterr()
    assert f"{relative} is not as expected" in captured.out + captured.err


def load_instance(tmp_path, monkeypatch, instance, moto_port=None):
    monkeypatch.setenv("FINPROC_EMULATOR_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("FINPROC_EMULATOR_INSTANCE", instance)
    for key in ("AWS_ENDPOINT_URL", "FINPROC_EMULATOR", "FINPROC_LOCALSTACK_PORT"):
        monkeypatch.delenv(key, raising=False)
    if moto_port:
        monkeypatch.setenv("FINPROC_MOTO_PORT", moto_port)
    else:
        monkeypatch.delenv("FINPROC_MOTO_PORT", raising=False)
    spec = importlib.util.spec_from_file_location("emulator_instance_under_test", ROOT / "scripts" / "emulator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_another_instance_has_its_own_ports_processes_and_env_and_shares_the_installation(tmp_path, monkeypatch):
    second = load_instance(tmp_path, monkeypatch, "1")
    state = tmp_path / "state"
    installation, certificates, run_dir, env_file = second.STATE, second.TLS_DIR, second.RUN_DIR, second.ENV_FILE
    assert (installation, certificates) == (state, state / "tls")
    assert run_dir == state / "instances" / "1"
    assert second.pidfile("moto") == run_dir / "moto.pid"
    assert env_file == run_dir / "env"
    env = exports(second.env_lines())
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5567"
    assert env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:4567"
    # The installation and the certificates are the first one's; `down` of this one stops only it.
    assert env["FINPROC_EMULATOR_DIR"] == str(state)
    assert env["FINPROC_EMULATOR_INSTANCE"] == "1"
    # Ports given for the first instance move the others with them.
    assert load_instance(tmp_path, monkeypatch, "2", moto_port="5590").MOTO_PORT == 5592


@pytest.mark.parametrize("instance", ["0", "10", "b", "-1"])
def test_an_instance_number_out_of_range_is_refused(tmp_path, monkeypatch, instance):
    with pytest.raises(SystemExit, match="FINPROC_EMULATOR_INSTANCE must be a number from 1 to 9"):
        load_instance(tmp_path, monkeypatch, instance)
