"""Each backend enforces every limit from outside the sandbox and names the limit it saw exceeded."""

from __future__ import annotations

import dataclasses

from grader.limits import Limits

from .conftest import run_submission

SMALL = Limits(wall_time_s=10, cpu_time_s=10, memory_mib=256, max_processes=16, output_bytes=1024 * 1024, tmpfs_mib=8)


def test_memory_limit_is_named(backend_name):
    result = run_submission(backend_name, SMALL, "import torch\nblock = torch.ones(1024**3, dtype=torch.uint8)\n")

    assert result.exceeded == "memory_mib"
    assert result.visible is None


def test_process_limit_is_named(backend_name):
    source = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"

    result = run_submission(backend_name, SMALL, source)

    assert result.exceeded == "max_processes"


def test_wall_time_limit_is_named(backend_name):
    limits = dataclasses.replace(SMALL, wall_time_s=2)

    result = run_submission(backend_name, limits, "import time\ntime.sleep(60)\n")

    assert result.exceeded == "wall_time_s"
    assert 2000 <= result.wall_ms < 2000 + 3000


def test_cpu_time_limit_is_named(backend_name):
    limits = dataclasses.replace(SMALL, cpu_time_s=1, wall_time_s=60)

    result = run_submission(backend_name, limits, "while True:\n    pass\n")

    assert result.exceeded == "cpu_time_s"
    assert result.cpu_ms is not None and result.cpu_ms > 1000
    assert result.wall_ms < 60000


def test_cpu_time_of_a_short_run_is_measured(backend_name):
    source = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end:\n    pass\n"

    result = run_submission(backend_name, SMALL, source)

    assert result.exceeded is None
    assert result.completed
    assert result.cpu_ms is not None and 400 < result.cpu_ms < 10000


def test_output_limit_is_named(backend_name):
    source = "with open('/job/out/filler', 'wb') as handle:\n    handle.write(b'x' * (2 * 1024 * 1024))\n"

    result = run_submission(backend_name, SMALL, source)

    assert result.exceeded == "output_bytes"


def test_tmp_is_capped_at_its_size(backend_name):
    source = (
        "import errno\n"
        "try:\n"
        "    open('/tmp/filler', 'wb').write(b'x' * (16 * 1024 * 1024))\n"
        "except OSError as error:\n"
        "    print('TMP FULL', errno.errorcode[error.errno], flush=True)\n"
    )

    result = run_submission(backend_name, SMALL, source)

    assert result.exceeded is None
    assert b"TMP FULL ENOSPC" in result.stdout


def test_learner_code_has_no_privileges(backend_name):
    source = (
        "import os\n"
        "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n"
        "print('UID', os.getuid(), os.getgid(), os.getgroups(), flush=True)\n"
        "print('CAPS', status['CapEff'].strip(), status['CapPrm'].strip(), flush=True)\n"
        "print('NO_NEW_PRIVS', status['NoNewPrivs'].strip(), flush=True)\n"
        "print('INTERFACES', sorted(os.listdir('/sys/class/net')) if os.path.isdir('/sys/class/net') else [], flush=True)\n"
    )

    result = run_submission(backend_name, SMALL, source)

    lines = result.stdout.decode().splitlines()
    # Docker lists the primary group among the supplementary ones as well.
    assert [line for line in lines if line.startswith("UID")] in (["UID 65534 65534 []"], ["UID 65534 65534 [65534]"])
    assert "CAPS 0000000000000000 0000000000000000" in lines
    assert "NO_NEW_PRIVS 1" in lines
    interfaces = [line for line in lines if line.startswith("INTERFACES")]
    assert interfaces in (["INTERFACES ['lo']"], ["INTERFACES []"])


def test_root_file_system_is_read_only(backend_name):
    source = (
        "import errno\n"
        "for path in ('/harness/harness.py', '/usr/evil', '/evil', '/etc/evil', '/job/in/evil'):\n"
        "    try:\n"
        "        open(path, 'w')\n"
        "        print('WRITABLE', path, flush=True)\n"
        "    except OSError as error:\n"
        "        print('READ-ONLY', path, errno.errorcode[error.errno], flush=True)\n"
    )

    result = run_submission(backend_name, SMALL, source)

    lines = result.stdout.decode().splitlines()
    assert [line for line in lines if line.startswith("WRITABLE")] == []
    assert len([line for line in lines if line.startswith("READ-ONLY")]) == 5
