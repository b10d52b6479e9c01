"""The Clinic tab: the clinic's audit of every implanted patient (NICE IPG739)."""
