"""Joining a sandbox that bubblewrap holds (grader/workers/bubblewrap.py): a process enters its namespaces, then
gives up every capability and the right to gain any. Linux only.

bubblewrap makes the sandbox: its namespaces (user, mount, process ids, network, IPC, host name,
cgroup) and its file system. A process forked from one that has imported Keras can then enter it
with setns(2), so that a grading's workers start warm inside the sandbox rather than each importing
Keras again. After join() the process sees only the sandbox's files (its root is the sandbox's root),
has the sandbox's network, and its children are in the sandbox's process-id namespace; it holds no
capability, in any namespace, and can never gain one (no_new_privs, an empty bounding set), as
bubblewrap's --cap-drop ALL leaves the sandbox's own processes.
"""

import ctypes
import fcntl
import os

# The user namespace first: joining it gives the capabilities that joining the others needs.
NAMESPACES = ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup")
PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 23, 24, 38, 47, 4
NS_GET_USERNS = 0xB701  # ioctl: the user namespace that owns a namespace, as a new descriptor.
CAPABILITY_VERSION_3 = 0x20080522


class JoinError(Exception):
    """The process could not enter the sandbox, or kept a capability; the message says which step failed."""


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        raise JoinError(f"{what}: {os.strerror(ctypes.get_errno())}")


def join(pid: int) -> None:
    """Enter the namespaces of process `pid` that this process does not share already, then drop every capability.

    This process must run one thread only (a fresh fork does): the kernel lets no other enter a user namespace.
    The user namespace that owns the sandbox's mounts comes first: it gives the capabilities that entering the
    others needs. Where bubblewrap made a second one inside it (as it does for a user other than root), that comes
    last. Inside, /proc is the sandbox's, where this process has no entry: what needs its own is read before.
    """
    libc = _libc()
    last = int(open("/proc/sys/kernel/cap_last_cap", encoding="ascii").read())
    current = {name: os.stat(f"/proc/self/ns/{name}").st_ino for name in NAMESPACES
               if os.path.exists(f"/proc/self/ns/{name}")}  # Read now: the sandbox's /proc has no entry for us.
    opened = {}
    try:
        for name in NAMESPACES:
            theirs = f"/proc/{pid}/ns/{name}"
            if os.path.exists(theirs) and os.stat(theirs).st_ino != current.get(name):
                opened[name] = os.open(theirs, os.O_RDONLY | os.O_CLOEXEC)
        if "mnt" not in opened:  # bubblewrap always makes one: without it this would be the machine's own files.
            raise JoinError(f"process {pid} has no mount namespace of its own")
        owner = fcntl.ioctl(opened["mnt"], NS_GET_USERNS)  # A new descriptor: the mounts' user namespace.
        try:
            if os.fstat(owner).st_ino != current["user"]:
                _check(libc.setns(owner, 0), "setns user (the mounts')")
                current["user"] = os.fstat(owner).st_ino
        finally:
            os.close(owner)
        for name in (*NAMESPACES[1:], "user"):
            if name in opened and os.fstat(opened[name]).st_ino != current.get(name):
                _check(libc.setns(opened[name], 0), f"setns {name}")
                current[name] = os.fstat(opened[name]).st_ino
    finally:
        for descriptor in opened.values():
            os.close(descriptor)
    os.chdir("/")  # The sandbox's root, which entering its mount namespace made this process's own.
    drop_capabilities(last, libc)


def drop_capabilities(last, libc=None):
    """Give up every capability up to number `last`: the bounding and ambient sets emptied, then the others; never
    gain one again. Raises JoinError unless every set is empty after."""
    libc = libc or _libc()
    for capability in range(last + 1):
        _check(libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), f"dropping capability {capability}")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing the ambient capabilities")
    header, data = _Header(CAPABILITY_VERSION_3, 0), (_Data * 2)()
    _check(libc.capset(ctypes.byref(header), data), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    header, data = _Header(CAPABILITY_VERSION_3, 0), (_Data * 2)()
    _check(libc.capget(ctypes.byref(header), data), "capget")
    kept = [field for item in data for field in ("effective", "permitted", "inheritable") if getattr(item, field)]
    kept += [f"bounding {cap}" for cap in range(last + 1) if libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1]
    if kept:
        raise JoinError(f"capabilities left after dropping them: {', '.join(kept)}")
