"""Hưng Yên official mail: the pure core (naming, validation, planning) and the server backends.

Imported as ``ansible.module_utils.hymail`` inside modules and as ``hymail`` on the
controller and in tests; modules in this package use relative imports only.
"""
