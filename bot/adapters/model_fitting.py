"""Fitting flows' reply models in a child process, so a serving process never imports
scikit-learn.

Fitting (:func:`bot.core.reply_model.train`) needs scikit-learn and SciPy, about 85 MB
that stay resident in a process once imported; reading a reply needs only the fitted
weights (NumPy). A :class:`ChildFitter` runs :func:`bot.core.intents.fit_here` in a
``spawn``-ed interpreter: a ``ReplyModel`` is plain data (tuples, a dict, NumPy arrays)
and pickles whole, so the serving process gets the very model it would have fitted
itself. ``spawn``, not ``fork``: a forked child would inherit the event loop, the open
sockets and the threads of the serving process. (A spawned child imports the parent's
main script again, as ``__mp_main__``: a script that starts the product must keep its
``if __name__ == "__main__"`` guard; ``python -m bot`` and the ``digitaly`` entry point do.)

The copy sent back keeps what a serving process reads: the weights, the feature index,
the temperature and the fitted readings of the examples (what ``flows check``, run by
every reload, refuses a contradicted example with). It leaves out the out-of-fold
readings, one per example, that nothing reads at run time: 6.3 of the 18 MB the
shipped flows' models take.

Flows are fitted rarely (at start and after a saved edit). Inside :meth:`ChildFitter.kept`
(one reload) every fit goes to the same child, which then exits: its start (an
interpreter, NumPy, scikit-learn: about a CPU-second) is paid once per reload, not per
flow, and its memory is given back.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.core.errors import TransientError
from bot.core.intents import fit_here
from bot.core.reply_model import Example, ReplyModel

__all__ = ["ChildFitter"]


class ChildFitter:
    """A ``Fit`` (:data:`bot.core.intents.Fit`) that fits in a child process."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    # Every ChildFitter fits the same models: equal, so that a flow text checked with one is
    # found in ``check_flow``'s memo by the next (each app a test creates has its own).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChildFitter)

    def __hash__(self) -> int:
        return hash(ChildFitter)

    def __call__(self, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        """:func:`fit_here` in the child; TransientError if it dies or cannot start.

        The child's own errors (a ``ValueError`` for a set of one intent) are raised as is."""
        if not sets:
            return []
        if self._pool is not None:
            return self._fit(self._pool, sets)
        with self.kept():
            return self(sets)

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """One child for every fit inside the block; it is stopped when the block ends."""
        if self._pool is not None:  # already kept by an outer block
            yield
            return
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        try:
            yield
        finally:
            pool, self._pool = self._pool, None
            pool.shutdown(cancel_futures=True)

    @staticmethod
    def _fit(pool: ProcessPoolExecutor, sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
        try:
            return pool.submit(_fit_for_serving, list(sets)).result()
        except (BrokenProcessPool, OSError) as error:
            raise TransientError(
                f"reply models not fitted, the child process failed: {error}"
            ) from error


def _fit_for_serving(sets: Sequence[tuple[Example, ...]]) -> list[ReplyModel]:
    """In the child: :func:`fit_here`, without what a serving process never reads."""
    return [
        ReplyModel(m.classes, m.index, m.weights, m.bias, m.temperature, (), m.fitted)
        for m in fit_here(sets)
    ]
