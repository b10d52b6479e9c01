"""The application around the features: start-up, main window, header, sign-in, STOP."""
