"""Desired state against the accounts: typed changes, their rendering, the reviewed plan."""
