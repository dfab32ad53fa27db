"""UN field missions by acronym: what kind of mission each is, where, and which acronyms name the
same operation, so that the personnel data and the allegation data can be joined by mission.

Two kinds of succession are kept apart:

- **renamed** (:data:`RENAMED`): the Security Council renamed a continuing operation, whose forces,
  area and caseload carried over. MONUC became MONUSCO on 1 July 2010 (S/RES/1925 (2010)); UNSOA
  became UNSOS (S/RES/2245 (2015)). These are harmonised by default: the UN table of allegations
  still files allegations about MONUC-era incidents under "MONUC" years after 2010, and they belong
  to the operation that exists, MONUSCO.
- **successors** (:data:`SUCCESSORS`): a new mission with a new mandate took over in the same place
  (MINUSTAH -> MINUJUSTH -> BINUH in Haiti; UNMC -> UNVMC in Colombia; BINUB -> BNUB in Burundi).
  Not harmonised by default; ``harmonise(names, successors=True)`` pools them for a user who wants to.

UNMIS and UNMISS are **not** harmonised, not even as successors: UNMIS (S/RES/1590 (2005)) was the
mission in Sudan, ending on 9 July 2011; UNMISS (S/RES/1996 (2011)) is a new mission in a new host
state, South Sudan, with a protection-of-civilians mandate, and UNISFA (S/RES/1990 (2011)) took
over Abyei. Pooling them would give one "mission" two host countries and two mandates, and a
mission fixed effect would then compare different operations as if one had changed.

>>> from pkoresearch.data import missions
>>> missions.harmonise(["MONUC", "UNMIS", "MINUSTAH"]).tolist()
['MONUSCO', 'UNMIS', 'MINUSTAH']
>>> missions.kind_of(["MINUSCA", "UNAMA", "XYZ"]).tolist()
['peacekeeping', 'special_political', <NA>]
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

PEACEKEEPING = "peacekeeping"
SPECIAL_POLITICAL = "special_political"
SUPPORT = "support_office"
KINDS = (PEACEKEEPING, SPECIAL_POLITICAL, SUPPORT)

# acronym: (kind, where). Missions found in the UN contributions-by-gender data 2010-2022 or in the
# UN table of allegations 2015-2024.
MISSIONS: dict[str, tuple[str, str]] = {
    "BINUB": (SPECIAL_POLITICAL, "Burundi"),
    "BINUH": (SPECIAL_POLITICAL, "Haiti"),
    "BNUB": (SPECIAL_POLITICAL, "Burundi"),
    "MINUJUSTH": (PEACEKEEPING, "Haiti"),
    "MINURCAT": (PEACEKEEPING, "Central African Republic and Chad"),
    "MINURSO": (PEACEKEEPING, "Western Sahara"),
    "MINUSCA": (PEACEKEEPING, "Central African Republic"),
    "MINUSMA": (PEACEKEEPING, "Mali"),
    "MINUSTAH": (PEACEKEEPING, "Haiti"),
    "MONUC": (PEACEKEEPING, "Democratic Republic of the Congo"),
    "MONUSCO": (PEACEKEEPING, "Democratic Republic of the Congo"),
    "OSES": (SPECIAL_POLITICAL, "Syria (Office of the Special Envoy)"),
    "UNAMA": (SPECIAL_POLITICAL, "Afghanistan"),
    "UNAMI": (SPECIAL_POLITICAL, "Iraq"),
    "UNAMID": (PEACEKEEPING, "Darfur, Sudan"),
    "UNDOF": (PEACEKEEPING, "Golan"),
    "UNFICYP": (PEACEKEEPING, "Cyprus"),
    "UNIFIL": (PEACEKEEPING, "Lebanon"),
    "UNIOGBIS": (SPECIAL_POLITICAL, "Guinea-Bissau"),
    "UNISFA": (PEACEKEEPING, "Abyei"),
    "UNITAD": (SPECIAL_POLITICAL, "Iraq (investigative team)"),
    "UNITAMS": (SPECIAL_POLITICAL, "Sudan"),
    "UNMC": (SPECIAL_POLITICAL, "Colombia"),
    "UNMHA": (SPECIAL_POLITICAL, "Yemen (Hodeidah)"),
    "UNMIK": (PEACEKEEPING, "Kosovo"),
    "UNMIL": (PEACEKEEPING, "Liberia"),
    "UNMIN": (SPECIAL_POLITICAL, "Nepal"),
    "UNMIS": (PEACEKEEPING, "Sudan"),
    "UNMISS": (PEACEKEEPING, "South Sudan"),
    "UNMIT": (PEACEKEEPING, "Timor-Leste"),
    "UNMOGIP": (PEACEKEEPING, "India and Pakistan"),
    "UNOCI": (PEACEKEEPING, "Côte d'Ivoire"),
    "UNOWAS": (SPECIAL_POLITICAL, "West Africa and the Sahel"),
    "UNRSCE": (SUPPORT, "Regional Service Centre, Entebbe (Uganda)"),
    "UNSCO": (SPECIAL_POLITICAL, "Middle East peace process"),
    "UNSMIL": (SPECIAL_POLITICAL, "Libya"),
    "UNSMIS": (PEACEKEEPING, "Syria"),
    "UNSOA": (SUPPORT, "Somalia (support to AMISOM)"),
    "UNSOM": (SPECIAL_POLITICAL, "Somalia"),
    "UNSOS": (SUPPORT, "Somalia (support to AMISOM/ATMIS)"),
    "UNTSO": (PEACEKEEPING, "Middle East"),
    "UNVMC": (SPECIAL_POLITICAL, "Colombia"),
}

# old acronym -> new acronym of the same, continuing operation, with the decision that renamed it
RENAMED: dict[str, tuple[str, str]] = {
    "MONUC": ("MONUSCO", "S/RES/1925 (2010): MONUC renamed MONUSCO from 1 July 2010"),
    "UNSOA": ("UNSOS", "S/RES/2245 (2015): UNSOA renamed the UN Support Office in Somalia"),
}

# predecessor -> successor: a new mission with a new mandate in the same place (not pooled unless
# asked); UNMIS -> UNMISS is deliberately absent (see the module text)
SUCCESSORS: dict[str, tuple[str, str]] = {
    "MINUSTAH": (
        "MINUJUSTH",
        "S/RES/2350 (2017): MINUJUSTH, police and justice support, no troops",
    ),
    "MINUJUSTH": ("BINUH", "S/RES/2476 (2019): BINUH, a special political mission"),
    "UNMC": (
        "UNVMC",
        "S/RES/2366 (2017): the Verification Mission follows the UN Mission in Colombia",
    ),
    "BINUB": ("BNUB", "S/RES/1959 (2010): BNUB follows BINUB"),
}

_ACRONYM = re.compile(r"^[A-Z][A-Z-]{1,11}$")


def is_single_acronym(name: object) -> bool:
    """Whether ``name`` is one mission acronym (``"MONUSCO"``), not an aggregate or a note
    (``"MINUSCA+MONUSCO"``, ``"UNMISS, UNIFIL, ... (others)"``, ``"MINUSTAH (former)"``)."""
    return isinstance(name, str) and bool(_ACRONYM.match(name.strip()))


def _chain(name: str, successors: bool) -> str:
    seen = {name}
    while True:
        nxt = RENAMED.get(name, (None,))[0]
        if nxt is None and successors:
            nxt = SUCCESSORS.get(name, (None,))[0]
        if nxt is None or nxt in seen:
            return name
        seen.add(nxt)
        name = nxt


def harmonise(names: Iterable[object], successors: bool = False) -> pd.Series:
    """Each mission acronym mapped to the operation it belongs to: renamed operations to their
    current acronym (MONUC -> MONUSCO); with ``successors`` also successor missions to the last one
    (MINUSTAH -> MINUJUSTH -> BINUH). Other names, including aggregates, are returned unchanged
    (stripped); missing stays missing. Example: ``harmonise(table.allegations["mission"])``."""
    values = list(names)
    out = [
        pd.NA
        if v is None or (not isinstance(v, str) and pd.isna(v))
        else _chain(str(v).strip(), successors)
        for v in values
    ]
    index = names.index if isinstance(names, pd.Series) else None
    return pd.Series(out, dtype="string", index=index)


def kind_of(names: Iterable[object]) -> pd.Series:
    """``peacekeeping``, ``special_political`` or ``support_office`` for each acronym (``<NA>`` for
    a name not in :data:`MISSIONS`)."""
    values = list(names)
    out = [
        MISSIONS.get(str(v).strip(), (pd.NA,))[0] if isinstance(v, str) else pd.NA for v in values
    ]
    index = names.index if isinstance(names, pd.Series) else None
    return pd.Series(out, dtype="string", index=index)


def table() -> pd.DataFrame:
    """Every known mission: ``mission, kind, where, harmonised_to, successor, basis``."""
    rows = []
    for m, (kind, where) in sorted(MISSIONS.items()):
        renamed = RENAMED.get(m)
        succ = SUCCESSORS.get(m)
        rows.append(
            {
                "mission": m,
                "kind": kind,
                "where": where,
                "harmonised_to": renamed[0] if renamed else m,
                "successor": succ[0] if succ else pd.NA,
                "basis": renamed[1] if renamed else (succ[1] if succ else pd.NA),
            }
        )
    return pd.DataFrame(rows).astype("string")
