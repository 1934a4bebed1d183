"""A quiet progress line for slow command-line steps: ``tracing resnet50… 3 s`` on stderr.

Nothing is printed for a step that ends within ``delay`` seconds (2 by default), so fast runs
stay silent. By default it prints only when the stream is a terminal, where the line is redrawn
in place and finished with the total time; ``enabled=True`` forces it on (a log then gets one
line per ``interval``), ``enabled=False`` off. The ticker is a daemon thread that only writes to
the stream, so it cannot hold the process open or touch the traced model.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Self, TextIO

DELAY_S = 2.0
INTERVAL_S = 1.0


class _Ticker:
    """Report progress from a daemon thread while a block runs longer than ``delay``.

    :meth:`_show` gets the elapsed seconds every ``interval`` once the block has run ``delay``
    seconds, and :meth:`_finish` is called when it ends. The thread only reports: it cannot hold
    the process open or touch the traced model.
    """

    def __init__(self, label: str, *, delay: float | None, interval: float | None, enabled: bool) -> None:
        self.label = label
        self.delay = DELAY_S if delay is None else delay
        self.interval = INTERVAL_S if interval is None else interval
        self.enabled = enabled
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0

    def __enter__(self) -> Self:
        self._start = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._tick, name="torchscope-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._finish(failed=kind is not None)

    def _tick(self) -> None:
        if self._done.wait(self.delay):
            return
        while True:
            self._show(self._elapsed())
            if self._done.wait(self.interval):
                return

    def _elapsed(self) -> float:
        return time.monotonic() - self._start

    def _show(self, elapsed: float) -> None:
        raise NotImplementedError

    def _finish(self, *, failed: bool) -> None:
        raise NotImplementedError


class Progress(_Ticker):
    """Context manager printing ``{label}… {n} s`` while its block runs longer than ``delay``."""

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        delay: float | None = None,
        interval: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        super().__init__(
            label,
            delay=delay,
            interval=interval,
            enabled=_is_terminal(self.stream) if enabled is None else enabled,
        )
        self._live = _is_terminal(self.stream)
        self._printed = False

    def _show(self, elapsed: float) -> None:
        self._write(f"{self.label}… {elapsed:.0f} s", final=False)

    def _finish(self, *, failed: bool) -> None:
        if self._printed:
            outcome = "failed" if failed else "done"
            self._write(f"{self.label}… {outcome} in {self._elapsed():.0f} s", final=True)

    def _write(self, text: str, *, final: bool) -> None:
        self._printed = True
        if self._live:
            # redraw the one line in place; \x1b[K clears what a longer earlier line left behind
            self.stream.write("\r" + text + "\x1b[K" + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class NotebookProgress(_Ticker):
    """The notebook's version of :class:`Progress`: a line in the cell's output area.

    The line sits where the widget is about to appear, shows only once the step has run ``delay``
    seconds and is removed when it ends. The cell is still running while the trace does, so the
    ticker thread's display lands in that cell's output.
    """

    def __init__(self, label: str, *, delay: float | None = None, interval: float | None = None) -> None:
        super().__init__(label, delay=delay, interval=interval, enabled=True)
        self.shown: list[str] = []  # what the line said, in order (for tests and the curious)
        self._line: object = None

    def _show(self, elapsed: float) -> None:
        import ipywidgets  # type: ignore[import-untyped]  # noqa: PLC0415  # only a notebook gets here
        from IPython.display import display  # noqa: PLC0415

        text = f"{self.label}… {elapsed:.0f} s"
        self.shown.append(text)
        if self._line is None:
            self._line = ipywidgets.Label(value=text)
            display(self._line)  # type: ignore[no-untyped-call]
        else:
            self._line.value = text  # type: ignore[attr-defined]  # the Label made above

    def _finish(self, *, failed: bool) -> None:
        del failed  # the widget that follows (or the traceback) says how it ended
        close = getattr(self._line, "close", None)
        if close is not None:
            close()


def in_notebook() -> bool:
    """Whether this runs inside a Jupyter kernel (a notebook, JupyterLab, VS Code, ...)."""
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return get_ipython is not None and getattr(get_ipython(), "kernel", None) is not None


def progress(label: str) -> Progress | NotebookProgress:
    """Pick the progress indicator that suits where this runs: the output area in a notebook, else stderr."""
    return NotebookProgress(label) if in_notebook() else Progress(label)
