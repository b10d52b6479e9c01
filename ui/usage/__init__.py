"""The Usage tab: how the patient uses the therapy, from the device log."""
