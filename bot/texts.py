"""UI text of replies, in the user's language. Quotes from the articles stay Chinese."""

from __future__ import annotations

from bot.messages import Lang

TEXTS: dict[str, dict[Lang, str]] = {
    "answer_intro": {"zh": "据报道：", "en": "Here is what the articles say (quoted in Chinese):"},
    "no_answer": {
        "zh": "抱歉，资料里没有找到这个问题的答案。可以试试这些问题：",
        "en": "Sorry, I don't know — the articles don't say. You could ask:",
    },
    "more_footer": {"zh": "回复“更多”查看更多相关段落，回复“原文”查看全文。", "en": 'Reply "more" for more passages, "full text" for the article.'},
    "article_hint": {"zh": "回复“原文”查看全文。", "en": 'Reply "full text" for the article.'},
    "article_footer": {"zh": "回复“更多”看下一页。", "en": 'Reply "more" for the next page.'},
    "more_intro": {"zh": "更多相关段落：", "en": "More passages:"},
    "no_more": {"zh": "没有更多相关段落了。可以换个问题问我。", "en": "There are no more passages. Ask me something else."},
    "nothing_yet": {"zh": "请先提一个问题，例如：", "en": "Ask me a question first, for example:"},
    "article_intro": {"zh": "原文《{title}》第 {page}/{pages} 页：", "en": "Full text of 《{title}》, page {page}/{pages}:"},
    "article_end": {"zh": "原文已经看完了。", "en": "That was the end of the article."},
    "help": {
        "zh": "你好！我可以回答关于济南各区党建工作的问题（槐荫、章丘、历下、天桥……），并引用报道原文。试试：",
        "en": "Hi! I answer questions about Party-building work in Jinan's districts, quoting the news articles. Try:",
    },
    "empty": {"zh": "请输入一个问题，例如：", "en": "Please type a question, for example:"},
    "truncated": {"zh": "（问题太长，只按前 200 个字查找。）", "en": "(Your message was long; I searched its first 200 characters.)"},
    "error": {"zh": "抱歉，出了点问题，请稍后再试。", "en": "Sorry, something went wrong. Please try again."},
}


def text(key: str, lang: Lang, **values: object) -> str:
    template = TEXTS[key][lang]
    return template.format(**values) if values else template
