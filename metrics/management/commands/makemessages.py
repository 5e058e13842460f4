"""``makemessages`` that also extracts ``tr(...)``, the gettext wrapper of the parsing layer
(metrics/ingestion/errors.py), which works before Django is set up and so cannot be ``gettext`` itself."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=tr", "--keyword=tr_lazy"]
