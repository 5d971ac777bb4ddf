"""The monitoring engine as it was before the column-wise evaluation (main at 7e9b208), kept as a reference.

Copied verbatim but for the imports of its own modules: every rule kind reads typed
:class:`~engraft.monitoring.MonitoredObservation` objects one by one. The property tests compare
:func:`engraft.monitoring.evaluate` and :func:`engraft.monitoring.evaluate_columns` with its :func:`evaluate`
over random series; it is not used anywhere else. The possible CRS and ICANS kinds came after that engine: they
are written again here from the ASTCT tables, typed and one by one (sharing only the wording and parameters).
"""
