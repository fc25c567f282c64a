"""Natural-language understanding: Rasa-format training data (nlu.yml, faq.yml, lookups.yml)
and the interpreter reading it (exact words, a classifier, entities); see interpreter.py."""
