"""Start and stop a one-node SLURM cluster on this machine, for tests and trials.

It needs root and the Debian packages slurmctld, slurmd, slurm-client and munge.
Every file (munge key and socket, slurm.conf, state, logs) lives in one folder,
so nothing under /etc or /run is touched, and clients find the cluster through
the SLURM_CONF environment variable. The daemons talk over 127.0.0.1.

Command line use, as root:

    .venv/bin/python tests/slurm/local_cluster.py --state-dir /tmp/ajci-slurm

starts the cluster, prints the SLURM_CONF line to export in another shell, and
stops every daemon on Ctrl-C or SIGTERM.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("slurm.conf.in")
# Commands the cluster and the snakemake executor plugin call.
REQUIRED_COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "srun")
DEBIAN_PACKAGES = "slurmctld slurmd slurm-client munge"
PARTITION = "ci"
CPUS = 2
# The largest memory request of any rule (train_resnet18, in MB).
MIN_MEMORY_MB = 8000
MAX_MEMORY_MB = 16000
# Where srun inside a job looks for the configuration. The jobstep executor
# (snakemake-executor-plugin-slurm-jobstep 0.6.1) removes SLURM_CONF from the
# environment of its srun call, so the configuration must also be found here.
DEFAULT_CONF = Path("/etc/slurm/slurm.conf")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def missing_commands() -> list[str]:
    """Return the required commands that are not on PATH."""
    return [name for name in REQUIRED_COMMANDS if shutil.which(name) is None]


def find_command(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"command {name!r} not found on PATH. Install {DEBIAN_PACKAGES}.")
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now (another process may take it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_memory_mb() -> int:
    """Return the memory to give the node: 2 GB below the machine's, at most 16 GB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            total_mb = int(line.split()[1]) // 1024
            return min(MAX_MEMORY_MB, total_mb - 2048)
    raise RuntimeError("MemTotal missing from /proc/meminfo")


