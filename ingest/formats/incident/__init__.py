"""Incident exports (incident family): PagerDuty incidents, mapped Jira/ServiceNow-style CSVs."""
