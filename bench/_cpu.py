"""CPU time of a process tree and of the whole machine, read from /proc (Linux only).

The benchmark charges a proxy for the CPU its process (and any child process, for
servers that fork workers) spends while the load generator drives it, so the figure
does not depend on how many cores the noisy machine happens to give it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TICK = 1.0 / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def tree(root: int) -> list[int]:
    """``root`` and every process descended from it, alive now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes, including their reaped children."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat.
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total * TICK


@dataclass(frozen=True)
class MachineTimes:
    """Cumulative jiffies of all CPUs, to tell how busy (and how stolen) the machine was."""

    busy: int
    idle: int
    steal: int

    @classmethod
    def now(cls) -> MachineTimes:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        steal = values[7] if len(values) > 7 else 0
        # guest time is already counted in user time
        return cls(busy=sum(values[:8]) - idle - steal, idle=idle, steal=steal)

    def since(self, start: MachineTimes) -> dict[str, float]:
        """Fractions of all CPUs' time that were busy and stolen between ``start`` and now."""
        busy, idle, steal = self.busy - start.busy, self.idle - start.idle, self.steal - start.steal
        total = max(busy + idle + steal, 1)
        return {"busy": busy / total, "steal": steal / total}
