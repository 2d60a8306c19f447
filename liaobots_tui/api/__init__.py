"""Headless Liaobots API layer: the message model, the four format adapters, transport and account.

Nothing in this package imports textual or rich (tests/test_import_hygiene.py).
"""
