"""The Telegram network adapter (telethon). So far: the pure formatting converters."""
