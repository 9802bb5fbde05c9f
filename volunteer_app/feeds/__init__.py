"""Calendar feeds (iCalendar) for families, staff and volunteers, and the pages to subscribe."""
