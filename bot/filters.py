"""Which papers a channel or a `/hot` call sees: categories, keywords, score, limit, window. Pure.

- Categories: `cs.CV` keeps papers listed in cs.CV (in any of their categories, not only the
  primary, as arXiv's own listings do); an archive such as `cs` or `astro-ph` keeps all of it;
  `-cs.CV` drops papers listed in cs.CV. Aliases (`cs.NA` = `math.NA`) match each other.
- Keywords: a paper is kept when *any* keyword occurs in its title or abstract
  (case-insensitive; a keyword may hold spaces, e.g. `diffusion model`).
- Windows: `day` is one digest; `week` and `month` are the 7 and 30 days ending on the day.
  Several digests are merged by version-less arXiv id keeping each paper's best score, then
  ranked (see `bot.ranking`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from typing import get_args

from bot.errors import UserInputError
from bot.models import Digest, Entry, Paper, Subscription, Window
from bot.quoting import shown
from bot.ranking import rank, rank_entries, rank_key
from bot.taxonomy import Taxonomy, load

MAX_LIMIT = 25
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 60
WINDOW_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30}


@dataclass(frozen=True)
class PaperFilter:
    """A validated filter. Empty `include` means every category."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_score: float = 0.0
    limit: int | None = None

    def describe(self) -> str:
        """A short human summary, e.g. `cs.CV, not cs.RO · ≥ 100 · “diffusion”`."""
        parts: list[str] = []
        cats = [*self.include, *(f"not {c}" for c in self.exclude)]
        if cats:
            parts.append(", ".join(cats))
        if self.keywords:
            parts.append(" or ".join(f"“{k}”" for k in self.keywords))
        if self.min_score > 0:
            parts.append(f"score ≥ {self.min_score:g}")
        return " · ".join(parts) if parts else "all categories"


