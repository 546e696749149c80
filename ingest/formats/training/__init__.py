"""Training exports (training family): KnowBe4 enrollments and phishing tests, GoPhish campaigns."""
