"""Readers for Stack Exchange, Slack and Zulip exports: files in, plain records out."""
