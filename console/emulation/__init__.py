"""Running the device emulator as its own process, and the demonstration environment."""
