# Added to the generated SDK by scripts/gen_sdk.ts (not generated).
"""
A failed `pulumi up` ends with the engine closing the language host plugin, which sends SIGINT to
the host's whole process group (pulumi `pkg/v3` `resource/plugin/plugin.go`: the plugin is started
with `Setpgid`, closed with `kill(-pid, SIGINT)`, SIGKILL 5 s later). The program runs in that
group and, after a failed resource, is still waiting on the engine (the Python SDK's
`run_pulumi_func` waits in `SignalAndWaitForShutdown`, which the engine does not answer once the
update failed). Python's default SIGINT handler turns the signal into a `KeyboardInterrupt`, and
the language host's exec script prints its traceback below the real error.

Under the language host the program is not in the terminal's process group (Ctrl+C reaches the
CLI, which cancels through the engine), so a SIGINT there is only that shutdown: end at once,
quietly. Installed only then: the program's parent leads its process group (the language host),
an engine monitor is configured, and the program has not set a SIGINT handler of its own.
"""

import os
import signal
import sys
import threading


def _end_quietly(signum, _frame):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        # Not sys.exit: the SDK's worker threads still wait on the engine and would block exit.
        os._exit(128 + signum)


def _under_language_host() -> bool:
    if not hasattr(os, "getpgrp") or os.getpgrp() != os.getppid():
        return False
    try:
        from pulumi.runtime.settings import get_monitor

        return get_monitor() is not None
    except Exception:  # noqa: BLE001 an SDK without it: leave Python's default
        return False


def install() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    if _under_language_host():
        signal.signal(signal.SIGINT, _end_quietly)
