"""Small-cell suppression: which counts the dashboard must not show.

**Primary suppression.** A count of 1 to k−1 people is shown as "< k": its count and share are null and
``suppressed`` is true. A zero is shown: it says that nobody gave an answer, which reveals nothing
about a person, and hiding zeros would make every sparse table unreadable.

**Complementary suppression.** A distribution whose total is shown (the codes and "no answer" of a
select_one question add up to its base; the languages add up to all responses; the days add up to
the dated responses) gives a hidden cell away by subtraction when it is the only hidden one. Hiding
the next smallest non-zero cell too leaves two unknowns and one equation. Two or more primary cells
can still be pinned down: the reader knows each is between 1 and k−1, so hidden cells that add up
to exactly their number (all ones) or to their number times k−1 (all k−1) are known;
``complementary`` keeps hiding the next smallest non-zero cell until that is no longer so. The next
*smallest* cell loses the least information. Cells are never "unhidden" again, so applying the rule
to rows and columns in turn until nothing changes (``suppress_table``) ends.

A select_multiple question's codes do not add up to its base (a respondent ticks several codes), but
each code is a distribution of its own: ticked, not ticked and "no answer" add up to the base. "Not
ticked" is never shown, yet base − no answer − count gives it away, so it counts as a hidden cell
when it is 1 to k−1 (base 40, no answer 0, 38 ticked: 2 did not tick); ``suppress_ticks`` applies
complementary suppression to each code's three cells. "No answer" is shown once for the question, so
when one code needs it hidden it is hidden for every code, and the codes are gone over again until
nothing changes. A cross-tab row adds up to the
question's count for that code, and its column bases to the question's base, *less the respondents
who did not answer the breakdown*, who are in no column; a select_one column adds up to its base less
the question's "no answer" in that column, which the cross-tab does not show. Such a total hides a
remainder that a reader cannot see: a hidden cell worked out by subtraction is then only known within
a range as wide as that remainder. So these rows and columns count as adding up (and get
complementary suppression) when the remainder is under k, and not when it is k or more, which blurs a
cell as much as "< k" does (``exports.aggregation.crosstabs``).

**Follow-on rules** (applied by ``exports.aggregation.figures`` and ``.crosstabs``): a share of a
hidden count is hidden too (count = share × base), and so is its weighted share and confidence
interval. When a cross-tab column's base is hidden, every non-zero cell of that column is hidden as
well (a shown count and share would give the base back). A numbers summary of fewer than k values is
hidden whole (its minimum and maximum would be one person's answers). The same count shown in two
places (a question's rows, a before/after pair, a benchmark) is taken from one suppressed table, so
the places agree.

What this does not do: it does not search every combination of tables for differences (a question
shown only to those who gave one answer has that answer's count as its base). That is the work of
statistical disclosure control tools such as τ-ARGUS; a researcher who publishes tables should still
run one. The counts the document gives as plain numbers (response totals by status, a question's
base and "not shown", a numbers summary's "no answer" and "not shown") are not suppressed: they say
who was asked what, which the questionnaire's logic and the other totals tell anyway. A numbers
summary of k or more values still shows its minimum and maximum.
"""

from __future__ import annotations

from collections.abc import Sequence


def is_small(count: int, k: int) -> bool:
    """Whether ``count`` is suppressed by itself: 1 to k−1 people."""
    return 0 < count < k


def primary(counts: Sequence[int], k: int) -> list[bool]:
    return [is_small(count, k) for count in counts]


def recoverable(counts: Sequence[int], hidden: Sequence[bool], k: int) -> bool:
    """Whether a reader who knows the hidden cells' total can work out a hidden cell.

    One hidden cell is its total. Several are known when they are all primary (each 1..k−1 as far as
    the reader knows) and add up to their number (all ones) or to their number times k−1.
    """
    values = [count for count, is_hidden in zip(counts, hidden, strict=True) if is_hidden and count > 0]
    if not values:
        return False
    if len(values) == 1:
        return True
    total = sum(values)
    return all(value < k for value in values) and total in (len(values), len(values) * (k - 1))


def complementary(counts: Sequence[int], hidden: Sequence[bool], k: int) -> list[bool]:
    """``hidden`` plus the next smallest non-zero cells needed so that no hidden cell can be recovered."""
    mask = list(hidden)
    while recoverable(counts, mask, k):
        candidates = [index for index, count in enumerate(counts) if count > 0 and not mask[index]]
        if not candidates:
            break
        mask[min(candidates, key=lambda index: (counts[index], index))] = True
    return mask


def suppress_distribution(counts: Sequence[int], k: int, *, adds_up: bool = True) -> list[bool]:
    """Suppressed flags for one distribution (``adds_up``: its total is shown, so complementary too)."""
    mask = primary(counts, k)
    return complementary(counts, mask, k) if adds_up else mask


def suppress_ticks(counts: Sequence[int], base: int, no_answer: int, k: int) -> tuple[list[bool], bool]:
    """Suppressed flags of a select_multiple question's codes, and of its "no answer".

    Each code's ticked, not ticked (base − no answer − count, never shown) and "no answer" add up to the
    base. Once a cell of the three is hidden, "not ticked" is one more unknown (it is not shown), so a
    reader who cannot subtract it is left with two unknowns; ``complementary`` hides the smaller of
    count and "no answer" when that is not enough (a lone hidden cell, or hidden cells all 1 or all k−1).
    """
    hidden = primary(counts, k)
    no_answer_hidden = is_small(no_answer, k)
    changed = True
    while changed:
        changed = False
        for index, count in enumerate(counts):
            cells = [count, base - no_answer - count, no_answer]
            mask = [hidden[index], is_small(cells[1], k), no_answer_hidden]
            mask[1] = any(mask)  # not shown: unknown as soon as one of the others is
            new = complementary(cells, mask, k)
            changed |= (new[0], new[2]) != (hidden[index], no_answer_hidden)
            hidden[index], no_answer_hidden = new[0], new[2]
    return hidden, no_answer_hidden


def suppress_table(
    table: Sequence[Sequence[int]],
    k: int,
    *,
    hidden: Sequence[Sequence[bool]] | None = None,
    rows_add_up: bool = True,
    columns_add_up: bool = True,
) -> list[list[bool]]:
    """Suppressed flags for a table (rows of cells), complementary along rows and columns until stable.

    ``hidden`` marks cells hidden already for another reason (a hidden column base).
    """
    mask = [
        [is_small(count, k) or bool(hidden and hidden[r][c]) for c, count in enumerate(row)]
        for r, row in enumerate(table)
    ]
    changed = True
    while changed:
        changed = False
        if rows_add_up:
            for r, row in enumerate(table):
                new = complementary(row, mask[r], k)
                changed |= new != mask[r]
                mask[r] = new
        if columns_add_up and table:
            for c in range(len(table[0])):
                column = [row[c] for row in table]
                new = complementary(column, [mask[r][c] for r in range(len(table))], k)
                for r, flag in enumerate(new):
                    changed |= flag != mask[r][c]
                    mask[r][c] = flag
    return mask


def cell(count: int, base: int | None, suppressed: bool) -> dict[str, object]:
    """A figures cell: count and share of ``base`` (null when suppressed or the base is 0)."""
    if suppressed:
        return {"count": None, "share": None, "suppressed": True}
    share = count / base if base else None
    return {"count": count, "share": share, "suppressed": False}
