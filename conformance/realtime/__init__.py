"""Real-time exchange: a notification receiver, latency statistics and exchange scenarios.

Nothing is imported here so that targets.py can read the settings without loading the web stack.
"""
