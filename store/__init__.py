"""The retail domain: catalogue, store floor, and the shop's ledger in SQLite (no sockets, no physics)."""
