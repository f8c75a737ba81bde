"""Progress bars: one tqdm bar on stderr for every long loop, or the caller's callback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["progress_bar", "progress_callback"]


def progress_bar(total: int, desc: str, *, initial: int = 0, quiet: bool = False) -> Any:
    """A tqdm bar on stderr; hidden when ``quiet`` or when stderr is not a terminal."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="step",
        file=sys.stderr,
        disable=True if quiet else None,
        leave=False,
    )


def progress_callback(
    progress: bool | Callable[..., Any] | None,
    total: int,
    desc: str,
    *,
    initial: int = 0,
    values: tuple[str, ...] = (),
) -> Callable[..., Any] | None:
    """Turn a public ``progress=`` argument into a callback, or ``None`` for no progress.

    ``True`` gives a bar that the callback ``update(done, *numbers)`` moves to ``done`` and that
    has a ``close()`` method; the ``numbers`` are shown beside the bar under the names ``values``.
    ``False``/``None`` gives ``None``; a callable is returned as it is (it receives the same
    arguments).
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        bar = progress_bar(total, desc, initial=initial)

        def update(done: int, *numbers: float) -> None:
            bar.update(done - bar.n)
            if values:
                shown = {k: f"{v:.4f}" for k, v in zip(values, numbers, strict=False)}
                bar.set_postfix(shown, refresh=False)

        update.close = bar.close  # type: ignore[attr-defined]
        return update
    if not callable(progress):
        raise TypeError(f"`progress` must be a bool or a callable, got {type(progress).__name__}")
    return progress
