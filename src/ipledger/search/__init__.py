"""Register search: an index of published rights per register, searched across registers.

- :mod:`.fields`: what of a right is searchable (title of any kind, owners' names,
  classes, status), and the text normalisation both sides of a match use.
- :mod:`.index`: :class:`RegisterIndex`, a SQLite side file (FTS5 trigram) per register,
  kept in step with the register's records incrementally, as of a signed checkpoint.
- :mod:`.query`: :class:`SearchQuery`, the criteria, validated.
- :mod:`.federated`: one query over the node's own register and every mirror.

Only published rights are ever indexed (``registry.access.is_published``).
"""
