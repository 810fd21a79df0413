"""Tiers, members, accounts, roles and sign-in."""
