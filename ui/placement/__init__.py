"""The intra-operative placement test, as a tab and as the theatre window."""
