"""Download statistics: access logs read, counted and summarised by audience."""
