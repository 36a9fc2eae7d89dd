"""Tests of the import readers (no database)."""
