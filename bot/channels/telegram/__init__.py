"""Telegram channel (python-telegram-bot v22): the conversation engine as a Telegram bot."""

from bot.channels.telegram.app import (
    build_application,
    run_telegram,
    serve_telegram,
    start_telegram,
    stop_telegram,
)

__all__ = ["build_application", "run_telegram", "serve_telegram", "start_telegram", "stop_telegram"]
