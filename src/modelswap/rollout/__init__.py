"""Rollout: routing state per workload, the one-click rollback flag, and (later) the controller."""
