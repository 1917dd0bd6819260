"""A one-node Slurm cluster on this machine, for the tests: Debian's slurm-wlm and munge, started as root in a second
or two (munged, slurmctld, slurmd) with every file of theirs in one temporary folder, and stopped by their PIDs.
Clients find it through SLURM_CONF (Cluster.env)."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "sinfo", "scontrol")


def why_unavailable():
    """Why no cluster can start here, or None."""
    if os.name != "posix" or os.geteuid() != 0:
        return "a Slurm cluster for the tests starts as root"
    missing = [name for name in (*DAEMONS, *CLIENTS) if not find(name)]
    if missing or not Path("/etc/munge/munge.key").exists():
        return (f"Slurm is not installed ({', '.join(missing) or 'no /etc/munge/munge.key'}): Debian, Ubuntu: apt "
                "install slurm-wlm munge")
    return None


def find(name):
    return shutil.which(name) or next((str(path) for folder in ("/usr/sbin", "/sbin")
                                       if (path := Path(folder) / name).exists()), None)


class Cluster:
    """The cluster in `folder`, once start() returns: one node with every core of this machine, one partition."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.conf = self.folder / "slurm.conf"
        self.host = socket.gethostname().split(".")[0]
        self.pids = {}

    @property
    def env(self):
        """This process's variables, with the cluster's configuration for its clients."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def start(self, timeout=60):
        munge = self.folder / "munge"
        munge.mkdir(mode=0o755, parents=True)
        user = pwd.getpwnam("munge")
        os.chown(munge, user.pw_uid, user.pw_gid)
        self.socket = munge / "munge.socket"
        for name in ("state", "spool"):
            (self.folder / name).mkdir()
        self._write_conf()
        subprocess.run([find("munged"), f"--socket={self.socket}", f"--pid-file={munge / 'munged.pid'}",
                        f"--log-file={munge / 'munged.log'}", f"--seed-file={munge / 'munged.seed'}"],
                       check=True, timeout=30, user=user.pw_uid, group=user.pw_gid)
        self.pids["munged"] = _pid(munge / "munged.pid", timeout)
        subprocess.run([find("slurmctld"), "-f", str(self.conf)], check=True, timeout=30, env=self.env)
        self.pids["slurmctld"] = _pid(self.folder / "slurmctld.pid", timeout)
        subprocess.run([find("slurmd"), "-f", str(self.conf)], check=True, timeout=30, env=self.env)
        self.pids["slurmd"] = _pid(self.folder / "slurmd.pid", timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env, capture_output=True, text=True)
            if state.stdout.strip() == "idle":
                return self
            time.sleep(0.2)
        raise RuntimeError(f"the node did not become idle: {state.stdout} {state.stderr}\n{self.logs()}")

    def _write_conf(self):
        folder = self.folder
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
        self.conf.write_text("\n".join([
            "ClusterName=mnist", f"SlurmctldHost={self.host}",
            "AuthType=auth/munge", "CredType=cred/munge", f"AuthInfo=socket={self.socket}",
            "SlurmUser=root", "SlurmdUser=root", "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/affinity",
            "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core", "ReturnToService=2",
            f"StateSaveLocation={folder / 'state'}", f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}", f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'slurmctld.log'}", f"SlurmdLogFile={folder / 'slurmd.log'}",
            "MinJobAge=600",  # Finished jobs stay in squeue/scontrol for the test to read.
            f"NodeName={self.host} CPUs={os.cpu_count()} RealMemory={memory - 1024} State=UNKNOWN",
            f"PartitionName=main Nodes={self.host} Default=YES MaxTime=INFINITE State=UP", ""]))

    def logs(self):
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.folder.rglob("*.log")))

    def stop(self, timeout=30):
        """Stop the daemons this cluster started, by PID, and wait until they are gone."""
        for name in reversed(DAEMONS):
            pid = self.pids.pop(name, None)
            if pid is None:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _pid(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(Path(path).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            time.sleep(0.05)
    raise RuntimeError(f"no PID in {path} within {timeout} s")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # A zombie of ours counts as gone once reaped.
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
