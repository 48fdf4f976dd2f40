"""make bench: our playbooks beside the Terraform reference, phase by phase, on one machine.

Per run, each side on a fresh emulator of its own, the phases ALTERNATE (equal machine conditions):
ours converge, TF apply, ours no-op converge, TF plan (-detailed-exitcode), ours --check, TF apply
(no-op), ours destroy, TF destroy. Terraform's plan is the reference of both our no-op and our
--check. Per phase: wall seconds, CPU seconds of every child process (os.wait4 of the phase's
command: ansible's workers and modules, terraform's provider plugins, are reaped by their parents
and counted), the API requests the emulators logged, the changed count, and, as information, the
emulators' own CPU. Ours also: tasks ok/changed/skipped, the slowest tasks and the module runs per
action (scripts/bench_plugins/callback/bench_tasks.py). One extra no-op run of ours, not timed,
goes through scripts/lossy_proxy.py in counting mode: the requests per action.

Terraform (the seed's plain-Terraform stack, two regions) runs when terraform, the seed
(FINPROC_TERRAFORM_SEED, else ../shared/anchors/terraform-seed) and the provider mirror
(TF_PLUGIN_MIRROR, else found like the seed's run.sh finds it) are there; else it says what is
missing and runs ours alone. --regions N != 2: ours alone on a generated N-region inventory, with
ratios to the latest 2-region report. --runs k: medians. Output: a table on stdout and
reports/bench-<UTC time>.json. Python standard library only.

Usage: python scripts/bench.py [--regions N] [--runs K]   (make bench [REGIONS=N] [RUNS=K])
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLBACKS = ROOT / "scripts" / "bench_plugins" / "callback"
ENVIRONMENT = "dev"  # the local inventory's dr_environment (roles/common defaults): destroy's typed confirmation


def _load_emulator():
    """scripts/emulator.py as a module: its STATE (FINPROC_EMULATOR_DIR) and ports (FINPROC_*_PORT)."""
    spec = importlib.util.spec_from_file_location("finproc_emulator", ROOT / "scripts" / "emulator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------------
# pure parts (tests/unit/scripts/test_bench.py)
# ------------------------------------------------------------------------------------------------
# A request line: werkzeug's access log (moto, ours and Terraform's) and LocalStack's
# "AWS <service>.<Operation> => <code>". moto's /moto-api/ (readiness probes) is not AWS traffic.
REQUEST = {
    "moto": re.compile(r'"(GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) (?!/moto-api)\S* HTTP/1\.[01]" \d{3}'),
    "localstack": re.compile(r"AWS \S+\.\S+ => \d{3}"),
}


def count_requests(text, kind):
    """The request lines of an emulator log (kind: moto or localstack)."""
    return sum(1 for line in text.splitlines() if REQUEST[kind].search(line))


def recap(output):
    """{host: {ok, changed, unreachable, failed, skipped, rescued, ignored}} from a PLAY RECAP."""
    result = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        result[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return result


def recap_totals(output):
    """ok/changed/skipped/failed summed over the hosts of a PLAY RECAP."""
    hosts = recap(output)
    return {key: sum(c.get(key, 0) for c in hosts.values()) for key in ("ok", "changed", "skipped", "failed")}


def terraform_changes(output):
    """The resources a terraform apply/plan/destroy output says it changed (added + changed + destroyed),
    or None when the output says nothing about it."""
    match = re.search(r"Resources: (\d+) added, (\d+) changed, (\d+) destroyed", output)
    if match:
        return sum(map(int, match.groups()))
    match = re.search(r"Destroy complete! Resources: (\d+) destroyed", output)
    if match:
        return int(match.group(1))
    match = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", output)
    if match:
        return sum(map(int, match.groups()))
    if re.search(r"No changes\.", output):
        return 0
    return None


# (key, title, our phase, Terraform's phase, metric, limit): the targets, as ratios ours / Terraform.
TARGETS = [
    ("noop_wall", "no-op converge / TF plan, wall", "noop", "plan", "seconds", 0.8),
    ("noop_requests", "no-op converge / TF plan, API requests", "noop", "plan", "requests", 1.0),
    ("check_wall", "--check / TF plan, wall", "check", "plan", "seconds", 1.0),
    ("converge_wall", "converge / TF apply, wall", "converge", "apply", "seconds", 0.5),
    ("destroy_wall", "destroy / TF destroy, wall", "destroy", "destroy", "seconds", 0.6),
    ("total_cpu", "CPU of the four phases, ours / TF", None, None, "cpu_seconds", 1.0),
]
# With N regions: our converge and no-op against the 2-region ones (the issue: keep both <= 1.2x at 4).
REGION_TARGETS = [("converge", 1.2), ("noop", 1.2), ("check", None), ("destroy", None)]


def verdict(ratio, limit):
    """met / missed against a limit (a ratio at most the limit is met); None without a ratio or limit."""
    if ratio is None or limit is None:
        return None
    return "met" if ratio <= limit else "missed"


def ratio_of(ours, theirs):
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 3)


def ratios(ours, terraform):
    """The TARGETS evaluated on {phase: {metric: value}} of both sides."""
    rows = []
    for key, title, our_phase, tf_phase, metric, limit in TARGETS:
        if our_phase is None:
            a = sum(p.get(metric) or 0 for p in ours.values())
            b = sum(p.get(metric) or 0 for p in terraform.values())
        else:
            a = ours.get(our_phase, {}).get(metric)
            b = terraform.get(tf_phase, {}).get(metric)
        r = ratio_of(a, b)
        rows.append(
            {
                "target": key,
                "title": title,
                "ours": a,
                "terraform": b,
                "ratio": r,
                "limit": limit,
                "verdict": verdict(r, limit),
            }
        )
    return rows


def region_ratios(ours, two_regions):
    """Our N-region phases against the 2-region ones of an earlier report: wall, CPU and requests."""
    rows = []
    for phase, limit in REGION_TARGETS:
        for metric in ("seconds", "cpu_seconds", "requests"):
            r = ratio_of(ours.get(phase, {}).get(metric), two_regions.get(phase, {}).get(metric))
            rows.append(
                {
                    "phase": phase,
                    "metric": metric,
                    "ratio": r,
                    "limit": limit if metric == "seconds" else None,
                    "verdict": verdict(r, limit if metric == "seconds" else None),
                }
            )
    return rows


# Regions for N-region inventories, in order: the two of inventories/local first (primary, then the
# secondary that takes the SECONDARY record), then others moto serves, with two of each one's zones
# as moto names them (moto/ec2/models/availability_zones_and_regions.py; us-west-1 has a and b,
# ap-northeast-1 has no b).
REGION_ZONES = {
    "us-east-2": ("us-east-2a", "us-east-2b"),
    "us-west-2": ("us-west-2a", "us-west-2b"),
    "us-east-1": ("us-east-1a", "us-east-1b"),
    "us-west-1": ("us-west-1a", "us-west-1b"),
    "eu-west-1": ("eu-west-1a", "eu-west-1b"),
    "eu-central-1": ("eu-central-1a", "eu-central-1b"),
    "ap-southeast-1": ("ap-southeast-1a", "ap-southeast-1b"),
    "ap-northeast-1": ("ap-northeast-1a", "ap-northeast-1c"),
}


def region_hosts(count):
    """[(region, host vars)] of an N-region stack: the first primary, VPC 10.<i>.0.0/16 each with
    public 10.<i>.0-1.0/24 and private 10.<i>.10-11.0/24 subnets (as inventories/local)."""
    if not 1 <= count <= len(REGION_ZONES):
        raise ValueError(f"--regions must be between 1 and {len(REGION_ZONES)}")
    hosts = []
    for index, (region, zones) in enumerate(list(REGION_ZONES.items())[:count]):
        hosts.append(
            (
                region,
                {
                    "dr_role": "primary" if index == 0 else "secondary",
                    "dr_vpc_cidr": f"10.{index}.0.0/16",
                    "dr_azs": list(zones),
                    "dr_public_subnet_cidrs": [f"10.{index}.0.0/24", f"10.{index}.1.0/24"],
                    "dr_private_subnet_cidrs": [f"10.{index}.10.0/24", f"10.{index}.11.0/24"],
                },
            )
        )
    return hosts


def region_inventory(local_text, count):
    """inventories/local/hosts.yml's text with its hosts replaced by `count` regions (region_hosts);
    with more than one secondary, us-west-2 is named to take the SECONDARY record."""
    lines = local_text.splitlines()
    marker = next(i for i, line in enumerate(lines) if re.match(r"^      hosts:\s*$", line))
    vars_at = next(i for i, line in enumerate(lines) if re.match(r"^      vars:\s*$", line))
    head = lines[: marker + 1]
    if count > 2:
        head.insert(vars_at + 1, "        dr_failover_secondary: us-west-2")
    out = head
    for region, host in region_hosts(count):
        out.append(f"        {region}:")
        for key, value in host.items():
            out.append(f"          {key}: {json.dumps(value)}")
    return "\n".join(out) + "\n"


def proc_cpu_seconds(stat_text, ticks):
    """utime + stime + cutime + cstime of a /proc/<pid>/stat line, in seconds."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / ticks


