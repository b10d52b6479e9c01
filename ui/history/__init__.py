"""The History tab: the patient's programs and measurements as the record holds them."""
