"""The dock panels of the main window, one module each."""
