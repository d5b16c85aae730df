"""One palette for every picture: faults orange, violations red, paths and messages blue."""

FAULT, FAULT_FILL = "#d9480f", "#fff0e6"  # every fault: crash, loss, duplicate, partition
VIOLATION, VIOLATION_FILL = "#c92a2a", "#fff5f5"
RECOVERY, RECOVERY_FILL = "#2b8a3e", "#ebfbee"
MESSAGE, MESSAGE_FILL = "#1f5fbf", "#e7f0fb"  # messages, and the counterexample path
LIFELINE, MUTED, INK = "#adb5bd", "#6c757d", "#495057"
