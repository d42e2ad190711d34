"""Applying a plan: the reconcile, passwords, emergency holds, the journal, drift."""
