"""The real data files the readers understand: where each comes from, on what terms, and a local
cache that holds them.

Each :class:`Entry` names one file published by others: what it holds, who publishes it, its terms,
its landing page, the address to download it from, the file name it gets in the cache, its sha256
where the file is pinned (a fixed copy that never changes), the reader that understands it and what it
covers. Short stable names (``un_allegations``, ``un_gender_ipi``, ...) are how notebooks, the
command and other modules refer to them.

Files go into a cache folder (:func:`pkoresearch.paths.cache_dir`: the user's cache folder from
platformdirs, or ``PKORESEARCH_CACHE``), one sub-folder per entry holding the file and a
``record.json`` saying where it came from, when, and its sha256::

    pkoresearch data fetch un_allegations      # download (pooch: retries, then sha256 check)
    pkoresearch data import ~/Downloads/pko    # offline: take the files from a folder
    pkoresearch data status                    # what is cached, from where, when, checksum

A file enters the cache only whole and verified: downloads and copies go to a temporary folder
inside the cache and are moved into place after the check, so a wrong checksum or an interrupted
transfer leaves the cache as it was. ``PKORESEARCH_DOWNLOAD_BASE`` (or ``base_url=``) downloads
every file from ``BASE/<file name>`` instead of its publisher's address: a mirror, or a test server.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pkoresearch import __version__, paths
from pkoresearch.errors import PkoError, UnknownDataset

RECORD = "record.json"
DOWNLOAD_BASE_ENV = "PKORESEARCH_DOWNLOAD_BASE"
AUTO, BUNDLED = "auto", "bundled"


class RegistryError(PkoError):
    """A registry file could not be fetched, imported or found in the cache."""


class ChecksumMismatch(RegistryError, ValueError):
    """A file's sha256 is not the one the registry pins; nothing was cached."""

    def __init__(self, name: str, source: str, expected: str, found: str):
        self.name, self.source, self.expected, self.found = name, source, expected, found
        super().__init__(
            f"{name}: {source} has sha256 {found}; expected {expected} (the pinned "
            "copy). Nothing was cached."
        )


class DownloadError(RegistryError, OSError):
    """A download failed (no network, refused, interrupted, not found); nothing was cached."""


class CacheError(RegistryError, OSError):
    """The cache folder cannot be used: a file stands where it should be, it is read-only or
    full, or it cannot be read; the message names the folder and what to do."""


class DamagedRecord(RegistryError, ValueError):
    """A cached file's ``record.json`` is not a JSON object; the message names it and how to
    repair it (fetch again or import)."""


def _cache_problem(folder: Path, exc: OSError, doing: str) -> CacheError:
    import errno

    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        found = "a file stands where a folder of the cache should be"
    elif exc.errno == errno.ENOSPC:
        found = "the disk is full (ENOSPC)"
    elif exc.errno == errno.EROFS:
        found = "it is on a read-only file system (EROFS)"
    elif isinstance(exc, PermissionError):
        found = "permission denied"
    else:
        found = exc.strerror or str(exc)
    return CacheError(
        f"cache folder {folder}: cannot {doing}: {found}; expected a writable folder with free "
        "space (free some space, or set PKORESEARCH_CACHE to another folder). Nothing was cached."
    )


