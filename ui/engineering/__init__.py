"""The Engineering tab: emulator faults, link figures, observations and the protocol trace."""
