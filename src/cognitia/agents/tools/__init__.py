"""Tools that characters call: the registry, its built-ins and the rules for running them."""
