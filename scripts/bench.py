"""make bench: time the playbooks against a fresh embedded emulator and count the API requests.

Phases, each on the same emulator, in order: converge (empty account), converge again (no-op),
--check on the converged stack, destroy (confirmed). For each: wall-clock seconds, the API
requests the emulators logged during the phase, and the PLAY RECAP counts. Several runs (each on
a fresh emulator) give medians. Results go to reports/bench-<UTC time>.json and a table on stdout.

Usage: python scripts/bench.py [--runs N]   (run through `make bench`, which installs first)
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMULATOR = [sys.executable, str(ROOT / "scripts" / "emulator.py")]
LOGS = {"moto": ROOT / ".emulator" / "moto.log", "localstack": ROOT / ".emulator" / "localstack.log"}
# A request line: werkzeug's access log (moto) and LocalStack's "AWS <service>.<Operation> => <code>".
REQUEST = {
    "moto": re.compile(r'"(GET|POST|PUT|DELETE|HEAD|PATCH) (?!/moto-api)\S* HTTP/1\.[01]" \d{3}'),
    "localstack": re.compile(r"AWS \S+\.\S+ => \d{3}"),
}
PHASES = [
    ("converge", ["site.yml"]),
    ("converge (no-op)", ["site.yml"]),
    ("check (no-op)", ["site.yml", "--check"]),
    ("destroy", ["playbooks/destroy.yml", "-e", "confirm_destroy=dev"]),
]


def count_requests():
    total = 0
    for name, path in LOGS.items():
        if path.exists():
            total += sum(1 for line in path.read_text(errors="replace").splitlines() if REQUEST[name].search(line))
    return total


def emulator_env():
    out = subprocess.run([*EMULATOR, "env"], capture_output=True, text=True, check=True).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        if line.startswith("export "):
            key, _sep, value = line[len("export ") :].partition("=")
            env[key] = value
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return env


def recap(output):
    result = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        result[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return result


def one_run():
    subprocess.run([*EMULATOR, "down"], check=True, stdout=subprocess.DEVNULL)
    for path in LOGS.values():
        path.unlink(missing_ok=True)
    subprocess.run([*EMULATOR, "up"], check=True, stdout=subprocess.DEVNULL)
    env = emulator_env()
    results = []
    for name, args in PHASES:
        before = count_requests()
        start = time.monotonic()
        proc = subprocess.run(
            ["ansible-playbook", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.monotonic() - start
        time.sleep(0.5)  # let the emulators flush their access logs
        if proc.returncode != 0:
            sys.exit(f"bench: {name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
        counts = recap(proc.stdout)
        results.append(
            {
                "phase": name,
                "seconds": round(seconds, 1),
                "requests": count_requests() - before,
                "changed": sum(c["changed"] for c in counts.values()),
                "tasks_ok": sum(c["ok"] for c in counts.values()),
            }
        )
    subprocess.run([*EMULATOR, "down"], check=True, stdout=subprocess.DEVNULL)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = [one_run() for _run in range(args.runs)]
    table = []
    for index, (name, _args) in enumerate(PHASES):
        samples = [run[index] for run in runs]
        table.append(
            {
                "phase": name,
                "seconds_median": statistics.median(s["seconds"] for s in samples),
                "seconds": [s["seconds"] for s in samples],
                "requests": [s["requests"] for s in samples],
                "changed": [s["changed"] for s in samples],
            }
        )
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "when": stamp,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "regions": 2,
        "phases": table,
    }
    out = ROOT / "reports" / f"bench-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'phase':<20} {'median s':>9} {'API requests':>13} {'changed':>8}")
    for row in table:
        print(
            f"{row['phase']:<20} {row['seconds_median']:>9.1f} {'/'.join(map(str, row['requests'])):>13} "
            f"{'/'.join(map(str, row['changed'])):>8}"
        )
    print(f"report: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
