"""The regulation as pure functions: no I/O, no clock, no framework.

Every rule cites the clause it implements. Figures that the regulation may change
(or that FACTS.md marks unconfirmed) come in through :class:`bot.rules.config.RuleSettings`.
"""
