"""Insights (issue #15): the area analysis (gebiedsanalyse) of supply and demand per area, aggregates only."""
