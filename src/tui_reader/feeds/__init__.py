"""Feed fetching, parsing and refreshing: the network side of the core."""
