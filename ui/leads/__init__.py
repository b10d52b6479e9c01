"""The drawing of the two leads and their electrodes."""
