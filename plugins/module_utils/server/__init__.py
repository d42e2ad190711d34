"""Checks of the mail host itself, before the servers are touched (the TLS certificate)."""
