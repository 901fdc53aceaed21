"""The Hot Papers blog format: markdown posts with YAML front matter, one paper block each.

Format (see `../shared/data/hotpapers/README.md`): front matter with `title: Hot Papers
YYYY-MM-DD` and an odd `date` stamp ending in `.Z`, then per paper, in rank order, a `# N. Title`
heading, an author line, `- retweets: R, favorites: F (…)`, `- links: [abs](…) | [pdf](…)`, a
category line, an abstract paragraph (may be empty) and zero or more embedded tweets.

The reader is lenient where real posts vary (missing counts, empty abstracts, no tweets, extra
blank lines, days with no papers) and strict where a file is not a digest at all: then it raises
`DigestFormatError` naming the file and the line, so `hotpapers import` can say what to fix.

Some of the blog's posts were double-encoded (UTF-8 bytes read as Mac Roman and written out as
UTF-8 again: `Alenyà` became `Aleny√†`). Such lines are repaired; a line that does not
round-trip is left as it is, so correct text is never touched.

`parse_digest` raises nothing but `DigestFormatError`: a front matter whose YAML holds an
impossible date, a count of a thousand digits or any other input nobody foresaw becomes one,
naming the file, so an import or a fetch reports it instead of crashing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bot.errors import DigestFormatError
from bot.models import Digest, Paper, Tweet, normalize_ws, parse_arxiv_id
from bot.sources.metrics import Metric, MetricSet

SOURCE = "hotpapers-md"
# The blog ranks by retweets + favorites (the source's spec is in bot.sources.hotpapers_url).
METRICS = MetricSet(
    (
        Metric("retweets", "retweets", "{n} retweets", enters="score"),
        Metric("favorites", "favorites", "{n} favorites", enters="score"),
    )
)

_HEADING = re.compile(r"^#\s+(?P<rank>\d+)\.\s*(?P<title>.*?)\s*$")
_COUNTS = re.compile(
    r"^-\s*retweets:\s*(?P<rt>\d[\d,]*)\s*,\s*favorites:\s*(?P<fav>\d[\d,]*)", re.IGNORECASE
)
_LINKS = re.compile(r"^-\s*links:", re.IGNORECASE)
_MD_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)\)")
_CATEGORY_URL = re.compile(r"arxiv\.org/list/(?P<cat>[^/\s)]+)", re.IGNORECASE)
_DAY = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})")
_STAMP = re.compile(r"^(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?P<frac>\.\d*)?Z?$")
_FENCE = re.compile(r"^---\s*$")
MAX_COUNT_DIGITS = 12  # a retweet count of a trillion or more is not a count


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-Mac-Roman double encoding, line by line, only where it round-trips."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.isascii():
            try:
                fixed = line.encode("mac_roman").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                fixed = line
            line = fixed
        out.append(line)
    return "\n".join(out)


def parse_stamp(value: object) -> datetime | None:
    """The blog's `2021-03-13T14:47:01.Z` (which fromisoformat rejects) or a YAML datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        m = _STAMP.match(value.strip())
        if m:
            return datetime.fromisoformat(m.group("base")).replace(tzinfo=UTC)
    return None


def _day_from(*candidates: object) -> date | None:
    for c in candidates:
        if isinstance(c, datetime):
            return c.date()
        if isinstance(c, date):
            return c
        if isinstance(c, str):
            m = _DAY.search(c)
            if m:
                try:
                    return date(int(m["y"]), int(m["m"]), int(m["d"]))
                except ValueError:
                    continue
    return None


@dataclass
class _Block:
    """The raw lines of one paper, with the file line of its heading for error messages."""

    line: int
    rank: int
    title: str
    lines: list[tuple[int, str]] = field(default_factory=list)


def _split_blocks(body: str, first_line: int) -> Iterator[_Block]:
    block: _Block | None = None
    in_tweet = False
    for offset, raw in enumerate(body.split("\n")):
        lineno = first_line + offset
        stripped = raw.strip()
        # A '#' inside an embedded tweet is not a heading.
        if "<blockquote" in stripped:
            in_tweet = True
        m = None if in_tweet else _HEADING.match(stripped)
        if m:
            if block is not None:
                yield block
            block = _Block(lineno, int(m["rank"]), m["title"])
        elif block is not None:
            block.lines.append((lineno, raw))
        elif stripped:
            raise DigestFormatError(
                "", lineno, f"text before the first paper heading: {stripped[:60]!r}"
            )
        if "</blockquote>" in stripped:
            in_tweet = False
    if block is not None:
        yield block


