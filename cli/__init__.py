"""The command line: parses arguments, calls the ledger and projections, prints."""
