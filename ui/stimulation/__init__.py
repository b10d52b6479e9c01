"""The Test stimulation tab: choosing a pair, titrating, telemetry."""
