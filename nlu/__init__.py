"""Natural-language understanding: Rasa-format training data and the interpreter reading it."""
