# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ABC classification and cycle-count scheduling (plain Python, no ERP).

:func:`classify` ranks items by a non-negative score (pick lines or
consumption value over a period) and cuts the ranking at cumulative
shares: an item is **A** while the share of the items ranked before it is
below ``a_share``, so the A items together cover at least ``a_share`` of
the total; then **B** while that share is below ``a_share + b_share``;
the rest, and every item with a zero score, is **C**.  Ties are broken by
the item key so the result does not depend on the input order.

:func:`count_due` tells whether a bin/product last counted at a date is
due for a cycle count under per-class intervals in days.
"""
from __future__ import annotations

import datetime as _dt
from typing import Hashable, Mapping

__all__ = ['classify', 'count_due', 'DEFAULT_INTERVALS']

DEFAULT_INTERVALS = {'A': 30, 'B': 90, 'C': 180}


def _sort_key(key):
    return (type(key).__name__, key)


def classify(scores: Mapping[Hashable, float], a_share: float = 0.8,
        b_share: float = 0.15) -> dict:
    """``{key: 'A' | 'B' | 'C'}`` for every key of ``scores``.

    ``a_share`` and ``b_share`` are fractions (0.8 and 0.15 for the usual
    80 % / 15 % / 5 % split); their sum must not exceed 1.  Scores must be
    finite and non-negative.
    """
    if not (0 <= a_share <= 1 and 0 <= b_share <= 1
            and a_share + b_share <= 1 + 1e-9):
        raise ValueError(
            'shares must be within 0..1 and sum to at most 1: %r, %r'
            % (a_share, b_share))
    for key, score in scores.items():
        if not (score >= 0) or score == float('inf'):
            raise ValueError('score of %r must be finite and >= 0: %r'
                % (key, score))
    total = float(sum(scores.values()))
    ranked = sorted(scores, key=lambda k: (-scores[k], _sort_key(k)))
    result = {}
    before = 0.0
    eps = 1e-12
    for key in ranked:
        score = scores[key]
        if score <= 0 or total <= 0:
            result[key] = 'C'
            continue
        share = before / total
        if share < a_share - eps:
            result[key] = 'A'
        elif share < a_share + b_share - eps:
            result[key] = 'B'
        else:
            result[key] = 'C'
        before += score
    return result


def count_due(abc_class: str | None, last_counted: _dt.date | None,
        today: _dt.date, intervals: Mapping[str, int] | None = None) -> bool:
    """True when never counted or counted at least the class interval
    (days) ago; an unknown or empty class counts as C."""
    intervals = intervals or DEFAULT_INTERVALS
    if last_counted is None:
        return True
    if isinstance(last_counted, _dt.datetime):
        last_counted = last_counted.date()
    days = intervals.get(abc_class or 'C', intervals.get('C', 180))
    return (today - last_counted).days >= days
