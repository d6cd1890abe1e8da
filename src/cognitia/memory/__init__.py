"""What a character remembers about each person: episodic (every exchange, indexed),
semantic (facts extracted by a model), and rolling chat summaries."""