def parse_categories(
    items: str | Sequence[str] | None, *, tax: Taxonomy | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`"cs.CV, -cs.RO"` or `["cs.CV", "-cs.RO"]` -> (("cs.CV",), ("cs.RO",)), canonical case.

    Raises UserInputError naming the unknown item, with suggestions and what is accepted.
    """
    tax = tax or load()
    if items is None:
        return (), ()
    if isinstance(items, str):
        # "- stat.ML" is one item (the minus belongs to the next word), then split on , ; space
        items = re.sub(r"-\s+", "-", items)
        raw: Sequence[str] = items.replace(";", ",").replace(" ", ",").split(",")
    else:
        raw = items
    include: list[str] = []
    exclude: list[str] = []
    for item in raw:
        token = item.strip()
        if not token:
            continue
        negate = token.startswith("-")
        name = token[1:].strip() if negate else token
        if not name:
            raise UserInputError(
                "A - needs a category right after it, e.g. -cs.RO to leave out robotics."
            )
        canonical = tax.lookup(name)
        if canonical is None:
            hints = tax.suggest(name)
            hint = f" Did you mean {', '.join(hints)}?" if hints else ""
            raise UserInputError(
                f"Unknown arXiv category {shown(name)}.{hint} Use ids such as cs.CV, stat.ML "
                "or a whole archive such as cs; prefix with - to exclude (e.g. -cs.RO)."
            )
        target = exclude if negate else include
        if canonical not in target:
            target.append(canonical)
    # Typed text is also refused an include inside an excluded archive (`cs.CV, -cs`: it could
    # never show a paper); a stored list is read as it was saved, so old rows keep posting.
    typed = isinstance(items, str)
    for c in include:
        by = next((e for e in exclude if e == c or (typed and _in((c,), (e,), tax))), None)
        if by is not None:
            how = "" if by == c else f" (by -{by})"
            raise UserInputError(f"{c} is both included and excluded{how}; keep one of the two.")
    return tuple(include), tuple(exclude)


def parse_keywords(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """`"diffusion, large language model"` -> ("diffusion", "large language model")."""
    if text is None:
        return ()
    raw = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in raw:
        word = " ".join(item.split())
        if not word:
            continue
        if len(word) > MAX_KEYWORD_CHARS:
            raise UserInputError(
                f"Keyword {shown(word, 20)} is too long: "
                f"at most {MAX_KEYWORD_CHARS} characters each."
            )
        if word.casefold() not in (w.casefold() for w in out):
            out.append(word)
    if len(out) > MAX_KEYWORDS:
        raise UserInputError(
            f"Too many keywords ({len(out)}): at most {MAX_KEYWORDS}, separated by commas."
        )
    return tuple(out)


def check_limit(limit: int | None, *, maximum: int = MAX_LIMIT) -> int | None:
    """None or 1..maximum; UserInputError otherwise."""
    if limit is not None and not 1 <= limit <= maximum:
        raise UserInputError(f"limit must be a whole number from 1 to {maximum} (got {limit}).")
    return limit


def check_min_score(value: float) -> float:
    """A finite score of 0 or more."""
    if not value >= 0 or value == float("inf"):
        raise UserInputError(f"min_score must be a number of 0 or more (got {value}).")
    return float(value)


def check_window(window: str | None) -> Window:
    """`day`, `week` or `month` (default `day`)."""
    value = (window or "day").strip().lower()
    allowed = get_args(Window)
    if value not in allowed:
        got = shown(str(window))
        raise UserInputError(f"window must be one of {', '.join(allowed)} (got {got}).")
    return value  # type: ignore[return-value]


def build_filter(
    *,
    categories: str | Sequence[str] | None = None,
    keywords: str | Sequence[str] | None = None,
    min_score: float = 0.0,
    limit: int | None = None,
    tax: Taxonomy | None = None,
) -> PaperFilter:
    """Validate every setting and build a filter; UserInputError names the bad one."""
    include, exclude = parse_categories(categories, tax=tax)
    return PaperFilter(
        include=include,
        exclude=exclude,
        keywords=parse_keywords(keywords),
        min_score=check_min_score(min_score),
        limit=check_limit(limit),
    )


def subscription_filter(sub: Subscription, *, tax: Taxonomy | None = None) -> PaperFilter:
    """The filter a subscription stands for."""
    include, exclude = parse_categories(sub.categories, tax=tax)
    return PaperFilter(
        include=include,
        exclude=exclude,
        keywords=tuple(sub.keywords),
        min_score=sub.min_score,
        limit=sub.limit,
    )


def _in(categories: Sequence[str], selectors: tuple[str, ...], tax: Taxonomy) -> bool:
    for sel in selectors:
        if sel in tax.archives and sel not in tax.categories:
            if any(c == sel or c.startswith(sel + ".") for c in categories):
                return True
        elif not tax.equivalents(sel).isdisjoint(categories):
            return True
    return False


def listed(item: Paper | Entry, flt: PaperFilter, tax: Taxonomy) -> bool:
    """Whether `item` passes the parts of `flt` that need no paper text: categories, score."""
    if flt.include and not _in(item.categories, flt.include, tax):
        return False
    if flt.exclude and _in(item.categories, flt.exclude, tax):
        return False
    return (item.score or 0.0) >= flt.min_score  # no score (no discussion) counts as 0


def matches(paper: Paper, flt: PaperFilter, *, tax: Taxonomy | None = None) -> bool:
    """Whether `paper` passes every part of `flt` (the limit aside)."""
    if not listed(paper, flt, tax or load()):
        return False
    if flt.keywords:
        text = f"{paper.title}\n{paper.abstract}".casefold()
        if not any(k.casefold() in text for k in flt.keywords):
            return False
    return True


def _stop(limit: int | None) -> int | None:
    """`islice`'s stop for a limit: a negative one (only a hand-edited row can hold one: the
    commands refuse it) keeps nothing instead of raising inside a post."""
    return None if limit is None else max(limit, 0)


def apply(papers: Iterable[Paper], flt: PaperFilter, *, tax: Taxonomy | None = None) -> list[Paper]:
    """The papers passing `flt`, in the given order, cut to its limit."""
    tax = tax or load()
    kept = (p for p in papers if matches(p, flt, tax=tax))
    return list(islice(kept, _stop(flt.limit)))  # stops at the limit (a month: 600 kept 10)


def window_range(end: date, window: Window) -> tuple[date, date]:
    """The inclusive (start, end) days of a window ending on `end`."""
    return end - timedelta(days=WINDOW_DAYS[window] - 1), end


def merge(digests: Iterable[Digest]) -> list[Paper]:
    """Papers of several digests, deduplicated by arXiv id keeping the best, in rank order.

    Papers that all come from one digest keep its order (the source's ranking is
    authoritative for its day), as `pick` does.
    """
    ds = [d for d in digests if d.papers]
    if len(ds) == 1:
        seen: set[str] = set()
        out: list[Paper] = []
        for p in ds[0].papers:
            if p.arxiv_id not in seen:
                seen.add(p.arxiv_id)
                out.append(p)
        return out
    return rank(p for d in ds for p in d.papers)


def pick(
    entries: Iterable[Entry], flt: PaperFilter, *, tax: Taxonomy | None = None
) -> tuple[list[Entry], int]:
    """`select` over a window's entries: (the entries to show, in order; distinct papers).

    The same papers in the same order as `select` over those days' digests (merged by id
    keeping the best entry, filtered, cut to the limit), decided before any paper is read.
    Keywords need a paper's text, so a filter with keywords is `select`'s (ValueError here).
    """
    if flt.keywords:
        raise ValueError("keywords match paper text: filter whole digests with select()")
    tax = tax or load()
    entries = list(entries)
    if len({e.day for e in entries}) <= 1:
        # One day holds a paper once (the store keys entries by day and id): keep its order.
        best: dict[str, Entry] = {}
        for e in entries:
            cur = best.get(e.arxiv_id)
            if cur is None or rank_key(e) < rank_key(cur):
                best[e.arxiv_id] = e
        ordered = sorted(best.values(), key=lambda e: e.rank)
    else:
        # Merged by id to the best entry, in rank order: `rank`, whose loop computes the keys
        # inline (a month: 600 keys; through `rank_key` they were most of `pick`).
        ordered = rank_entries(entries)
    # In rank order until the limit is reached: a month's 600 entries, 10 shown.
    kept = list(islice((e for e in ordered if listed(e, flt, tax)), _stop(flt.limit)))
    return kept, len(ordered)


def view_title(end: date, window: Window, day_title: str | None, flt: PaperFilter) -> str:
    """The title of a `/hot` view: the day's own title, or the window's span; and the filter."""
    if window == "day":
        title = day_title or f"Hot Papers {end.isoformat()}"
    else:
        start, _ = window_range(end, window)
        title = f"Hot Papers of the {window} {start.isoformat()} – {end.isoformat()}"
    scope = flt.describe()
    if scope != "all categories":
        title = f"{title} · {scope}"
    return title[:200]


def select(
    digests: Sequence[Digest],
    flt: PaperFilter,
    *,
    end: date,
    window: Window = "day",
    source: str | None = None,
    tax: Taxonomy | None = None,
) -> Digest:
    """One digest for display: the window's papers merged, filtered, cut, and titled."""
    start, _ = window_range(end, window)
    chosen = [d for d in digests if start <= d.day <= end]
    papers = apply(merge(chosen), flt, tax=tax)
    src = source or (chosen[0].source if chosen else "")
    title = view_title(end, window, chosen[0].title if chosen else None, flt)
    # A blended day's crowds (which answered, which failed) stay with its view, for the footer.
    crowds = (
        {"signals_ok": chosen[0].signals_ok, "signals_failed": chosen[0].signals_failed}
        if chosen
        else {}
    )
    return Digest(day=end, source=src, title=title, papers=papers, **crowds)
