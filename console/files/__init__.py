"""Reading files the user names: bounded in size and time, strict in shape."""