@dataclass(frozen=True)
class Entry:
    """One real data file: provenance, terms, where to get it, how to check and read it."""

    name: str
    title: str
    description: str
    publisher: str
    terms: str
    landing_page: str
    filename: str  # name of the file in the cache (and on a mirror)
    reader: str  # function (or library call) that reads it
    format: str  # layout; a notebook parameter accepts any entry of the layout it reads
    coverage: str
    url: str = ""  # download address; built from repository, commit and path when those are given
    sha256: str | None = None  # None: unpinned (updated by its publisher; sha256 recorded at fetch)
    repository: str | None = None  # GitHub owner/name of a pinned public copy
    commit: str | None = None
    path: str | None = None
    aliases: tuple[str, ...] = ()  # other names the file is known by (for `data import`)
    columns: tuple[str, ...] = ()  # for unpinned files: columns an imported file must have

    @property
    def pinned(self) -> bool:
        return self.sha256 is not None

    @property
    def download_url(self) -> str:
        """The publisher's (or pinned copy's) address of the file."""
        if self.url:
            return self.url
        return (
            f"https://raw.githubusercontent.com/{self.repository}/{self.commit}/"
            f"{quote(self.path or '')}"
        )

    def url_from(self, base_url: str | None = None) -> str:
        """Where to download from: ``base_url/<filename>`` (or ``PKORESEARCH_DOWNLOAD_BASE``),
        else :attr:`download_url`."""
        base = base_url if base_url is not None else os.environ.get(DOWNLOAD_BASE_ENV, "")
        if base:
            return base.rstrip("/") + "/" + quote(self.filename)
        return self.download_url

    def names(self) -> tuple[str, ...]:
        """File names under which ``data import`` recognises this file."""
        upstream = Path(self.path).name if self.path else Path(self.download_url).name
        return tuple(dict.fromkeys((self.filename, *self.aliases, upstream)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "publisher": self.publisher,
            "terms": self.terms,
            "landing_page": self.landing_page,
            "download_url": self.download_url,
            "filename": self.filename,
            "sha256": self.sha256,
            "pinned": self.pinned,
            "reader": self.reader,
            "format": self.format,
            "coverage": self.coverage,
            "description": self.description,
        }


_UN_TERMS = "UN terms of use, https://www.un.org/en/about-us/terms-of-use"

ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="un_allegations",
        title="UN table of allegations (Conduct in UN Field Missions), export as of July 2024",
        description=(
            "One row per allegation of sexual exploitation and abuse against personnel of "
            "UN peacekeeping operations and special political missions: reporting month, "
            "mission, personnel category, nationality, victims, allegation type, NIO "
            "appointment, investigation, result, interim and final actions (753 "
            "allegations). Pinned copy kept by a public research repository."
        ),
        publisher="United Nations, Conduct in UN Field Missions (Secretariat)",
        terms=(f"{_UN_TERMS}; the repository holding the pinned copy states no licence of its own"),
        landing_page="https://conduct.unmissions.org/table-of-allegations",
        repository="skytheacademic/who_keeps_the_peace",
        commit="4acbfae596591744334badb5e3aad7af4ce0a653",
        path="data/table_of_allegations_as_of_july_2024.xlsx",
        filename="UN_conduct_table_of_allegations_2024-07.xlsx",
        sha256="1e05b2434d7f1d0dad660ab996ff54fac17657098b79276143c6a722a6f32306",
        reader="pkoresearch.data.readers.un_conduct.read_table_of_allegations",
        format="un_table_of_allegations",
        coverage=(
            "allegations by reporting month, January 2015 - June 2024 (2024 partial), all "
            "peacekeeping operations and special political missions"
        ),
    ),
    Entry(
        name="un_gender_ipi",
        title="UN monthly gender statistics by contributor and mission (IPI Gender.Full.csv)",
        description=(
            "UN DPKO monthly gender statistics as scraped by the International Peace "
            "Institute's Providing for Peacekeeping project: women, men and total by "
            "contributing country, mission, month and personnel type (29,115 rows)."
        ),
        publisher=(
            "United Nations Department of Peacekeeping Operations (figures); International "
            "Peace Institute, Providing for Peacekeeping (scrape)"
        ),
        terms=f"no licence stated by the repository; the figures are the UN's ({_UN_TERMS})",
        landing_page="https://github.com/IPIDataLab/TCC-DataScraper",
        repository="IPIDataLab/TCC-DataScraper",
        commit="544bafde51c2e809b707d50248c53b61e68d90db",
        path="tcc_files/Gender.Full.csv",
        filename="IPIDataLab_TCC-DataScraper_Gender.Full.csv",
        sha256="f923a2f0b1b0378aeff640d649d797047f411e95e54929f69fce26ea8b46d0cf",
        reader="pkoresearch.data.readers.un_gender.read_gender_statistics",
        format="un_gender_statistics",
        coverage="30 Nov 2009 - 28 Feb 2014, monthly: 135 contributors, 25 missions",
    ),
    Entry(
        name="un_contributions_odp",
        title="UN uniformed personnel contributions by gender (odp_contributionsbygender.csv)",
        description=(
            "The UN's open-data file of uniformed personnel by contributing country, "
            "mission, personnel type and month, women and men. Updated monthly by its "
            "publisher, so not pinned: its sha256 and download date are recorded when it "
            "is fetched."
        ),
        publisher=(
            "United Nations Department of Peace Operations, on the Humanitarian Data "
            "Exchange (OCHA)"
        ),
        terms=(f"as stated on the HDX dataset page; the figures are the UN's ({_UN_TERMS})"),
        landing_page="https://data.humdata.org/dataset/76d1790e-1303-4284-a245-e9093419e357",
        url=(
            "https://data.humdata.org/dataset/76d1790e-1303-4284-a245-e9093419e357/resource/"
            "ee990c5a-f9c0-418c-bc1c-de4d90b60544/download/odp_contributionsbygender.csv"
        ),
        filename="odp_contributionsbygender.csv",
        reader="pkoresearch.data.readers.un_contributions.read_contributions_by_gender",
        format="un_contributions_odp",
        coverage="contributor x mission x personnel type x month, from 2009 to the latest month",
        columns=(
            "contributing_country",
            "mission_acronym",
            "personnel_type",
            "female_personnel",
            "male_personnel",
            "last_reporting_date",
        ),
    ),
    Entry(
        name="un_contributions_mission_month",
        title="UN contributions by gender summed to mission x month, 2010-2022 (Stata)",
        description=(
            "The UN open-data contributions by gender summed over contributors and "
            "personnel types: female_personnel, male_personnel by mission and month "
            "(yearmo), 2,653 rows; 11 months absent (2013-03, 2014-01, 2015-05, 2016-11, "
            "2017-05 to 2017-11)."
        ),
        publisher=(
            "United Nations Department of Peace Operations (figures); aggregated by a "
            "public replication repository (karlagodoy/Dissertacao)"
        ),
        terms=f"no licence stated by the repository; the figures are the UN's ({_UN_TERMS})",
        landing_page="https://github.com/karlagodoy/Dissertacao",
        repository="karlagodoy/Dissertacao",
        commit="68dba995a837878ee1237ef54bb15655b1a2175c",
        path="numperson.dta",
        filename="UN_contributions_by_gender_mission_month_2010-2022.dta",
        sha256="e323af73049743f4a54e98d1a0dfe751a6a3dcfeb95af76c1921eed92a15e55c",
        reader="pkoresearch.data.readers.un_contributions.read_mission_month",
        format="un_contributions_mission_month",
        coverage="37 missions, January 2010 - January 2022, monthly (11 months absent)",
    ),
    Entry(
        name="un_contributions_country_year",
        title="UN contributions by gender averaged to contributor x mission x year, 2010-2021",
        description=(
            "The UN open-data contributions by gender averaged over the 12 months of each "
            "year per contributor and mission (57,425 rows), months absent from the UN "
            "file counted as zero. Checked against the mission x month file, only some "
            "years are true annual means: the reader marks each year complete, corrected "
            "(the months present are known) or unusable (2010-2012, 2021: January only)."
        ),
        publisher=(
            "United Nations Department of Peace Operations (figures); averaged by a public "
            "analysis repository (corinnee/UN_Peacekeeping_Analytics)"
        ),
        terms=f"MIT licence (the repository); the figures are the UN's ({_UN_TERMS})",
        landing_page="https://github.com/corinnee/UN_Peacekeeping_Analytics",
        repository="corinnee/UN_Peacekeeping_Analytics",
        commit="1167cb2bc26d35bdc8976554bc4d0ca6749bdef6",
        path="CountryByYear.csv",
        filename="UN_contributions_by_gender_country_mission_year_2010-2021.csv",
        sha256="42dc93f83b58223f48fa4a2b88a8f8a825d66667599196eb9015e9cbb4e80807",
        reader="pkoresearch.data.readers.un_contributions.read_country_mission_year",
        format="un_contributions_country_year",
        coverage="contributor x mission x year, 2010-2021 (2010, 2015-2017 understated; 2021 "
        "January only)",
    ),
    Entry(
        name="owid_peacekeeping",
        title="Our World in Data: United Nations Peacekeeping, year-end totals 1947-2021",
        description=(
            "Missions, total force, civilian police, military observers and staff "
            "officers, and troops at the end of each year (UN December figures; November "
            "for 1998; 1947-1991 from Global Policy Forum). No split by sex."
        ),
        publisher="Our World in Data (compiled from the UN and Global Policy Forum)",
        terms=(
            "Our World in Data publishes its compilations under CC BY 4.0; the figures are the "
            f"UN's ({_UN_TERMS}) and, before 1992, Global Policy Forum's"
        ),
        landing_page="https://github.com/owid/owid-datasets/tree/master/datasets/"
        "United%20Nations%20Peacekeeping",
        repository="owid/owid-datasets",
        commit="2f6352b818ab177a576a2535e9524ab3b1c71505",
        path="datasets/United Nations Peacekeeping/United Nations Peacekeeping.csv",
        filename="owid-datasets_United_Nations_Peacekeeping.csv",
        sha256="fabd2d8fe65ee10ba19b652d4ea9b1a1237de92b1026f3ee84dcacbee2bc14c7",
        reader="pandas.read_csv",
        format="owid_peacekeeping",
        coverage="year-end totals 1947-2021",
    ),
)