def _parse_block(block: _Block, origin: str) -> Paper:
    authors: list[str] = []
    metrics: dict[str, int] = {}
    abs_url = pdf_url = ""
    categories: list[str] = []
    abstract: list[str] = []
    text_lines: list[str] = []
    in_tweet = False
    for lineno, raw in block.lines:
        line = raw.strip()
        text_lines.append(raw)
        if in_tweet or line.startswith("<blockquote"):
            in_tweet = "</blockquote>" not in line
            continue
        if not line or line.startswith(("<script", "</script")):
            continue
        if m := _COUNTS.match(line):
            rt, fav = m["rt"].replace(",", ""), m["fav"].replace(",", "")
            if max(len(rt), len(fav)) > MAX_COUNT_DIGITS:
                raise DigestFormatError(
                    origin, lineno, f"paper {block.rank}: a count too large to be real"
                )
            metrics = {"retweets": int(rt), "favorites": int(fav)}
        elif _LINKS.match(line):
            for lm in _MD_LINK.finditer(line):
                label = lm["text"].strip().lower()
                if label == "abs":
                    abs_url = lm["url"]
                elif label == "pdf":
                    pdf_url = lm["url"]
        elif line.startswith("- ") and _CATEGORY_URL.search(line):
            categories = [
                cm["cat"]
                for lm in _MD_LINK.finditer(line)
                if (cm := _CATEGORY_URL.search(lm["url"]))
            ]
        elif line.startswith("- "):
            continue  # an unknown list item: future fields are ignored, not fatal
        elif not authors and not abs_url and not metrics:
            authors = [a.strip() for a in line.split(",") if a.strip()]
        else:
            abstract.append(line)
    id_url = abs_url or pdf_url
    if not id_url:
        raise DigestFormatError(origin, block.line, f"paper {block.rank} has no arXiv abs/pdf link")
    try:
        arxiv_id, version = parse_arxiv_id(id_url)
    except ValueError as exc:
        raise DigestFormatError(origin, block.line, f"paper {block.rank}: {exc}") from None
    from bot.sources.tweets import extract_tweets  # lazily, as frontmatter below

    tweets: list[Tweet] = extract_tweets("\n".join(text_lines))
    title = normalize_ws(block.title)
    if not title:
        raise DigestFormatError(origin, block.line, f"paper {block.rank} has an empty title")
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=authors,
        categories=categories,
        abstract=" ".join(abstract),
        abs_url=abs_url or f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=pdf_url or f"https://arxiv.org/pdf/{arxiv_id}",
        metrics=metrics,
        score=METRICS.score(metrics),
        tweets=tweets,
    )


def parse_digest(text: str, origin: str = "<string>") -> Digest:
    """Parse one Hot Papers post; `origin` (a path or URL) is used in error messages.

    Raises only DigestFormatError (see the module docstring).
    """
    try:
        return _parse_digest(text, origin)
    except DigestFormatError:
        raise
    except Exception as exc:  # hostile input nobody foresaw: still one error naming the file
        raise DigestFormatError(
            origin, None, f"cannot be read as a digest ({type(exc).__name__})"
        ) from exc


def _parse_digest(text: str, origin: str) -> Digest:
    if "\x00" in text:
        raise DigestFormatError(origin, None, "binary data, not a markdown digest")
    text = repair_mojibake(text.replace("\r\n", "\n").lstrip("\ufeff"))
    first = text.lstrip("\n")
    if not _FENCE.match(first.split("\n", 1)[0]):
        line = text.count("\n", 0, len(text) - len(first)) + 1
        raise DigestFormatError(
            origin, line, "not a Hot Papers digest: no YAML front matter ('---')"
        )
    # Imported on the first parse, not with the source: a bot served from its store never
    # parses a post, and YAML, front matter and the HTML parser (tweets) are ~2 MB resident.
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        yaml_line = int(mark.line) + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        reason = f"invalid YAML front matter: {problem}"
        raise DigestFormatError(origin, yaml_line, reason) from None
    meta = post.metadata
    if not isinstance(meta, dict) or not meta:
        raise DigestFormatError(
            origin, 1, "not a Hot Papers digest: empty or unclosed front matter"
        )
    published = parse_stamp(meta.get("date"))
    day = _day_from(meta.get("title"), meta.get("slug"), Path(origin).name, published)
    if day is None:
        raise DigestFormatError(
            origin,
            2,
            "cannot tell the digest's day: no YYYY-MM-DD in title, slug, file name or date",
        )
    # Body line numbers: the body is the text after the closing fence.
    body = post.content
    idx = text.find(body) if body else len(text)
    body_first_line = text.count("\n", 0, max(idx, 0)) + 1
    papers: list[Paper] = []
    seen: set[str] = set()
    try:
        blocks = list(_split_blocks(body, body_first_line))
    except DigestFormatError as exc:
        raise DigestFormatError(origin, exc.line, exc.reason) from None
    for block in blocks:
        paper = _parse_block(block, origin)
        if paper.arxiv_id in seen:
            continue  # the same paper twice in one day: keep the better-ranked one
        seen.add(paper.arxiv_id)
        papers.append(paper)
    title = meta.get("title")
    return Digest(
        day=day,
        source=SOURCE,
        title=normalize_ws(title) if isinstance(title, str) else "",
        papers=papers,
        fetched_at=published,
    )


def read_text(path: Path) -> str:
    """Read a file as UTF-8; invalid bytes are an error naming the file and the line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DigestFormatError(str(path), line, "not valid UTF-8 text") from None


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand files and folders (their `*.md`, sorted) into the files to read."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            yield from sorted(
                f for f in path.rglob("*.md") if f.is_file() and f.name != "README.md"
            )
        elif path.is_file():
            yield path
        else:
            raise DigestFormatError(str(path), None, "no such file or folder")


def load_path(path: str | Path) -> Digest:
    """Parse one file, or standard input when `path` is '-'."""
    if str(path) == "-":
        return parse_digest(sys.stdin.read(), "<stdin>")
    p = Path(path)
    try:
        return parse_digest(read_text(p), str(p))
    except OSError as exc:
        raise DigestFormatError(str(p), None, f"cannot read: {exc.strerror}") from None


def load_paths(paths: Iterable[str | Path]) -> list[Digest]:
    """Every digest in the given files, folders, or '-' (standard input)."""
    out: list[Digest] = []
    for p in paths:
        if str(p) == "-":
            out.append(load_path("-"))
        else:
            out.extend(load_path(f) for f in iter_files([p]))
    return out
