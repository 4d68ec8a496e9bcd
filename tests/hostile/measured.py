"""A ``conformance`` child process that writes its own peak resident memory (kB) to a file at exit.

VmHWM from /proc/self/status, not ``getrusage().ru_maxrss``: Linux carries ru_maxrss across fork and
exec, so a child of a pytest process that has grown to 500 MB reports the parent's peak, not its own.
VmHWM belongs to the address space the exec made, so it measures the harness alone.
"""

from __future__ import annotations

MEASURED = ("import atexit, sys\n"
            "out = sys.argv.pop(1)\n"
            "def peak():\n"
            "    for line in open('/proc/self/status'):\n"
            "        if line.startswith('VmHWM:'):\n"
            "            open(out, 'w').write(line.split()[1])\n"
            "atexit.register(peak)\n"
            "from conformance.cli import main; main()")
