"""The synthetic world: one fictional subscription company whose every generating parameter is
known, so each analysis can be checked against the truth (see :mod:`cxlib.synth.world`).
"""

from .world import BGNBD, DRIVERS, GAMMA_GAMMA, HAZARD, SEGMENTS, SyntheticWorld, make_world

__all__ = ["SyntheticWorld", "make_world", "SEGMENTS", "HAZARD", "BGNBD", "GAMMA_GAMMA", "DRIVERS"]
