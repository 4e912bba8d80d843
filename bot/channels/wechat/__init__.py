"""WeChat Official Account (公众号) channel: server callback in plain, compatible and safe mode.

Entry points: :func:`wechat_routes` / :func:`build_wechat_app` (Starlette), used by
``bot.http_app.build_http_app``.
"""

from bot.channels.wechat.app import WeChatConfig, WeChatEndpoint, build_wechat_app, wechat_routes

__all__ = ["WeChatConfig", "WeChatEndpoint", "build_wechat_app", "wechat_routes"]
