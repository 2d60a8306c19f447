"""Screens and modal dialogs of the chat app."""
