"""The published documents: the Relazione sulla Performance (HTML, PDF/A-3b, XLSX) and the OIV's kit.

``anchor`` is what the proofs are checked against, ``model`` gathers a cut's figures with their
derivations and evidence, and each format renders that one model.
"""
