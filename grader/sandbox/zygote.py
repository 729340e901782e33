"""The fork server's zygote: a root process with torch imported that forks each new sandbox.

Runs as a program of its own (``python -E -s -B zygote.py FD HARNESS_DIR``), started
by ``grader.sandbox.forkserver`` with a fresh interpreter, so that its memory
holds torch, the harness and nothing of the worker (no settings, no reference
outputs, no other submission). It imports only the standard library, torch
and the harness, and it never runs learner code itself.

For each request on its socket it forks a child. The child joins the
sandbox's cgroups, enters new mount, PID, network, IPC, UTS and cgroup
namespaces, and forks again. The first child stays behind as the monitor that
waits for the second, as bwrap's does. The second becomes PID 1 of the new PID
namespace. That process builds a read-only root from the request's mount
plan and pivots into it. It drops every capability, switches to the
unprivileged user with ``no_new_privs`` set, installs the system-call filter,
warms up and serves the harness protocol on the pipes it was given. A forked
child shares nothing writable with the zygote or with other sandboxes. What
it can read of the zygote's memory is torch, the harness and earlier
requests' folder names.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import platform
import resource
import select
import signal
import socket
import sys
import traceback

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

# pivot_root has no wrapper in glibc; these are its system call numbers.
PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41}

# The exit status of a child whose sandbox could not be set up; its reason goes to its output pipe.
SETUP_FAILED_STATUS = 96
MAX_MESSAGE_BYTES = 1 << 16
DEVICES = ("null", "zero", "full", "random", "urandom")
OLD_ROOT = "/.old-root"

libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, action: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{action} failed: {os.strerror(number)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: None if text is None else text.encode()  # noqa: E731
    result = libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data))
    _check(result, f"mount {source} on {target}")


def _prctl(option: int, argument: int, extra: int = 0) -> None:
    _check(libc.prctl(option, ctypes.c_ulong(argument), ctypes.c_ulong(extra), 0, 0), f"prctl {option}")


def _make_parents(path: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)


def _bind(source: str, target: str, *, read_only: bool) -> None:
    _make_parents(target)
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    _mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        # A remount changes one mount, so each mount below the target is made read-only too.
        for mount_point in [target] + _mounts_below(target):
            _mount(None, mount_point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mounts_below(path: str) -> list[str]:
    """List the mount points strictly below ``path`` in this mount namespace, from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            # The fifth field is the mount point, with spaces and backslashes octal-escaped.
            mount_point = line.split()[4].encode().decode("unicode_escape")
            if mount_point.startswith(path.rstrip("/") + "/"):
                found.append(mount_point)
    return found


def _build_root(plan: dict) -> None:
    """Mount the new root in ``plan["root"]``: a small tmpfs with the plan's binds, scratch tmpfs and /dev."""
    root = plan["root"]
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for target, path in plan["symlinks"]:
        _make_parents(root + path)
        os.symlink(target, root + path)
    for source, target in plan["read_only"]:
        if os.path.exists(source):
            _bind(source, root + target, read_only=True)
    for source, target in plan["writable"]:
        _bind(source, root + target, read_only=False)
    for target, size_bytes in plan["scratch"]:
        os.makedirs(root + target, mode=0o755, exist_ok=True)
        _mount("tmpfs", root + target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_bytes},mode=1777")
    dev = root + "/dev"
    os.makedirs(dev, mode=0o755, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        _bind(f"/dev/{name}", f"{dev}/{name}", read_only=False)
    os.mkdir(dev + "/shm", 0o1777)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(target, f"{dev}/{name}")
    os.makedirs(root + "/proc", mode=0o755, exist_ok=True)
    os.makedirs(root + OLD_ROOT, mode=0o700)


def _pivot_into(root: str) -> None:
    number = PIVOT_ROOT_SYSCALL[platform.machine()]
    _check(libc.syscall(number, root.encode(), (root + OLD_ROOT).encode()), "pivot_root")
    os.chdir("/")
    _check(libc.umount2(OLD_ROOT.encode(), MNT_DETACH), "umount the old root")
    os.rmdir(OLD_ROOT)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _drop_privileges(uid: int, gid: int) -> None:
    last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
    for capability in range(last_cap + 1):
        _prctl(PR_CAPBSET_DROP, capability)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    # Switching every user id away from 0 clears the permitted and effective capabilities.
    os.setresuid(uid, uid, uid)
    _clear_capabilities()
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    _prctl(PR_SET_DUMPABLE, 0)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _install_filter(program: bytes) -> None:
    """Install the system-call filter (classic BPF, 8 bytes an instruction); it needs no_new_privs set."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    result = libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog), 0, 0)
    _check(result, "install the system-call filter")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets; the user switch has emptied only the first two."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words a set
    data = (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "capset")


def _wait_status(pid: int) -> int:
    """Wait for ``pid`` and return its status the way bwrap reports it: the exit code, or 128 + the signal."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return SETUP_FAILED_STATUS
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)


