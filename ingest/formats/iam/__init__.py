"""Identity exports (iam family): AWS IAM credential report, Okta users, Entra registration details."""
