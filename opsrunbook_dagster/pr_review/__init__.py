"""PR review: a reviewer's comment on a pull request OpsRunbook opened → a deterministic fix plan.

The domain code of the cycle (no Dagster, no FastAPI): ``normalize.py`` says which webhook
deliveries matter and turns them into ``GitHubPRReviewEventV1``, ``review_tick.py`` turns stored
deliveries into runs on the shared request queue, ``fix_plan.py`` decides (suggestion blocks →
exact edits, ``/opsrunbook stop|resume``, everything else → a human) and ``edit_paths.py`` says
which repository paths an automatic edit may touch; ``stages.py`` is what the two assets do
(store the event; plan, keep the pause state, store the plan). The document types are in
``contracts/github.py``; the delivery and pause rows in ``stores/deliveries.py`` and
``stores/pr_pauses.py``; the webhook intake (signature, storing) in
``opsrunbook_api/services/webhooks.py``; the Dagster adapters in ``defs/pr_review/``.
"""
