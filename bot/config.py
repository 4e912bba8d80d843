"""Settings from environment variables or a ``.env`` file (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # corpus and data
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str = ""  # default: sqlite file in data_dir
    conversation_ttl_s: int = 1800  # conversation state expires after this idle time
    embedding_model: str = "use-m3"  # semantic search beside BM25: use-m3 | e5+use | e5-small | none
    reload_poll_s: float = 2.0  # how often a running bot checks whether a reload elsewhere published a new corpus

    # privacy / storage
    id_hash_key: str = "change-me"  # keyed hash of chat/user ids
    store_raw_ids: bool = False

    # telegram
    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    admin_ids: list[int] = Field(default_factory=list)
    rate_limit_per_minute: int = 20
    webhook_url: str = ""  # public URL: webhook mode when set
    webhook_secret: str = ""

    # http server (wechat, admin console)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_encoding_aes_key: str = ""
    wechat_path: str = "/wechat"

    # admin console at /admin on the http server (served whenever a password is set)
    admin_password: str = ""
    admin_timezone: str = ""  # IANA name (Asia/Shanghai) for times and days; "" = the machine's local zone
    admin_session_hours: float = 12.0  # a console login lasts this long
    admin_login_per_minute: int = 5  # login attempts per client address, then 429

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bot.sqlite3'}"
