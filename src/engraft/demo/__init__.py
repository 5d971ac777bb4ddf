"""Synthetic data only: the demo cohort, the synthetic donor registry and its haplotype frequencies.

Nothing here is real patient or donor data. The demo calls the real clinical rules (``engraft.grading``,
``engraft.scores``) instead of copies of them. Only the CLI and the tests import this package.
"""