class LocalCluster:
    """One-node SLURM cluster whose daemons this object starts and stops by PID."""

    def __init__(self, state_dir: Path | None = None):
        if state_dir is None:
            state_dir = Path(tempfile.mkdtemp(prefix="ajci-slurm-"))
            self._remove_state_dir = True
        else:
            state_dir.mkdir(parents=True, exist_ok=True)
            self._remove_state_dir = False
        self.state_dir = state_dir.resolve()
        self.conf = self.state_dir / "slurm.conf"
        self.hostname = socket.gethostname().split(".")[0]
        self._daemons: dict[str, subprocess.Popen] = {}
        self._linked_default_conf = False

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point SLURM clients at this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def start(self) -> None:
        """Write the configuration, start munged, slurmctld and slurmd, and wait for the node."""
        if os.geteuid() != 0:
            raise PermissionError("the local SLURM cluster must be started as root")
        if (os.cpu_count() or 1) < CPUS:
            raise RuntimeError(f"the local SLURM cluster needs {CPUS} CPUs")
        memory_mb = node_memory_mb()
        if memory_mb < MIN_MEMORY_MB:
            raise RuntimeError(
                f"the local SLURM cluster needs {MIN_MEMORY_MB + 2048} MB of memory, "
                f"this machine leaves {memory_mb} MB"
            )
        # munged runs as the munge user, which must be able to reach its folder.
        self.state_dir.chmod(0o755)
        for name in ("slurmctld", "slurmd"):
            (self.state_dir / name).mkdir(exist_ok=True)
        munge_dir = self._prepare_munge()
        self._write_conf(munge_dir / "munge.socket", memory_mb)
        try:
            self._link_default_conf()
            self._start_munged(munge_dir)
            self._launch("slurmctld", [find_command("slurmctld"), "-D", "-f", str(self.conf)])
            self._launch("slurmd", [find_command("slurmd"), "-D", "-f", str(self.conf)])
            self._wait_for_idle_node()
        except BaseException:
            self.stop()
            raise

    def _prepare_munge(self) -> Path:
        munge_dir = self.state_dir / "munge"
        munge_dir.mkdir(exist_ok=True)
        key = munge_dir / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o400)
        for path in (munge_dir, key):
            shutil.chown(path, user="munge", group="munge")
        # munged requires a socket folder that every user can search.
        munge_dir.chmod(0o755)
        return munge_dir

    def _write_conf(self, munge_socket: Path, memory_mb: int) -> None:
        fields = {
            "hostname": self.hostname,
            "slurmctld_port": free_port(),
            "slurmd_port": free_port(),
            "munge_socket": munge_socket,
            "state_dir": self.state_dir,
            "cpus": CPUS,
            "memory_mb": memory_mb,
            "partition": PARTITION,
        }
        self.conf.write_text(Template(TEMPLATE.read_text()).substitute(fields))

    def _link_default_conf(self) -> None:
        if DEFAULT_CONF.is_symlink() and not DEFAULT_CONF.exists():
            DEFAULT_CONF.unlink()  # left behind by a cluster that was killed
        if DEFAULT_CONF.exists() or DEFAULT_CONF.is_symlink():
            raise FileExistsError(
                f"{DEFAULT_CONF} exists, so this machine already has a SLURM configuration. "
                "The local test cluster only runs where there is none."
            )
        DEFAULT_CONF.parent.mkdir(parents=True, exist_ok=True)
        DEFAULT_CONF.symlink_to(self.conf)
        self._linked_default_conf = True

    def _start_munged(self, munge_dir: Path) -> None:
        command = [
            find_command("munged"),
            "--foreground",
            f"--socket={munge_dir / 'munge.socket'}",
            f"--key-file={munge_dir / 'munge.key'}",
            f"--pid-file={munge_dir / 'munged.pid'}",
            f"--log-file={munge_dir / 'munged.log'}",
            f"--seed-file={munge_dir / 'munged.seed'}",
        ]
        self._launch("munged", command, user="munge", group="munge")
        self._wait_for(lambda: (munge_dir / "munge.socket").exists(), "munged socket")

    def _launch(self, name: str, command: list[str], **kwargs) -> None:
        with open(self.state_dir / f"{name}.stdout", "w") as log:
            self._daemons[name] = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs
            )

    def _wait_for(self, ready, description: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for name, process in self._daemons.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with status {process.returncode} while waiting for "
                        f"{description}:\n{self.log_tail()}"
                    )
            if ready():
                return
            time.sleep(0.5)
        raise TimeoutError(f"timed out after {START_TIMEOUT_S} s waiting for {description}")

    def _node_state(self) -> str:
        done = subprocess.run(
            [find_command("sinfo"), "--noheader", "--format=%T", "--nodes", self.hostname],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.strip()

    def _wait_for_idle_node(self) -> None:
        self._wait_for(lambda: self._node_state() == "idle", f"node {self.hostname} to be idle")

    def log_tail(self, n_lines: int = 20) -> str:
        """Return the last lines of every daemon log, for error messages."""
        parts = []
        for path in sorted(self.state_dir.glob("*.log")) + sorted(self.state_dir.glob("*.stdout")):
            lines = path.read_text(errors="replace").splitlines()[-n_lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel this cluster's jobs, then stop each daemon started here, by PID."""
        if "slurmctld" in self._daemons and self._daemons["slurmctld"].poll() is None:
            # slurmstepd and the job processes are not children of slurmd, so
            # they only end when their jobs are cancelled.
            subprocess.run(
                [find_command("scancel"), f"--partition={PARTITION}"],
                env={**os.environ, **self.env},
                capture_output=True,
                timeout=30,
            )
            self._wait_for_no_jobs()
        for name in ("slurmd", "slurmctld", "munged"):
            process = self._daemons.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(
                    f"{name} (PID {process.pid}) ignored SIGTERM; sending SIGKILL", file=sys.stderr
                )
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)
        if self._linked_default_conf:
            DEFAULT_CONF.unlink(missing_ok=True)
            self._linked_default_conf = False
        if self._remove_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def _wait_for_no_jobs(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            done = subprocess.run(
                [find_command("squeue"), "--noheader", "--states=RUNNING,COMPLETING,PENDING"],
                env={**os.environ, **self.env},
                capture_output=True,
                text=True,
                timeout=10,
            )
            if done.returncode != 0 or not done.stdout.strip():
                return
            time.sleep(1)
        print(f"jobs still listed {STOP_TIMEOUT_S} s after scancel", file=sys.stderr)

    def __enter__(self) -> "LocalCluster":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="folder for slurm.conf, the munge key, state and logs (default: a new temporary one)",
    )
    args = parser.parse_args()
    missing = missing_commands()
    if missing:
        sys.exit(f"commands not found on PATH: {', '.join(missing)}. Install {DEBIAN_PACKAGES}.")

    cluster = LocalCluster(args.state_dir)
    # Turn SIGTERM into the same clean stop as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with cluster:
        print(f"SLURM cluster ready on node {cluster.hostname}, partition {PARTITION}.")
        print(f"In another shell: export SLURM_CONF={cluster.conf}")
        print("Press Ctrl-C to stop it.", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    print("SLURM cluster stopped.")


if __name__ == "__main__":
    main()