def _sandbox_init(plan: dict) -> None:
    """Become the sandbox: PID 1 of the new namespaces, unprivileged, in the new root. Never returns."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _build_root(plan)
    _pivot_into(plan["root"])
    hostname = plan["hostname"].encode()
    _check(libc.sethostname(hostname, len(hostname)), "sethostname")
    _drop_privileges(plan["uid"], plan["gid"])
    # The switch of user cleared the parent-death signal, so it is set again. Learner code can
    # clear it too, so the monitor also kills this process when the zygote dies.
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _install_filter(bytes.fromhex(plan["seccomp"]))
    os.setsid()
    os.environ.clear()
    os.environ.update(plan["environment"])
    os.chdir(plan["workdir"])

    import harness

    # As in a sandbox that runs harness.py as its program, the harness is __main__.
    sys.modules["__main__"] = harness
    harness.warm_up()
    harness.serve()
    os._exit(0)


def _child(plan: dict, stdin_fd: int, stdout_fd: int, zygote_pid: int) -> None:
    """Run in the forked child: set up the namespaces, fork PID 1, and wait for it. Never returns."""
    try:
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stdout_fd, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.setsid()
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote_pid:
            os._exit(SETUP_FAILED_STATUS)
        for procs_file in plan["cgroup_procs"]:
            with open(procs_file, "w") as handle:
                handle.write(str(os.getpid()))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
        _check(libc.unshare(flags), "unshare")
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        init = os.fork()
        if init == 0:
            _sandbox_init(plan)
    except BaseException:
        os.write(2, f"sandbox setup failed: {traceback.format_exc(limit=3)}".encode()[-2000:])
        os._exit(SETUP_FAILED_STATUS)
    # The monitor keeps no descriptor, so the output pipe closes when PID 1 is gone. It stays root
    # and outside the sandbox, so learner code cannot clear its parent-death signal. When the
    # zygote dies, the monitor kills PID 1, and with it every process of the namespace.
    for fd in (0, 1, 2):
        os.close(fd)
    signal.signal(signal.SIGTERM, lambda number, frame: os.kill(init, signal.SIGKILL))
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != zygote_pid:
        os.kill(init, signal.SIGKILL)
    os._exit(_wait_status(init))


def _reset_for_child(control: socket.socket, wakeup_fds: tuple[int, int]) -> None:
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    control.close()
    for fd in wakeup_fds:
        os.close(fd)


def _send(control: socket.socket, message: dict) -> None:
    control.send(json.dumps(message).encode())


def serve(control: socket.socket) -> None:
    wakeup_read, wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)
    _send(control, {"ready": True})
    while True:
        readable, _, _ = select.select([control, wakeup_read], [], [])
        if wakeup_read in readable:
            while True:
                try:
                    if not os.read(wakeup_read, 512):
                        break
                except BlockingIOError:
                    break
            _reap(control)
        if control not in readable:
            continue
        message, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE_BYTES, 2)
        if not message:
            return
        request = json.loads(message)
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            _send(control, {"id": request.get("id"), "error": "the request did not carry two pipe ends"})
            continue
        zygote_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            _reset_for_child(control, (wakeup_read, wakeup_write))
            _child(request, *fds, zygote_pid)
        for fd in fds:
            os.close(fd)
        _send(control, {"id": request["id"], "pid": pid})


def _reap(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    sys.path.insert(0, sys.argv[2])
    os.umask(0o022)
    import torch  # noqa: F401  (the import every sandbox would otherwise pay for)

    import harness

    torch.set_num_threads(int(os.environ.get("TENSORCRAFT_THREADS", "1")))
    # Warming up before the fork leaves the lazily built state in pages that every child shares.
    harness.warm_up()
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        # A fork copies only the calling thread, so a lock held by another thread would stay held in the child.
        os.write(2, f"the zygote runs {threads} threads after its warm-up; forking it is unsafe\n".encode())
        sys.exit(5)
    # Frozen objects are left out of garbage collections, so a collection in a child does not
    # write to (and so copy) every page of the heap it shares with the zygote.
    gc.freeze()
    try:
        serve(control)
    except (BrokenPipeError, ConnectionResetError):
        pass


if __name__ == "__main__":
    main()
