"""End-to-end tests: a real Home Assistant process, a real browser and Assist."""
