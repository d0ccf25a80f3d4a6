"""Matching (issue #4): help requests, volunteers, explainable ranking, broker approval, privacy."""
