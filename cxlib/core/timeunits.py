"""One time-unit vocabulary for every analysis.

A notebook's ``time_unit`` may be written as a letter or a word, in any case: ``D``/``days``,
``W``/``weeks``, ``M``/``months``, ``Y``/``years`` (singular words work too). Durations are
measured in days and divided by the unit's length; a month is an average Gregorian month
(365.25 / 12 days) and a year 365.25 days.
"""

from __future__ import annotations

__all__ = ["TIME_UNITS", "SPELLINGS", "unit_name", "unit_days", "unit_code"]

#: Length of one time unit in days, keyed by the unit's name.
TIME_UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12.0, "years": 365.25}

_CODES = {"days": "D", "weeks": "W", "months": "M", "years": "Y"}
_ALIASES = {**{code.lower(): name for name, code in _CODES.items()},
            **{name: name for name in TIME_UNITS}, **{name[:-1]: name for name in TIME_UNITS}}

#: How the units may be written, for messages.
SPELLINGS = "D/W/M/Y or days/weeks/months/years"


def unit_name(time_unit) -> str:
    """The unit's name (``"weeks"``) for any accepted spelling (``"W"``, ``"week"``, ``"Weeks"``).

    Raises
    ------
    ValueError
        When ``time_unit`` is not one of the accepted spellings.
    """
    name = _ALIASES.get(str(time_unit).strip().lower()) if time_unit is not None else None
    if name is None:
        raise ValueError(f"time_unit must be one of {SPELLINGS}, got {time_unit!r}")
    return name


def unit_days(time_unit) -> float:
    """Length of one ``time_unit`` in days."""
    return TIME_UNITS[unit_name(time_unit)]


def unit_code(time_unit) -> str:
    """The unit's one-letter code (``"W"``)."""
    return _CODES[unit_name(time_unit)]
