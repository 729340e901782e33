"""The system-call filter of the bwrap and fork-server sandboxes, as a classic BPF program.

Every sandbox runs as the same host user (65534), and the kernel keeps one
user keyring per user, outside every namespace the sandboxes get. Without a
filter, one submission could leave data in that keyring (hidden inputs, or
outputs computed elsewhere) for a later submission to read. The filter makes
the keyring calls (``add_key``, ``request_key``, ``keyctl``) fail with EPERM,
as Docker's default profile does, rejects the x32 system-call ABI, and kills a
process that makes a system call of another architecture. Runs on the trusted
side; the program is handed to bwrap (``--seccomp``) or installed by the
zygote's child before it runs the harness.
"""

from __future__ import annotations

import errno
import platform
import struct

# Offsets in struct seccomp_data.
NR_OFFSET = 0
ARCH_OFFSET = 4

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_RET_K = 0x06

SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000
X32_SYSCALL_BIT = 0x40000000

# (audit architecture, add_key, request_key, keyctl) per machine.
KEYRING_SYSCALLS = {
    "x86_64": (0xC000003E, (248, 249, 250)),
    "aarch64": (0xC00000B7, (217, 218, 219)),
}


def _instruction(code: int, jump_true: int, jump_false: int, value: int) -> bytes:
    return struct.pack("<HBBI", code, jump_true, jump_false, value)


def keyring_filter(machine: str | None = None) -> bytes:
    """Return the filter as the bytes of a ``struct sock_filter`` array, for the machine's architecture."""
    machine = machine or platform.machine()
    if machine not in KEYRING_SYSCALLS:
        raise ValueError(f"no system-call filter for the architecture {machine!r}")
    architecture, numbers = KEYRING_SYSCALLS[machine]
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    # Layout: 0 load arch, 1 check arch, 2 load nr, 3 x32 check, 4..6 keyring calls,
    # 7 allow, 8 deny, 9 kill. A jump offset counts the instructions it skips.
    program = [
        _instruction(BPF_LD_W_ABS, 0, 0, ARCH_OFFSET),
        _instruction(BPF_JEQ_K, 0, 7, architecture),
        _instruction(BPF_LD_W_ABS, 0, 0, NR_OFFSET),
        _instruction(BPF_JGE_K, 4, 0, X32_SYSCALL_BIT),
        _instruction(BPF_JEQ_K, 3, 0, numbers[0]),
        _instruction(BPF_JEQ_K, 2, 0, numbers[1]),
        _instruction(BPF_JEQ_K, 1, 0, numbers[2]),
        _instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        _instruction(BPF_RET_K, 0, 0, deny),
        _instruction(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
    ]
    return b"".join(program)
