"""Live demos: each module computes one proof and returns `minimodels.results` parts."""
