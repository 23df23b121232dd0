"""The website: pages from Jinja templates, the Pagefind search bundle, backlinks."""
