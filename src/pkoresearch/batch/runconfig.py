"""The run matrix of the batch runner: ``runs.yaml`` read safely, expanded into runs, and every
run's parameters checked against the parameters its notebook declares, before anything executes."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pkoresearch import paths
from pkoresearch.errors import PkoError

RESERVED = {"output_dir"}  # set by the runner for every run
# runs in one batch: a matrix beyond this is refused before anything is expanded or executed
# (each run is a notebook execution; checking a matrix of this size takes well under a second)
MAX_RUNS = 10_000


class RunConfigError(PkoError, ValueError):
    """The run matrix or a run's parameters are wrong; nothing was executed."""


@dataclass(frozen=True)
class Run:
    """One notebook execution: a name, the notebook, and its parameters."""

    name: str
    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return safe_folder_name(self.name)


# --------------------------------------------------------------------------------------------------
# names and paths


def safe_folder_name(name: str) -> str:
    """A folder name derived from a run name that cannot leave the output folder: only letters,
    digits, dot, dash and underscore; no leading dots; a short hash keeps distinct names apart."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")[:80] or "run"
    if cleaned != name:
        cleaned += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return cleaned


def _inside(base: Path, target: Path) -> Path:
    base, target = base.resolve(), target.resolve()
    if not target.is_relative_to(base):
        raise RunConfigError(f"{target} is outside the output folder {base}")
    return target


# --------------------------------------------------------------------------------------------------
# the run matrix


def _format_name(template: str, params: dict[str, Any]) -> str:
    def value(m: re.Match) -> str:
        v = params.get(m.group(1), m.group(0))
        if isinstance(v, (list, tuple)):
            return "+".join(str(x) for x in v)
        return str(v)

    return re.sub(r"\{(\w+)\}", value, template)


def expand(entry: dict[str, Any], where: str) -> list[Run]:
    """Runs from one ``runs.yaml`` entry: its parameters, times every combination of its sweep."""
    if not isinstance(entry, dict):
        raise RunConfigError(f"{where}: found {entry!r}; expected a mapping with name and notebook")
    unknown = set(entry) - {"name", "notebook", "parameters", "sweep"}
    if unknown:
        raise RunConfigError(
            f"{where}: found key(s) {sorted(unknown)}; expected name, notebook, parameters, sweep"
        )
    for key in ("name", "notebook"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise RunConfigError(f"{where}: found {key}={entry.get(key)!r}; expected a string")
    base = entry.get("parameters") or {}
    sweep = entry.get("sweep") or {}
    if not isinstance(base, dict) or not isinstance(sweep, dict):
        raise RunConfigError(f"{where} ({entry['name']}): parameters and sweep must be mappings")
    for k, v in sweep.items():
        if not isinstance(v, list) or not v:
            raise RunConfigError(
                f"{where} ({entry['name']}): sweep {k!r}: found {v!r}; expected "
                "a non-empty list of values"
            )
    keys = list(sweep)
    combinations = 1
    for k in keys:
        combinations *= len(sweep[k])
    if combinations > MAX_RUNS:
        raise RunConfigError(
            f"{where} ({entry['name']}): the sweep makes {combinations:,} runs ("
            + " x ".join(f"{k}: {len(sweep[k])}" for k in keys)
            + f"); expected at most {MAX_RUNS:,} runs in a batch"
        )
    runs = []
    for combo in itertools.product(*(sweep[k] for k in keys)) if keys else [()]:
        params = {**base, **dict(zip(keys, combo))}
        name = _format_name(entry["name"], params)
        if keys and name == entry["name"]:
            name += "-" + "-".join(_format_name("{%s}" % k, params) for k in keys)
        runs.append(Run(name, entry["notebook"], params))
    return runs


def load_runs(path: str | os.PathLike[str]) -> list[Run]:
    """Read a run matrix with a safe, limited YAML reader (values stay data: no tags, no code;
    aliases, nesting, size and numbers bounded: see :mod:`pkoresearch.batch.safeyaml`)."""
    from pkoresearch.batch import safeyaml

    p = Path(path)
    if not p.exists():
        raise RunConfigError(f"{p}: no such run matrix")
    if not p.is_file():
        raise RunConfigError(f"{p}: not a regular file; expected a YAML run matrix")
    size = p.stat().st_size
    if size > safeyaml.MAX_BYTES:
        raise RunConfigError(f"{p}: {size:,} bytes; expected at most {safeyaml.MAX_BYTES:,}")
    try:
        with open(p, "rb") as fh:
            data = fh.read(safeyaml.MAX_BYTES + 1)
        doc = safeyaml.load(data)
    except safeyaml.YamlRefused as exc:
        raise RunConfigError(f"{p}: {exc}") from None
    except OSError as exc:
        raise RunConfigError(f"{p}: cannot read it ({exc.strerror or exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise RunConfigError(f"{p}: expected a mapping with a list under 'runs'")
    runs: list[Run] = []
    for i, e in enumerate(doc["runs"], 1):
        runs += expand(e, f"{p.name} run {i}")
        if len(runs) > MAX_RUNS:
            raise RunConfigError(
                f"{p}: runs 1-{i} already make {len(runs):,} runs; expected at most "
                f"{MAX_RUNS:,} runs in a batch"
            )
    dup = repeated(r.name for r in runs)
    if dup:
        raise RunConfigError(f"{p}: run name(s) {dup} used more than once; expected unique names")
    return runs


# --------------------------------------------------------------------------------------------------
# checking parameters against the notebook


_TYPES = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "none": (type(None),),
    "tuple": (list,),
}


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The notebook's parameters as papermill inspects them: name -> type, default, help.
    Inspected once per notebook file version (a batch asks for each run)."""
    p = Path(notebook).resolve()
    return _inspect(str(p), p.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _inspect(path: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    from pkoresearch.batch._imports import notebook_readers

    notebook_readers()
    import papermill as pm

    return {
        name: {
            "type": p.get("inferred_type_name"),
            "default": p.get("default"),
            "help": p.get("help", ""),
        }
        for name, p in pm.inspect_notebook(path).items()
    }


def notebook_problem(notebook: Path) -> str | None:
    """Why ``notebook`` is not a Jupyter notebook papermill can run (not readable, not UTF-8,
    not JSON, not a notebook's structure), or None. Checked once per file version."""
    p = Path(notebook).resolve()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return _notebook_problem(str(p), mtime)


@functools.lru_cache(maxsize=64)
def _notebook_problem(path: str, mtime_ns: int) -> str | None:
    expected = "expected a Jupyter notebook (nbformat 4 JSON with 'cells' and 'metadata')"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"found bytes that are not UTF-8 text (at byte {exc.start}); {expected}"
    except ValueError as exc:
        return f"found text that is not JSON ({exc}); {expected}"
    if not isinstance(doc, dict):
        return f"found a JSON {type(doc).__name__}; {expected}"
    lacking = [k for k in ("cells", "metadata", "nbformat") if k not in doc]
    if lacking:
        return f"found a JSON object without {', '.join(map(repr, lacking))}; {expected}"
    if not isinstance(doc["cells"], list) or doc.get("nbformat") != 4:
        return (
            f"found nbformat {doc.get('nbformat')!r} with 'cells' a "
            f"{type(doc['cells']).__name__}; {expected}"
        )
    try:
        _inspect(path, mtime_ns)
    except Exception as exc:  # noqa: BLE001 - whatever papermill cannot inspect
        return f"papermill cannot read its parameters ({type(exc).__name__}: {exc}); {expected}"
    return None


def _type_ok(value: Any, type_name: str | None) -> bool:
    if not type_name or type_name == "None":
        return True
    allowed: tuple[type, ...] = ()
    name = type_name.lower().strip().strip("'\"")
    m = re.fullmatch(r"optional\[(.*)\]", name)
    if m:
        name = f"{m.group(1)} | none"
    for part in re.split(r"\s*\|\s*", name):
        part = re.sub(r"\[.*\]$", "", part).strip()
        if part in ("optional", "any"):
            return True
        if part not in _TYPES:
            return True  # a type we do not model: let the notebook's own check decide
        allowed += _TYPES[part]
    if isinstance(value, bool) and bool not in allowed:
        return False
    return isinstance(value, allowed)


def repeated(values: Iterable[Any]) -> list[Any]:
    """The values that occur more than once, sorted (one pass: a sweep of 22,500 runs is checked
    in milliseconds, not the quarter of a minute a count per value took)."""
    seen: set[Any] = set()
    twice: set[Any] = set()
    for v in values:
        (twice if v in seen else seen).add(v)
    return sorted(twice)


def text_problem(value: Any) -> str | None:
    """What makes ``value`` (a string, or a list or mapping holding strings) unusable as a run
    name, notebook name or parameter, or None: a NUL byte (no file name or path can hold one) or
    a lone surrogate (``"\\ud83d"``: not a character; it cannot be written as UTF-8, e.g. into
    the report). A YAML or JSON ``"\\ud83d\\ude00"`` is such a pair of halves; write the
    character itself or ``"\\U0001F600"``."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"found {value!r}, which holds a NUL byte (\\x00); expected text without one"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (
                f"found {value!r}, which holds a lone surrogate ({value[exc.start]!r} at "
                f"character {exc.start + 1}), not a character; expected text that is valid "
                'Unicode (write the character itself, or e.g. "\\U0001F600" for 😀)'
            )
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            problem = text_problem(k) or text_problem(v)
            if problem:
                return problem
    elif isinstance(value, (list, tuple)):
        for v in value:
            problem = text_problem(v)
            if problem:
                return problem
    return None


def check_run(run: Run, notebooks: Path) -> list[str]:
    """Every problem with a run's notebook and parameters (empty when the run is fine)."""
    bad_text = [
        f"{what}: {problem}"
        for what, value in (
            ("run name", run.name),
            (f"run {run.name!r}: notebook", run.notebook),
            *((f"run {run.name!r}: parameter {k!r}", v) for k, v in run.parameters.items()),
            *((f"run {run.name!r}: parameter name", k) for k in run.parameters),
        )
        if (problem := text_problem(value))
    ]
    if bad_text:
        return bad_text
    nb = notebooks / run.notebook
    if not nb.resolve().is_relative_to(notebooks.resolve()):
        return [
            f"run {run.name!r}: notebook {run.notebook!r} is outside the notebooks folder "
            f"{notebooks}; expected a notebook file name in it"
        ]
    if not nb.is_file():
        return [f"run {run.name!r}: notebook {run.notebook!r} not found in {notebooks}"]
    problem = notebook_problem(nb)
    if problem:
        return [f"run {run.name!r}: notebook {nb}: {problem}"]
    declared = declared_parameters(nb)
    problems = []
    for name, value in run.parameters.items():
        if name in RESERVED:
            problems.append(f"run {run.name!r}: parameter {name!r} is set by the runner")
        elif name not in declared:
            problems.append(
                f"run {run.name!r}: unknown parameter {name!r}; {run.notebook} "
                f"declares {sorted(declared)}"
            )
        elif not _type_ok(value, declared[name]["type"]):
            problems.append(
                f"run {run.name!r}: parameter {name!r} = {value!r} is a "
                f"{type(value).__name__}; {run.notebook} declares "
                f"{declared[name]['type']}"
            )
        elif "path" in (declared[name]["help"] or "").lower() and isinstance(value, str):
            problem = _input_problem(value)
            if problem:
                problems.append(f"run {run.name!r}: parameter {name!r}: {problem}")
        else:
            problem = value_problem(name, value)
            if problem:
                problems.append(f"run {run.name!r}: parameter {name!r}: {problem}")
    try:
        json.dumps(run.parameters)
    except TypeError as exc:
        problems.append(f"run {run.name!r}: parameters are not JSON data ({exc})")
    if not problems:
        outside, _ = years_against_coverage(run, declared)
        if outside:
            problems.append(f"run {run.name!r}: {outside}")
    return problems


# parameters whose values can be checked without a kernel: names the notebooks share
MISSION_PARAMETERS = ("missions", "leave_out")
CONTRIBUTOR_PARAMETERS = ("contributors",)


@functools.lru_cache(maxsize=1)
def known_missions() -> tuple[str, ...]:
    """Every mission acronym a notebook can be asked for: the UN missions of the personnel and
    allegation data (``pkoresearch.data.missions.MISSIONS``) and those of the bundled per-mission
    figures."""
    import csv

    from pkoresearch.data import missions

    names = set(missions.MISSIONS)
    try:
        with open(paths.data_dir() / "allegations_by_mission.csv", encoding="utf-8") as fh:
            names |= {
                row["mission"]
                for row in csv.DictReader(fh)
                if missions.is_single_acronym(row.get("mission"))
            }
    except OSError:
        pass
    return tuple(sorted(names))


def _did_you_mean(value: str, choices: Sequence[str]) -> str:
    import difflib

    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(by_lower[c]) for c in close)}?)" if close else ""


