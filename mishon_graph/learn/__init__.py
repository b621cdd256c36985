"""The learn stage."""
