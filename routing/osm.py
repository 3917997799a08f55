"""Road-network travel times from an OpenStreetMap extract the user supplies.

The extract is an ``.osm`` XML file (for instance cut from a Geofabrik download with
osmium, or exported from openstreetmap.org). It is read with the standard library's
``xml.etree.ElementTree.iterparse`` in two passes, so memory holds only the roads that
cars drive on: the first pass keeps the drivable ways (a ``highway`` tag the speed
profile knows, minus ``access=no/private`` and ``motor_vehicle=no``), the second only the
nodes those ways use.

Each stretch of road between two consecutive nodes is driven at its road class's speed
(``DEFAULT_SPEEDS_KMH``, or the travel model's own ``speeds``); ``oneway=yes/1/true/-1``
and roundabouts are one-way. Points are snapped to the nearest node of the largest
strongly connected part of the network (so every place can reach every other), and the
straight stretch from a point to its node is driven at ``ACCESS_KMH``. Shortest paths
come in bulk from :func:`scipy.sparse.csgraph.dijkstra`, one run from each distinct
snapped node, by time; the distance of a trip is the length of that fastest path.

Matrices are cached on disk as compressed int32 ``.npz`` files, keyed by the sha256 of
the points, of the extract's bytes and of the speed profile, so a second solve of the
same morning reads them instead of routing again (ARCHITECTURE-NOTES §4).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from routing.problem import Point
from routing.travel import EARTH_RADIUS_M, TravelMatrices, round_half_up

#: Free-flow driving speeds per OSM ``highway`` class, km/h (urban US defaults).
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 65.0, "primary_link": 40.0, "secondary": 55.0, "secondary_link": 35.0,
    "tertiary": 45.0, "tertiary_link": 30.0, "unclassified": 35.0, "residential": 30.0,
    "living_street": 10.0, "service": 15.0, "road": 30.0,
}
#: Speed on the straight stretch between a point and the road node it is snapped to.
ACCESS_KMH = 15.0
#: Where matrices are cached when the travel model names no directory.
DEFAULT_CACHE_DIR = Path(os.environ.get("CARPOOL_OSM_CACHE",
                                        Path.home() / ".cache" / "carpool" / "osm"))
_ONEWAY = {"yes", "1", "true"}
_NO_ACCESS = {"no", "private"}


class OsmError(ValueError):
    """The extract cannot be used (missing, not OSM XML, or without drivable roads)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(eq=False)
