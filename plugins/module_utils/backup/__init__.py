"""Backups, restores and purges of the mail server (Điều 10.2.đ)."""
