"""The maturity and roadmap record: what the evidence says about an organisation's capabilities.

``records.py`` is the seam: the evidence store hands these plain records to the scoring, roadmap,
comparison and rendering code, which never touches the database.

- ``model.py`` (+ ``rules.py``, ``tomlcheck.py``): the capability model and scoring rules, read strictly
  from profiles/maturity/*.toml or a user's directory.
- ``score.py``: an organisation's record (status per capability, the outcomes behind it, claims and
  audit flags, history) and a footprint's roll-up by slowest member.
- ``roadmap.py``: milestones judged achieved / on track / at risk / missed.
- ``compare.py``: a buyer's weighted requirements against several systems' runs.
- ``assessments.py``, ``inputs.py``, ``csvfile.py``, ``demo.py``: the files people give us.
- ``html.py`` (+ ``svg.py``), ``csvout.py``, ``jsonout.py``: the outputs (``views.py``: old names).
"""
