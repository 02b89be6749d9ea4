"""best_weight is missing."""
del best_weight
