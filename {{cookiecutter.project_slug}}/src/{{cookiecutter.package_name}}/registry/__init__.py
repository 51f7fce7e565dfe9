"""Registered versions: the registry (versions), the quality gate, lineage, the aliases."""