class RoadGraph:
    """The drivable network: node coordinates, and directed edges as sparse matrices of
    seconds and metres (the least time kept when two ways join the same two nodes)."""

    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    seconds: csr_matrix
    metres: csr_matrix
    #: nodes of the largest strongly connected component, the only ones points snap to
    core: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def read(cls, path: Path, speeds: Mapping[str, float]) -> RoadGraph:
        ways = _drivable_ways(path, speeds)
        if not ways:
            raise OsmError(f"{path}: no drivable roads (highway=* of a known class)")
        wanted = {ref for refs, _, _ in ways for ref in refs}
        coords = _node_coords(path, wanted)
        ids = sorted(coords)
        number = {osm_id: k for k, osm_id in enumerate(ids)}
        lat = np.array([coords[i][0] for i in ids])
        lon = np.array([coords[i][1] for i in ids])
        frm: list[int] = []
        to: list[int] = []
        kmh: list[float] = []
        for refs, speed, direction in ways:
            nodes = [number[r] for r in refs if r in number]
            for a, b in zip(nodes, nodes[1:], strict=False):
                if a == b:
                    continue
                if direction >= 0:
                    frm.append(a)
                    to.append(b)
                    kmh.append(speed)
                if direction <= 0:
                    frm.append(b)
                    to.append(a)
                    kmh.append(speed)
        if not frm:
            raise OsmError(f"{path}: the drivable roads have no nodes")
        tail, head = np.array(frm), np.array(to)
        metres = _metres(lat[tail], lon[tail], lat[head], lon[head])
        seconds = metres * 3.6 / np.array(kmh)
        # Keep the quickest edge between each ordered pair of nodes.
        order = np.lexsort((seconds, head, tail))
        tail, head, seconds, metres = tail[order], head[order], seconds[order], metres[order]
        first = np.ones(len(tail), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        tail, head = tail[first], head[first]
        seconds, metres = seconds[first], metres[first]
        n = len(ids)
        # csgraph treats a stored 0 as "no edge": nodes at one spot get a hair of time.
        t = csr_matrix((np.maximum(seconds, 1e-6), (tail, head)), shape=(n, n))
        m = csr_matrix((metres, (tail, head)), shape=(n, n))
        t.sort_indices(), m.sort_indices()
        _, label = connected_components(t, directed=True, connection="strong")
        biggest = np.bincount(label).argmax()
        core = np.flatnonzero(label == biggest)
        return cls(lat=lat, lon=lon, seconds=t, metres=m, core=core)

    def snap(self, points: Sequence[Point]) -> tuple[npt.NDArray[np.int64],
                                                     npt.NDArray[np.float64]]:
        """The core node nearest each point, and the straight metres to it."""
        lat0 = math.radians(float(np.mean(self.lat[self.core])))

        def plane(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
            phi = np.radians(np.asarray(lat, dtype=np.float64))
            lam = np.radians(np.asarray(lon, dtype=np.float64))
            return np.column_stack([lam * math.cos(lat0), phi]) * EARTH_RADIUS_M

        tree = cKDTree(plane(self.lat[self.core], self.lon[self.core]))
        plat = np.array([p.lat for p in points], dtype=np.float64)
        plon = np.array([p.lon for p in points], dtype=np.float64)
        _, k = tree.query(plane(plat, plon))
        nodes = self.core[np.asarray(k, dtype=np.int64)]
        return nodes, _metres(plat, plon, self.lat[nodes], self.lon[nodes])

    def fastest(self, origins: npt.NDArray[np.int64],
                targets: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64],
                                                          npt.NDArray[np.float64]]:
        """Seconds and metres of the fastest path from each origin to each target."""
        seconds, pred = dijkstra(self.seconds, directed=True, indices=origins,
                                 return_predecessors=True)
        seconds = np.atleast_2d(seconds)
        pred = np.atleast_2d(pred)
        n = self.seconds.shape[0]
        # The length of each node's last edge in each origin's tree, found by its key.
        m = self.metres
        keys = np.repeat(np.arange(n), np.diff(m.indptr)) * n + m.indices
        metres = np.empty((len(origins), len(targets)))
        for row in range(len(origins)):
            parent = pred[row].astype(np.int64)
            has = parent >= 0
            step = np.zeros(n)
            where = np.searchsorted(keys, parent[has] * n + np.flatnonzero(has))
            step[has] = m.data[where]
            # Sum the steps up to the root by pointer doubling: log(depth) vector passes,
            # each adding the sum of the next 2^k steps above a node.
            total, up = step, np.where(has, parent, -1)
            while (up >= 0).any():
                ok = np.flatnonzero(up >= 0)
                total = total.copy()
                total[ok] += total[up[ok]]
                nxt = np.full(n, -1)
                nxt[ok] = up[up[ok]]
                up = nxt
            metres[row] = total[targets]
        return seconds[:, targets], metres


def _metres(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike,
            lon2: npt.ArrayLike) -> npt.NDArray[np.float64]:
    from routing.travel import great_circle_m

    return great_circle_m(lat1, lon1, lat2, lon2)


def _drivable_ways(path: Path, speeds: Mapping[str, float]) -> list[tuple[list[int], float, int]]:
    """(node refs, km/h, direction: 1 forward, -1 backward, 0 both) per drivable way."""
    ways = []
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag == "way":
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                speed = speeds.get(tags.get("highway") or "")
                if speed and tags.get("access") not in _NO_ACCESS \
                        and tags.get("motor_vehicle") not in _NO_ACCESS:
                    oneway = tags.get("oneway", "")
                    if oneway == "-1":
                        direction = -1
                    elif oneway in _ONEWAY or tags.get("junction") in ("roundabout", "circular"):
                        direction = 1
                    else:
                        direction = 0
                    refs = [int(nd.get("ref")) for nd in elem.iter("nd")]
                    ways.append((refs, float(speed), direction))
                elem.clear()
            elif elem.tag in ("node", "relation"):
                elem.clear()
    except (ET.ParseError, OSError) as exc:
        raise OsmError(f"{path}: {exc}") from None
    return ways


def _node_coords(path: Path, wanted: set[int]) -> dict[int, tuple[float, float]]:
    coords = {}
    for _, elem in ET.iterparse(path, events=("end",)):
        if elem.tag == "node":
            osm_id = int(elem.get("id"))
            if osm_id in wanted:
                coords[osm_id] = (float(elem.get("lat")), float(elem.get("lon")))
            elem.clear()
        elif elem.tag in ("way", "relation"):
            elem.clear()
    return coords


_GRAPHS: dict[tuple[str, str], RoadGraph] = {}  # the last graph read, per extract and profile


@dataclass(frozen=True)
class OsmProvider:
    """Travel on the roads of an OSM extract: see the module's description."""

    osm_file: str
    speeds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    cache_dir: str | None = None

    def profile_key(self) -> str:
        return json.dumps({"speeds": sorted(self.speeds.items()), "access_kmh": ACCESS_KMH},
                          sort_keys=True)

    def cache_path(self, points: Sequence[Point], extract_sha: str) -> Path:
        where = [[p.lat, p.lon] for p in points]
        key = hashlib.sha256()
        for part in (json.dumps(where), extract_sha, self.profile_key()):
            key.update(hashlib.sha256(part.encode()).digest())
        return Path(self.cache_dir or DEFAULT_CACHE_DIR) / f"{key.hexdigest()}.npz"

    def graph(self, extract_sha: str) -> RoadGraph:
        key = (extract_sha, self.profile_key())
        if key not in _GRAPHS:
            _GRAPHS.clear()
            _GRAPHS[key] = RoadGraph.read(Path(self.osm_file), self.speeds)
        return _GRAPHS[key]

    def matrices(self, points: Sequence[Point]) -> TravelMatrices:
        path = Path(self.osm_file)
        if not path.is_file():
            raise OsmError(f"{path}: no such OSM extract")
        extract_sha = file_sha256(path)
        cached = self.cache_path(points, extract_sha)
        if cached.is_file():
            with np.load(cached) as stored:
                return TravelMatrices(durations=stored["durations"].astype(np.int64),
                                      distances=stored["distances"].astype(np.int64))
        graph = self.graph(extract_sha)
        nodes, access_m = graph.snap(points)
        unique, back = np.unique(nodes, return_inverse=True)
        seconds, metres = graph.fastest(unique, unique)
        access_s = access_m * 3.6 / ACCESS_KMH
        secs = seconds[np.ix_(back, back)] + access_s[:, None] + access_s[None, :]
        dist = metres[np.ix_(back, back)] + access_m[:, None] + access_m[None, :]
        np.fill_diagonal(secs, 0.0)
        np.fill_diagonal(dist, 0.0)
        out = TravelMatrices(durations=round_half_up(secs), distances=round_half_up(dist))
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez_compressed(partial, durations=out.durations.astype(np.int32),
                            distances=out.distances.astype(np.int32))
        os.replace(partial, cached)  # never a half-written cache file under the real name
        return out
