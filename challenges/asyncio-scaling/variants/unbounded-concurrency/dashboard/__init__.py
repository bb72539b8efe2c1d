"""The dashboard aggregator: one user's profile, orders and recommendations in one answer."""
