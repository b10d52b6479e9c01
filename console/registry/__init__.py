"""The registry export: every patient's implant, outcomes and adverse events as FHIR R4 or CSV.

NICE IPG739 asks that everyone who has the procedure is entered in the National
Neuromodulation Registry. ``codes`` holds every code the export uses, ``fhir_bundle`` and
``csv_rows`` turn the clinic's facts into the two formats; ``docs/registry.md`` is the data
dictionary. Pseudonymous by default: names and dates of birth only when asked for.
"""
