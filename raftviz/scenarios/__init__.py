"""Built-in teaching scenarios, as raftviz script files (package data)."""
