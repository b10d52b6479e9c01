"""The Program tab: editing, previewing, writing and verifying therapy."""
