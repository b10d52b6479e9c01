"""What a connected device reports and how its session reaches the clinical record."""
