"""PR review in Dagster: a GitHub review delivery (stored by the API's webhook) → a ``pr_reviews``
partition → ``pr_review_event`` → ``pr_fix_plan`` (domain code: ``opsrunbook_dagster/pr_review/``)."""
