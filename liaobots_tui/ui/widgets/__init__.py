"""Widgets of the chat app: each knows how to show something, none talks to the network or the store."""
