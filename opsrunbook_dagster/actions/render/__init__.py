"""What the actions send, rendered from packet and plan: Jira ADF, Teams cards, GitHub Markdown and
the exact HTTP bodies (``http_bodies``); planning only decides."""
