"""The Qt window of the console. Only this package imports Qt widgets."""
