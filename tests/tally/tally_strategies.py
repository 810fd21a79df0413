"""Hypothesis strategies for ranked profiles (shared by the tally tests)."""

from hypothesis import strategies as st

from govern.tally import Profile

NAMES = ["Anna", "Bram", "Chayenne", "Dewi", "Esra", "Femke", "Goran"]


@st.composite
def strict_profiles(draw, min_candidates=2, max_candidates=6, max_ballots=25, seats=None, allow_empty=True):
    n = draw(st.integers(min_candidates, max_candidates))
    names = NAMES[:n]
    ballots = draw(st.lists(
        st.tuples(st.permutations(range(n)), st.integers(0 if allow_empty else 1, n), st.integers(1, 5)),
        min_size=1, max_size=max_ballots,
    ))
    counts = {}
    for perm, length, w in ballots:
        key = tuple((c,) for c in perm[:length])
        counts[key] = counts.get(key, 0) + w
    s = seats if seats is not None else draw(st.integers(1, max(1, n - 1)))
    return Profile(tuple(names), tuple(counts), tuple(counts.values()), seats=s, title="t")


@st.composite
def profiles_with_ties(draw, max_candidates=5, max_ballots=15):
    n = draw(st.integers(1, max_candidates))
    names = NAMES[:n]
    out = []
    for _ in range(draw(st.integers(0, max_ballots))):
        perm = draw(st.permutations(range(n)))
        length = draw(st.integers(0, n))
        cuts = sorted(draw(st.sets(st.integers(1, max(1, length - 1)), max_size=max(0, length - 1))))
        ranks, prev = [], 0
        for cut in [*cuts, length]:
            if cut > prev:
                ranks.append(tuple(perm[prev:cut]))
                prev = cut
        out.append((tuple(ranks), draw(st.integers(1, 9))))
    counts = {}
    for b, w in out:
        counts[b] = counts.get(b, 0) + w
    return Profile(tuple(names), tuple(counts), tuple(counts.values()), seats=draw(st.integers(1, 3)), title="t")


def shuffled(profile: Profile, perm) -> Profile:
    """The same ballots listed in another order."""
    idx = list(perm)
    return Profile(profile.candidates, tuple(profile.ballots[i] for i in idx), tuple(profile.weights[i] for i in idx),
                   seats=profile.seats, withdrawn=profile.withdrawn, title=profile.title)
