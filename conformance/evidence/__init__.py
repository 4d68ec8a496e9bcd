"""Evidence: capture while checks run, and the store that keeps it."""
