"""Character Card V1/V2/V3, CHARX and SillyTavern World Info: reading and writing.

Pure functions over bytes and dicts; the service stores what they return.
"""
