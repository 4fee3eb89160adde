"""Bastion: party-branch target-responsibility assessment (党支部目标管理考核).

Plugins write ``from bastion import hookimpl``.
"""

from bastion.core.hookspecs import hookimpl

__all__ = ["hookimpl", "__version__"]
__version__ = "0.1.0"