def median_phase(samples):
    """The median of each numeric metric over a phase's runs."""
    out = {}
    for key in samples[0]:
        values = [s[key] for s in samples if isinstance(s.get(key), (int, float)) and not isinstance(s[key], bool)]
        if values and len(values) == len(samples):
            out[key] = round(statistics.median(values), 2)
    return out


# ------------------------------------------------------------------------------------------------
# processes
# ------------------------------------------------------------------------------------------------
def tree_cpu(roots):
    """CPU seconds of the processes under `roots` (pids), themselves included (information only)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent, stats = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = Path(f"/proc/{entry}/stat").read_text()
            parent[int(entry)] = int(text.rsplit(")", 1)[1].split()[1])
            stats[int(entry)] = proc_cpu_seconds(text, ticks)
    wanted = {pid for pid in roots if pid in stats}
    grew = True
    while grew:
        more = {pid for pid, ppid in parent.items() if ppid in wanted and pid not in wanted}
        wanted |= more
        grew = bool(more)
    return sum(stats[pid] for pid in wanted)


PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def become_subreaper():
    """Make this process the reaper of its orphaned descendants (prctl(2) PR_SET_CHILD_SUBREAPER).

    Ansible's `async:` tasks daemonise (the async wrapper forks and its parent exits), so init, not
    ansible-playbook, would reap them and their CPU would be counted by nobody; as a subreaper, bench.py
    reaps them and RUSAGE_CHILDREN counts them. Linux only; elsewhere the async jobs' CPU is missing (said
    in the report)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(settle=0.5):
    """Reap the descendants that ended as our orphans (see become_subreaper), waiting `settle` seconds for
    the last ones (an async job's wrapper ends just after the job)."""
    deadline = time.monotonic() + settle
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.05)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd, log_path, cwd=ROOT, env=None, watch=(), settle=0.5):
    """Run cmd to its end, output to log_path; wall, CPU of it and of every process it started (reaped by
    it, or by us as their subreaper: RUSAGE_CHILDREN before and after; orphans still running are waited
    for up to `settle` seconds), and the CPU the processes under `watch` used meanwhile."""
    load = os.getloadavg()
    emulators_before = tree_cpu(watch)
    reap_orphans(settle=0)
    cpu_before = children_cpu()
    start = time.monotonic()
    with open(log_path, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, _usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    reap_orphans(settle)
    return {
        "rc": proc.returncode,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(children_cpu() - cpu_before, 1),
        "emulator_cpu_seconds": round(tree_cpu(watch) - emulators_before, 1),
        "load_before": [round(x, 2) for x in load],
        "output": Path(log_path).read_text(errors="replace"),
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_http(url, proc, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
            return
        if proc.poll() is not None:
            sys.exit(f"bench: {what} exited during start-up")
        time.sleep(0.3)
    sys.exit(f"bench: {what} did not answer on {url}")


def wait_port(port, proc, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        if proc.poll() is not None:
            sys.exit(f"bench: {what} exited during start-up")
        time.sleep(0.2)
    sys.exit(f"bench: {what} did not listen on {port}")


def stop_process(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def output_of(cmd, **kwargs):
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60, **kwargs).stdout.strip()
    return ""


# ------------------------------------------------------------------------------------------------
# ours
# ------------------------------------------------------------------------------------------------
class Ours:
    """Our playbooks on the embedded emulator (scripts/emulator.py: FINPROC_EMULATOR_DIR, ports)."""

    PHASES = [
        ("converge", ["site.yml"]),
        ("noop", ["site.yml"]),
        ("check", ["site.yml", "--check"]),
        ("destroy", ["playbooks/destroy.yml", "-e", f"confirm_destroy={ENVIRONMENT}"]),
    ]

    def __init__(self, emulator, inventory, scratch):
        self.emulator = emulator
        self.state = Path(emulator.STATE)
        self.logs = {"moto": self.state / "moto.log", "localstack": self.state / "localstack.log"}
        self.inventory = inventory
        self.scratch = scratch
        # emulator.py always on the embedded emulator: a user's AWS_* variables do not leak in.
        self.base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.base_env.pop("FINPROC_EMULATOR", None)
        self.env = None

    def _emulator(self, command):
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "emulator.py"), command],
            env=self.base_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def up(self):
        self._emulator("down")
        for path in self.logs.values():
            path.unlink(missing_ok=True)
        self._emulator("up")
        out = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "emulator.py"), "env"],
            env=self.base_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        env = dict(self.base_env)
        for line in out.splitlines():
            if line.startswith("export "):
                key, _sep, value = line[len("export ") :].partition("=")
                env[key] = value
        env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        self.env = env

    def down(self):
        self._emulator("down")

    def pids(self):
        pids = []
        for name in ("moto", "localstack"):
            with contextlib.suppress(OSError, ValueError):
                pids.append(int((self.state / f"{name}.pid").read_text().strip()))
        return pids

    def requests(self):
        return sum(count_requests(p.read_text(errors="replace"), k) for k, p in self.logs.items() if p.exists())

    def command(self, args):
        return ["ansible-playbook", "-i", str(self.inventory), *args]

    def phase(self, name, args, tag):
        tasks_file = self.scratch / f"{tag}-{name}-tasks.json"
        env = dict(
            self.env,
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="bench_tasks",
            FINPROC_BENCH_TASKS=str(tasks_file),
        )
        before = self.requests()
        result = run_measured(self.command(args), self.scratch / f"{tag}-{name}.log", env=env, watch=self.pids())
        time.sleep(1)  # the emulators' access logs
        output = result.pop("output")
        if result["rc"] != 0:
            tail = "\n".join(output.splitlines()[-60:])
            self.down()
            sys.exit(f"bench: our {name} failed (rc {result['rc']}); log {self.scratch / f'{tag}-{name}.log'}:\n{tail}")
        totals = recap_totals(output)
        result.update(
            requests=self.requests() - before,
            changed=totals["changed"],
            tasks_ok=totals["ok"],
            tasks_changed=totals["changed"],
            tasks_skipped=totals["skipped"],
        )
        if name in ("noop", "check") and totals["changed"]:
            result["note"] = f"not a no-op: {totals['changed']} changed"
        tasks = {}
        with contextlib.suppress(OSError, ValueError):
            tasks = json.loads(tasks_file.read_text())
        return result, tasks

    def count_by_action(self):
        """One no-op run (not timed) through lossy_proxy.py counting: {service:Action: requests}."""
        port = free_port()
        count_file = self.scratch / "requests.jsonl"
        count_file.unlink(missing_ok=True)
        signing = {
            "DYNAMODB_STREAMS": "dynamodb",
            "CLOUDWATCH": "monitoring",
            "ELASTIC_LOAD_BALANCING_V2": "elasticloadbalancing",
        }
        routes = []
        for name, url in sorted(self.env.items()):
            if name.startswith("AWS_ENDPOINT_URL_"):
                service = name[len("AWS_ENDPOINT_URL_") :]
                routes += ["--route", f"{signing.get(service, service.lower())}={url}"]
        proxy = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "lossy_proxy.py"),
                "--listen",
                f"127.0.0.1:{port}",
                "--default",
                self.env["AWS_ENDPOINT_URL"],
                *routes,
                "--every",
                "0",
                "--count",
                str(count_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(port, proxy, "lossy_proxy")
            env = dict(self.env)
            env.update({k: f"http://127.0.0.1:{port}" for k in self.env if k.startswith("AWS_ENDPOINT_URL")})
            log = self.scratch / "counted-noop.log"
            with open(log, "w") as out:
                rc = subprocess.run(
                    self.command(["site.yml"]), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
                ).returncode
        finally:
            stop_process(proxy)
        counts = {}
        with contextlib.suppress(OSError):
            for line in count_file.read_text().splitlines():
                record = json.loads(line)
                key = f"{record['service']}:{record['action']}"
                counts[key] = counts.get(key, 0) + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return {"rc": rc, "total": sum(counts.values()), "top": [{"action": a, "requests": n} for a, n in top[:30]]}


# ------------------------------------------------------------------------------------------------
# Terraform
# ------------------------------------------------------------------------------------------------
def find_seed():
    candidates = [
        os.environ.get("FINPROC_TERRAFORM_SEED", ""),
        str(ROOT.parent / "shared" / "anchors" / "terraform-seed"),
        "/work/shared/anchors/terraform-seed",
        str(Path.home() / "terraform-seed"),
        "/opt/terraform-seed",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "main.tf").exists():
            return Path(candidate)
    return None


def find_mirror():
    """TF_PLUGIN_MIRROR, else the parent of a registry.terraform.io directory (as the seed's run.sh finds it)."""
    if os.environ.get("TF_PLUGIN_MIRROR"):
        return Path(os.environ["TF_PLUGIN_MIRROR"]) if Path(os.environ["TF_PLUGIN_MIRROR"]).is_dir() else None
    found = output_of(["find", "/", "-xdev", "-maxdepth", "4", "-type", "d", "-name", "registry.terraform.io"])
    return Path(found.splitlines()[0]).parent if found else None


class Terraform:
    """The seed's plain-Terraform stack against a plain moto server of its own (as its run.sh)."""

    PHASES = [
        ("apply", ["apply", "-auto-approve"], 0),
        ("plan", ["plan", "-detailed-exitcode"], 0),
        ("apply_noop", ["apply", "-auto-approve"], 0),
        ("destroy", ["destroy", "-auto-approve"], 0),
    ]

    def __init__(self, terraform, seed, mirror, moto_python, scratch):
        self.terraform, self.moto_python, self.scratch = terraform, moto_python, scratch
        self.work = scratch / "terraform"
        self.work.mkdir(parents=True)
        for path in [*seed.glob("*.tf"), seed / "modules", seed / "lambda"]:
            (shutil.copytree if path.is_dir() else shutil.copy)(path, self.work / path.name)
        rc_file = scratch / "terraform.rc"
        rc_file.write_text(
            'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n'
            '    include = ["registry.terraform.io/*/*"]\n  }\n}\n' % mirror
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env.update(TF_CLI_CONFIG_FILE=str(rc_file), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        self.moto = None
        self.endpoint = None
        self.moto_log = None

    def tf(self, *args):
        return [self.terraform, f"-chdir={self.work}", *args]

    def init(self):
        start = time.monotonic()
        with open(self.scratch / "terraform-init.log", "w") as out:
            rc = subprocess.run(
                self.tf("init", "-input=false", "-no-color"),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
        if rc:
            return f"terraform init failed, see {self.scratch / 'terraform-init.log'}"
        self.init_seconds = round(time.monotonic() - start, 1)
        return None

    def up(self, tag):
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (self.work / name).unlink(missing_ok=True)
        port = free_port()
        self.moto_log = self.scratch / f"{tag}-tf-moto.log"
        env = dict(self.env, PYTHONUNBUFFERED="1")
        with open(self.moto_log, "w") as err:
            self.moto = subprocess.Popen(
                [self.moto_python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.endpoint = f"http://127.0.0.1:{port}"
        wait_http(f"{self.endpoint}/moto-api/", self.moto, "Terraform's moto server")

    def down(self):
        stop_process(self.moto)
        self.moto = None

    def requests(self):
        return count_requests(self.moto_log.read_text(errors="replace"), "moto")

    def phase(self, name, args, expect, tag):
        before = self.requests()
        cmd = self.tf(*args, "-input=false", "-no-color", "-parallelism=10", "-var", f"aws_endpoint={self.endpoint}")
        result = run_measured(cmd, self.scratch / f"{tag}-tf-{name}.log", env=self.env, watch=[self.moto.pid])
        time.sleep(1)  # moto's access log
        output = result.pop("output")
        result.update(requests=self.requests() - before, changed=terraform_changes(output))
        result["resources"] = len(
            [
                r
                for r in output_of(self.tf("state", "list"), env=self.env).splitlines()
                if r and not re.search(r"(^|\.)data\.", r)
            ]
        )
        notes = []
        if result["rc"] != expect:
            notes.append(f"exit {result['rc']} (expected {expect})")
        if name in ("plan", "apply_noop") and result["changed"] != 0:
            notes.append(f"not a no-op: {result['changed']} changes")
        if notes:
            result["note"] = "; ".join(notes)
        return result

    def versions(self):
        with contextlib.suppress(ValueError):
            info = json.loads(output_of(self.tf("version", "-json"), env=self.env) or "{}")
            return {"terraform": info.get("terraform_version"), "provider": info.get("provider_selections")}
        return {}


# ------------------------------------------------------------------------------------------------
# the bench
# ------------------------------------------------------------------------------------------------
def machine():
    model = ""
    with contextlib.suppress(OSError):
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "host": platform.node(),
        "machine": platform.machine(),
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


def our_versions(emulator):
    versions = {}
    core = output_of(["ansible-playbook", "--version"])
    match = re.search(r"core ([\d.]+)", core)
    versions["ansible-core"] = match.group(1) if match else None
    with contextlib.suppress(ValueError):
        listing = json.loads(
            output_of(["ansible-galaxy", "collection", "list", "amazon.aws", "--format", "json"], cwd=ROOT) or "{}"
        )
        versions["amazon.aws"] = next(
            (c["version"] for path in listing.values() for name, c in path.items() if name == "amazon.aws"), None
        )
    moto_python = str(Path(emulator.STATE) / "moto-venv" / "bin" / "python")
    versions["moto"] = output_of([moto_python, "-c", "import moto; print(moto.__version__)"]) or None
    versions["localstack"] = next(
        (r.split("==")[1] for r in emulator.LOCALSTACK_REQUIREMENTS if r.startswith("localstack-core")), None
    )
    return versions


def latest_two_region_report():
    for path in sorted((ROOT / "reports").glob("bench-*.json"), reverse=True):
        with contextlib.suppress(OSError, ValueError):
            report = json.loads(path.read_text())
            if report.get("regions") == 2 and report.get("phases", {}).get("ours"):
                return path, {p["phase"]: p["median"] for p in report["phases"]["ours"]}
    return None, None


def print_table(report):
    ours = {p["phase"]: p["median"] for p in report["phases"]["ours"]}
    tf = {p["phase"]: p["median"] for p in report["phases"].get("terraform", [])}
    pairs = [("converge", "apply"), ("noop", "plan"), ("check", "plan"), ("destroy", "destroy")]
    print(
        f"\nfinproc.dr vs Terraform, {report['regions']} regions, {report['runs']} run(s), "
        f"{report['machine']['cores']} cores (medians)"
    )
    head = f"{'phase':<9} {'wall s':>7} {'CPU s':>7} {'emuCPU':>7} {'req':>5} {'chg':>4}"
    print(f"{head} | {'TF phase':<10} {'wall s':>7} {'CPU s':>7} {'emuCPU':>7} {'req':>5} {'chg':>4} | wall x")
    for mine, theirs in pairs:
        a, b = ours.get(mine, {}), tf.get(theirs, {}) if tf else {}

        def cells(m):
            return (
                f"{m.get('seconds', '-'):>7} {m.get('cpu_seconds', '-'):>7} {m.get('emulator_cpu_seconds', '-'):>7} "
                f"{m.get('requests', '-'):>5} {m.get('changed', '-'):>4}"
            )

        r = ratio_of(a.get("seconds"), b.get("seconds"))
        print(f"{mine:<9} {cells(a)} | {theirs if tf else '-':<10} {cells(b)} | {r if r is not None else '-'}")
    if tf:
        b = tf.get("apply_noop", {})
        print(
            f"{'':<9} {'':>7} {'':>7} {'':>7} {'':>5} {'':>4} | {'apply_noop':<10} "
            f"{b.get('seconds', '-'):>7} {b.get('cpu_seconds', '-'):>7} {b.get('emulator_cpu_seconds', '-'):>7} "
            f"{b.get('requests', '-'):>5} {b.get('changed', '-'):>4} |"
        )
    for row in report.get("ratios", []):
        print(
            f"  {row['title']:<42} {row['ratio'] if row['ratio'] is not None else '-':>7}  (target <= "
            f"{row['limit']})  {row['verdict'] or '-'}"
        )
    for row in report.get("region_ratios", []):
        if row["ratio"] is not None:
            print(
                f"  {report['regions']} regions / 2, {row['phase']:<8} {row['metric']:<12} {row['ratio']:>7}"
                + (f"  (target <= {row['limit']})  {row['verdict']}" if row["limit"] else "")
            )
    for phase, tasks in report.get("slow_tasks", {}).items():
        print(f"\nslowest tasks, {phase} (seconds summed over hosts, module runs)")
        for t in tasks[:15]:
            print(f"  {t['seconds']:>7.1f} {t['module_runs']:>4}  {t['task']}  [{t['action']}]")
    by_action = report.get("requests_by_action")
    if by_action:
        print(f"\nAPI requests by action, one extra no-op run (not timed): {by_action['total']} in all")
        for row in by_action["top"]:
            print(f"  {row['requests']:>5}  {row['action']}")
    for note in report.get("notes", []):
        print(f"note: {note}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--regions", type=int, default=2)
    args = parser.parse_args(argv)
    region_hosts(args.regions)  # validates the count
    emulator = _load_emulator()
    scratch = Path(tempfile.mkdtemp(prefix="finproc-bench-"))
    notes = []
    if not become_subreaper():
        notes.append("not a subreaper (prctl unavailable): the CPU of Ansible's async jobs is not counted")

    if args.regions == 2:
        inventory = ROOT / "inventories" / "local" / "hosts.yml"
    else:
        inventory = scratch / "hosts.yml"
        inventory.write_text(region_inventory((ROOT / "inventories" / "local" / "hosts.yml").read_text(), args.regions))

    terraform = None
    missing = []
    if args.regions != 2:
        missing.append(f"the Terraform seed is two-region only: {args.regions} regions run ours alone")
    else:
        tf_binary = os.environ.get("TERRAFORM") or shutil.which("terraform")
        seed, mirror = find_seed(), find_mirror()
        moto_python = Path(emulator.STATE) / "moto-venv" / "bin" / "python"
        if not tf_binary:
            missing.append("terraform: not on PATH (or set TERRAFORM)")
        if not seed:
            missing.append(
                "the Terraform seed: set FINPROC_TERRAFORM_SEED (looked in ../shared/anchors/terraform-seed)"
            )
        if not mirror:
            missing.append("the provider mirror: set TF_PLUGIN_MIRROR (no registry.terraform.io directory found)")
        if not missing:
            if not moto_python.exists():
                subprocess.run([sys.executable, str(ROOT / "scripts" / "emulator.py"), "install"], check=True)
            terraform = Terraform(tf_binary, seed, mirror, str(moto_python), scratch)
            failed = terraform.init()
            if failed:
                missing.append(failed)
                terraform = None
    for reason in missing:
        print(f"bench: Terraform not run: {reason}", flush=True)
    if missing:
        notes.append("ours alone: " + "; ".join(missing))

    ours = Ours(emulator, inventory, scratch)
    runs_ours, runs_tf, slow, per_action, by_action = [], [], {}, {}, None
    for run in range(1, args.runs + 1):
        tag = f"run{run}"
        print(f"bench: run {run}/{args.runs}: starting the emulators", flush=True)
        ours.up()
        if terraform:
            terraform.up(tag)
        results_ours, results_tf = {}, {}
        try:
            for index, (name, play_args) in enumerate(Ours.PHASES):
                print(f"bench: run {run}: ours {name}", flush=True)
                results_ours[name], tasks = ours.phase(name, play_args, tag)
                slow[name] = tasks.get("tasks", [])[:15]
                per_action[name] = tasks.get("module_runs_by_action", {})
                results_ours[name]["module_runs"] = tasks.get("module_runs")
                if terraform:
                    tf_name, tf_args, expect = Terraform.PHASES[index]
                    print(f"bench: run {run}: Terraform {tf_name}", flush=True)
                    results_tf[tf_name] = terraform.phase(tf_name, tf_args, expect, tag)
                if name == "check" and run == args.runs:
                    # Not timed, before the destroy (a no-op needs the converged stack).
                    print(f"bench: run {run}: ours no-op through lossy_proxy.py (counting, not timed)", flush=True)
                    by_action = ours.count_by_action()
        finally:
            if terraform:
                terraform.down()
            ours.down()
        runs_ours.append(results_ours)
        runs_tf.append(results_tf)

    def table(runs, phases):
        return [
            {"phase": name, "median": median_phase([r[name] for r in runs]), "runs": [r[name] for r in runs]}
            for name in phases
        ]

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "when": stamp,
        "regions": args.regions,
        "runs": args.runs,
        "machine": machine(),
        "versions": our_versions(emulator),
        "emulator_dir": str(emulator.STATE),
        "terraform": {"ran": bool(terraform), "missing": missing},
        "phases": {"ours": table(runs_ours, [n for n, _a in Ours.PHASES])},
        "slow_tasks": slow,
        "module_runs_by_action": per_action,
        "requests_by_action": by_action,
        "logs": str(scratch),
        "notes": notes,
    }
    ours_median = {p["phase"]: p["median"] for p in report["phases"]["ours"]}
    if terraform:
        report["terraform"].update(terraform.versions(), init_seconds=terraform.init_seconds)
        report["phases"]["terraform"] = table(runs_tf, [n for n, _a, _e in Terraform.PHASES])
        tf_median = {p["phase"]: p["median"] for p in report["phases"]["terraform"]}
        report["ratios"] = ratios(ours_median, tf_median)
    if args.regions != 2:
        path, two = latest_two_region_report()
        if two:
            report["two_region_report"] = str(path.relative_to(ROOT))
            report["region_ratios"] = region_ratios(ours_median, two)
        else:
            notes.append("no 2-region report in reports/: no region ratios")
    if by_action and by_action["rc"]:
        notes.append(f"the counted no-op run failed (rc {by_action['rc']}): see {scratch / 'counted-noop.log'}")
    for side in report["phases"].values():
        for phase in side:
            for sample in phase["runs"]:
                if sample.get("note"):
                    notes.append(f"{phase['phase']}: {sample['note']}")
    out = ROOT / "reports" / f"bench-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nreport: {out.relative_to(ROOT)}; logs: {scratch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