REGISTRY: dict[str, Entry] = {e.name: e for e in ENTRIES}
# layouts a parameter may also take: the monthly contributions parameter reads the mission x month
# aggregate or the UN's own file (readers.un_contributions.read_monthly reads both)
ALSO_READS: dict[str, tuple[str, ...]] = {
    "un_contributions_mission_month": ("un_contributions_odp",),
}


def names() -> list[str]:
    """The registry's dataset names, in registry order."""
    return list(REGISTRY)


def get(name: str) -> Entry:
    """The registry entry called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDataset(
            f"no registry dataset {name!r}; expected one of {', '.join(REGISTRY)}"
        ) from None


# --------------------------------------------------------------------------------------------------
# the cache


@dataclass(frozen=True)
class Cached:
    """A file in the cache and its record: where it came from, when, and its sha256."""

    name: str
    path: Path
    sha256: str
    source: str  # the URL downloaded, or the path of the file imported
    method: str  # "download" or "import"
    retrieved: str  # UTC time of the download or import, ISO 8601
    pinned: bool
    size: int
    record: dict[str, Any] = field(default_factory=dict, repr=False)

    def manifest(self) -> dict[str, Any]:
        """What a run manifest records about the file."""
        return {
            "dataset": self.name,
            "file": self.path.name,
            "sha256": self.sha256,
            "pinned": self.pinned,
            "source": self.source,
            "method": self.method,
            "retrieved": self.retrieved,
        }


def sha256_of(path: str | os.PathLike[str]) -> str:
    """sha256 of a file, as hex (hashlib: notebooks resolving a file do not import pooch, whose
    progress-bar import prints a warning in a kernel)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _entry_dir(name: str) -> Path:
    return paths.cache_dir() / name


