"""Sessions change stream: fan-out of pause/resume/end, flush after resume."""
