"""Safe parsing of WeChat's callback XML and building of passive replies.

WeChat never sends a DTD, so any DTD is refused outright: that rejects entity
expansion bombs ("billion laughs") and external entities before anything is
expanded or fetched (defusedxml).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

# characters XML 1.0 cannot carry, even inside CDATA
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class XmlError(ValueError):
    """Unreadable or refused XML (malformed, DTD, entities, wrong root)."""


def parse_fields(body: bytes | str) -> dict[str, str]:
    """The top-level fields of a ``<xml>…</xml>`` message, as text.

    Nested elements (e.g. ``ScanCodeInfo``) keep only their own text.
    """
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(f"refused: {type(exc).__name__}") from None
    except (ET.ParseError, ValueError, TypeError) as exc:
        raise XmlError(f"malformed: {exc}") from None
    if root.tag != "xml":
        raise XmlError(f"unexpected root element <{root.tag}>")
    return {child.tag: child.text or "" for child in root}


def clean_text(text: str) -> str:
    return _INVALID_XML.sub("", text)


def cdata(text: str) -> str:
    """``text`` as CDATA; a "]]>" inside is split across two sections."""
    return "<![CDATA[" + clean_text(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build(fields: list[tuple[str, str | int]]) -> str:
    """``<xml>`` with one element per field: text as CDATA, integers bare."""
    body = "".join(
        f"<{tag}>{value if isinstance(value, int) else cdata(value)}</{tag}>" for tag, value in fields
    )
    return f"<xml>{body}</xml>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """WeChat's passive text reply (被动回复文本消息)."""
    return build(
        [
            ("ToUserName", to_user),
            ("FromUserName", from_user),
            ("CreateTime", int(create_time)),
            ("MsgType", "text"),
            ("Content", content),
        ]
    )


def encrypted_reply(encrypt: str, signature: str, timestamp: int, nonce: str) -> str:
    """The envelope of a safe-mode reply."""
    return build([("Encrypt", encrypt), ("MsgSignature", signature), ("TimeStamp", int(timestamp)), ("Nonce", nonce)])
