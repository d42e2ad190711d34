"""The password service: the /doimatkhau page, its API and the mail clients' set-up (WSGI)."""
