"""The maturity and roadmap record: what the evidence says about an organisation's capabilities.

``records.py`` is the seam: the evidence store hands these plain records to the scoring, roadmap,
comparison and rendering code, which never touches the database.
"""
