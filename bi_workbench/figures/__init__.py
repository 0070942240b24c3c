"""Plotly figure builders of the report notebooks: functions DataFrame -> plotly Figure, one module per report.

Importing this package registers the reports' plotly template (`common.register_template`) as the default.
"""

from .common import register_template

register_template()
