"""Votes: budget ballots, motions and elections; electorate snapshots, ballots, receipts, counting."""