def value_problem(name: str, value: Any) -> str | None:
    """What is wrong with a parameter value that can be checked before any kernel starts: mission
    acronyms (``missions``, ``leave_out``) against the missions known to the package, contributor
    names (``contributors``) against the country crosswalk; each unknown value with "did you
    mean" suggestions. None when the value is fine or not of a kind checked here (the notebook
    checks the rest, e.g. a mission without data in the chosen years)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    if name in MISSION_PARAMETERS:
        known = known_missions()
        bad = [v for v in value if v not in known]
        if bad:
            return (
                "unknown mission(s) "
                + ", ".join(f"{v!r}{_did_you_mean(v, known)}" for v in bad)
                + "; expected UN mission acronyms such as 'MINUSCA' or 'MONUSCO'"
            )
    elif name in CONTRIBUTOR_PARAMETERS:
        from pkoresearch.data import countries

        bad = countries.unresolved(value)
        if bad:
            names = countries.known_names()
            return (
                "unknown contributing countr"
                + ("y " if len(bad) == 1 else "ies ")
                + ", ".join(f"{v!r}{_did_you_mean(v, names)}" for v in bad)
                + "; expected country names such as 'Ghana' or 'India'"
            )
    return None


# the years a run asks for, checked against the coverage of the allegations data it will read
ALLEGATIONS_PARAMETER = "allegations_table"


def _default(declared: dict[str, dict[str, Any]], name: str) -> Any:
    import ast

    try:
        return ast.literal_eval(str(declared[name]["default"]))
    except (KeyError, ValueError, SyntaxError):
        return None


def _requested_years(run: Run, declared: dict[str, dict[str, Any]]) -> tuple[int, int] | None:
    """The year range a run asks for: ``start_year``-``end_year``, or the span of ``years``
    (None: all years, or a notebook without such parameters)."""

    def value(name):
        return run.parameters[name] if name in run.parameters else _default(declared, name)

    if "start_year" in declared and "end_year" in declared:
        lo, hi = value("start_year"), value("end_year")
        if isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool) and lo <= hi:
            return lo, hi
        return None  # the notebook's own check names a wrong type or order
    if "years" in declared:
        ys = value("years")
        if isinstance(ys, list) and ys and all(isinstance(y, int) for y in ys):
            return min(ys), max(ys)
    return None


@functools.lru_cache(maxsize=8)
def _table_coverage(path: str, mtime_ns: int, size: int):
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    return read_table_of_allegations(path).coverage


@functools.lru_cache(maxsize=1)
def _curated_coverage():
    from pkoresearch.data import curated
    from pkoresearch.data.coverage import Coverage

    years = curated.revisions()["year"]
    return Coverage.of_years("the curated yearly series (UN headline figures)", years)


def allegations_coverage(value: Any, curated_fallback: bool):
    """The :class:`~pkoresearch.data.coverage.Coverage` of the allegations data a data parameter
    resolves to, read from the data: a UN table of allegations (its reporting months), or for the
    bundled data the years of the curated headline series (only where the notebook falls back on
    it, ``curated_fallback``). None when that cannot be known before the run (the notebook then
    says what it found)."""
    from pkoresearch.data import registry
    from pkoresearch.errors import PkoError

    try:
        r = registry.resolve(value, "un_allegations", parameter=ALLEGATIONS_PARAMETER)
    except PkoError:
        return None  # named by the data parameter's own check
    if r.path is None:
        return _curated_coverage() if curated_fallback else None
    st = Path(r.path).stat()
    try:
        return _table_coverage(str(Path(r.path).resolve()), st.st_mtime_ns, st.st_size)
    except PkoError:
        return None  # the notebook reports the file's problem, with its row and column


def years_against_coverage(
    run: Run, declared: dict[str, dict[str, Any]]
) -> tuple[str | None, str | None]:
    """``(problem, note)`` for the years a run asks for (``start_year``/``end_year`` or
    ``years``) against the coverage of the allegations data it will read (``allegations_table``),
    before any kernel starts: a range with no covered year is a problem (every count would be
    missing); a range covered in part gives a note naming the years without data (missing, not
    0). ``(None, None)`` when the range is covered or cannot be checked here."""
    if ALLEGATIONS_PARAMETER not in declared:
        return None, None
    years = _requested_years(run, declared)
    if years is None:
        return None, None
    value = run.parameters.get(ALLEGATIONS_PARAMETER, _default(declared, ALLEGATIONS_PARAMETER))
    help_text = (declared[ALLEGATIONS_PARAMETER].get("help") or "").lower()
    # the bundled series stands in for the table only where the notebook says so, and only for
    # the whole series (missions have their own, shorter per-mission coverage)
    fallback = (
        "curated series" in help_text
        and "start_year" in declared
        and not run.parameters.get("missions")
    )
    cov = allegations_coverage(value, fallback)
    if cov is None:
        return None, None
    lo, hi = years
    covered = set(cov.years()["year"])
    asked = range(lo, hi + 1)
    missing = [y for y in asked if y not in covered]
    what = f"{lo}-{hi}" if lo != hi else str(lo)
    if len(missing) == len(asked):
        return (
            f"years {what}: {cov.source} covers {cov.label()}, none of these years; expected "
            f"years inside that coverage (outside it every count is missing, not 0)",
            None,
        )
    if missing:
        return None, (
            f"years {what}: {cov.source} covers {cov.label()}; {_spans(missing)} "
            "have no data and are missing, not 0"
        )
    return None, None


def _spans(years: Sequence[int]) -> str:
    """[2008, 2009, 2010, 2013] -> "2008-2010, 2013"."""
    out, start, prev = [], None, None
    for y in [*years, None]:
        if start is not None and (y is None or y != prev + 1):
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if y is not None and start is None:
            start = y
        prev = y
    return ", ".join(out)


def coverage_notes(runs: Sequence[Run], notebooks: Path) -> list[str]:
    """The notes of :func:`years_against_coverage` for runs whose year range the data cover only
    in part (one line per run), for the terminal before the batch starts."""
    notes = []
    for r in runs:
        nb = notebooks / r.notebook
        if not nb.is_file() or notebook_problem(nb):
            continue
        _, note = years_against_coverage(r, declared_parameters(nb))
        if note:
            notes.append(f"run {r.name!r}: {note}")
    return notes


def _input_problem(value: str) -> str | None:
    """What is wrong with a data parameter's value (a path, a registry name, "auto", "bundled"),
    or None. The notebook checks the rest (e.g. a registry name of another layout)."""
    from pkoresearch.data import registry

    if value in ("", registry.AUTO, registry.BUNDLED):
        return None
    if value in registry.REGISTRY:
        if registry.cached(value) is None:
            return (
                f"registry dataset {value!r} is not in the cache; run `pkoresearch data fetch "
                f"{value}` (or offline `pkoresearch data import DIR`)"
            )
        return None
    if not paths.resolve_input(value).is_file():
        return f"input file {value!r} not found"
    return None


def check_runs(runs: Sequence[Run], notebooks: Path) -> None:
    """Raise RunConfigError listing every problem of every run, before anything executes."""
    if len(runs) > MAX_RUNS:
        raise RunConfigError(
            f"{len(runs):,} runs in the run matrix; expected at most {MAX_RUNS:,} runs in a batch "
            "(split the sweep into several batches)"
        )
    problems = [p for r in runs for p in check_run(r, notebooks)]
    clash = repeated(r.folder for r in runs if text_problem(r.name) is None)
    if clash:
        problems.append(f"run names map to the same folder(s) {clash}; expected distinct names")
    if problems:
        raise RunConfigError(
            f"{len(problems)} problem(s) in the run matrix, nothing was run:\n  "
            + "\n  ".join(problems)
        )


def runs_for(notebooks: Iterable[str], overrides: dict[str, Any] | None = None) -> list[Run]:
    """One run per notebook file name with its defaults plus ``overrides``."""
    return [Run(Path(nb).stem, Path(nb).name, dict(overrides or {})) for nb in notebooks]


def with_overrides(runs: Sequence[Run], overrides: dict[str, Any]) -> list[Run]:
    """The same runs with ``overrides`` applied to every one."""
    return [Run(r.name, r.notebook, {**r.parameters, **overrides}) for r in runs]
