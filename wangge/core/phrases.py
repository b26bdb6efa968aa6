"""Sentences the system writes for people (a message's title, a timeline's note), kept as their message id
and arguments and translated when shown, in the reader's language: the clerk who acts in English must not
send the grid worker an English message, and a reader who switched to English sees an English timeline.

The sentence is also rendered once in the site's language (Chinese) when it is written, for SMS, WeChat,
search and exports."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise


@dataclass(frozen=True)
class Phrase:
    msgid: str  # makemessages finds the literal first argument of `phrase(...)` (core makemessages)
    args: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.msgid, self.args)

    def stored(self) -> str:
        """The sentence in the site's language, as it is stored beside its id."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(self)

    def as_json(self) -> dict:
        return {"msgid": self.msgid, "args": {k: _arg_json(v) for k, v in self.args.items()}}


def phrase(msgid: str, **args) -> Phrase:
    return Phrase(msgid, args)


def _arg_json(value):
    if isinstance(value, Phrase):
        return value.as_json()
    if isinstance(value, Promise):
        # a lazy label (a choice's name): the source is Chinese, so its words in Chinese are its id
        with translation.override(settings.LANGUAGE_CODE):
            return {"msgid": str(value), "args": {}}
    if isinstance(value, str | int | float) or value is None:
        return value
    return str(value)


def _arg(value):
    if isinstance(value, Phrase):
        return str(value)
    if isinstance(value, dict) and "msgid" in value:  # an argument that is a sentence itself (a level's name)
        return render(value["msgid"], value.get("args") or {})
    return value


def render(msgid: str, args: dict | None = None) -> str:
    """The sentence in the active language; its arguments (names, codes) as they were written."""
    text = translation.gettext(msgid)
    if not args:
        return text
    try:
        return text % {k: _arg(v) for k, v in args.items()}
    except (KeyError, ValueError, TypeError):  # a translation that lost an argument: the original
        return msgid % {k: _arg(v) for k, v in args.items()}


def shown(text: str, msgid: str, args: dict | None) -> str:
    """What a stored sentence reads in the active language: its id translated, or (written before ids
    were kept, or typed by a person) the text as stored."""
    return render(msgid, args) if msgid else text
