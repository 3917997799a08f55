"""Ruin and recreate: a compiled local search over one sub-problem (a :class:`SubTask`).

OR-Tools' pair operators improve a pickup-and-delivery plan slowly once routes are long
(docs/bench/RESULTS.md): each move shifts one or two riders. This search removes a
handful of riders whose stops lie close together, a few consecutive riders from each of
a few routes (the "slack induction by string removals" of Christiaens & Vanden Berghe,
Transportation Science 54(2), 2020, adapted to pairs), and puts them back one by one at
the cheapest feasible place, skipping a place now and then ("blinks") so that the search
does not repeat itself. A result is kept by simulated annealing on driving time.

When asked for the fewest cars (``vehicle_cost`` > 0) the search first empties cars: it
takes the smallest route out, then searches until every rider is back in the other cars
(a step is kept when fewer riders are left out, or the riders left out have been left out
less often before), and repeats; the fleet it ends with is the smallest one that carried
everyone.

Feasibility is tested in two steps, like :mod:`routing.insertion`: earliest and latest
times per position (windows and shift) and loads give an O(1) test per place, and the
cheapest place that passes it is confirmed by the exact timing with ride limits (the same
fixpoint as :meth:`routing.network.Network.earliest`). Every route it returns is checked
again by the caller.

The loops are compiled by Numba (``cache=True``: compiled once per machine, into
``__pycache__``; :func:`warm_up` does it ahead of the first solve). A run is split into
chunks of iterations so the caller keeps the clock: the search never overruns its
deadline by more than one chunk (about a tenth of a second).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from routing.ortools_model import SubResult, SubTask

HORIZON = 48 * 3600
#: pin/home value for "free" (no car tied); -1 means a car outside this sub-problem
FREE = -2
#: average riders removed per step, and the longest string taken from one route
_AVERAGE_REMOVED = 10
_MAX_STRING = 10
_BLINK = 0.01
#: temperatures, as multiples of an average drive between stops
_T_START = 0.5
_T_END = 0.005

# Indices into the node data (rows of ``nd``), pair data (``pr``), vehicle data (``vh``)
# and the scalars (``sc``).
_SVC, _LO, _HI, _SEAT, _CHAIR = range(5)
_LIM, _PIN, _HOME, _WAS = range(4)
_SH_LO, _SH_HI, _CAP, _CCAP = range(4)
_PENALTY, _VCOST, _CHANGE, _ROUTES, _AWAY, _STEADY = range(6)


@njit(cache=True)
def _refresh(v, R, ln, E, Lt, Q, C, rc, T, nd, pr, vh, sc):
    """Recompute route v's earliest/latest times, loads and cost."""
    L = ln[v]
    E[v, 0] = vh[_SH_LO, v]
    Q[v, 0] = 0
    C[v, 0] = 0
    cost = 0
    change = sc[_CHANGE]
    for a in range(1, L + 2):
        prev = R[v, a - 1]
        node = R[v, a]
        t = E[v, a - 1] + nd[_SVC, prev] + T[prev, node]
        if t < nd[_LO, node]:
            t = nd[_LO, node]
        E[v, a] = t
        Q[v, a] = Q[v, a - 1] + nd[_SEAT, node]
        C[v, a] = C[v, a - 1] + nd[_CHAIR, node]
        cost += T[prev, node]
        if change > 0 and a <= L and node % 2 == 0:
            home = pr[_HOME, node // 2]
            if home != FREE and home != v:
                cost += change
    Lt[v, L + 1] = vh[_SH_HI, v]
    for a in range(L, -1, -1):
        node = R[v, a]
        t = Lt[v, a + 1] - nd[_SVC, node] - T[node, R[v, a + 1]]
        hi = nd[_HI, node] if a > 0 else HORIZON
        Lt[v, a] = t if t < hi else hi
    rc[v] = cost


@njit(cache=True)
def _exact(buf, L, v, T, nd, pr, vh, where, low, high, x):
    """Does the sequence ``buf[0..L+1]`` (start, stops, end) have a timing that keeps
    windows, shift and ride limits? The fixpoint of Network.earliest."""
    for a in range(L + 2):
        node = buf[a]
        low[a] = nd[_LO, node]
        high[a] = nd[_HI, node]
    low[0] = vh[_SH_LO, v]
    high[0] = HORIZON
    low[L + 1] = 0
    high[L + 1] = vh[_SH_HI, v]
    first = 0
    for _ in range(L + 3):
        for a in range(first, L + 2):
            if a == 0:
                t = low[0]
            else:
                prev = buf[a - 1]
                t = x[a - 1] + nd[_SVC, prev] + T[prev, buf[a]]
                if t < low[a]:
                    t = low[a]
            if t > high[a]:
                return False
            x[a] = t
        first = L + 2
        for a in range(1, L + 1):
            node = buf[a]
            if node % 2 == 0:
                where[node // 2] = a
            else:
                k = node // 2
                lim = pr[_LIM, k]
                if lim >= 0 and where[k] >= 0:
                    p = where[k]
                    if x[a] - x[p] > lim:
                        low[p] = x[a] - lim
                        if p < first:
                            first = p
        for a in range(1, L + 1):
            where[buf[a] // 2] = -1
        if first == L + 2:
            return True
    return False


@njit(cache=True)
def _route_has_limits(v, R, ln, pr):
    for a in range(1, ln[v] + 1):
        if pr[_LIM, R[v, a] // 2] >= 0:
            return True
    return False


NOWHERE = np.int64(1) << 60


@njit(cache=True)
def _best_insertion(k, R, ln, E, Lt, Q, C, T, nd, pr, vh, sc, blink, buf, where, low,
                    high, x):
    """The cheapest feasible (vehicle, i, j) for request k: pick-up after position i,
    drop-off after position j of the route with the pick-up in it (j == i: right after
    it). Returns (cost, v, i, j); v == -1 if none."""
    best = NOWHERE
    bv, bi, bj = -1, -1, -1
    room = _routes_used(ln) < sc[_ROUTES]
    for v in range(ln.shape[0]):
        cost, i, j = _best_in_route(k, v, best, room, R, ln, E, Lt, Q, C, T, nd, pr, vh,
                                    sc, blink, buf, where, low, high, x)
        if cost < best:
            best, bv, bi, bj = cost, v, i, j
    return best, bv, bi, bj


@njit(cache=True)
def _best_in_route(k, v, bound, room, R, ln, E, Lt, Q, C, T, nd, pr, vh, sc, blink, buf,
                   where, low, high, x):
    """The cheapest feasible (cost, i, j) for request k in route v costing less than
    ``bound``; cost NOWHERE if none. ``room``: an empty car may go out."""
    p = 2 * k
    d = p + 1
    best = bound
    bi, bj = -1, -1
    pin = pr[_PIN, k]
    if pin == -1 or (pin >= 0 and v != pin):
        return NOWHERE, bi, bj
    sp, cp = nd[_SEAT, p], nd[_CHAIR, p]
    lim_k = pr[_LIM, k]
    home = pr[_HOME, k]
    cap, ccap = vh[_CAP, v], vh[_CCAP, v]
    if sp > cap or cp > ccap or (ln[v] == 0 and not room):
        return NOWHERE, bi, bj
    L = ln[v]
    extra = 0
    if L == 0:  # a car that stays home drives nothing: going out costs the whole trip
        extra += sc[_VCOST] + T[R[v, 0], R[v, 1]]
    if sc[_CHANGE] > 0 and home != FREE and home != v:
        extra += sc[_CHANGE]
    exact = lim_k >= 0 or _route_has_limits(v, R, ln, pr)
    for i in range(L + 1):
        a = R[v, i]
        if E[v, i] > nd[_HI, p]:
            break
        if Q[v, i] + sp > cap or C[v, i] + cp > ccap:
            continue
        tp = E[v, i] + nd[_SVC, a] + T[a, p]
        if tp < nd[_LO, p]:
            tp = nd[_LO, p]
        if tp > nd[_HI, p]:
            continue
        b = R[v, i + 1]
        # d straight after p
        td = tp + nd[_SVC, p] + T[p, d]
        if td < nd[_LO, d]:
            td = nd[_LO, d]
        if td <= nd[_HI, d]:
            tb = td + nd[_SVC, d] + T[d, b]
            if tb < nd[_LO, b]:
                tb = nd[_LO, b]
            if tb <= Lt[v, i + 1]:
                cost = T[a, p] + T[p, d] + T[d, b] - T[a, b] + extra
                if cost < best and (blink <= 0.0 or np.random.random() >= blink):
                    if not exact or _exact_with(v, i, i, p, d, R, L, buf, T, nd, pr, vh,
                                                where, low, high, x):
                        best, bi, bj = cost, i, i
        if i == L:
            continue
        # d later: walk the route with p inserted
        t = tp + nd[_SVC, p] + T[p, b]
        if t < nd[_LO, b]:
            t = nd[_LO, b]
        if t > Lt[v, i + 1]:
            continue
        pdelta = T[a, p] + T[p, b] - T[a, b] + extra
        if pdelta >= best:
            continue
        for j in range(i + 1, L + 1):
            c = R[v, j]
            if j > i + 1:
                prev = R[v, j - 1]
                t = t + nd[_SVC, prev] + T[prev, c]
                if t < nd[_LO, c]:
                    t = nd[_LO, c]
                if t > Lt[v, j]:
                    break
            if Q[v, j] + sp > cap or C[v, j] + cp > ccap:
                break
            e = R[v, j + 1]
            td = t + nd[_SVC, c] + T[c, d]
            if td < nd[_LO, d]:
                td = nd[_LO, d]
            if td > nd[_HI, d]:
                break
            te = td + nd[_SVC, d] + T[d, e]
            if te < nd[_LO, e]:
                te = nd[_LO, e]
            if te > Lt[v, j + 1]:
                continue
            cost = pdelta + T[c, d] + T[d, e] - T[c, e]
            if cost < best and (blink <= 0.0 or np.random.random() >= blink):
                if not exact or _exact_with(v, i, j, p, d, R, L, buf, T, nd, pr, vh,
                                            where, low, high, x):
                    best, bi, bj = cost, i, j
    if bi < 0:
        return NOWHERE, bi, bj
    return best, bi, bj


@njit(cache=True)
def _routes_used(ln):
    used = 0
    for v in range(ln.shape[0]):
        if ln[v] > 0:
            used += 1
    return used


@njit(cache=True)
def _exact_with(v, i, j, p, d, R, L, buf, T, nd, pr, vh, where, low, high, x):
    """The exact test of route v with p after position i and d after position j."""
    n = 0
    for a in range(L + 2):
        buf[n] = R[v, a]
        n += 1
        if a == i:
            buf[n] = p
            n += 1
        if a == j:
            buf[n] = d
            n += 1
    return _exact(buf, L + 2, v, T, nd, pr, vh, where, low, high, x)


@njit(cache=True)
def _insert(k, v, i, j, R, ln, vof):
    """Put request k into route v: pick-up after position i, drop-off after position j."""
    L = ln[v]
    p, d = 2 * k, 2 * k + 1
    # shift the tail after j by two, the part between i+1..j by one
    for a in range(L + 1, j, -1):
        R[v, a + 2] = R[v, a]
    R[v, j + 2] = d
    for a in range(j, i, -1):
        R[v, a + 1] = R[v, a]
    R[v, i + 1] = p
    ln[v] = L + 2
    vof[k] = v


@njit(cache=True)
def _remove(k, R, ln, vof):
    v = vof[k]
    L = ln[v]
    n = 0
    for a in range(L + 2):
        node = R[v, a]
        if a > 0 and a <= L and node // 2 == k:
            continue
        R[v, n] = node
        n += 1
    ln[v] = L - 2
    vof[k] = -1
    return v


@njit(cache=True)
def _objective(R, ln, E, Lt, rc, vof, sc, pr):
    total = 0
    for v in range(ln.shape[0]):
        if ln[v] > 0:
            total += rc[v] + sc[_VCOST]
    for k in range(vof.shape[0]):
        if vof[k] < 0 and pr[_PIN, k] != -1:
            total += sc[_PENALTY]
    if sc[_AWAY] >= 0:
        # past the cap on regular riders not kept: worse than any driving, better than
        # leaving a rider out
        away = _not_kept(R, ln, E, Lt, sc, pr)
        if away > sc[_AWAY]:
            total += (away - sc[_AWAY]) * (sc[_PENALTY] // 2)
    return total


@njit(cache=True)
def _not_kept(R, ln, E, Lt, sc, pr):
    """Riders with a car in the previous plan who are in another car now, or whose pick-up
    can no longer be within ``sc[_STEADY]`` of the time they had."""
    count = 0
    for v in range(ln.shape[0]):
        for a in range(1, ln[v] + 1):
            node = R[v, a]
            if node % 2 == 1:
                continue
            k = node // 2
            home = pr[_HOME, k]
            if home < 0:
                continue
            was = pr[_WAS, k]
            if home != v or (was >= 0 and (E[v, a] > was + sc[_STEADY]
                                            or Lt[v, a] < was - sc[_STEADY])):
                count += 1
    return count


@njit(cache=True)
def _copy_route(v, src, dst):
    """Copy route v between two states (tuples R, ln, E, Lt, Q, C, rc)."""
    Rs, lns, Es, Lts, Qs, Cs, rcs = src
    Rd, lnd, Ed, Ltd, Qd, Cd, rcd = dst
    n = lns[v] + 2
    Rd[v, :n] = Rs[v, :n]
    Ed[v, :n] = Es[v, :n]
    Ltd[v, :n] = Lts[v, :n]
    Qd[v, :n] = Qs[v, :n]
    Cd[v, :n] = Cs[v, :n]
    lnd[v] = lns[v]
    rcd[v] = rcs[v]


@njit(cache=True)
def _ruin(R, ln, vof, pr, near, removed, touched, ruined):
    """Remove strings of consecutive riders from a few routes near a random rider.
    Fills ``removed`` and ``touched``; returns their counts."""
    k_all = vof.shape[0]
    n_removed = 0
    n_touched = 0
    # a random placed rider not tied to its car
    served = 0
    routes = 0
    for v in range(ln.shape[0]):
        if ln[v] > 0:
            routes += 1
            served += ln[v] // 2
    if served == 0:
        return 0, 0
    seed = -1
    for _ in range(50):
        s = np.random.randint(0, k_all)
        if vof[s] >= 0 and pr[_PIN, s] < 0:
            seed = s
            break
    if seed < 0:
        return 0, 0
    avg = served / routes
    ls_max = min(float(_MAX_STRING), avg)
    ks_max = 4.0 * _AVERAGE_REMOVED / (1.0 + ls_max) - 1.0
    ks = int(np.random.random() * ks_max) + 1
    for r in range(ruined.shape[0]):
        ruined[r] = False
    for q in range(-1, near.shape[1]):
        if n_touched >= ks:
            break
        r = seed if q < 0 else near[seed, q]
        v = vof[r]
        if v < 0 or ruined[v] or pr[_PIN, r] >= 0:
            continue
        ruined[v] = True
        touched[n_touched] = v
        n_touched += 1
        # riders of route v in pick-up order
        L = ln[v]
        count = 0
        at = -1
        order = np.empty(L // 2, dtype=np.int64)
        for a in range(1, L + 1):
            node = R[v, a]
            if node % 2 == 0:
                if node // 2 == r:
                    at = count
                order[count] = node // 2
                count += 1
        lmax = min(ls_max, float(count))
        length = int(np.random.random() * lmax) + 1
        first = at - np.random.randint(0, length)
        if first < 0:
            first = 0
        if first + length > count:
            first = count - length
        for a in range(first, first + length):
            k = order[a]
            if pr[_PIN, k] >= 0:
                continue
            _remove(k, R, ln, vof)
            removed[n_removed] = k
            n_removed += 1
    return n_removed, n_touched


@njit(cache=True)
def _recreate(todo, n_todo, W, T, nd, pr, vh, sc, vof, touched, n_touched, ruined,
              key, buf, where, low, high, x):
    """Insert the riders in ``todo`` one by one at their cheapest place, in one of four
    orders chosen at random, or by regret (:func:`_recreate_regret`); returns the number of
    routes touched (``touched`` grows)."""
    R, ln, E, Lt, Q, C, rc = W
    mode = np.random.random()
    for a in range(n_todo):
        k = todo[a]
        if mode < 0.4:
            key[a] = np.random.random()
        elif mode < 0.6:
            key[a] = nd[_HI, 2 * k + 1] - nd[_LO, 2 * k]  # tightest windows first
        elif mode < 0.7:
            key[a] = -(T[R[0, 0], 2 * k])  # farthest from the first car's start first
        else:
            key[a] = T[R[0, 0], 2 * k]
    if mode >= 0.75:
        return _recreate_regret(todo, n_todo, W, T, nd, pr, vh, sc, vof, touched, n_touched,
                                ruined, buf, where, low, high, x)
    order = np.argsort(key[:n_todo])
    for a in range(n_todo):
        k = todo[order[a]]
        cost, v, i, j = _best_insertion(k, R, ln, E, Lt, Q, C, T, nd, pr, vh, sc, _BLINK,
                                        buf, where, low, high, x)
        if v < 0:
            continue
        _insert(k, v, i, j, R, ln, vof)
        _refresh(v, R, ln, E, Lt, Q, C, rc, T, nd, pr, vh, sc)
        n_touched = _mark(v, ruined, touched, n_touched)
    return n_touched


@njit(cache=True)
def _mark(v, ruined, touched, n_touched):
    """Note route v among the routes a step touched (once); the new count."""
    if not ruined[v]:
        ruined[v] = True
        touched[n_touched] = v
        n_touched += 1
    return n_touched


@njit(cache=True)
def _hand_over(v, u, R, ln, E, Lt, Q, C, rc, vof, T, nd, pr, vh, sc):
    """Route v's stops become idle car u's route; car v stays home."""
    L = ln[v]
    end = R[u, 1]
    R[u, 1:L + 1] = R[v, 1:L + 1]
    R[u, L + 1] = end
    ln[u] = L
    R[v, 1] = R[v, L + 1]
    ln[v] = 0
    for a in range(1, L + 1):
        vof[R[u, a] // 2] = u
    _refresh(v, R, ln, E, Lt, Q, C, rc, T, nd, pr, vh, sc)
    _refresh(u, R, ln, E, Lt, Q, C, rc, T, nd, pr, vh, sc)


@njit(cache=True)
def _transfer(R, ln, E, Lt, Q, C, rc, vof, T, nd, pr, vh, sc, touched, n_touched, ruined, buf,
              where, low, high, x):
    """Hand a random route, stops unchanged, to a random car that stays home and can drive
    it (a perturbation: the cars differ in seats, start and shift, and a car is rarely
    emptied by moving riders one by one). Returns the number of routes touched."""
    m = ln.shape[0]
    v = np.random.randint(0, m)
    u = np.random.randint(0, m)
    L = ln[v]
    if L == 0 or ln[u] != 0:
        return n_touched
    for a in range(1, L + 1):
        if pr[_PIN, R[v, a] // 2] >= 0 or Q[v, a] > vh[_CAP, u] or C[v, a] > vh[_CCAP, u]:
            return n_touched
    buf[0] = R[u, 0]
    buf[1:L + 1] = R[v, 1:L + 1]
    buf[L + 1] = R[u, 1]
    if not _exact(buf, L, u, T, nd, pr, vh, where, low, high, x):
        return n_touched
    _hand_over(v, u, R, ln, E, Lt, Q, C, rc, vof, T, nd, pr, vh, sc)
    n_touched = _mark(v, ruined, touched, n_touched)
    return _mark(u, ruined, touched, n_touched)


@njit(cache=True)
def _move_routes(R, ln, E, Lt, Q, C, rc, vof, T, nd, pr, vh, sc):
    """Hand whole routes to cars that stay home when one drives the same stops for less:
    the rest of the search moves riders, and rarely empties a car only to fill another."""
    m = ln.shape[0]
    size = R.shape[1] + 2
    buf = np.empty(size, dtype=np.int64)
    low = np.empty(size, dtype=np.int64)
    high = np.empty(size, dtype=np.int64)
    x = np.empty(size, dtype=np.int64)
    where = -np.ones(vof.shape[0], dtype=np.int64)
    moved = 0
    for v in range(m):
        L = ln[v]
        if L == 0:
            continue
        most, chairs, tied = 0, 0, False
        for a in range(1, L + 1):
            if Q[v, a] > most:
                most = Q[v, a]
            if C[v, a] > chairs:
                chairs = C[v, a]
            if pr[_PIN, R[v, a] // 2] >= 0:
                tied = True
        if tied:
            continue
        if sc[_AWAY] >= 0:  # moves riders from their car: the cap's count is the search's
            for a in range(1, L + 1):
                if pr[_HOME, R[v, a] // 2] >= 0:
                    tied = True
            if tied:
                continue
        best, to = rc[v], -1
        for u in range(m):
            if ln[u] != 0 or vh[_CAP, u] < most or vh[_CCAP, u] < chairs:
                continue
            buf[0] = R[u, 0]
            buf[1:L + 1] = R[v, 1:L + 1]
            buf[L + 1] = R[u, 1]
            cost = 0
            for a in range(L + 1):
                cost += T[buf[a], buf[a + 1]]
            if sc[_CHANGE] > 0:
                for a in range(1, L + 1):
                    home = pr[_HOME, buf[a] // 2]
                    if buf[a] % 2 == 0 and home != FREE and home != u:
                        cost += sc[_CHANGE]
            if cost < best and _exact(buf, L, u, T, nd, pr, vh, where, low, high, x):
                best, to = cost, u
        if to >= 0:
            _hand_over(v, to, R, ln, E, Lt, Q, C, rc, vof, T, nd, pr, vh, sc)
            moved += 1
    return moved


@njit(cache=True)
def _recreate_regret(todo, n_todo, W, T, nd, pr, vh, sc, vof, touched, n_touched, ruined,
                     buf, where, low, high, x):
    """Regret insertion: each time, the rider who would lose most by waiting (its best
    place in a second car is dearest compared with its best; a rider with one car left that
    can take it goes first) is placed. Greedy orders rarely move a rider to a worse car to
    make room for one that fits nowhere else; this does."""
    R, ln, E, Lt, Q, C, rc = W
    m = ln.shape[0]
    cost = np.empty((n_todo, m), dtype=np.int64)
    at_i = np.empty((n_todo, m), dtype=np.int64)
    at_j = np.empty((n_todo, m), dtype=np.int64)
    room = _routes_used(ln) < sc[_ROUTES]
    for a in range(n_todo):
        for v in range(m):
            cost[a, v], at_i[a, v], at_j[a, v] = _best_in_route(
                todo[a], v, NOWHERE, room, R, ln, E, Lt, Q, C, T, nd, pr, vh, sc, _BLINK,
                buf, where, low, high, x)
    done = np.zeros(n_todo, dtype=np.bool_)
    for _ in range(n_todo):
        pick, pick_v, pick_regret, pick_cost = -1, -1, -1, NOWHERE
        for a in range(n_todo):
            if done[a]:
                continue
            first, second, fv = NOWHERE, NOWHERE, -1
            for v in range(m):
                c = cost[a, v]
                if c < first:
                    second = first
                    first, fv = c, v
                elif c < second:
                    second = c
            if fv < 0:
                continue
            regret = second - first if second < NOWHERE else NOWHERE // 2
            if regret > pick_regret or (regret == pick_regret and first < pick_cost):
                pick, pick_v, pick_regret, pick_cost = a, fv, regret, first
        if pick < 0:
            break
        done[pick] = True
        k, v = todo[pick], pick_v
        opened = ln[v] == 0
        _insert(k, v, at_i[pick, v], at_j[pick, v], R, ln, vof)
        _refresh(v, R, ln, E, Lt, Q, C, rc, T, nd, pr, vh, sc)
        n_touched = _mark(v, ruined, touched, n_touched)
        if opened and room and _routes_used(ln) >= sc[_ROUTES]:
            room = False  # no more cars may go out: forget the places in empty ones
            for u in range(m):
                if ln[u] == 0:
                    for a in range(n_todo):
                        cost[a, u] = NOWHERE
        for a in range(n_todo):
            if not done[a]:
                cost[a, v], at_i[a, v], at_j[a, v] = _best_in_route(
                    todo[a], v, NOWHERE, room, R, ln, E, Lt, Q, C, T, nd, pr, vh, sc,
                    _BLINK, buf, where, low, high, x)
    return n_touched


@njit(cache=True)
def _steps(n_steps, t_from, t_to, fleet, W, Cur, B, vof_w, vof_c, vof_b, absent, T, nd,
           pr, vh, sc, near, seed):
    """``n_steps`` of ruin and recreate. ``fleet``: the car-emptying phase (keep a step
    when fewer riders are out, or the ones out were out less often); otherwise simulated
    annealing on the objective, cooling from ``t_from`` to ``t_to``. Returns the number
    of riders out in the best state and its objective."""
    if seed >= 0:
        np.random.seed(seed)
    R, ln, E, Lt, Q, C, rc = W
    k_all = vof_w.shape[0]
    m = ln.shape[0]
    removed = np.empty(k_all, dtype=np.int64)
    todo = np.empty(k_all, dtype=np.int64)
    key = np.empty(k_all, dtype=np.float64)
    touched = np.empty(m, dtype=np.int64)
    ruined = np.zeros(m, dtype=np.bool_)
    size = R.shape[1] + 2
    buf = np.empty(size, dtype=np.int64)
    low = np.empty(size, dtype=np.int64)
    high = np.empty(size, dtype=np.int64)
    x = np.empty(size, dtype=np.int64)
    where = -np.ones(k_all, dtype=np.int64)
    cur_obj = _objective(Cur[0], Cur[1], Cur[2], Cur[3], Cur[6], vof_c, sc, pr)
    best_obj = _objective(B[0], B[1], B[2], B[3], B[6], vof_b, sc, pr)
    cur_out, cur_absent = 0, 0
    for k in range(k_all):
        if vof_c[k] < 0 and pr[_PIN, k] != -1:
            cur_out += 1
            cur_absent += absent[k]
    for step in range(n_steps):
        n_removed, n_touched = _ruin(R, ln, vof_w, pr, near, removed, touched, ruined)
        for a in range(n_touched):
            _refresh(touched[a], R, ln, E, Lt, Q, C, rc, T, nd, pr, vh, sc)
        # what was out before the ruin goes back in too (a sample when there are many)
        n_todo = 0
        for a in range(n_removed):
            todo[n_todo] = removed[a]
            n_todo += 1
        out_before = 0
        for k in range(k_all):
            if vof_w[k] < 0 and pr[_PIN, k] != -1:
                out_before += 1
        for k in range(k_all):
            if vof_w[k] < 0 and pr[_PIN, k] != -1:
                is_new = False
                for a in range(n_removed):
                    if removed[a] == k:
                        is_new = True
                        break
                if not is_new and (out_before - n_removed <= 20 or np.random.random() < 0.2):
                    todo[n_todo] = k
                    n_todo += 1
        n_touched = _recreate(todo, n_todo, W, T, nd, pr, vh, sc, vof_w, touched, n_touched,
                              ruined, key, buf, where, low, high, x)
        if np.random.random() < 0.02:
            n_touched = _transfer(R, ln, E, Lt, Q, C, rc, vof_w, T, nd, pr, vh, sc, touched,
                                  n_touched, ruined, buf, where, low, high, x)
        obj = _objective(R, ln, E, Lt, rc, vof_w, sc, pr)
        if fleet:
            out, out_absent = 0, 0
            for k in range(k_all):
                if vof_w[k] < 0 and pr[_PIN, k] != -1:
                    out += 1
                    out_absent += absent[k]
                    absent[k] += 1
            accept = out < cur_out or (out == cur_out and out_absent < cur_absent) \
                or (out == cur_out and obj < cur_obj)
        else:
            frac = step / max(1, n_steps)
            temp = t_from * (t_to / t_from) ** frac if t_from > 0 else 0.0
            threshold = cur_obj
            if temp > 0:
                threshold = cur_obj - temp * math.log(np.random.random() + 1e-300)
            accept = obj < threshold or obj <= cur_obj
            out = 0
            out_absent = 0
        if accept:
            for a in range(n_touched):
                _copy_route(touched[a], W, Cur)
            vof_c[:] = vof_w
            cur_obj = obj
            cur_out, cur_absent = out, out_absent
            better = obj < best_obj
            if fleet:
                better = out == 0 and obj < best_obj
            if better:
                for v in range(m):
                    _copy_route(v, Cur, B)
                vof_b[:] = vof_c
                best_obj = obj
            if fleet and out == 0:
                return 0, best_obj
        else:
            for a in range(n_touched):
                _copy_route(touched[a], Cur, W)
            vof_w[:] = vof_c
    best_out = 0
    for k in range(k_all):
        if vof_b[k] < 0 and pr[_PIN, k] != -1:
            best_out += 1
    return cur_out if fleet else best_out, best_obj


# --- the driver (plain Python: the clock, the phases, the data in and out) ------------------


def _state(m: int, width: int) -> tuple[np.ndarray, ...]:
    """A solution's arrays: stops per route, route lengths, earliest and latest times,
    seats and wheelchair loads per position, and each route's cost."""
    return (np.zeros((m, width), dtype=np.int64), np.zeros(m, dtype=np.int64),
            np.zeros((m, width), dtype=np.int64), np.zeros((m, width), dtype=np.int64),
            np.zeros((m, width), dtype=np.int64), np.zeros((m, width), dtype=np.int64),
            np.zeros(m, dtype=np.int64))


def _copy_all(src: tuple[np.ndarray, ...], dst: tuple[np.ndarray, ...]) -> None:
    for a, b in zip(src, dst, strict=True):
        b[...] = a


def solve_lns(task: SubTask) -> SubResult:
    """Improve ``task.initial`` by ruin and recreate until the task's deadline (or, with a
    ``solution_limit``, for a fixed number of steps from a fixed seed)."""
    from routing.ortools_model import SubResult  # noqa: F811 (at run time, not only typing)

    began = time.monotonic()
    ends = task.ends_at(began)
    pairs, m = len(task.limits), len(task.shifts)
    stops = 2 * pairs
    T = np.asarray(task.travel, dtype=np.int64)
    nd = np.array([task.service, task.lo, task.hi,
                   task.seats + [0] * (len(task.service) - len(task.seats)),
                   task.chairs + [0] * (len(task.service) - len(task.chairs))], dtype=np.int64)
    home = task.home or [None] * pairs
    pr = np.array([[-1 if lim is None else lim for lim in task.limits],
                   [FREE if pin is None else pin for pin in task.pinned],
                   [FREE if h is None else h for h in home],
                   [-1 if t is None else t for t in (task.was or [None] * pairs)]],
                  dtype=np.int64).reshape(4, pairs)
    vh = np.array([[s for s, _ in task.shifts], [e for _, e in task.shifts], task.capacity,
                   task.chair_capacity], dtype=np.int64).reshape(4, m)
    sc = np.array([task.penalty, task.vehicle_cost, task.change_cost, m,
                   -1 if task.away_cap is None else task.away_cap, task.steady_s],
                  dtype=np.int64)
    width = stops + 2
    W, Cur, B = _state(m, width), _state(m, width), _state(m, width)
    vof = -np.ones(pairs, dtype=np.int64)
    R, ln = W[0], W[1]
    for v in range(m):
        seq = task.initial[v] if v < len(task.initial) else []
        R[v, 0] = stops + v
        R[v, 1:len(seq) + 1] = seq
        R[v, len(seq) + 1] = stops + m + v
        ln[v] = len(seq)
        for node in seq:
            vof[node // 2] = v
        _refresh(v, *W, T, nd, pr, vh, sc)  # type: ignore[call-arg]  # numba's stubs
    _copy_all(W, Cur)
    _copy_all(W, B)
    vof_c, vof_b = vof.copy(), vof.copy()
    if pairs == 0 or m == 0:
        return SubResult([[] for _ in range(m)], 0, time.monotonic() - began)
    # neighbours: riders whose pick-ups and drop-offs are close to each other's
    pick = T[0:stops:2, 0:stops:2]
    drop = T[1:stops:2, 1:stops:2]
    closeness = pick + pick.T + drop + drop.T
    np.fill_diagonal(closeness, np.iinfo(np.int64).max)
    near = np.argsort(closeness, axis=1, kind="stable")[:, :min(pairs - 1, 100)].astype(np.int64)
    if near.shape[1] == 0:
        near = np.zeros((pairs, 0), dtype=np.int64)
    arcs = int(ln.sum()) + int((ln > 0).sum())
    scale = float(W[6].sum()) / arcs if arcs else float(T.mean()) or 1.0
    t_start, t_end = _T_START * scale, _T_END * scale
    absent = np.zeros(pairs, dtype=np.int64)
    minimise = task.vehicle_cost > 0
    rng = np.random.default_rng(0)
    seed = [int(task.seed)]

    def steps(n: int, t_from: float, t_to: float, fleet: bool) -> tuple[int, int]:
        s, seed[0] = seed[0], -1
        return _steps(n, t_from, t_to, fleet, W, Cur, B, vof, vof_c, vof_b, absent, T, nd,
                      pr, vh, sc, near, s)

    fixed = task.solution_limit
    total_steps = 50 * fixed if fixed is not None else None
    done_steps = 0

    def clock() -> float:
        """Share of the run done, 0..1."""
        if total_steps is not None:
            return min(1.0, done_steps / total_steps)
        return min(1.0, (time.monotonic() - began) / max(1e-3, ends - began))

    chunk = 20
    # Phase 1, fewest cars: empty the smallest route, search until its riders fit elsewhere.
    if minimise:
        out = 0
        while clock() < 0.5:
            if out == 0:
                _copy_all(Cur, W)
                vof[:] = vof_c
                candidates = [v for v in range(m) if ln[v] > 0
                              and not any(pr[_PIN, R[v, a] // 2] >= 0 for a in range(1, ln[v] + 1))]
                if len(candidates) <= 1:
                    break
                smallest = min(int(ln[v]) for v in candidates)
                pool = [v for v in candidates if ln[v] == smallest]
                v = pool[int(rng.integers(len(pool)))]
                for k in sorted({int(R[v, a]) // 2 for a in range(1, ln[v] + 1)}):
                    _remove(k, R, ln, vof)
                _refresh(v, *W, T, nd, pr, vh, sc)  # type: ignore[call-arg]  # numba's stubs
                # one car fewer on the road (any car: they differ in place and seats)
                sc[_ROUTES] = len(candidates) - 1 + sum(
                    1 for u in range(m) if ln[u] > 0 and u not in candidates)
                _copy_all(W, Cur)
                vof_c[:] = vof
            tick = time.monotonic()
            out, _ = steps(chunk, 0.0, 0.0, True)
            done_steps += chunk
            chunk = _next_chunk(chunk, time.monotonic() - tick, fixed is not None)
        # back to the fewest cars that carried everyone
        _copy_all(B, Cur)
        _copy_all(B, W)
        vof_c[:] = vof_b
        vof[:] = vof_b
        sc[_ROUTES] = int((B[1] > 0).sum())  # driving may change cars, not add one
    # Phase 2: least driving, simulated annealing cooled over the time left.
    begin_frac = clock()
    while True:
        frac = clock()
        if frac >= 1.0:
            break
        span = max(1e-9, 1.0 - begin_frac)
        here = (frac - begin_frac) / span
        tick = time.monotonic()
        # temperature for this chunk, by the share of phase 2 already spent
        step_frac = chunk / total_steps / span if total_steps else \
            max(0.01, 0.1 / max(1e-3, ends - began)) / span
        there = min(1.0, here + step_frac)
        steps(chunk, t_start * (t_end / t_start) ** here, t_start * (t_end / t_start) ** there,
              False)
        done_steps += chunk
        chunk = _next_chunk(chunk, time.monotonic() - tick, fixed is not None)
        if total_steps is None and time.monotonic() + 0.05 > ends:
            break
    _move_routes(*B, vof_b, T, nd, pr, vh, sc)  # type: ignore[call-arg]  # numba's stubs
    routes = [[int(n) for n in B[0][v, 1:B[1][v] + 1]] for v in range(m)]
    objective = int(_objective(B[0], B[1], B[2], B[3], B[6], vof_b, sc, pr))
    return SubResult(routes, objective, time.monotonic() - began)


def _next_chunk(chunk: int, seconds: float, counted: bool) -> int:
    """Steps for the next chunk: about a tenth of a second's worth; when the steps are
    counted (``solution_limit``), a size that does not depend on the clock, so that the
    run is repeatable."""
    if counted:
        return min(chunk * 2, 1000)
    if seconds <= 0:
        return min(chunk * 2, 100_000)
    want = int(chunk * 0.1 / seconds)
    return max(1, min(want, chunk * 2, 100_000))


def warm_up() -> float:
    """Compile the search (or load it from Numba's cache); the seconds it took."""
    from routing.ortools_model import SubTask

    began = time.monotonic()
    travel = [[0, 5, 5, 5], [5, 0, 5, 5], [5, 5, 0, 0], [5, 5, 0, 0]]
    task = SubTask(travel=travel, service=[0] * 4, lo=[0] * 4, hi=[HORIZON] * 4,
                   seats=[1, -1, 0, 0], chairs=[0] * 4, limits=[600], pinned=[None],
                   shifts=[(0, HORIZON)], capacity=[4], chair_capacity=[0], initial=[[]],
                   penalty=1000, vehicle_cost=10, solution_limit=2)
    solve_lns(task)
    from routing.compiled import mark_ready

    mark_ready()
    return time.monotonic() - began


if __name__ == "__main__":
    print(f"routing.lns ready in {warm_up():.1f} s")
