"""Package list for the OTWB modules.

The four Tryton modules live in ``addons/<name>`` and are installed as
``trytond.modules.<name>`` (the layout Tryton's own modules use).  Their
sub-packages (``engine``, ``tests``) are found here so nobody has to keep a
list in ``pyproject.toml`` up to date.
"""
import os

from setuptools import setup

MODULES = ['otwb_base', 'otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def packages():
    result = ['otwb_tools']
    for module in MODULES:
        root = os.path.join('addons', module)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            if '__init__.py' in filenames:
                sub = os.path.relpath(dirpath, root)
                name = 'trytond.modules.' + module
                if sub != '.':
                    name += '.' + sub.replace(os.sep, '.')
                result.append(name)
    return result


setup(packages=packages())
