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


def _quiet_monitor_shutdown() -> None:
    """
    When a registration inside a multi-language component (`BankRegistrations`) fails, the engine
    ends the component's construction and shuts its resource monitor down while the program's
    RegisterResource for the component is still waiting. The monitor answers that call with gRPC
    status UNKNOWN, "resource monitor shut down"; the Python SDK turns only UNAVAILABLE into the
    quiet `RunError("Resource monitor has terminated, shutting down")` and anything else into a
    plain `Exception`, which the language host prints as "Program failed with an unhandled
    exception" and a Python traceback of some fifty lines below the real error. Treat that answer as
    the shutdown it is. (The SDK's `handle_grpc_error` looks `grpc_error_to_exception` up in its
    module at each call, so replacing it there covers every RegisterResource.)
    """
    try:
        import grpc
        from pulumi.errors import RunError
        from pulumi.runtime import settings
    except Exception:  # noqa: BLE001 an SDK without them: leave it as it is
        return
    original = getattr(settings, "grpc_error_to_exception", None)
    if original is None or getattr(original, "_obdcr_quiet", False):
        return

    def grpc_error_to_exception(exn):
        try:
            shutdown = exn.code() == grpc.StatusCode.UNKNOWN and exn.details() == "resource monitor shut down"
        except Exception:  # noqa: BLE001 not a grpc.Call
            shutdown = False
        if shutdown:
            return RunError("Resource monitor has terminated, shutting down")
        return original(exn)

    grpc_error_to_exception._obdcr_quiet = True  # type: ignore[attr-defined]
    settings.grpc_error_to_exception = grpc_error_to_exception


def install() -> None:
    _quiet_monitor_shutdown()
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    if _under_language_host():
        signal.signal(signal.SIGINT, _end_quietly)
