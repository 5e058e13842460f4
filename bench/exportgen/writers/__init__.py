"""One module per platform; each function writes one export file in the platform's real layout."""
