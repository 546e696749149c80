"""Backup exports (backup family): AWS Backup backup and restore jobs, restic snapshots."""
