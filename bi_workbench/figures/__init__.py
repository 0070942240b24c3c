"""Plotly figure builders of the report notebooks: functions DataFrame -> plotly Figure, one module per report."""
