"""``makemessages`` that also extracts ``tr(...)``, the gettext wrapper of the parsing layer
(metrics/ingestion/errors.py), which works before Django is set up and so cannot be ``gettext`` itself, and ``_t`` (plain ``gettext`` where ``_`` is the lazy one, as in
metrics/forms_imports.py)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=tr", "--keyword=tr_lazy",
                       "--keyword=_t"]
