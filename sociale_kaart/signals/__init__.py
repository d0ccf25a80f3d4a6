"""Early signalling (issue #15): "Zorgen over iemand?" and its follow-up by the village team of the area."""
