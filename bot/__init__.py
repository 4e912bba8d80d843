"""Conversation engine, channels and CLI of the Jinan Party-building chat bot."""
