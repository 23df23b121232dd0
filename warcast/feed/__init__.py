"""The feed: built with feedgen and warcast's extensions, one namespace table, chapters."""
