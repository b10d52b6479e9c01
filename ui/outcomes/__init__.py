"""The patient's Outcomes tab: follow-up timepoints, assessments, adverse events, the chart."""
