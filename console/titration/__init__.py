"""What a clinician marks while titrating test stimulation on a pair."""
