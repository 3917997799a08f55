"""Travel times and distances between points, as integer seconds and metres.

This is the one boundary where real numbers become integers, through one rounding
rule, :func:`round_half_up`. Everything downstream (solver, checker, plan) works in
integers only, so the solver and the checker can never disagree by a rounding.

A :class:`TravelProvider` is the seam for other sources: the road network of an
OpenStreetMap extract is one (:mod:`routing.osm`); OSRM would be one more class with a
``matrices`` method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from routing.problem import Point, Problem

#: Mean Earth radius (IUGG), in metres.
EARTH_RADIUS_M = 6_371_008.8

IntMatrix = npt.NDArray[np.int64]


def round_half_up(values: npt.ArrayLike) -> IntMatrix:
    """The rounding rule: nearest integer, halves up (unlike numpy's and Python's half-to-even).

    Used for both distances and durations, so a value rounds the same wherever it is computed.
    """
    return np.floor(np.asarray(values, dtype=np.float64) + 0.5).astype(np.int64)


@dataclass(frozen=True, eq=False)
class TravelMatrices:
    """``durations[i, j]`` seconds and ``distances[i, j]`` metres from point i to point j."""

    durations: IntMatrix
    distances: IntMatrix


class TravelProvider(Protocol):
    """Anything that can give integer travel matrices for a list of points."""

    def matrices(self, points: Sequence[Point]) -> TravelMatrices:
        """Durations and distances between every pair of ``points``, in their order."""
        ...


def great_circle_m(lat1: npt.ArrayLike, lon1: npt.ArrayLike,
                   lat2: npt.ArrayLike, lon2: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Haversine great-circle distance in metres (broadcasts like numpy)."""
    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(x, dtype=np.float64))
                              for x in (lat1, lon1, lat2, lon2))
    h = (np.sin((phi2 - phi1) / 2) ** 2
         + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class HaversineProvider:
    """Straight-line distance times a circuity (detour) factor, driven at a constant speed."""

    circuity: float = 1.3
    speed_kmh: float = 30.0

    def matrices(self, points: Sequence[Point]) -> TravelMatrices:
        lat = np.array([p.lat for p in points], dtype=np.float64)
        lon = np.array([p.lon for p in points], dtype=np.float64)
        metres = great_circle_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        distances = round_half_up(metres * self.circuity)
        durations = round_half_up(distances * 3.6 / self.speed_kmh)
        return TravelMatrices(durations=durations, distances=distances)


@dataclass(frozen=True, eq=False)
class MatrixProvider:
    """Slices of given full matrices, indexed by each point's ``loc``."""

    durations: IntMatrix
    distances: IntMatrix

    def matrices(self, points: Sequence[Point]) -> TravelMatrices:
        index = np.array([p.loc for p in points], dtype=np.int64)
        return TravelMatrices(
            durations=self.durations[np.ix_(index, index)],
            distances=self.distances[np.ix_(index, index)],
        )


def provider_for(problem: Problem) -> TravelProvider:
    """The travel provider that the problem's travel model names."""
    travel = problem.travel
    if travel.model == "osm":
        from routing.osm import DEFAULT_SPEEDS_KMH, OsmProvider

        assert travel.osm_file is not None  # the problem's validation requires it
        return OsmProvider(osm_file=travel.osm_file,
                           speeds={**DEFAULT_SPEEDS_KMH, **dict(travel.speeds)},
                           cache_dir=travel.cache_dir)
    if travel.model == "matrix":
        return MatrixProvider(
            durations=np.array(problem.durations, dtype=np.int64),
            distances=np.array(problem.distances, dtype=np.int64),
        )
    return HaversineProvider(circuity=travel.circuity, speed_kmh=travel.speed_kmh)


def travel_matrices(problem: Problem, points: Sequence[Point]) -> TravelMatrices:
    """Integer travel matrices between ``points`` under the problem's travel model."""
    return provider_for(problem).matrices(points)
