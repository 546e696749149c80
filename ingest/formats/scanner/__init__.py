"""Scanner-family vendor exports: findings, certificate observations, exploitation intelligence.

Findings formats share `_findings` (reading, scan time and its fallback, the
canonical frame) and `_assets` (completing asset_environment from the rules).
"""
