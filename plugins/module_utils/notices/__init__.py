"""The notices to agencies and officials: built, queued in the outbox, sent."""
