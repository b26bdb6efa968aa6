"""makemessages that also finds the sentences written with `phrase("…", …)` (core.phrases): kept as
their message id and translated when shown, they need their place in the catalogue like any `_("…")`."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=phrase"]
