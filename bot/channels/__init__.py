"""Channel adapters: translate platform messages to and from bot.messages objects."""
