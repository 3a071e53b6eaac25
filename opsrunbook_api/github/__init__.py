"""GitHub webhook authentication that needs no web framework: the signature (no FastAPI). What a
delivery means (normalization into ``GitHubPRReviewEventV1``) is PR review domain code:
``opsrunbook_dagster/pr_review/normalize.py``."""
