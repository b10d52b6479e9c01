"""The window's one link to the device: the worker controller and the state panels derive from."""
