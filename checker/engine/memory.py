"""How much memory this process holds and the machine has, to decide when whole states
have taken enough of it (a default search then turns to fingerprints)."""

from __future__ import annotations

import os
import sys

#: the share of the machine's memory whole states may take by default
EXACT_SHARE = 0.25
_FALLBACK = 4 << 30  # the machine's memory when the system does not say
_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def physical_bytes() -> int:
    """The machine's memory (or a container's limit, if lower)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        total = _FALLBACK
    for limit_file in _LIMITS:  # a container's limit: cgroup v2, then v1
        try:
            with open(limit_file) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
        break
    return total if total > 0 else _FALLBACK


def exact_budget() -> int:
    """How many bytes a search keeping whole states may hold before turning to
    fingerprints: a quarter of the machine's memory (a Java VM's default heap, as TLC
    runs), for all the search's processes together."""
    return int(physical_bytes() * EXACT_SHARE)


def resident_bytes() -> int:
    """This process's resident memory now (its peak where the system gives no more)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:  # not on a Unix: nothing to measure, nothing to switch on
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
