"""Reference implementations of every exercise, and the tiny seeded networks that make their inputs.

Trusted side only: nothing here is ever copied into a sandbox.
"""
