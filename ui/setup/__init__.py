"""Setting the console up: the first run, users, and device pairing keys."""