def cached(name: str) -> Cached | None:
    """The cached file of dataset ``name`` with its record, or ``None`` when it is not cached."""
    entry = get(name)
    folder = _entry_dir(name)
    record_path = folder / RECORD
    target = folder / entry.filename
    if not (record_path.is_file() and target.is_file()):
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        record = exc
    if not isinstance(record, dict):
        found = (
            f"cannot be read ({record})"
            if isinstance(record, BaseException)
            else f"holds a JSON {type(record).__name__} ({json.dumps(record)[:40]})"
        )
        raise DamagedRecord(
            f"{name}: the cache record {record_path} {found}; expected a JSON object saying "
            f"where {entry.filename} came from. Repair it with `pkoresearch data fetch --force "
            f"{name}` or `pkoresearch data import DIR`"
        )
    return Cached(
        name,
        target,
        record.get("sha256", ""),
        record.get("source", ""),
        record.get("method", ""),
        record.get("retrieved", ""),
        entry.pinned,
        target.stat().st_size,
        record,
    )


def cached_path(name: str) -> Path | None:
    """Path of the cached file of dataset ``name``, or ``None``."""
    c = cached(name)
    return None if c is None else c.path


def find_cached(path: str | os.PathLike[str]) -> Cached | None:
    """The cache entry a path belongs to (``None`` for a file outside the cache)."""
    p = Path(path).resolve()
    for name in REGISTRY:
        if p.parent != _entry_dir(name).resolve():
            continue
        c = cached(name)
        if c is not None and c.path.resolve() == p:
            return c
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _install(entry: Entry, staged_file: Path, staging: Path, record: dict[str, Any]) -> Cached:
    """Move a verified file (in ``staging``, a fresh folder inside the cache) into place with its
    record. The previous copy is replaced only now, and only as a whole."""
    final = _entry_dir(entry.name)
    old = final.parent / f".old-{entry.name}-{uuid.uuid4().hex[:8]}"
    try:
        if staged_file.name != entry.filename:
            staged_file = staged_file.rename(staging / entry.filename)
        (staging / RECORD).write_text(
            json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        (staging / _OWNER).unlink(missing_ok=True)  # the lock holds on until _unstage
        if final.exists():
            final.rename(old)
        staging.rename(final)
    except OSError as exc:
        if old.exists() and not final.exists():
            old.rename(final)  # the previous copy stays
        raise _cache_problem(final.parent, exc, f"put {entry.filename} in place") from None
    shutil.rmtree(old, ignore_errors=True)
    got = cached(entry.name)
    assert got is not None
    return got


INCOMING = ".incoming-"
_OWNER = ".owner"  # inside a staging folder: locked (flock) by the process using the folder
_held: dict[Path, int] = {}  # staging folder -> descriptor of its locked owner file


def _staging() -> Path:
    """A fresh staging folder inside the cache, locked by this process until :func:`_unstage`.
    Staging folders left by a process that died (killed mid-download) are removed first."""
    root = paths.cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(root)
        staging = root / f"{INCOMING}{uuid.uuid4().hex}"
        staging.mkdir()
        _lock_owner(staging)
    except OSError as exc:
        raise _cache_problem(root, exc, "create a folder in it") from None
    return staging


def _lock_owner(staging: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: stale folders are not cleaned
        return
    fd = os.open(staging / _OWNER, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _held[staging] = fd


def _unstage(staging: Path) -> None:
    """Remove a staging folder and release its lock."""
    shutil.rmtree(staging, ignore_errors=True)
    fd = _held.pop(staging, None)
    if fd is not None:
        os.close(fd)


def clean_stale_staging(root: Path | None = None) -> list[str]:
    """Remove the ``.incoming-*`` folders of the cache whose owner is gone (a fetch or import
    killed mid-transfer); a folder another running fetch holds (its owner file locked) stays.
    Returns the names removed."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return []
    root = root or paths.cache_dir()
    removed = []
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(INCOMING)]
    except OSError:
        return removed
    for p in entries:
        if p.is_symlink() or not p.is_dir() or p in _held:
            continue
        try:
            fd = os.open(p / _OWNER, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            # made before owner files existed, killed before locking it, or being installed
            # right now (its owner file is removed just before): left alone for a minute
            try:
                if time.time() - p.stat().st_mtime < 60:
                    continue
            except OSError:
                continue
            fd = None
        except OSError:
            continue
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: a fetch in progress
        else:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
        finally:
            if fd is not None:
                os.close(fd)
    return sorted(removed)


def _record(
    entry: Entry, sha: str, source: str, method: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "dataset": entry.name,
        "file": entry.filename,
        "sha256": sha,
        "pinned": entry.pinned,
        "expected_sha256": entry.sha256,
        "source": source,
        "method": method,
        "retrieved": _now(),
        "pkoresearch": __version__,
        **(extra or {}),
    }


# --------------------------------------------------------------------------------------------------
# fetch


def _pooch_quiet():
    import logging

    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    return logger, level


def fetch_one(
    name: str,
    base_url: str | None = None,
    retries: int = 3,
    force: bool = False,
    timeout: float = 60,
    deadline: float | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> Cached:
    """Download dataset ``name`` into the cache (unless it is cached already and ``force`` is
    false) and check its sha256; returns the cached file. ``on_retry``: called with one line
    (the attempt that failed, why, and how many are left) each time pooch retries, as it
    happens (``pkoresearch data fetch`` prints it).

    pooch downloads into a temporary folder inside the cache, retrying ``retries`` times after a
    network failure or an interrupted transfer. ``timeout``: seconds to wait for each read;
    ``deadline``: seconds allowed for the whole file, retries included (``None``: no limit), past
    which the transfer is cut and :class:`DownloadError` says so. A pinned file whose sha256
    differs raises :class:`ChecksumMismatch` naming both checksums; an unpinned one must be read
    by its reader. The record gives the bytes received (``download_size``) and the length the
    server declared (``declared_size``). When it declared none (the body ended when the
    connection closed, so a file cut at a line boundary would still pass its reader), an
    unpinned file is downloaded twice and the two must be identical. Any failure leaves the
    cache as it was.
    """
    import math

    import pooch
    import requests

    from pkoresearch.errors import ParameterError

    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ParameterError(f"--retries: found {retries!r}; expected a whole number, 0 or more")
    if not isinstance(timeout, int | float) or not (math.isfinite(timeout) and timeout > 0):
        raise ParameterError(f"timeout: found {timeout!r}; expected a number of seconds above 0")
    if deadline is not None and (
        not isinstance(deadline, int | float) or not (math.isfinite(deadline) and deadline > 0)
    ):
        raise ParameterError(
            f"--timeout: found {deadline!r}; expected a number of seconds above 0 for the whole file"
        )
    entry = get(name)
    try:
        have = cached(name)
    except DamagedRecord:
        if not force:
            raise
        have = None  # --force: fetched again, which repairs the record
    if have is not None and not force and sha256_of(have.path) == (entry.sha256 or have.sha256):
        return have  # cached and intact
    url = entry.url_from(base_url)
    staging = _staging()
    logger, level = _pooch_quiet()
    try:
        fetcher = pooch.create(
            path=staging,
            base_url="",
            registry={entry.filename: None},
            urls={entry.filename: url},
            retry_if_failed=retries,
        )
        # checksum compared below (not by pooch) so that a mismatch is not retried and names both
        download = _Download(timeout, deadline)
        watcher = _RetryWatcher(on_retry, retries + 1)
        # pooch's own handler stays at WARNING; the watcher sees its INFO retry records
        quieted = [(h, h.level) for h in logger.handlers]
        for h, _ in quieted:
            h.setLevel(max(h.level, logging.WARNING))
        logger.addHandler(watcher)
        if on_retry is not None:
            logger.setLevel(logging.INFO)
        try:
            downloaded = Path(fetcher.fetch(entry.filename, downloader=watcher.track(download)))
        finally:
            logger.removeHandler(watcher)
            logger.setLevel(logging.WARNING)
            for h, lvl in quieted:
                h.setLevel(lvl)
        found = sha256_of(downloaded)
        if entry.pinned and found != entry.sha256:
            raise ChecksumMismatch(name, url, entry.sha256, found)
        problem = _unreadable(entry, downloaded)
        if problem:
            raise RegistryError(
                f"{name}: the file downloaded from {url} {problem}. Nothing was cached."
            )
        sizes = {"download_size": download.received, "declared_size": download.declared}
        if not entry.pinned and not download.end_marked:
            # the body ended when the connection closed: a cut at a line boundary would pass the
            # reader, so the file is downloaded again and must come back byte for byte
            again = staging / (entry.filename + ".again")
            download(url, str(again), None)
            if sha256_of(again) != found:
                raise RegistryError(
                    f"{name}: {url} sent no length and two downloads differ ({sizes['download_size']:,}"
                    f" and {download.received:,} bytes): the file may have been cut. Nothing was "
                    "cached; try again, or `pkoresearch data import DIR` a copy you trust."
                )
            again.unlink()
            sizes["end_checked"] = "no length sent; two downloads identical"
        return _install(entry, downloaded, staging, _record(entry, found, url, "download", sizes))
    except _DeadlinePassed as exc:
        raise DownloadError(
            f"{name}: {url} did not arrive within --timeout {deadline:g} s ({exc.received:,} "
            "bytes received); nothing was cached. Give a longer --timeout, or copy the file "
            f"({entry.filename}) from a machine that has it and run `pkoresearch data import DIR`."
        ) from None
    except requests.exceptions.RequestException as exc:
        raise DownloadError(
            f"{name}: could not download {url} after {retries + 1} attempt(s) "
            f"({_reason(exc)}). Nothing was cached. Without network, copy the file "
            f"({entry.filename}) from a machine that has it and run `pkoresearch data import "
            "DIR`."
        ) from None
    except RegistryError:
        raise
    except OSError as exc:  # writing the download into the cache: full, read-only, ...
        raise _cache_problem(staging.parent, exc, f"write {entry.filename}") from None
    finally:
        logger.setLevel(level)
        _unstage(staging)


class _RetryWatcher(logging.Handler):
    """Turns pooch's "Will attempt the download again" log records into ``on_retry`` lines,
    with the reason of the failed attempt (pooch's other records are dropped: its own handler
    stays quiet at WARNING). ``track`` wraps the downloader to remember why an attempt failed."""

    def __init__(self, on_retry: Callable[[str], None] | None, attempts: int):
        super().__init__(logging.INFO)
        self.on_retry, self.attempts, self.reason = on_retry, attempts, ""

    def track(self, download: Callable) -> Callable:
        def tracked(url: str, output_file: Any, pooch: Any, check_only: bool = False) -> Any:
            try:
                return download(url, output_file, pooch, check_only=check_only)
            except Exception as exc:
                import requests

                self.reason = (
                    _reason(exc)
                    if isinstance(exc, requests.exceptions.RequestException)
                    else f"{type(exc).__name__}: {exc}"
                )
                raise

        return tracked

    def emit(self, record: logging.LogRecord) -> None:
        if self.on_retry is None or "attempt the download again" not in str(record.msg):
            return
        left = int(record.args[1]) if isinstance(record.args, tuple) else 0
        failed = self.attempts - left
        self.on_retry(
            f"attempt {failed} of {self.attempts} failed"
            + (f" ({self.reason})" if self.reason else "")
            + f"; retrying ({left} attempt{'s' if left != 1 else ''} left)"
        )


class _DeadlinePassed(Exception):
    """The whole-file deadline passed (not a ``RequestException``: pooch does not retry it)."""

    def __init__(self, received: int):
        super().__init__(received)
        self.received = received


class _Download:
    """A pooch downloader: requests, streamed, each read waiting at most ``timeout`` seconds,
    and the whole file (retries included) at most ``deadline`` seconds: a timer shuts the socket
    when it passes, so that a server trickling bytes cannot hold the fetch. Keeps the bytes
    received and the length the server declared."""

    def __init__(self, timeout: float, deadline: float | None):
        import time

        self.timeout = timeout
        self.ends = None if deadline is None else time.monotonic() + deadline
        self.received = 0
        self.declared: int | None = None
        self.end_marked = False  # Content-Length or chunked: a cut transfer is an error
        self.cut = False

    def _left(self) -> float:
        import time

        return float("inf") if self.ends is None else self.ends - time.monotonic()

    def _shut(self, response: Any) -> None:
        self.cut = True
        try:
            response.raw.shutdown()
        except Exception:  # noqa: BLE001 - already closed or released
            pass

    def __call__(self, url: str, output_file: Any, pooch: Any, check_only: bool = False) -> Any:
        import threading

        import requests

        left = self._left()
        if left <= 0:
            raise _DeadlinePassed(self.received)
        wait = min(self.timeout, left)
        self.received, self.declared = 0, None
        with requests.get(url, stream=True, timeout=(wait, wait)) as response:
            response.raise_for_status()
            length = response.headers.get("Content-Length")
            self.declared = int(length) if length and length.isdigit() else None
            chunked = "chunked" in response.headers.get("Transfer-Encoding", "").lower()
            self.end_marked = self.declared is not None or chunked
            timer = None
            if self.ends is not None:
                timer = threading.Timer(self._left(), self._shut, args=(response,))
                timer.daemon = True
                timer.start()
            fh = open(output_file, "wb") if not hasattr(output_file, "write") else output_file
            try:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    if self.cut or self._left() <= 0:
                        raise _DeadlinePassed(self.received)
                    fh.write(chunk)
                    self.received += len(chunk)
            except requests.exceptions.RequestException:
                if self.cut:
                    raise _DeadlinePassed(self.received) from None
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                if fh is not output_file:
                    fh.close()
            if self.cut:  # the socket shut at the deadline reads as an early end of the body
                raise _DeadlinePassed(self.received)
        return None


def _unreadable(entry: Entry, path: Path) -> str | None:
    """For an unpinned file (no checksum to vouch for it): why its reader refuses it, or None.
    A pinned file is vouched for by its sha256."""
    if entry.pinned or not entry.reader.startswith("pkoresearch."):
        return None
    import importlib
    import warnings

    from pkoresearch.errors import PkoError

    module, _, function = entry.reader.rpartition(".")
    reader = getattr(importlib.import_module(module), function)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader(path)
    except PkoError as exc:
        return (
            "cannot be read by "
            + entry.reader
            + ": "
            + str(exc).splitlines()[0]
            + (f" (first problem: {exc.problems[0]})" if getattr(exc, "problems", None) else "")
        )
    return None


def _reason(exc: BaseException) -> str:
    import requests

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ChunkedEncodingError
    ):
        return "no connection: network unreachable or refused"
    if isinstance(
        exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return "transfer interrupted before the end of the file"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    return type(exc).__name__


def fetch(
    names_: Iterable[str] | None = None,
    base_url: str | None = None,
    retries: int = 3,
    force: bool = False,
) -> list[Cached]:
    """Fetch several datasets (all of them when ``names_`` is None); see :func:`fetch_one`.
    Stops at the first failure (the files fetched before it stay cached)."""
    chosen = list(REGISTRY) if names_ is None else [get(n).name for n in names_]
    return [fetch_one(n, base_url=base_url, retries=retries, force=force) for n in chosen]


# --------------------------------------------------------------------------------------------------
# import from a folder


@dataclass
class ImportReport:
    """What ``import_dir`` did: files cached, files rejected (with why), datasets not found."""

    folder: Path
    imported: list[Cached] = field(default_factory=list)
    already: list[Cached] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def _header_columns(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        return next(csv.reader(fh), [])


def import_dir(folder: str | os.PathLike[str], names_: Sequence[str] | None = None) -> ImportReport:
    """Copy the registry's files found in ``folder`` into the cache, offline.

    A file is recognised by name (its cache name, its publisher's name, or a known alias) or, for
    pinned entries, by its sha256 whatever its name. A pinned file must have the pinned sha256; an
    unpinned one must have the columns of its layout. Rejected files are listed with the reason
    (expected and found sha256) and leave the cache untouched; datasets with no file in the folder
    are listed as missing.
    """
    src = Path(folder).expanduser().resolve()
    if not src.is_dir():
        raise RegistryError(f"{src}: not a folder; expected a folder holding downloaded files")
    chosen = list(REGISTRY) if names_ is None else [get(n).name for n in names_]
    report = ImportReport(src)
    try:
        files = sorted(p for p in src.iterdir() if p.is_file())
    except OSError as exc:
        raise RegistryError(
            f"{src}: cannot list the folder ({exc.strerror or exc}); expected a folder you can "
            "read holding downloaded files"
        ) from None
    hashes: dict[Path, str] = {}
    unreadable: dict[Path, str] = {}

    def sha(p: Path) -> str:
        if p not in hashes:
            try:
                hashes[p] = sha256_of(p)
            except OSError as exc:
                unreadable[p] = exc.strerror or str(exc)
                hashes[p] = ""
        return hashes[p]

    for name in chosen:
        try:
            _import_one(name, files, sha, unreadable, report)
        except OSError as exc:  # reading a source file (the cache's own errors are CacheError)
            if isinstance(exc, RegistryError):
                raise
            report.rejected.append(
                f"{name}: {exc.filename or src}: cannot read it ({exc.strerror or exc}); "
                "expected a file you can read. Nothing was cached."
            )
    return report


def _import_one(
    name: str,
    files: list[Path],
    sha: Any,
    unreadable: dict[Path, str],
    report: ImportReport,
) -> None:
    """Import dataset ``name`` from ``files`` into the cache (see :func:`import_dir`)."""
    entry = get(name)
    candidates = [p for p in files if p.name in entry.names()]
    if entry.pinned:
        if not candidates:
            candidates = [p for p in files if sha(p) == entry.sha256]
        good = [p for p in candidates if sha(p) == entry.sha256]
        for p in candidates:
            if p in unreadable:
                report.rejected.append(
                    f"{name}: {p}: cannot read it ({unreadable[p]}); expected a file you can "
                    "read. Nothing was cached."
                )
            elif sha(p) != entry.sha256:
                report.rejected.append(str(ChecksumMismatch(name, str(p), entry.sha256, sha(p))))
        if not candidates:
            report.missing.append(name)
        if not good:
            return
        chosen_file = good[0]
    else:
        if not candidates:
            report.missing.append(name)
            return
        chosen_file = candidates[0]
        header = {c.strip().lower() for c in _header_columns(chosen_file)}
        lacking = [c for c in entry.columns if c not in header]
        if lacking:
            report.rejected.append(
                f"{name}: {chosen_file} lacks column(s) {lacking}; expected the columns of "
                f"{entry.filename} ({', '.join(entry.columns)}). Nothing was cached."
            )
            return
        problem = _unreadable(entry, chosen_file)
        if problem:
            report.rejected.append(f"{name}: {chosen_file} {problem}. Nothing was cached.")
            return
    try:
        have = cached(name)
    except DamagedRecord:
        have = None  # imported again, which repairs the record
    found = sha(chosen_file)
    if have is not None and have.sha256 == found:
        report.already.append(have)
        return
    staging = _staging()
    try:
        staged = staging / entry.filename
        try:
            src = open(chosen_file, "rb")
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(chosen_file)) from None
        with src:
            try:
                with open(staged, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except OSError as exc:
                raise _cache_problem(staging.parent, exc, f"write {entry.filename}") from None
        if sha256_of(staged) != found:  # changed while copying
            raise RegistryError(f"{name}: {chosen_file} changed while it was copied")
        modified = datetime.fromtimestamp(chosen_file.stat().st_mtime, UTC)
        report.imported.append(
            _install(
                entry,
                staged,
                staging,
                _record(
                    entry,
                    found,
                    str(chosen_file),
                    "import",
                    {"source_file_modified": modified.isoformat(timespec="seconds")},
                ),
            )
        )
    finally:
        _unstage(staging)


# --------------------------------------------------------------------------------------------------
# status


def status() -> list[dict[str, Any]]:
    """One dict per registry entry: cached or not, and for cached files where from, when, the
    sha256 recorded and whether the file on disk still has it (and, if pinned, the pinned one)."""
    out = []
    for entry in ENTRIES:
        try:
            c = cached(entry.name)
        except DamagedRecord as exc:
            out.append(
                {
                    "name": entry.name,
                    "title": entry.title,
                    "pinned": entry.pinned,
                    "cached": False,
                    "damaged": str(exc),
                }
            )
            continue
        row: dict[str, Any] = {
            "name": entry.name,
            "title": entry.title,
            "pinned": entry.pinned,
            "cached": c is not None,
        }
        if c is not None:
            now = sha256_of(c.path)
            if entry.pinned and now != entry.sha256:
                state = "MODIFIED: differs from the pinned sha256"
            elif now != c.sha256:
                state = "MODIFIED since it was cached"
            else:
                state = "verified (pinned sha256)" if entry.pinned else "as recorded at fetch"
            row.update(
                path=str(c.path),
                sha256=now,
                source=c.source,
                method=c.method,
                retrieved=c.retrieved,
                size=c.size,
                state=state,
            )
        out.append(row)
    return out


# --------------------------------------------------------------------------------------------------
# resolving a notebook's data parameter


@dataclass(frozen=True)
class Resolved:
    """How a data parameter's value was resolved: the file (``None``: bundled curated data), the
    registry entry it came from (if any), and how."""

    path: Path | None
    dataset: str | None
    how: str  # "path", "registry", "auto", "auto-missing", "bundled"


def resolve(value: Any, default_name: str, parameter: str = "value") -> Resolved:
    """Resolve a data parameter: ``"auto"`` (the cached ``default_name`` when present, else the
    bundled curated data), ``"bundled"`` or ``""`` (the bundled curated data), a registry name of
    the same layout as ``default_name`` (must be cached), or a path to a file.

    Raises :class:`pkoresearch.errors.ParameterError` for a registry name of another layout, a
    registry name not cached, or a path that is not a file.
    """
    from pkoresearch.errors import ParameterError

    default = get(default_name)
    if value is None or value == "" or value == BUNDLED:
        return Resolved(None, None, "bundled")
    if not isinstance(value, (str, os.PathLike)):
        raise ParameterError(
            f"parameter {parameter}: found {value!r}; expected a path, a registry "
            f"name such as {default.name!r}, {AUTO!r} or {BUNDLED!r}"
        )
    if "\x00" in os.fspath(value):
        raise ParameterError(
            f"parameter {parameter}: found {os.fspath(value)!r}, which holds a NUL byte (\\x00); "
            f"expected a path, a registry name such as {default.name!r}, {AUTO!r} or {BUNDLED!r}"
        )
    if value == AUTO:
        c = cached(default.name)
        return (
            Resolved(c.path, default.name, "auto")
            if c
            else Resolved(None, default.name, "auto-missing")
        )
    if isinstance(value, str) and value in REGISTRY:
        entry = REGISTRY[value]
        readable = {default.format, *ALSO_READS.get(default.format, ())}
        if entry.format not in readable:
            same = [e.name for e in ENTRIES if e.format in readable]
            raise ParameterError(
                f"parameter {parameter}: found registry dataset {value!r} "
                f"({entry.format}); expected one in the layout "
                f"{default.format} ({', '.join(same)}), a path, {AUTO!r} or "
                f"{BUNDLED!r}"
            )
        c = cached(value)
        if c is None:
            raise ParameterError(
                f"parameter {parameter}: registry dataset {value!r} is not in the "
                f"cache ({paths.cache_dir()}); expected it fetched: run "
                f"`pkoresearch data fetch {value}`, or offline `pkoresearch "
                "data import DIR`"
            )
        return Resolved(c.path, value, "registry")
    p = paths.resolve_input(value)
    if not p.is_file():
        raise ParameterError(
            f"parameter {parameter}: found {str(value)!r}, which is neither a "
            f"file (looked at {p}) nor a registry name; expected a path to an "
            f"existing file, a registry name such as {default.name!r}, "
            f"{AUTO!r} or {BUNDLED!r}"
        )
    c = find_cached(p)
    return Resolved(p, c.name if c else None, "path")


def is_data_keyword(value: Any) -> bool:
    """True for values a data parameter takes that are not paths: auto, bundled, "" or a registry
    name."""
    return isinstance(value, str) and (value in ("", AUTO, BUNDLED) or value in REGISTRY)


# --------------------------------------------------------------------------------------------------
# a cache filled from a folder, for tests and for refreshing committed notebooks


def fill_temporary_cache(
    source: str | os.PathLike[str] | None = None,
) -> tuple[Path, ImportReport | None]:
    """Point ``PKORESEARCH_CACHE`` (in ``os.environ``, so kernels started later inherit it) at a
    new temporary folder and import the registry's files from ``source`` (default:
    :func:`pkoresearch.paths.external_dir`) into it, as ``pkoresearch data import`` does.

    The committed notebooks' outputs come from the pinned files: the test suite and
    ``tools/refresh_notebooks.py`` both call this, so nbval and a refresh see the same data.
    Returns the folder and the import report (``None`` when ``source`` does not exist).
    """
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="pkoresearch-cache-"))
    os.environ["PKORESEARCH_CACHE"] = str(folder)
    src = Path(source) if source is not None else paths.external_dir()
    if not src.is_dir():
        return folder, None
    return folder, import_dir(src)


def pinned_missing() -> list[str]:
    """Pinned datasets not in the cache (e.g. after :func:`fill_temporary_cache`)."""
    return [e.name for e in ENTRIES if e.pinned and cached(e.name) is None]
