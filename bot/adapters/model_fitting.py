"""Fitting flows' reply models in a child process, so a serving process never imports
scikit-learn, SciPy or NumPy.

Fitting (:func:`bot.core.reply_model.train`) needs scikit-learn, SciPy and NumPy, about
100 MB that stay resident in a process once imported; reading a reply needs only the
fitted weights, kept in ``array('d')`` columns (the standard library). A :class:`ChildFitter` runs :func:`bot.core.intents.fit_here` in a
child interpreter, ``python -m bot.adapters.model_fitting``, which reads example sets
and writes fitted models as pickles on its standard input and output: a ``ReplyModel``
is plain data of the standard library (tuples, a dict, arrays), so the serving process gets the very
model it would have fitted itself. A fresh interpreter, not ``multiprocessing``: a
forked child would inherit the event loop, the sockets and the threads of the serving
process, and a spawned one would import the parent's main script again and leave a
resource-tracker process (13 MB) beside every serving process for good.

The copy sent back keeps what a serving process reads: the weights, the feature index,
the temperature and the fitted readings of the examples (what ``flows check``, run by
every reload, refuses a contradicted example with). It leaves out the out-of-fold
readings, one per example, that nothing reads at run time: 6.3 of the 18 MB the
shipped flows' models take.

Flows are fitted rarely (at start and after a saved edit). Inside :meth:`ChildFitter.kept`
(one reload) every fit goes to the same child, which then exits: its start (an
interpreter, NumPy, scikit-learn: about a CPU-second) is paid once per reload, not per
flow, and its memory is given back.

A process shutting down calls :meth:`ChildFitter.stop`: the child fitting then is
terminated, so the reload waiting on it fails at once (a ``TransientError``, as for a
child that dies) instead of holding the shutdown for the rest of the fit (seconds of
CPU, a minute on a loaded machine), and no fit starts a child after it.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import ctypes.util
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import IO, Any

from bot.core.errors import TransientError
from bot.core.intents import fit_here
from bot.core.reply_model import Example, ReplyModel

__all__ = ["ChildFitter"]

_COMMAND = [sys.executable, "-m", "bot.adapters.model_fitting"]


class ChildFitter:
    """A ``Fit`` (:data:`bot.core.intents.Fit`) that fits in a child process."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._keeping = False  # inside :meth:`kept`: a child started stays for the next fit
        self._lock = threading.RLock()  # guards ``_child``: one exchange with it at a time
        self._stopped = False  # the process is shutting down: no more fits

    # Every ChildFitter fits the same models: equal, so that a flow text checked with one is
    # found in ``check_flow``'s memo by the next (each app a test creates has its own).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChildFitter)

    def __hash__(self) -> int:
        return hash(ChildFitter)

    def __call__(self, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        """:func:`fit_here` in the child; TransientError if it dies or cannot start.

        The child's own errors (a ``ValueError`` for a set of one intent) are raised as is.
        Safe from several threads: a reload fits in a thread (the event loop keeps serving)
        while the loop may fit an old stored version; one exchange at a time uses the child."""
        if not sets:
            return []
        with self._lock:
            if self._child is None:
                if self._stopped:  # no child started only to be refused
                    raise TransientError("reply models not fitted: the process is stopping")
                self._child = _start()
            try:
                # Read after the child is set, as stop() sets the flag before reading the
                # child: a stop in between is seen by one of the two.
                if self._stopped:
                    raise TransientError("reply models not fitted: the process is stopping")
                return self._exchange(sets)
            finally:
                if not self._keeping:
                    self._release()

    def _exchange(self, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        assert self._child is not None  # the caller holds the lock and a kept child
        requests, answers = self._child.stdin, self._child.stdout
        if requests is None or answers is None:  # never: both are pipes (Popen in _start)
            raise TransientError("reply models not fitted: the child process has no pipes")
        try:
            pickle.dump(list(sets), requests, protocol=pickle.HIGHEST_PROTOCOL)
            requests.flush()
            outcome = pickle.load(answers)  # noqa: S301 - our own child's answer, over a pipe
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            raise TransientError(
                f"reply models not fitted, the child process failed: {error!r}"
            ) from error
        if isinstance(outcome, ValueError):
            raise outcome
        return list(outcome)

    def stop(self) -> None:
        """Fit no more: terminate the child fitting now (its fit fails at once) and refuse
        every later fit. From any thread, without the lock the fitting thread holds."""
        self._stopped = True
        child = self._child
        if child is not None:
            with contextlib.suppress(OSError):  # already gone
                child.terminate()

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """One child for every fit inside the block, started by the first fit (a reload that
        finds no edit starts none), exiting when the block ends."""
        with self._lock:
            outer, self._keeping = self._keeping, True
        if outer:  # already kept by an outer block
            yield
            return
        try:
            yield
        finally:
            with self._lock:  # not while another thread's exchange uses the child
                self._keeping = False
                self._release()

    def _release(self) -> None:
        """The child exits and what reading its answers freed goes back to the system."""
        child, self._child = self._child, None
        if child is not None:
            _close(child)
            _give_back_freed_memory()


def _start() -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError as error:
        raise TransientError(f"reply models not fitted, no child process: {error}") from error


def _give_back_freed_memory() -> None:
    """Return the heap that reading the answers freed to the system (glibc's malloc_trim).

    Unpickling the models allocates and frees buffers of every size, and glibc keeps what
    is freed inside its heap for reuse: 8.6 MB of a web process's resident memory after
    loading the shipped flows, measured. Elsewhere (no glibc) this does nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: its allocator keeps what it keeps
        pass


def _close(child: subprocess.Popen[bytes]) -> None:
    """End of input: the child exits; one that does not within a minute is killed."""
    if child.stdin is not None:
        with contextlib.suppress(OSError):  # the child is already gone
            child.stdin.close()
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if child.stdout is not None:
        child.stdout.close()


def _fit_for_serving(sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
    """In the child: :func:`fit_here`, without what a serving process never reads. The
    models' one vocabulary of feature names is pickled once: shared in the parent too."""
    models = [copy.copy(m) for m in fit_here(sets)]
    for model in models:
        model.out_of_fold = ()
    return models


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child: one list of models (or the ValueError) per list of example sets read."""
    while True:
        try:
            sets = pickle.load(requests)  # noqa: S301 - our own parent's request, over a pipe
        except EOFError:
            return
        outcome: Any
        try:
            outcome = _fit_for_serving(sets)
        except ValueError as error:
            outcome = error
        pickle.dump(outcome, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # a library's stray print must not corrupt the answers
    _serve(sys.stdin.buffer, answers)
