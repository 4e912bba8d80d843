"""The Telegram channel's own UI strings, in Chinese and English.

Answers and their UI lines come from the engine; these are only what the channel
itself says (welcome, buttons, refusals, limits, errors).
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "zh": "你好！我可以回答关于济南各区（槐荫、章丘、历下、天桥……）党建工作的问题，"
        "并逐字引用报纸原文和出处。\n直接发问题给我，或者点下面的例子：",
        "en": "Hello! I answer questions about Party-building work in Jinan's districts "
        "(Huaiyin, Zhangqiu, Lixia, Tianqiao …), quoting the newspaper articles verbatim "
        "with their source.\nSend me a question, or tap an example:",
    },
    "help": {
        "zh": "用法：\n• 直接用中文提问，例如“槐荫区怎样抓产业链党建？”\n"
        "• 可以接着追问，我会记住上一个问题\n"
        "• 回答下的按钮：<b>更多</b> 看更多相关段落，<b>原文</b> 看整篇文章，👍/👎 评价回答\n"
        "• 也可以直接发送“更多”或“原文 2”\n\n命令：/start 开始 · /help 帮助",
        "en": "How to use:\n• Ask a question, e.g. “How does Huaiyin build Party organisations "
        "along industry chains?”\n• Ask follow-ups: I remember the previous question\n"
        "• Buttons under an answer: <b>More</b> for more passages, <b>Article</b> for the whole "
        "article, 👍/👎 to rate the answer\n• You can also type “more” or “原文 2”\n\n"
        "Commands: /start · /help",
    },
    "admin_help": {
        "zh": "\n\n管理员命令：/reload 重新加载语料 · /stats 统计 · /unanswered 待处理问题",
        "en": "\n\nAdmin commands: /reload the corpus · /stats · /unanswered review queue",
    },
    "text_only": {
        "zh": "抱歉，我只能读懂文字消息。请用文字提问 🙂",
        "en": "Sorry, I can only read text messages. Please type your question 🙂",
    },
    "rate_limited": {
        "zh": "你发得有点快了，请稍等一会儿再问 🙏",
        "en": "You're sending messages a bit fast — please wait a moment and ask again 🙏",
    },
    "error": {
        "zh": "抱歉，处理你的消息时出了点问题。请稍后再试。",
        "en": "Sorry, something went wrong while handling your message. Please try again later.",
    },
    "not_admin": {
        "zh": "抱歉，这个命令只有管理员可以使用。",
        "en": "Sorry, this command is for administrators only.",
    },
    "unknown_command": {
        "zh": "我不认识这个命令。发送 /help 查看用法。",
        "en": "I don't know that command. Send /help to see what I can do.",
    },
    "reload_started": {
        "zh": "正在重新加载语料……加载完成前仍由原来的索引回答。",
        "en": "Reloading the corpus … the current index keeps answering until it is done.",
    },
    "reload_busy": {
        "zh": "已经在重新加载了，请等它完成。",
        "en": "A reload is already running; please wait for it to finish.",
    },
    "no_database": {
        "zh": "没有配置数据库，暂无统计数据。",
        "en": "No database is configured, so there are no statistics.",
    },
    "feedback_thanks": {"zh": "谢谢你的反馈！", "en": "Thanks for the feedback!"},
    "feedback_nothing": {"zh": "没有可以评价的回答。", "en": "There is no answer to rate."},
    "button_expired": {
        "zh": "这个按钮已经失效了，请重新提问。",
        "en": "This button has expired; please ask again.",
    },
    "inline_button": {
        "zh": "这个按钮只能在和我的对话里使用，请直接给我发消息提问。",
        "en": "This button only works in a chat with me; please send me your question there.",
    },
    "more": {"zh": "更多", "en": "More"},
    "article": {"zh": "原文", "en": "Article"},
    "prev": {"zh": "◀ 上一页", "en": "◀ Prev"},
    "next": {"zh": "下一页 ▶", "en": "Next ▶"},
    "answer": {"zh": "答：", "en": "A: "},
    "cmd_start": {"zh": "开始 · 示例问题", "en": "Start · example questions"},
    "cmd_help": {"zh": "用法", "en": "How to use the bot"},
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The UI string ``key`` in ``lang`` (Chinese when the language is unknown)."""
    entry = _TEXTS[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**fmt) if fmt else text


def lang_of(language_code: str | None) -> str:
    """UI language for a Telegram user's ``language_code``: English for ``en*``, else Chinese."""
    return "en" if (language_code or "").lower().startswith("en") else "zh"
