# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import shlex
import shutil

from sql import Literal
from sql.functions import CurrentTimestamp
from trytond.config import config
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "OTWB Configuration"
    __string__ = "OTWB Configuration"
    __name__ = 'otwb.configuration'
    _history = True  # audit trail: who changed what, when

    rpc_max_items = fields.Integer(
        "RPC Max Items", required=True,
        help="The largest number of items accepted by one batch call.")
    circuity_factor = fields.Float(
        "Circuity Factor", required=True, digits=(4, 2),
        help="Road distance = great-circle distance x this factor.")
    average_speed = fields.Float(
        "Average Speed (km/h)", required=True, digits=(6, 1))

    @classmethod
    def default_rpc_max_items(cls):
        return 1000

    @classmethod
    def default_circuity_factor(cls):
        return 1.3

    @classmethod
    def default_average_speed(cls):
        return 60.0


class Rule(metaclass=PoolMeta):
    """Record rules may use ``Eval('user_id')``: the id of the current
    user (Tryton's rule context carries only the groups).  The rule cache
    is then per user, as record rules of the integration users depend on
    which channels or carriers are theirs."""
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += '\n- "user_id" as the id of the current user'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        return (*key, Transaction().user)

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        context['user_id'] = Transaction().user
        return context


def audit_columns():
    """The create/write columns of a read-only reporting model built by
    ``table_query`` (the KPI views)"""
    return [Literal(0).as_('create_uid'),
        CurrentTimestamp().as_('create_date'),
        Literal(None).as_('write_uid'), Literal(None).as_('write_date')]


def searchable(code, size=100):
    """Whether a code received over RPC is worth looking up: a text of at
    most ``size`` characters without control characters.  PostgreSQL
    refuses NUL in a query parameter; a code that cannot exist is answered
    "unknown" without asking the database."""
    return (isinstance(code, str) and 0 < len(code) <= size
        and not any(c < ' ' or c == '\x7f' for c in code))


def office_available():
    """Whether LibreOffice can convert documents on this machine: the
    program of Tryton's report convert command (``soffice``) is on the
    PATH."""
    command = config.get('report', 'convert_command', default=None)
    program = shlex.split(command)[0] if command else 'soffice'
    return shutil.which(program) is not None


class OfficeDocument:
    """A report from an ODT template, given as PDF when LibreOffice is
    installed (``soffice --headless``, Debian ``libreoffice-writer-nogui``)
    and as the ODT itself when it is not; the context key
    ``otwb_report_format='odt'`` asks for the ODT."""
    __slots__ = ()

    @classmethod
    def convert(cls, report, data, **kwargs):
        if report.extension == 'pdf' and (
                Transaction().context.get('otwb_report_format') == 'odt'
                or not office_available()):
            return report.template_extension, data
        return super().convert(report, data, **kwargs)
